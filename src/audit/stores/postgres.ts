/**
 * The team store: PostgreSQL. Appends from every Bastion instance form one chain: each append
 * takes a transaction-scoped advisory lock for the table, reads the head, inserts its batch as one
 * statement and commits. Durability is the server's (synchronous_commit).
 */
import pg from 'pg';
import { seal, EMPTY_HEAD, type ChainHead, type StoredRow } from '../chain.js';
import { indexColumns, type AuditEvent } from '../record.js';
import { AuditStoreError, filterConditions, tableDefinition, type AuditQuery, type AuditStore } from '../store.js';

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresStore implements AuditStore {
  readonly location: string;
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  private constructor(
    url: string,
    private readonly table: string,
  ) {
    if (!TABLE_NAME.test(table)) throw new AuditStoreError(`audit.table: "${table}" is not a plain lower-case SQL name`);
    // Bounded waits: a store that hangs must fail the append (and be retried), not hold calls forever.
    this.pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, query_timeout: 10_000 });
    // An idle connection dropped by the server is replaced on next use; it must not crash Bastion.
    this.pool.on('error', () => undefined);
    this.location = `postgres ${redactUrl(url)} table ${table}`;
  }

  static async open(url: string, table: string, options: { create: boolean }): Promise<PostgresStore> {
    const store = new PostgresStore(url, table);
    try {
      await (options.create ? store.init() : store.pool.query(`SELECT 1 FROM ${table} LIMIT 0`));
    } catch (error) {
      await store.close();
      throw new AuditStoreError(`cannot open the audit store (${store.location}): ${(error as Error).message}`);
    }
    return store;
  }

  private init(): Promise<void> {
    this.ready ??= this.pool
      .query(tableDefinition(this.table, { seq: 'BIGINT', time: 'TIMESTAMPTZ' }))
      .then(() => undefined);
    return this.ready;
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bastion-audit:${this.table}`]);
      const { rows } = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`);
      const head: ChainHead = rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : EMPTY_HEAD;
      const values: unknown[] = [];
      const tuples = seal(head, events).map((sealed, index) => {
        const columns = indexColumns(sealed.record);
        values.push(sealed.record.seq, columns.time, columns.kind, columns.server, columns.tool, columns.decision, sealed.canonical, sealed.hash);
        const base = index * 8;
        return `(${Array.from({ length: 8 }, (_, column) => `$${base + column + 1}`).join(', ')})`;
      });
      await client.query(`INSERT INTO ${this.table} (seq, time, kind, server, tool, decision, canonical, hash) VALUES ${tuples.join(', ')}`, values);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async *query(filter: AuditQuery): AsyncIterable<StoredRow> {
    const conditions = filterConditions(filter);
    const where = conditions.map((condition, index) => condition.sql.replace('?', `$${index + 1}`));
    const values: unknown[] = conditions.map((condition) => condition.value);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const inner = `SELECT seq, time, kind, server, tool, decision, canonical, hash FROM ${this.table} ${clause}`;
    const sql =
      filter.last !== undefined ? `SELECT * FROM (${inner} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(filter.last))}) AS tail ORDER BY seq` : `${inner} ORDER BY seq`;
    // Read in pages by sequence number, so that a long log is never held in memory at once.
    const PAGE = 5000;
    let after = 0;
    for (;;) {
      const paged = `SELECT * FROM (${sql}) AS matching WHERE seq > $${values.length + 1} ORDER BY seq LIMIT ${PAGE}`;
      const { rows } = await this.pool.query<{ seq: string; time: Date } & Omit<StoredRow, 'seq' | 'time'>>(paged, [...values, after]);
      for (const row of rows) yield { ...row, seq: Number(row.seq), time: row.time.toISOString() };
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** The connection URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
