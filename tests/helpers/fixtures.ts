/** Upstream entries for the tests: the real npm servers and the conformance fixture over each transport. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNPRIVILEGED_UID } from '../../src/sandbox/profile.js';
import { BASTION_BIN, BIN, FIXTURE_BIN } from './paths.js';

export function fixtureStdio(env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { command: process.execPath, args: [FIXTURE_BIN, 'stdio'], env, ...extra };
}

export function realServers(dir = mkdtempSync(join(tmpdir(), 'bastion-fs-'))) {
  sandboxWritable(dir);
  return {
    dir,
    servers: {
      // In the default sandbox, a server writes only where its config says: here, its folder.
      fs: { command: BIN('mcp-server-filesystem'), args: [dir], sandbox: { filesystem: { allowWrite: [dir] } } },
      memory: { command: BIN('mcp-server-memory'), env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') }, sandbox: { filesystem: { allowWrite: [dir] } } },
      everything: { command: BIN('mcp-server-everything'), args: ['stdio'] },
    },
  };
}

export interface Listening {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  readonly stderr: () => string;
  readonly stop: () => void;
}

/** Starts a process that prints "listening on http://HOST:PORT" to stderr, and resolves with that URL. */
export function startListening(args: readonly string[], label: string, env: Record<string, string> = {}): Promise<Listening> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let seen = '';
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start listening within 15 s:\n${seen}`)), 15_000);
    const onData = () => {
      const match = /listening on (http:\/\/[\d.:[\]]+)/.exec(seen);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      resolve({ url: match[1], child, stderr: () => seen, stop: () => void child.kill() });
    };
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}:\n${seen}`));
    });
  });
}

/** Starts the fixture over HTTP (`http` or legacy `sse`) and resolves with its base URL once it listens. */
export function startFixtureHttp(mode: 'http' | 'sse'): Promise<Listening> {
  return startListening([FIXTURE_BIN, mode, '--port', '0'], `fixture (${mode})`);
}

/** Starts `bastion serve` on a free loopback port. */
export function startBastionHttp(configFile: string, extraArgs: readonly string[] = []): Promise<Listening> {
  return startListening([BASTION_BIN, 'serve', '--config', configFile, '--port', '0', ...extraArgs], 'bastion serve', {
    BASTION_LOG_LEVEL: 'debug',
    BASTION_DATA_DIR: mkdtempSync(join(tmpdir(), 'bastion-data-')),
  });
}

/** The sandbox never runs as root: when the tests run as root, its servers run as nobody, who must be able to write their folders. */
export function sandboxWritable(dir: string): string {
  if (process.geteuid?.() === 0) chownSync(dir, UNPRIVILEGED_UID, UNPRIVILEGED_UID);
  return dir;
}
