/** A local npm registry for the tests (verdaccio, from npm), and publishing the test server package to it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from './paths.js';

export interface LocalRegistry {
  readonly url: string;
  readonly storage: string;
  readonly child: ChildProcess;
  stop(): void;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-registry-'));
  const storage = join(dir, 'storage');
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $anonymous',
      '    unpublish: $anonymous',
      'log: { type: stdout, format: json, level: warn }',
      '',
    ].join('\n'),
  );
  // verdaccio prints the address it was given, not the one it got: give it a free port.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(BIN('verdaccio'), ['--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const collect = (chunk: Buffer) => (seen += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verdaccio did not start within 30 s:\n${seen}`)), 30_000);
    const poll = setInterval(() => {
      const match = /http address[^h]*(http:\/\/127\.0\.0\.1:\d+)\//.exec(seen);
      if (!match?.[1]) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve(`${match[1]}/`);
    }, 50);
    child.once('exit', (code) => reject(new Error(`verdaccio exited with ${code}:\n${seen}`)));
  });
  return { url, storage, child, stop: () => void child.kill() };
}

/** Publishes the test server package with a version and extra package.json fields (scripts, dependencies). */
export function publishEchoServer(registry: LocalRegistry, version: string, extra: Record<string, unknown> = {}): void {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-package-'));
  cpSync(join(REPO_ROOT, 'tests', 'fixture', 'packages', 'echo-server'), dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...manifest, version, ...extra }, null, 2));
  publish(registry, dir);
}

/** Publishes a package folder to the registry with npm itself. */
export function publish(registry: LocalRegistry, dir: string): void {
  const host = registry.url.replace(/^http:/, '');
  const npmrc = join(dir, '.npmrc-publish');
  writeFileSync(npmrc, `${host}:_authToken=bastion-tests\n`);
  const result = spawnSync('npm', ['publish', '--registry', registry.url, '--userconfig', npmrc, '--ignore-scripts', '--access', 'public'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm publish failed:\n${result.stdout}\n${result.stderr}`);
}
