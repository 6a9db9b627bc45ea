/**
 * The same suite for every audit store (SQLite, PostgreSQL on this machine, JSON lines): appends
 * form one chain, queries filter, and verify finds a modified, a deleted, an inserted and a
 * reordered record, naming the first broken one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { verifyRows, type StoredRow } from '../../src/audit/chain.js';
import type { AuditStore } from '../../src/audit/store.js';
import { JsonlStore } from '../../src/audit/stores/jsonl.js';
import { PostgresStore } from '../../src/audit/stores/postgres.js';
import { SqliteStore } from '../../src/audit/stores/sqlite.js';
import { callEvent, postgresQuery, POSTGRES_URL, requirePostgres } from '../helpers/audit.js';

/** How a test reaches under a store to tamper with it, as an attacker with file or database access would. */
interface Tamper {
  /** Rows in stored order: [seq, canonical, hash]. */
  rows(): Promise<Array<{ seq: number; canonical: string; hash: string }>>;
  /** Replaces the stored content of the row at seq (its canonical text and hash). */
  setRow(seq: number, canonical: string, hash: string): Promise<void>;
  remove(seq: number): Promise<void>;
  /** Adds a row with this seq (moving later rows up by one, as an inserter must). */
  insertAt(seq: number, canonical: string, hash: string): Promise<void>;
}

interface Subject {
  readonly name: string;
  /** A JSON-lines file has no sequence column: a record's place is its line, so a gap shows where the line went missing. */
  readonly positional?: boolean;
  open(): Promise<AuditStore>;
  tamper(): Tamper;
}

async function rowsOf(store: AuditStore): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  for await (const row of store.query({})) rows.push(row);
  return rows;
}

async function fill(store: AuditStore, count: number): Promise<void> {
  await store.append(Array.from({ length: count }, (_, index) => callEvent(index + 1)));
}

function sqliteSubject(): Subject {
  const path = join(mkdtempSync(join(tmpdir(), 'bastion-audit-')), 'audit.db');
  const db = () => new Database(path);
  const run = (sql: string, ...values: unknown[]) => {
    const handle = db();
    try {
      handle.prepare(sql).run(...values);
    } finally {
      handle.close();
    }
  };
  return {
    name: 'sqlite',
    open: async () => new SqliteStore(path, { durability: 'process' }),
    tamper: () => ({
      rows: async () => {
        const handle = db();
        try {
          return handle.prepare('SELECT seq, canonical, hash FROM audit ORDER BY seq').all() as Array<{ seq: number; canonical: string; hash: string }>;
        } finally {
          handle.close();
        }
      },
      setRow: async (seq, canonical, hash) => run('UPDATE audit SET canonical = ?, hash = ? WHERE seq = ?', canonical, hash, seq),
      remove: async (seq) => run('DELETE FROM audit WHERE seq = ?', seq),
      insertAt: async (seq, canonical, hash) => {
        const handle = db();
        try {
          handle.exec('UPDATE audit SET seq = -seq - 1 WHERE seq >= ' + seq);
          handle.exec('UPDATE audit SET seq = -seq WHERE seq < 0');
          const record = JSON.parse(canonical) as { time: string; kind: string; server: string; tool: string; decision: string };
          handle.prepare('INSERT INTO audit (seq, time, kind, server, tool, decision, canonical, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(seq, record.time, record.kind, record.server, record.tool, record.decision, canonical, hash);
        } finally {
          handle.close();
        }
      },
    }),
  };
}

function postgresSubject(): Subject {
  const table = `bastion_audit_test_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  return {
    name: 'postgres',
    open: () => PostgresStore.open(POSTGRES_URL, table, { create: true }),
    tamper: () => ({
      rows: async () => (await postgresQuery(`SELECT seq::int AS seq, canonical, hash FROM ${table} ORDER BY seq`)).rows,
      setRow: async (seq, canonical, hash) => void (await postgresQuery(`UPDATE ${table} SET canonical = $1, hash = $2 WHERE seq = $3`, [canonical, hash, seq])),
      remove: async (seq) => void (await postgresQuery(`DELETE FROM ${table} WHERE seq = $1`, [seq])),
      insertAt: async (seq, canonical, hash) => {
        await postgresQuery(`UPDATE ${table} SET seq = -seq - 1 WHERE seq >= $1`, [seq]);
        await postgresQuery(`UPDATE ${table} SET seq = -seq WHERE seq < 0`);
        const record = JSON.parse(canonical) as { time: string; kind: string; server: string; tool: string; decision: string };
        await postgresQuery(`INSERT INTO ${table} (seq, time, kind, server, tool, decision, canonical, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
          seq, record.time, record.kind, record.server, record.tool, record.decision, canonical, hash,
        ]);
      },
    }),
  };
}

