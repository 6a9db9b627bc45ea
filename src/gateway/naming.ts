/**
 * Names of tools and prompts as the client sees them: `<server>__<name>`. Every client accepts
 * names of up to 64 characters from [A-Za-z0-9_-]; an upstream name outside that set, or too
 * long, is shortened and made unique with a hash of the original, so that names never collide.
 */
import { createHash } from 'node:crypto';

export const SEPARATOR = '__';
const VALID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_LENGTH = 64;

export function namespacedName(server: string, name: string): string {
  const plain = `${server}${SEPARATOR}${name}`;
  if (VALID.test(plain)) return plain;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const room = Math.max(1, MAX_LENGTH - server.length - SEPARATOR.length - hash.length - 1);
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, room);
  return `${server}${SEPARATOR}${safe}_${hash}`;
}
