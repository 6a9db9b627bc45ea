/**
 * Opaque cursors for the merged lists Bastion serves. A cursor is the offset into the merged
 * list, encoded so that clients treat it as opaque; anything else is an invalid cursor.
 */
import { BastionError } from '../errors/bastionError.js';

const PREFIX = 'b1.';

export function encodeCursor(offset: number): string {
  return PREFIX + Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: unknown): number {
  if (cursor === undefined) return 0;
  if (typeof cursor === 'string' && cursor.startsWith(PREFIX)) {
    try {
      const { o } = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8')) as { o: unknown };
      if (Number.isSafeInteger(o) && (o as number) >= 0) return o as number;
    } catch {
      // fall through to the error below
    }
  }
  throw new BastionError('BASTION_INVALID_PARAMS', 'Invalid cursor: pass back the nextCursor of a previous list result unchanged', {
    param: 'cursor',
  });
}

/** One page of a merged list, with the cursor of the next page when there is one. */
export function paginate<T>(items: readonly T[], cursor: unknown, pageSize: number): { page: T[]; nextCursor?: string } {
  const offset = decodeCursor(cursor);
  const page = items.slice(offset, offset + pageSize);
  return offset + pageSize < items.length ? { page, nextCursor: encodeCursor(offset + pageSize) } : { page };
}
