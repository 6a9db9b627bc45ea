/**
 * Durability and failure of the audit log, with `bastion serve` under load from SDK clients over
 * Streamable HTTP: after kill -9, every call that got an answer is in the store and the chain
 * verifies (SQLite, JSON lines and PostgreSQL alike); when the store stops taking writes, calls
 * are refused (fail closed) and the records wait, to be written once it is back; and traces are
 * exported over OTLP/HTTP, carried to the upstream in _meta.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { writeConfig } from '../helpers/bastion.js';
import { audit, postgresQuery, POSTGRES_URL, recordsOf, requirePostgres, type Json } from '../helpers/audit.js';
import { fixtureStdio, startBastionHttp, type Listening } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const ALLOW = { defaults: { read: 'allow', write: 'allow', execute: 'allow', unknown: 'allow' } };

async function connect(bastion: Listening): Promise<Client> {
  const client = new Client({ name: 'load', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bastion.url)));
  return client;
}

/** Runs clients that call test_echo in a loop until told to stop; returns the markers that were answered. */
function load(clients: Client[]): { stop: () => void; answered: Set<string>; done: Promise<void> } {
  const answered = new Set<string>();
  let running = true;
  const done = Promise.all(
    clients.map(async (client, index) => {
      for (let n = 0; running; n++) {
        const marker = `c${index}-${n}`;
        try {
          await client.callTool({ name: 'test_echo', arguments: { marker } });
          answered.add(marker);
        } catch {
          return; // Bastion was killed under this call
        }
      }
    }),
  ).then(() => undefined);
  return { stop: () => (running = false), answered, done };
}

const stores = [
  { name: 'sqlite', audit: {} },
  { name: 'jsonl', audit: { store: 'jsonl' } },
  { name: 'postgres', audit: { store: 'postgres', url: POSTGRES_URL, table: `bastion_audit_kill_${process.pid}` } },
];

describe('audit durability: kill -9 under load', () => {
  for (const store of stores) {
    it(`${store.name}: every answered call is in the log after kill -9, and the chain verifies`, async () => {
      if (store.name === 'postgres') await requirePostgres();
      const config = writeConfig({
        dataDir: mkdtempSync(join(tmpdir(), 'bastion-kill-')),
        admin: { enabled: false },
        audit: store.audit,
        mcpServers: { fx: fixtureStdio({}, { sharing: 'shared' }) },
        policy: ALLOW,
      });
      const bastion = await startBastionHttp(config);
      const clients = await Promise.all(Array.from({ length: 8 }, () => connect(bastion)));
      const run = load(clients);
      try {
        await waitFor(() => run.answered.size >= 300, 30_000, '300 answered calls');
        bastion.child.kill('SIGKILL');
        await once(bastion.child, 'exit');
        run.stop();
        // Calls in flight when Bastion died get no answer: closing the clients ends them.
        await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
        await run.done;
        const recorded = new Set(recordsOf(config, '--tool', 'test_echo').map((record) => String(record.arguments.marker)));
        const missing = [...run.answered].filter((marker) => !recorded.has(marker));
        assert.deepEqual(missing, [], `${missing.length} of ${run.answered.size} answered calls are not in the log`);
        const verified = audit(config, 'verify');
        assert.equal(verified.status, 0, verified.stdout + verified.stderr);
        assert.match(verified.stdout, /^\d+ records, chain intact\n$/);
      } finally {
        run.stop();
        bastion.child.kill('SIGKILL');
        await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
        if (store.name === 'postgres') await postgresQuery(`DROP TABLE IF EXISTS ${(store.audit as { table: string }).table}`).catch(() => undefined);
      }
    });
  }
});

