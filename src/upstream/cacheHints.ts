/**
 * Cache hints of 2026-07-28 results (`ttlMs`, `cacheScope`). A merged list is no more cacheable
 * than the least cacheable of its parts: the shortest lifetime, and private if any part is. A
 * result without hints (every session-era server's) is private and stale at once.
 */
import type { JsonObject } from './passthrough.js';

export interface CacheHint {
  readonly ttlMs: number;
  readonly cacheScope: 'public' | 'private';
}

export const UNCACHEABLE: CacheHint = Object.freeze({ ttlMs: 0, cacheScope: 'private' });

/** The hint a result carries, or UNCACHEABLE. */
export function hintOf(result: JsonObject): CacheHint {
  const ttlMs = typeof result.ttlMs === 'number' && Number.isInteger(result.ttlMs) && result.ttlMs >= 0 ? result.ttlMs : 0;
  return { ttlMs, cacheScope: result.cacheScope === 'public' ? 'public' : 'private' };
}

export function mergeHints(hints: Iterable<CacheHint>): CacheHint {
  let merged: CacheHint | undefined;
  for (const hint of hints) {
    merged = merged
      ? { ttlMs: Math.min(merged.ttlMs, hint.ttlMs), cacheScope: merged.cacheScope === 'private' || hint.cacheScope === 'private' ? 'private' : 'public' }
      : hint;
  }
  return merged ?? UNCACHEABLE;
}
