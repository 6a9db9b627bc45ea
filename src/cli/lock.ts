/**
 * `bastion lock [--update SERVER]`: pins each server launched by a package runner to the exact
 * package the registry serves now (version and sha512 integrity), installs it into Bastion's own
 * cache without running its install scripts (unless trust.allowScripts names the server), and
 * records it in bastion.lock. A server already locked keeps its pin; `--update SERVER` shows what
 * changed in the package (version, integrity, install scripts, dependencies, maintainers) and
 * records the new pin.
 */
import type { Writable } from 'node:stream';
import type { CompiledConfig } from '../config/compile.js';
import { lockPath, packageDiff, readLock, writeLock } from '../trust/lock.js';
import { launchedPackage } from '../trust/npmPackage.js';
import { installLocked, npmCache, resolvePackage } from '../trust/packages.js';
import { typosquatOf } from '../trust/typosquat.js';

export class LockUsageError extends Error {}

export async function runLock(config: CompiledConfig, update: string | undefined, out: Writable): Promise<void> {
  const lock = readLock(config.file);
  const runnable = config.servers.flatMap((spec) => {
    if (spec.transport !== 'stdio') return [];
    const launched = launchedPackage(spec.command, spec.args);
    return launched ? [{ spec, launched }] : [];
  });
  if (update !== undefined && !runnable.some(({ spec }) => spec.name === update)) {
    throw new LockUsageError(`--update ${update}: no server of that name is launched by a package runner in ${config.file}`);
  }
  for (const { spec, launched } of runnable) {
    if (launched.ecosystem === 'python') {
      out.write(`${spec.name}: ${launched.runner} ${launched.name} cannot be pinned by Bastion (not an npm package); it runs whatever the index serves\n`);
      continue;
    }
    const squat = typosquatOf(launched.name);
    if (squat) out.write(`${spec.name}: WARNING: ${squat.name} looks like ${squat.resembles} (${squat.how})\n`);
    const before = lock.servers[spec.name];
    if (before && update !== spec.name) {
      out.write(`${spec.name}: ${before.name}@${before.version} locked (${before.integrity})\n`);
      continue;
    }
    const now = await resolvePackage(launched.spec, config.trust.registry, npmCache(config.dataDir));
    if (before) {
      const changes = packageDiff(before, now);
      out.write(changes.length ? `${spec.name}: changes since the lock:\n${changes.map((line) => `  ${line}\n`).join('')}` : `${spec.name}: nothing changed since the lock\n`);
    }
    const allowScripts = config.trust.allowScripts.includes(spec.name);
    await installLocked(config.dataDir, now, config.trust.registry, allowScripts);
    lock.servers[spec.name] = now;
    const scripts = Object.keys(now.installScripts);
    out.write(
      `${spec.name}: locked ${now.name}@${now.version} (${now.integrity}), installed${scripts.length ? `; install scripts ${scripts.join(', ')} ${allowScripts ? 'were run (trust.allowScripts)' : 'were not run'}` : ''}\n`,
    );
  }
  writeLock(config.file, lock);
  out.write(`wrote ${lockPath(config.file)}\n`);
}
