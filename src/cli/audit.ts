/**
 * `bastion audit tail | query | verify | export`: reads the audit store named by the config file.
 * It only reads: the store is opened read-only where the store allows it, and nothing is changed.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import ms from 'ms';
import { verifyRows, type StoredRow } from '../audit/chain.js';
import { openStore } from '../audit/openStore.js';
import type { SealedRecord } from '../audit/record.js';
import type { AuditQuery, AuditStore } from '../audit/store.js';
import type { CompiledConfig } from '../config/compile.js';
import { UsageError } from './usageError.js';

export interface FilterOptions {
  since?: string;
  server?: string;
  tool?: string;
  decision?: string;
  kind?: string;
}

/** `--since 1h` (a duration back from now) or `--since 2026-11-24T08:00:00Z` (a time). */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = ms(value as ms.StringValue) as number | undefined;
  if (typeof duration === 'number' && Number.isFinite(duration) && duration >= 0) return new Date(now - duration);
  const time = Date.parse(value);
  if (Number.isFinite(time)) return new Date(time);
  throw new UsageError(`--since: expected a duration such as 1h or 30m, or a time such as 2026-11-24T08:00:00Z; got "${value}"`);
}

export function toQuery(options: FilterOptions): AuditQuery {
  if (options.decision !== undefined && options.decision !== 'allow' && options.decision !== 'deny') {
    throw new UsageError(`--decision: expected allow or deny; got "${options.decision}"`);
  }
  return {
    ...(options.since !== undefined ? { since: parseSince(options.since) } : {}),
    ...(options.server !== undefined ? { server: options.server } : {}),
    ...(options.tool !== undefined ? { tool: options.tool } : {}),
    ...(options.decision !== undefined ? { decision: options.decision } : {}),
    ...(options.kind !== undefined ? { kind: options.kind } : {}),
  };
}

async function withStore<T>(config: CompiledConfig, use: (store: AuditStore) => Promise<T>): Promise<T> {
  const store = await openStore(config.audit, { readonly: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** A record as one JSON line: the stored record with its hash. */
export function jsonLine(row: StoredRow): string {
  return `${row.canonical.slice(0, -1)},"hash":"${row.hash}"}\n`;
}

/** A record as one readable line. */
export function textLine(row: StoredRow): string {
  const record = JSON.parse(row.canonical) as SealedRecord;
  const head = `${String(record.seq).padStart(6)}  ${record.time}`;
  if (record.kind === 'call') {
    const what = record.tool ? `${record.server ?? '?'}/${record.tool}` : (record.server ?? '-');
    const approval = record.approval ? `  approval=${record.approval.outcome}${record.approval.by ? ` by ${record.approval.by}` : ''}${record.approval.via ? ` via ${record.approval.via}` : ''}` : '';
    const error = record.errorCode !== null ? `  ${record.errorCode}` : '';
    const rule = record.rule ? `  rule=${record.rule}` : '';
    return `${head}  ${record.decision.padEnd(5)} ${record.status.padEnd(9)} ${record.method} ${what}${rule}${record.tier ? ` tier=${record.tier}` : ''}${approval}${error}  ${record.durationMs}ms  ${record.principal}\n`;
  }
  const where = [record.server, record.session].filter(Boolean).join(' ');
  return `${head}  ${record.kind} ${record.event}${where ? `  ${where}` : ''}  ${JSON.stringify(record.detail)}\n`;
}

export async function auditQuery(config: CompiledConfig, options: FilterOptions & { json?: boolean; limit?: number }, out: Writable): Promise<number> {
  const query = { ...toQuery(options), ...(options.limit !== undefined ? { last: options.limit } : {}) };
  return withStore(config, async (store) => {
    let count = 0;
    for await (const row of store.query(query)) {
      out.write(options.json ? jsonLine(row) : textLine(row));
      count++;
    }
    return count;
  });
}

/** Prints the last records, then (with follow) each new one as it is committed, until stopped. */
export async function auditTail(config: CompiledConfig, options: FilterOptions & { lines: number; follow?: boolean; json?: boolean }, out: Writable, stop: AbortSignal): Promise<void> {
  const base = toQuery(options);
  await withStore(config, async (store) => {
    let after = 0;
    for await (const row of store.query({ ...base, last: options.lines })) {
      out.write(options.json ? jsonLine(row) : textLine(row));
      after = row.seq;
    }
    if (!options.follow) return;
    if (after === 0) for await (const row of store.query({ last: 1 })) after = row.seq;
    while (!stop.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      for await (const row of store.query({ ...base, afterSeq: after })) {
        out.write(options.json ? jsonLine(row) : textLine(row));
        after = row.seq;
      }
    }
  });
}

export async function auditVerify(config: CompiledConfig, out: Writable): Promise<boolean> {
  return withStore(config, async (store) => {
    const report = await verifyRows(store.query({}));
    if (report.broken) {
      out.write(`chain broken at record ${report.broken.seq}: ${report.broken.reason} (${report.count} records before it verify)\n`);
      return false;
    }
    out.write(`${report.count} records, chain intact\n`);
    return true;
  });
}

const CSV_COLUMNS = [
  'seq', 'time', 'kind', 'event', 'principal', 'client', 'client_version', 'session', 'server', 'method', 'tool', 'decision', 'rule', 'tier',
  'approval_outcome', 'approval_by', 'approval_via', 'approval_at', 'status', 'error_code', 'error', 'duration_ms', 'bytes_in', 'bytes_out',
  'trace_id', 'arguments', 'detail', 'prev', 'hash',
] as const;

function csvRow(row: StoredRow): string {
  const record = JSON.parse(row.canonical) as SealedRecord;
  const call = record.kind === 'call' ? record : undefined;
  const notice = record.kind === 'call' ? undefined : record;
  const cells: unknown[] = [
    record.seq, record.time, record.kind, notice?.event, call?.principal ?? notice?.principal, call?.client.name, call?.client.version, record.session, record.server,
    call?.method, call?.tool, call?.decision, call?.rule, call?.tier, call?.approval?.outcome, call?.approval?.by, call?.approval?.via, call?.approval?.at,
    call?.status, call?.errorCode, call?.error, call?.durationMs, call?.bytesIn, call?.bytesOut, call?.traceId,
    call ? JSON.stringify(call.arguments) : undefined, notice ? JSON.stringify(notice.detail) : undefined, record.prev, row.hash,
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** RFC 4180 quoting, and a leading quote on text a spreadsheet would run as a formula (arguments come from a model). */
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function auditExport(config: CompiledConfig, options: FilterOptions & { format: string; output?: string }, stdout: Writable): Promise<number> {
  if (options.format !== 'jsonl' && options.format !== 'csv') throw new UsageError(`--format: expected jsonl or csv; got "${options.format}"`);
  const query = toQuery(options);
  const out = options.output ? createWriteStream(options.output, { mode: 0o600 }) : stdout;
  const count = await withStore(config, async (store) => {
    let written = 0;
    if (options.format === 'csv') out.write(`${CSV_COLUMNS.join(',')}\r\n`);
    for await (const row of store.query(query)) {
      out.write(options.format === 'csv' ? csvRow(row) : jsonLine(row));
      written++;
    }
    return written;
  });
  if (options.output) {
    await new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.end(resolve);
    });
  }
  return count;
}
