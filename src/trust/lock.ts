/**
 * bastion.lock, next to the config file: for each server launched by a package runner, the exact
 * package the user approved (name, version, sha512 integrity) and what was known of it then
 * (entry point, install scripts, dependencies, maintainers), so that a later change can be shown
 * as a difference before it is approved.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../atomicFile.js';

export interface LockedPackage {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
  readonly resolved: string;
  /** The entry point, relative to the package's folder. */
  readonly bin: string;
  readonly installScripts: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly maintainers: readonly string[];
  readonly lockedAt: string;
  /** The registry's signature (verified, or absent and why) and provenance attestation, when locked. */
  readonly registrySignature?: string;
  readonly provenance?: string;
  /** Ed25519 signatures over name, version and integrity (bastion sign). */
  readonly signatures?: ReadonlyArray<{ readonly keyId: string; readonly signature: string; readonly signedAt: string }>;
}

export interface LockFile {
  readonly lockfileVersion: 1;
  servers: Record<string, LockedPackage>;
}

export function lockPath(configFile: string): string {
  return join(dirname(configFile), 'bastion.lock');
}

export function readLock(configFile: string): LockFile {
  try {
    const parsed = JSON.parse(readFileSync(lockPath(configFile), 'utf8')) as LockFile;
    return { lockfileVersion: 1, servers: parsed.servers ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lockfileVersion: 1, servers: {} };
    throw new Error(`${lockPath(configFile)} cannot be read: ${(error as Error).message}`);
  }
}

export function writeLock(configFile: string, lock: LockFile): void {
  const file = lockPath(configFile);
  const sorted = { lockfileVersion: 1, servers: Object.fromEntries(Object.entries(lock.servers).sort(([a], [b]) => a.localeCompare(b))) };
  // The lock is meant to be committed and read by others: the usual mode, not a private one.
  writeFileAtomicSync(file, `${JSON.stringify(sorted, null, 2)}\n`, 0o644);
}

/** What changed between two locked versions of a package, line by line, for `bastion lock --update`. */
export function packageDiff(before: LockedPackage, after: LockedPackage): string[] {
  const lines: string[] = [];
  if (before.name !== after.name) lines.push(`package: ${before.name} -> ${after.name}`);
  if (before.version !== after.version) lines.push(`version: ${before.version} -> ${after.version}`);
  if (before.integrity !== after.integrity) lines.push(`integrity: ${before.integrity} -> ${after.integrity}${before.version === after.version ? ' (same version, different contents)' : ''}`);
  if (before.bin !== after.bin) lines.push(`entry point: ${before.bin} -> ${after.bin}`);
  const keyed = (label: string, a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) => {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(key in a)) lines.push(`${label} added: ${key} ${b[key]}`);
      else if (!(key in b)) lines.push(`${label} removed: ${key} ${a[key]}`);
      else if (a[key] !== b[key]) lines.push(`${label} changed: ${key} ${a[key]} -> ${b[key]}`);
    }
  };
  keyed('install script', before.installScripts, after.installScripts);
  keyed('dependency', before.dependencies, after.dependencies);
  for (const maintainer of after.maintainers) if (!before.maintainers.includes(maintainer)) lines.push(`maintainer added: ${maintainer}`);
  for (const maintainer of before.maintainers) if (!after.maintainers.includes(maintainer)) lines.push(`maintainer removed: ${maintainer}`);
  return lines;
}
