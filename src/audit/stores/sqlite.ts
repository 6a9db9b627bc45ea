/**
 * The embedded store: SQLite in WAL mode. A commit is written to the WAL before append resolves,
 * so it survives a crash of Bastion; with durability "os" each commit is also fsynced
 * (synchronous=FULL), so it survives a crash of the machine. Several Bastion processes may share
 * the file: each append takes the write lock (BEGIN IMMEDIATE) and reads the head inside it.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { seal, EMPTY_HEAD, type ChainHead, type StoredRow } from '../chain.js';
import { indexColumns, type AuditEvent } from '../record.js';
import { AuditStoreError, filterConditions, tableDefinition, type AuditQuery, type AuditStore } from '../store.js';


export interface SqliteOptions {
  readonly durability: 'process' | 'os';
  readonly readonly?: boolean;
}

export class SqliteStore implements AuditStore {
  readonly location: string;
  private readonly db: Database.Database;
  private readonly appendTx: (events: readonly AuditEvent[]) => void;

  constructor(path: string, options: SqliteOptions) {
    this.location = `sqlite ${path}`;
    if (options.readonly && !existsSync(path)) throw new AuditStoreError(`no audit log at ${path} yet: Bastion creates it when it first starts with this config`);
    try {
      if (!options.readonly) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        // The log holds who did what: readable by its owner only. SQLite gives its WAL the same mode.
        closeSync(openSync(path, 'a', 0o600));
      }
      this.db = new Database(path, { fileMustExist: options.readonly === true, timeout: 10_000 });
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.exec(tableDefinition('audit', { seq: 'INTEGER', time: 'TEXT' }));
      }
      this.db.pragma(`synchronous = ${options.durability === 'os' ? 'FULL' : 'NORMAL'}`);
    } catch (error) {
      throw new AuditStoreError(`cannot open the audit store ${path}: ${(error as Error).message}`);
    }
    const head = this.db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    const insert = this.db.prepare('INSERT INTO audit (seq, time, kind, server, tool, decision, canonical, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const tx = this.db.transaction((events: readonly AuditEvent[]) => {
      const current: ChainHead = head.get() ?? EMPTY_HEAD;
      for (const sealed of seal(current, events)) {
        const columns = indexColumns(sealed.record);
        insert.run(sealed.record.seq, columns.time, columns.kind, columns.server, columns.tool, columns.decision, sealed.canonical, sealed.hash);
      }
    });
    this.appendTx = (events) => tx.immediate(events);
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    this.appendTx(events);
  }

  async *query(filter: AuditQuery): AsyncIterable<StoredRow> {
    const conditions = filterConditions(filter);
    const where = conditions.map((condition) => condition.sql);
    const values = conditions.map(({ value }) => (value instanceof Date ? value.toISOString() : value));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const sql =
      filter.last !== undefined
        ? `SELECT * FROM (SELECT * FROM audit ${clause} ORDER BY seq DESC LIMIT ${Math.max(0, Math.floor(filter.last))}) ORDER BY seq`
        : `SELECT * FROM audit ${clause} ORDER BY seq`;
    yield* this.db.prepare<Array<string | number>, StoredRow>(sql).iterate(...values);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
