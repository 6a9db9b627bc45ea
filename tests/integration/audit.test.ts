/**
 * The audit log end to end, with the official SDK client over stdio: every request is recorded
 * with its decision, rule and approval; secrets in arguments reach neither the store nor the
 * logs; `bastion audit` reads, exports and verifies; trace context reaches the upstream; and
 * /metrics shows the calls just made.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import Database from 'better-sqlite3';
import { audit, recordsOf, stopBastion, type Json } from '../helpers/audit.js';
import { startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { fixtureStdio } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const textOf = (result: CallToolResult) => (result.content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');

/** Secret values the test hands to a tool; none may appear in clear in the store or the log. */
const SECRETS = {
  password: 'pw-canary-7f3a9e',
  github: 'ghp_CANARY0123456789abcdefghijklmnopqrstuv',
  aws: 'AKIAZZCANARY7F3A2E67',
  dbPassword: 'db-canary-51c2',
};

describe('audit log over stdio', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-audit-data-'));
  const config = writeConfig({
    dataDir,
    admin: { port: 0 },
    mcpServers: { fx: fixtureStdio() },
    policy: {
      defaults: { read: 'allow', write: 'allow', execute: 'ask', unknown: 'allow' },
      rules: [
        { id: 'no-error-tool', tool: 'test_error_handling', decision: 'deny', reason: 'the error tool is off limits' },
        { id: 'ask-text', tool: 'test_simple_text', decision: 'ask' },
      ],
    },
  });
  let bastion: Started;
  let echoed: { arguments: Record<string, unknown>; meta: Record<string, unknown> };
  let metricsText = '';
  const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

  before(async () => {
    bastion = await startBastion(config, {
      capabilities: { elicitation: { form: {} } },
      setup: (client) => client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { decision: 'approve_once' } })),
    });
    const { client } = bastion;
    await client.listTools();
    const echo = (await client.callTool({
      name: 'test_echo',
      arguments: {
        path: '/srv/notes.txt',
        password: SECRETS.password,
        command: `GITHUB_TOKEN=${SECRETS.github} gh release create v1 && aws --key ${SECRETS.aws}`,
        url: `postgres://app:${SECRETS.dbPassword}@db.internal/prod`,
      },
      _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    })) as CallToolResult;
    echoed = JSON.parse(textOf(echo)) as typeof echoed;
    const denied = (await client.callTool({ name: 'test_error_handling', arguments: { password: SECRETS.password } })) as CallToolResult;
    assert.equal(denied.isError, true);
    const approved = (await client.callTool({ name: 'test_simple_text', arguments: {} })) as CallToolResult;
    assert.notEqual(approved.isError, true, textOf(approved));
    await client.callTool({ name: 'test_simple_text', arguments: {} });
    await assert.rejects(client.callTool({ name: `no_such_tool_${SECRETS.github}`, arguments: {} }));

    await waitFor(() => /admin API at/.test(bastion.stderr()), 10_000, 'the admin API');
    const url = /admin API at (http:\/\/127\.0\.0\.1:\d+)/.exec(bastion.stderr())?.[1];
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const unauthorized = await fetch(`${url}/metrics`);
    assert.equal(unauthorized.status, 401, '/metrics needs the admin token');
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get('content-type') ?? '', /text\/plain/);
    metricsText = await scraped.text();
    await stopBastion(bastion);
  });
  after(async () => {
    await bastion?.close();
  });

  it('records every request with who, what, the decision, the rule and the outcome', () => {
    const calls = recordsOf(config, '--kind', 'call');
    assert.deepEqual(
      calls.map((record) => [record.method, record.tool, record.decision, record.status]),
      [
        ['tools/list', null, 'allow', 'ok'],
        ['tools/call', 'test_echo', 'allow', 'ok'],
        ['tools/call', 'test_error_handling', 'deny', 'denied'],
        ['tools/call', 'test_simple_text', 'allow', 'ok'],
        ['tools/call', 'test_simple_text', 'allow', 'ok'],
        ['tools/call', `no_such_tool_[REDACTED]`, 'deny', 'denied'],
      ],
    );
    const [, echo, denied, approved] = calls as [unknown, Json, Json, Json];
    assert.equal(echo.server, 'fx');
    assert.equal(echo.principal, 'anonymous');
    assert.deepEqual(echo.client, { name: 'bastion-test', version: '1.0.0' });
    assert.equal(echo.rule, 'default:read');
    assert.equal(echo.tier, 'read');
    assert.ok(echo.bytesIn > 100 && echo.bytesOut > 100, `bytes in ${echo.bytesIn}, out ${echo.bytesOut}`);
    assert.ok(echo.durationMs > 0);
    assert.equal(echo.traceId, traceId, 'the record carries the trace id of the client\'s traceparent');
    assert.equal(denied.rule, 'no-error-tool');
    assert.equal(denied.errorCode, 'BASTION_POLICY_DENIED');
    assert.match(denied.error, /the error tool is off limits/);
    assert.equal(approved.approval.outcome, 'approved');
    assert.equal(approved.approval.via, 'elicitation');
    assert.equal(approved.approval.by, 'anonymous');
    assert.equal(approved.approval.scope, 'once');
    assert.ok(Date.parse(approved.approval.at) >= Date.parse(approved.time));
  });

  it('records sessions, upstream starts and approvals beside the calls', () => {
    const kinds = recordsOf(config).map((record) => `${record.kind}:${record.event ?? record.method}`);
    for (const expected of ['session:opened', 'upstream:started', 'approval:requested', 'approval:answered', 'session:closed']) {
      assert.ok(kinds.includes(expected), `${expected} in ${kinds.join(', ')}`);
    }
  });

  it('keeps the audit log readable by its owner only', () => {
    assert.equal(statSync(join(dataDir, 'audit.db')).mode & 0o777, 0o600);
  });

  it('never stores or logs the secrets given in arguments, yet keeps the rest of them', () => {
    const stored = readdirSync(dataDir)
      .filter((name) => name.startsWith('audit'))
      .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
      .join('\n');
    const log = bastion.stderr();
    assert.match(log, /test_echo called with/, "the upstream's stderr, which printed the arguments, is in the log");
    for (const [name, secret] of Object.entries(SECRETS)) {
      assert.ok(!stored.includes(secret), `${name} is in the audit store in clear`);
      assert.ok(!log.includes(secret), `${name} is in Bastion's log in clear`);
    }
    const echo = recordsOf(config, '--tool', 'test_echo')[0]!;
    assert.deepEqual(echo.arguments, {
      path: '/srv/notes.txt',
      password: '[REDACTED]',
      command: 'GITHUB_TOKEN=[REDACTED] gh release create v1 && aws --key [REDACTED]',
      url: 'postgres://app:[REDACTED]@db.internal/prod',
    });
  });

  it('passes the client\'s trace context to the upstream in _meta', () => {
    assert.equal(echoed.meta.traceparent, `00-${traceId}-00f067aa0ba902b7-01`);
    assert.equal(echoed.arguments.password, SECRETS.password, 'the upstream itself receives the arguments unchanged');
  });

  it('shows the calls just made in /metrics', () => {
    assert.match(metricsText, /bastion_calls_total\{server="fx",tool="test_simple_text",method="tools\/call",decision="allow",status="ok"\} 2\b/);
    assert.match(metricsText, /bastion_calls_total\{server="fx",tool="test_error_handling",method="tools\/call",decision="deny",status="denied"\} 1\b/);
    assert.match(metricsText, /bastion_calls_total\{server="",tool="",method="tools\/call",decision="deny",status="denied"\} 1\b/, 'an unknown tool is counted without its name');
    assert.match(metricsText, /bastion_call_duration_seconds_count\{server="fx",method="tools\/call"\} 4\b/);
    assert.match(metricsText, /bastion_approvals_total\{outcome="approved"\} 2\b/);
    assert.match(metricsText, /bastion_approvals_pending 0\b/);
    assert.match(metricsText, /bastion_upstream_connections_ready\{server="fx"\} 1\b/);
    assert.match(metricsText, /bastion_upstream_events_total\{server="fx",event="started"\} 1\b/);
    assert.match(metricsText, /bastion_audit_records_total \d+/);
    assert.match(metricsText, /bastion_policy_evaluation_errors_total/);
  });

  it('tails, queries, exports and verifies from the command line', () => {
    const all = recordsOf(config);
    const verified = audit(config, 'verify');
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal(verified.stdout, `${all.length} records, chain intact\n`);

    const tail = audit(config, 'tail', '-n', '2');
    assert.equal(tail.status, 0, tail.stderr);
    const lines = tail.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /session closed/);

    const denied = recordsOf(config, '--decision', 'deny', '--since', '1h');
    assert.deepEqual(denied.map((record) => record.tool), ['test_error_handling', 'no_such_tool_[REDACTED]']);
    assert.deepEqual(recordsOf(config, '--since', '2000-01-01T00:00:00Z', '--server', 'fx', '--tool', 'test_simple_text').length, 2);
    assert.deepEqual(recordsOf(config, '--since', '2099-01-01T00:00:00Z'), []);

    const csv = audit(config, 'export', '--format', 'csv');
    assert.equal(csv.status, 0, csv.stderr);
    const rows = csv.stdout.trimEnd().split('\r\n');
    assert.match(rows[0]!, /^seq,time,kind,event,principal,/);
    assert.equal(rows.length, all.length + 1);
    const jsonl = audit(config, 'export', '--format', 'jsonl');
    assert.equal(jsonl.stdout.trim().split('\n').length, all.length);

    const bad = audit(config, 'query', '--since', 'yesterday-ish');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--since: expected a duration such as 1h/);
  });

  it('verify names the first broken record after someone edits the store', () => {
    const db = new Database(join(dataDir, 'audit.db'));
    try {
      const row = db.prepare("SELECT seq, canonical FROM audit WHERE decision = 'deny' ORDER BY seq LIMIT 1").get() as { seq: number; canonical: string };
      db.prepare('UPDATE audit SET canonical = ?, decision = ? WHERE seq = ?').run(row.canonical.replace('"decision":"deny"', '"decision":"allow"'), 'allow', row.seq);
      const verified = audit(config, 'verify');
      assert.equal(verified.status, 1);
      assert.equal(verified.stdout.split(':')[0], `chain broken at record ${row.seq}`);
      assert.match(verified.stdout, new RegExp(`record ${row.seq} was modified`));
    } finally {
      db.close();
    }
  });
});