describe('audit store failure', () => {
  it('postgres: while the table cannot be written, calls are refused; once it is back, the held records are written and the chain verifies', async () => {
    await requirePostgres();
    const table = `bastion_audit_fail_${process.pid}`;
    const config = writeConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'bastion-fail-')),
      admin: { enabled: false },
      audit: { store: 'postgres', url: POSTGRES_URL, table },
      mcpServers: { fx: fixtureStdio({}, { sharing: 'shared' }) },
      policy: ALLOW,
    });
    const bastion = await startBastionHttp(config);
    const client = await connect(bastion);
    try {
      await client.callTool({ name: 'test_echo', arguments: { marker: 'before' } });
      await postgresQuery(`ALTER TABLE ${table} RENAME TO ${table}_away`);
      // The first call after the outage runs, but its record cannot be written: its answer is withheld.
      await assert.rejects(client.callTool({ name: 'test_echo', arguments: { marker: 'during' } }), /audit record could not be written.*withheld/);
      const refused = (await client.callTool({ name: 'test_echo', arguments: { marker: 'refused' } })) as CallToolResult;
      assert.equal(refused.isError, true);
      assert.match((refused.content as Array<{ text: string }>)[0]!.text, /BASTION_AUDIT_UNAVAILABLE|the audit log cannot be written/);
      await postgresQuery(`ALTER TABLE ${table}_away RENAME TO ${table}`);
      await waitFor(() => /audit store writable again/.test(bastion.stderr()), 20_000, 'the audit store to recover');
      const after = (await client.callTool({ name: 'test_echo', arguments: { marker: 'after' } })) as CallToolResult;
      assert.notEqual(after.isError, true);
      const records = recordsOf(config, '--tool', 'test_echo');
      assert.deepEqual(records.map((record) => [record.arguments.marker, record.status]), [
        ['before', 'ok'],
        ['during', 'ok'],
        ['refused', 'denied'],
        ['after', 'ok'],
      ]);
      assert.equal(records[2]!.errorCode, 'BASTION_AUDIT_UNAVAILABLE');
      assert.equal(audit(config, 'verify').status, 0);
    } finally {
      await client.close().catch(() => undefined);
      bastion.child.kill('SIGKILL');
      await postgresQuery(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await postgresQuery(`DROP TABLE IF EXISTS ${table}_away`).catch(() => undefined);
    }
  });
});

describe('traces over OTLP/HTTP', () => {
  it('exports a span per request, continuing the client\'s trace, and carries Bastion\'s span to the upstream', async () => {
    const received: Json[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (request.url === '/v1/traces') received.push(JSON.parse(body) as Json);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const port = (collector.address() as { port: number }).port;
    const config = writeConfig({
      dataDir: mkdtempSync(join(tmpdir(), 'bastion-trace-')),
      admin: { enabled: false },
      telemetry: { traces: { endpoint: `http://127.0.0.1:${port}/v1/traces`, serviceName: 'bastion-test' } },
      mcpServers: { fx: fixtureStdio() },
      policy: ALLOW,
    });
    const bastion = await startBastionHttp(config);
    const client = await connect(bastion);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    try {
      const result = (await client.callTool({ name: 'test_echo', arguments: {}, _meta: { traceparent: `00-${traceId}-${clientSpan}-01` } })) as CallToolResult;
      const echoed = JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as { meta: { traceparent: string } };
      const [version, upstreamTrace, bastionSpan, flags] = echoed.meta.traceparent.split('-');
      assert.deepEqual([version, upstreamTrace, flags], ['00', traceId, '01'], 'the upstream continues the client\'s trace');
      assert.notEqual(bastionSpan, clientSpan, "the upstream's parent is Bastion's span, not the client's");
      bastion.child.kill('SIGTERM');
      await once(bastion.child, 'exit');
      await waitFor(() => received.length > 0, 10_000, 'spans at the collector');
      const spans = received.flatMap((batch) => batch.resourceSpans.flatMap((resource: Json) => resource.scopeSpans.flatMap((scope: Json) => scope.spans)));
      const call = spans.find((span: Json) => span.name === 'tools/call test_echo');
      assert.ok(call, `a tools/call span among ${spans.map((span: Json) => span.name).join(', ')}`);
      assert.equal(call.traceId, traceId);
      assert.equal(call.parentSpanId, clientSpan);
      assert.equal(call.spanId, bastionSpan);
      const attributes = Object.fromEntries(call.attributes.map((attribute: Json) => [attribute.key, Object.values(attribute.value)[0]]));
      assert.equal(attributes['mcp.method.name'], 'tools/call');
      assert.equal(attributes['gen_ai.tool.name'], 'test_echo');
      assert.equal(attributes['bastion.decision'], 'allow');
      const service = received[0]!.resourceSpans[0].resource.attributes.find((attribute: Json) => attribute.key === 'service.name');
      assert.equal(service.value.stringValue, 'bastion-test');
      const audited = recordsOf(config, '--tool', 'test_echo')[0]!;
      assert.equal(audited.traceId, traceId);
    } finally {
      await client.close().catch(() => undefined);
      bastion.child.kill('SIGKILL');
      collector.close();
    }
  });
});
