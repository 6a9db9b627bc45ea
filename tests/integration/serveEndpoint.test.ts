/**
 * `bastion serve` at the endpoint: sessions end on DELETE and when idle, foreign Host and Origin
 * headers are refused, bad input gets a precise status and JSON-RPC error without hurting the
 * server, a non-loopback bind is refused, and SIGTERM lets calls in flight finish.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ALLOW_ALL, writeConfig } from '../helpers/bastion.js';
import { fixtureStdio, startBastionHttp, type Listening } from '../helpers/fixtures.js';
import { initializeBody, openSession, post, PROTOCOL_VERSION, rawRequest, rpc } from '../helpers/http.js';
import { BASTION_BIN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

type ErrorBody = { jsonrpc: string; id: unknown; error: { code: number; message: string; data?: { code?: string } } };

async function errorOf(response: Response): Promise<ErrorBody> {
  return (await response.json()) as ErrorBody;
}

const TOOLS_LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

describe('bastion serve: the endpoint', () => {
  let bastion: Listening;
  let url: string;

  before(async () => {
    bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio() } }));
    url = new URL('/mcp', bastion.url).href;
  });

  after(() => bastion?.stop());

  it('ends a session on DELETE: 404 afterwards, its call in flight cancelled upstream', async () => {
    const sessionId = await openSession(url);
    const headers = { 'mcp-session-id': sessionId };
    assert.ok((await rpc(url, TOOLS_LIST, headers)).result, 'the session works, its server connected');
    const slow = post(url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'test_slow', arguments: { ms: 20_000 } } }, headers);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const deleted = await fetch(url, { method: 'DELETE', headers: { ...headers, 'mcp-protocol-version': PROTOCOL_VERSION } });
    assert.equal(deleted.status, 200);
    await (await slow).body?.cancel();
    await waitFor(() => /test_slow cancelled/.test(bastion.stderr()), 5000, 'the call in flight was cancelled upstream');
    const after = await post(url, TOOLS_LIST, headers);
    assert.equal(after.status, 404);
    const body = await errorOf(after);
    assert.equal(body.error.data?.code, 'BASTION_SESSION_NOT_FOUND');
    const unknown = await post(url, TOOLS_LIST, { 'mcp-session-id': 'not-a-session' });
    assert.equal(unknown.status, 404);
  });

  it('refuses a foreign Origin or Host with 403, and serves loopback ones', async () => {
    const origin = await post(url, initializeBody(), { origin: 'http://evil.example' });
    assert.equal(origin.status, 403);
    assert.equal((await errorOf(origin)).error.data?.code, 'BASTION_ORIGIN_FORBIDDEN');
    const host = await rawRequest(url, { headers: { host: 'evil.example' }, body: JSON.stringify(initializeBody()) });
    assert.equal(host.status, 403);
    assert.equal((JSON.parse(host.body) as ErrorBody).error.data?.code, 'BASTION_HOST_FORBIDDEN');
    const local = await post(url, initializeBody(), { origin: 'http://localhost:6274' });
    assert.equal(local.status, 200);
    await local.body?.cancel();
  });

  it('refuses an oversized body with 413 and keeps serving', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(4 * 1024 * 1024) } });
    const response = await rawRequest(url, { body: big });
    assert.equal(response.status, 413);
    assert.equal((JSON.parse(response.body) as ErrorBody).error.data?.code, 'BASTION_BODY_TOO_LARGE');
    assert.match(await openSession(url), /^[A-Za-z0-9_-]{32}$/);
  });

  it('answers malformed JSON with 400 and -32700, a body that is not JSON-RPC with 400', async () => {
    const response = await post(url, '{"jsonrpc": "2.0", "id": 1, "method": ');
    assert.equal(response.status, 400);
    const body = await errorOf(response);
    assert.equal(body.error.code, -32700);
    assert.equal(body.id, null);
    assert.equal(body.error.data?.code, 'BASTION_PARSE_ERROR');
    const sessionId = await openSession(url);
    const notRpc = await post(url, { hello: 'world' }, { 'mcp-session-id': sessionId });
    assert.equal(notRpc.status, 400);
  });

  it('checks MCP-Protocol-Version, refuses batches where the version has none, and other methods', async () => {
    const sessionId = await openSession(url);
    const headers = { 'mcp-session-id': sessionId };
    const version = await post(url, TOOLS_LIST, { ...headers, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(version.status, 400);
    assert.match((await errorOf(version)).error.message, /Unsupported protocol version/);
    const batch = await post(url, [TOOLS_LIST, { ...TOOLS_LIST, id: 3 }], headers);
    assert.equal(batch.status, 400);
    const batchError = await errorOf(batch);
    assert.equal(batchError.error.code, -32600);
    assert.equal(batchError.error.data?.code, 'BASTION_BATCH_UNSUPPORTED');
    const noSession = await post(url, TOOLS_LIST);
    assert.equal(noSession.status, 400);
    assert.equal((await errorOf(noSession)).error.data?.code, 'BASTION_SESSION_REQUIRED');
    const put = await fetch(url, { method: 'PUT', headers });
    assert.equal(put.status, 405);
    const legacy = await post(url, { ...initializeBody(), params: { ...initializeBody().params, protocolVersion: '2025-03-26' } }, { 'mcp-protocol-version': '2025-03-26' });
    const legacyHeaders = { 'mcp-session-id': legacy.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-03-26' };
    await legacy.body?.cancel();
    const legacyBatch = await post(url, [{ jsonrpc: '2.0', id: 5, method: 'ping' }, { jsonrpc: '2.0', id: 6, method: 'ping' }], legacyHeaders);
    assert.equal(legacyBatch.status, 200, 'protocol 2025-03-26 had batches');
    assert.match(await legacyBatch.text(), /"id":5[\s\S]*"id":6|"id":6[\s\S]*"id":5/);
    const headerBomb = await fetch(url, { method: 'POST', headers: { ...headers, 'x-pad': 'x'.repeat(32 * 1024) }, body: '{}' });
    assert.equal(headerBomb.status, 431);
    assert.equal((await post(url, TOOLS_LIST, headers)).status, 200, 'the server still serves');
  });

  it('cancels the calls in flight of a legacy SSE client that disconnects', async () => {
    const client = new Client({ name: 'sse-leaver', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL('/sse', bastion.url)));
    await client.listTools();
    const before = (bastion.stderr().match(/test_slow cancelled/g) ?? []).length;
    void client.callTool({ name: 'test_slow', arguments: { ms: 20_000 } }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.close();
    await waitFor(() => (bastion.stderr().match(/test_slow cancelled/g) ?? []).length > before, 5000, 'the disconnect cancelled the call upstream');
  });
});

describe('bastion serve: settings and lifecycle', () => {
  it('expires idle sessions and honours a configured Origin allowlist', async () => {
    const bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio() }, serve: { sessionIdleTimeout: '1s', allowedOrigins: ['app.example.com'] } }));
    try {
      const url = new URL('/mcp', bastion.url).href;
      const allowed = await post(url, initializeBody(), { origin: 'https://app.example.com' });
      assert.equal(allowed.status, 200);
      await allowed.body?.cancel();
      assert.equal((await post(url, initializeBody(), { origin: 'http://localhost:3000' })).status, 403, 'the allowlist replaces the default');
      const sessionId = await openSession(url);
      await waitFor(() => /idle session expired/.test(bastion.stderr()), 5000, 'the idle session expired');
      assert.equal((await post(url, TOOLS_LIST, { 'mcp-session-id': sessionId })).status, 404);
    } finally {
      bastion.stop();
    }
  });

  it('keeps at most serve.maxSessions sessions, replacing the least recently used idle one', async () => {
    const bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: {}, serve: { maxSessions: 2 } }));
    try {
      const url = new URL('/mcp', bastion.url).href;
      const first = await openSession(url);
      const second = await openSession(url);
      assert.ok((await rpc(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { 'mcp-session-id': second })).result, 'the second session is used');
      const third = await openSession(url);
      assert.equal((await post(url, TOOLS_LIST, { 'mcp-session-id': first })).status, 404, 'the least recently used session made room');
      for (const id of [second, third]) assert.ok((await rpc(url, TOOLS_LIST, { 'mcp-session-id': id })).result);
    } finally {
      bastion.stop();
    }
  });

  it('refuses to listen on a non-loopback address while no authentication is configured', () => {
    const result = spawnSync(process.execPath, [BASTION_BIN, 'serve', '--config', writeConfig({ policy: ALLOW_ALL, mcpServers: {} }), '--host', '0.0.0.0', '--port', '0'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /refusing to listen on 0\.0\.0\.0: it is not a loopback address/);
  });

  it('on SIGTERM, stops taking requests, lets a call in flight finish, then exits 0', async () => {
    const bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio() }, serve: { shutdownGrace: '10s' } }));
    const client = new Client({ name: 'shutdown-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bastion.url)));
    await client.listTools();
    const call = client.callTool({ name: 'test_slow', arguments: { ms: 1000 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = once(bastion.child, 'exit');
    bastion.child.kill('SIGTERM');
    await waitFor(() => /stopping: no new requests/.test(bastion.stderr()), 5000, 'shutdown began');
    const refused = await post(new URL('/mcp', bastion.url).href, initializeBody()).then(
      (response) => response.status,
      () => 'connection refused',
    );
    assert.ok(refused === 503 || refused === 'connection refused', `a new request during shutdown is refused (${refused})`);
    const result = await call;
    assert.match(JSON.stringify(result.content), /waited 1000 ms/, 'the call in flight finished');
    const [code] = await exited;
    assert.equal(code, 0);
  });
});
