/**
 * What an audit store does: append events atomically after the chain's current head (reading the
 * head inside the same transaction, so that several Bastion processes can share one store and
 * still form one chain), and read rows back in sequence order.
 */
import type { StoredRow } from './chain.js';
import type { AuditEvent } from './record.js';

export interface AuditQuery {
  readonly since?: Date;
  readonly server?: string;
  readonly tool?: string;
  readonly decision?: string;
  readonly kind?: string;
  /** Only records after this sequence number (for following). */
  readonly afterSeq?: number;
  /** Only the last N matching records (still in sequence order). */
  readonly last?: number;
}

export interface AuditStore {
  /** Where the records are, for messages: "sqlite /path/audit.db". */
  readonly location: string;
  /** Appends events as one transaction; resolves when they are committed. */
  append(events: readonly AuditEvent[]): Promise<void>;
  /** Matching rows, in sequence order. */
  query(filter: AuditQuery): AsyncIterable<StoredRow>;
  close(): Promise<void>;
}

/** A store that cannot be opened or read: the CLI reports it, and Bastion refuses to start with it. */
export class AuditStoreError extends Error {}

/** The filter as SQL conditions, one placeholder each; stores number the placeholders their own way. */
export function filterConditions(filter: AuditQuery): Array<{ readonly sql: string; readonly value: string | number | Date }> {
  const conditions: Array<{ sql: string; value: string | number | Date }> = [];
  if (filter.since) conditions.push({ sql: 'time >= ?', value: filter.since });
  if (filter.server) conditions.push({ sql: 'server = ?', value: filter.server });
  if (filter.tool) conditions.push({ sql: 'tool = ?', value: filter.tool });
  if (filter.decision) conditions.push({ sql: 'decision = ?', value: filter.decision });
  if (filter.kind) conditions.push({ sql: 'kind = ?', value: filter.kind });
  if (filter.afterSeq !== undefined) conditions.push({ sql: 'seq > ?', value: filter.afterSeq });
  return conditions;
}

/** The table both SQL stores keep: indexed columns for queries beside the canonical record and its hash. */
export function tableDefinition(table: string, types: { readonly seq: string; readonly time: string }): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  seq ${types.seq} PRIMARY KEY,
  time ${types.time} NOT NULL,
  kind TEXT NOT NULL,
  server TEXT,
  tool TEXT,
  decision TEXT,
  canonical TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${table}_time ON ${table} (time);
CREATE INDEX IF NOT EXISTS ${table}_server_tool ON ${table} (server, tool);`;
}