function jsonlSubject(): Subject {
  const path = join(mkdtempSync(join(tmpdir(), 'bastion-audit-')), 'audit.jsonl');
  const lines = () => readFileSync(path, 'utf8').trimEnd().split('\n');
  const write = (all: string[]) => writeFileSync(path, `${all.join('\n')}\n`);
  const lineOf = (canonical: string, hash: string) => `${canonical.slice(0, -1)},"hash":"${hash}"}`;
  return {
    name: 'jsonl',
    positional: true,
    open: () => JsonlStore.open(path, { durability: 'process' }),
    tamper: () => ({
      rows: async () =>
        lines().map((line) => {
          const { hash, ...record } = JSON.parse(line) as Record<string, unknown>;
          return { seq: Number(record.seq), canonical: '', hash: String(hash), record };
        }).map(({ seq, hash }, index) => ({ seq, hash, canonical: canonicalOfLine(lines()[index] as string) })),
      setRow: async (seq, canonical, hash) => write(lines().map((line, index) => (index + 1 === seq ? lineOf(canonical, hash) : line))),
      remove: async (seq) => write(lines().filter((_line, index) => index + 1 !== seq)),
      insertAt: async (seq, canonical, hash) => {
        const all = lines();
        all.splice(seq - 1, 0, lineOf(canonical, hash));
        write(all);
      },
    }),
  };
}

function canonicalOfLine(line: string): string {
  const hashAt = line.lastIndexOf(',"hash":');
  return `${line.slice(0, hashAt)}}`;
}

async function expectBroken(store: AuditStore, seq: number, reason: RegExp): Promise<void> {
  const report = await verifyRows(store.query({}));
  assert.ok(report.broken, 'verify should report a broken chain');
  assert.equal(report.broken.seq, seq, `first broken record: ${report.broken.reason}`);
  assert.match(report.broken.reason, reason);
}

