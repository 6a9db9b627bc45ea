/**
 * The admin API's bearer token: generated on first start (256 random bits), stored in the data
 * directory with mode 0600, and read by the CLI. Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function tokenFile(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

export function readToken(dataDir: string): string | undefined {
  try {
    return readFileSync(tokenFile(dataDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function ensureToken(dataDir: string): string {
  const existing = readToken(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  try {
    writeFileSync(tokenFile(dataDir), `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another Bastion started at the same moment and wrote it first: use theirs.
    const theirs = (error as NodeJS.ErrnoException).code === 'EEXIST' ? readToken(dataDir) : undefined;
    if (theirs) return theirs;
    throw error;
  }
  chmodSync(tokenFile(dataDir), 0o600);
  return token;
}

export function sameToken(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
