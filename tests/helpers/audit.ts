/** Helpers for the audit tests: events to append, a PostgreSQL database that must be there, and `bastion audit`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import type { CallEvent } from '../../src/audit/record.js';
import type { Started } from './bastion.js';
import { BASTION_BIN, REPO_ROOT } from './paths.js';
import { waitFor } from './wait.js';

/** Parsed JSON that a test reads field by field (records, OTLP payloads); its shape is what the test asserts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The PostgreSQL every test machine runs (README); a test that needs it fails, naming it, when it is not there. */
export const POSTGRES_URL = process.env.BASTION_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`these tests need PostgreSQL at ${POSTGRES_URL} (trust auth, database test); it is not reachable: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export function callEvent(index: number, overrides: Partial<CallEvent> = {}): CallEvent {
  return {
    kind: 'call',
    time: new Date(Date.UTC(2026, 10, 24, 9, 0, index)).toISOString(),
    principal: 'anonymous',
    client: { name: 'test', version: '1' },
    session: 'session-1',
    server: index % 2 ? 'files' : 'shell',
    method: 'tools/call',
    tool: index % 2 ? 'read_file' : 'run',
    arguments: { index },
    decision: index % 3 === 0 ? 'deny' : 'allow',
    rule: null,
    tier: 'read',
    approval: null,
    status: index % 3 === 0 ? 'denied' : 'ok',
    errorCode: null,
    error: null,
    durationMs: 1.5,
    bytesIn: 10,
    bytesOut: 20,
    traceId: null,
    ...overrides,
  };
}

/** Runs `bastion audit ...` against a config file. */
export function audit(config: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [BASTION_BIN, 'audit', ...args, '--config', config], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

export function recordsOf(config: string, ...filters: string[]): Json[] {
  const { status, stdout, stderr } = audit(config, 'query', '--json', ...filters);
  assert.equal(status, 0, stderr);
  return stdout.trim() ? stdout.trim().split('\n').map((line) => JSON.parse(line) as Json) : [];
}

/** Closes the client and waits until Bastion has exited (so that it has written what it held). */
export async function stopBastion(started: Started): Promise<void> {
  const pid = started.transport.pid;
  await started.close();
  await waitFor(() => {
    try {
      process.kill(pid ?? 0, 0);
      return false;
    } catch {
      return true;
    }
  }, 10_000, 'Bastion to exit after its client closed');
}