for (const makeSubject of [sqliteSubject, postgresSubject, jsonlSubject]) {
  const probe = makeSubject();
  describe(`audit store: ${probe.name}`, () => {
    before(async () => {
      if (probe.name === 'postgres') await requirePostgres();
    });

    it('appends batches as one chain that verifies, and filters queries', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 5);
        await store.append([callEvent(6), callEvent(7)]);
        const report = await verifyRows(store.query({}));
        assert.deepEqual([report.count, report.broken], [7, undefined]);
        const rows = await rowsOf(store);
        assert.deepEqual(rows.map((row) => row.seq), [1, 2, 3, 4, 5, 6, 7]);
        const denied = [];
        for await (const row of store.query({ decision: 'deny' })) denied.push(row.seq);
        assert.deepEqual(denied, [3, 6]);
        const files = [];
        for await (const row of store.query({ server: 'files', tool: 'read_file', last: 2 })) files.push(row.seq);
        assert.deepEqual(files, [5, 7]);
        const recent = [];
        for await (const row of store.query({ since: new Date(Date.UTC(2026, 10, 24, 9, 0, 6)), afterSeq: 6 })) recent.push(row.seq);
        assert.deepEqual(recent, [7]);
      } finally {
        await store.close();
      }
    });

    it('continues the chain across a reopen', async () => {
      const subject = makeSubject();
      let store = await subject.open();
      await fill(store, 3);
      await store.close();
      store = await subject.open();
      try {
        await store.append([callEvent(4)]);
        const report = await verifyRows(store.query({}));
        assert.equal(report.count, 4);
        assert.equal(report.broken, undefined);
      } finally {
        await store.close();
      }
    });

    it('detects a modified record', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 6);
        const tamper = subject.tamper();
        const row = (await tamper.rows())[3]!;
        // The attacker changes a decision and leaves the hash, or recomputes the hash too.
        await tamper.setRow(row.seq, row.canonical.replace('"decision":"allow"', '"decision":"deny"'), row.hash);
        await expectBroken(store, 4, /record 4 was modified/);
      } finally {
        await store.close();
      }
    });

    it('detects a modified record whose hash was recomputed, at the record after it', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 6);
        const tamper = subject.tamper();
        const row = (await tamper.rows())[2]!;
        const forged = row.canonical.replace('"arguments":{"index":3}', '"arguments":{"index":333}');
        const { createHash } = await import('node:crypto');
        await tamper.setRow(row.seq, forged, createHash('sha256').update(forged).digest('hex'));
        await expectBroken(store, 4, /record 4 does not link to record 3/);
      } finally {
        await store.close();
      }
    });

    it('detects a deleted record', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 6);
        await subject.tamper().remove(3);
        if (subject.positional) await expectBroken(store, 3, /the record stored as 3 says it is record 4: records were deleted/);
        else await expectBroken(store, 4, /record 4 follows record 2: record 3 is missing \(deleted\)/);
      } finally {
        await store.close();
      }
    });

    it('detects an inserted record', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 6);
        const tamper = subject.tamper();
        const copy = (await tamper.rows())[1]!;
        // A copy of record 2 inserted as record 3: its own hash holds, but it says it is record 2.
        await tamper.insertAt(3, copy.canonical, copy.hash);
        await expectBroken(store, 3, /the record stored as 3 says it is record 2/);
      } finally {
        await store.close();
      }
    });

    it('detects reordered records', async () => {
      const subject = makeSubject();
      const store = await subject.open();
      try {
        await fill(store, 6);
        const tamper = subject.tamper();
        const rows = await tamper.rows();
        const [third, fourth] = [rows[2]!, rows[3]!];
        await tamper.setRow(3, fourth.canonical, fourth.hash);
        await tamper.setRow(4, third.canonical, third.hash);
        await expectBroken(store, 3, /says it is record 4/);
      } finally {
        await store.close();
      }
    });
  });
}

describe('audit store: two writers share one chain', () => {
  it('sqlite: two Bastion processes appending to one file interleave into one chain', async () => {
    const subject = sqliteSubject();
    const [first, second] = [await subject.open(), await subject.open()];
    try {
      for (let round = 0; round < 20; round++) {
        await Promise.all([first.append([callEvent(round * 2)]), second.append([callEvent(round * 2 + 1), callEvent(100 + round)])]);
      }
      const report = await verifyRows(first.query({}));
      assert.deepEqual([report.count, report.broken], [60, undefined]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('postgres: concurrent appends from two pools form one chain', async () => {
    await requirePostgres();
    const subject = postgresSubject();
    const [first, second] = [await subject.open(), await subject.open()];
    try {
      await Promise.all(Array.from({ length: 30 }, (_, index) => (index % 2 ? first : second).append([callEvent(index), callEvent(index + 100)])));
      const report = await verifyRows(first.query({}));
      assert.deepEqual([report.count, report.broken], [60, undefined]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('jsonl: a second writer is refused while another live process holds the file, and a stale lock is taken over', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bastion-audit-')), 'audit.jsonl');
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(`${path}.lock`, String(holder.pid));
      await assert.rejects(JsonlStore.open(path, { durability: 'process' }), new RegExp(`written by another Bastion \\(pid ${holder.pid}\\)`));
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    const store = await JsonlStore.open(path, { durability: 'process' });
    await store.append([callEvent(1)]);
    await store.close();
    assert.equal((await verifyRows((await JsonlStore.open(path, { durability: 'process', readonly: true })).query({}))).count, 1);
  });
});

after(async () => {
  // Test tables are dropped; a failure here must not hide the tests' own results.
  try {
    const { rows } = await postgresQuery(`SELECT tablename FROM pg_tables WHERE tablename LIKE 'bastion_audit_test_${process.pid}_%'`);
    for (const { tablename } of rows as Array<{ tablename: string }>) await postgresQuery(`DROP TABLE ${tablename}`);
  } catch {
    // PostgreSQL absent: the tests that need it already failed and said so.
  }
});
