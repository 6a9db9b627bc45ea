/**
 * The hash chain. Each record's hash is SHA-256 over its canonical JSON (RFC 8785), which includes
 * its sequence number and the previous record's hash. Changing a record changes its hash; removing,
 * inserting or moving one breaks the link of the record after it, or the run of sequence numbers.
 * Cutting records off the end leaves a shorter chain that still verifies: compare `verify`'s head
 * hash with a copy kept elsewhere to detect that.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEvent, SealedRecord, StoredRecord } from './record.js';
import { indexColumns } from './record.js';

export const GENESIS = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Seals events after the given head, in order. */
export function seal(head: ChainHead, events: readonly AuditEvent[]): StoredRecord[] {
  let { seq, hash } = head;
  return events.map((event) => {
    const record = { ...event, seq: ++seq, prev: hash } as SealedRecord;
    const canonical = canonicalize(record) as string;
    hash = sha256(canonical);
    return { record, canonical, hash };
  });
}

/** A row as a store reads it back: its columns, the stored canonical text and hash. */
export interface StoredRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly server: string | null;
  readonly tool: string | null;
  readonly decision: string | null;
  readonly canonical: string;
  readonly hash: string;
}

export interface VerifyReport {
  readonly count: number;
  readonly head: ChainHead;
  /** The first broken record and why; absent when the chain is intact. */
  readonly broken?: { readonly seq: number; readonly reason: string };
}

/** Walks rows in stored order and reports the first place the chain does not hold. */
export async function verifyRows(rows: AsyncIterable<StoredRow> | Iterable<StoredRow>): Promise<VerifyReport> {
  let head: ChainHead = EMPTY_HEAD;
  let count = 0;
  for await (const row of rows) {
    const fail = (reason: string): VerifyReport => ({ count, head, broken: { seq: row.seq, reason } });
    if (sha256(row.canonical) !== row.hash) return fail(`record ${row.seq} was modified: its hash does not match its contents`);
    let record: SealedRecord;
    try {
      record = JSON.parse(row.canonical) as SealedRecord;
    } catch {
      return fail(`record ${row.seq} is not valid JSON`);
    }
    if (canonicalize(record) !== row.canonical) return fail(`record ${row.seq} is not in canonical form: it was rewritten`);
    if (record.seq !== head.seq + 1) {
      if (record.seq !== row.seq) return fail(`the record stored as ${row.seq} says it is record ${record.seq}: records were deleted, moved or renumbered`);
      return fail(
        record.seq > head.seq + 1
          ? `record ${row.seq} follows record ${head.seq}: ${record.seq - head.seq - 1 === 1 ? `record ${head.seq + 1} is` : `records ${head.seq + 1} to ${record.seq - 1} are`} missing (deleted)`
          : `record ${row.seq} follows record ${head.seq}: records were reordered or duplicated`,
      );
    }
    if (record.seq !== row.seq) return fail(`the record stored as ${row.seq} says it is record ${record.seq}: records were renumbered`);
    if (record.prev !== head.hash) return fail(`record ${row.seq} does not link to record ${head.seq}: a record before it was deleted, inserted or replaced`);
    const columns = indexColumns(record);
    for (const key of ['time', 'kind', 'server', 'tool', 'decision'] as const) {
      if (!sameColumn(key, row[key], columns[key])) return fail(`record ${row.seq}: its indexed ${key} (${String(row[key])}) differs from the record (${String(columns[key])})`);
    }
    head = { seq: row.seq, hash: row.hash };
    count++;
  }
  return { count, head };
}

function sameColumn(key: string, stored: string | null, recorded: string | null): boolean {
  if (key === 'time' && stored !== null && recorded !== null) return Date.parse(stored) === Date.parse(recorded);
  return (stored ?? null) === (recorded ?? null);
}
