/** Upstream entries for the tests: the real npm servers and the conformance fixture over each transport. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURE_BIN } from './paths.js';

export function fixtureStdio(env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { command: process.execPath, args: [FIXTURE_BIN, 'stdio'], env, ...extra };
}

export function realServers(dir = mkdtempSync(join(tmpdir(), 'bastion-fs-'))) {
  return {
    dir,
    servers: {
      fs: { command: BIN('mcp-server-filesystem'), args: [dir] },
      memory: { command: BIN('mcp-server-memory'), env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') } },
      everything: { command: BIN('mcp-server-everything'), args: ['stdio'] },
    },
  };
}

/** Starts the fixture over HTTP (`http` or legacy `sse`) and resolves with its base URL once it listens. */
export function startFixtureHttp(mode: 'http' | 'sse'): Promise<{ url: string; child: ChildProcess; stop: () => void }> {
  const child = spawn(process.execPath, [FIXTURE_BIN, mode, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`fixture (${mode}) did not start: ${seen}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], child, stop: () => child.kill() });
      }
    });
    child.on('exit', (code) => reject(new Error(`fixture (${mode}) exited with ${code}: ${seen}`)));
  });
}
