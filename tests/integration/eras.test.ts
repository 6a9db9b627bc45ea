/**
 * Both protocol eras on each side of Bastion, and the translation between them: session-era
 * (2025-11-25) clients and stateless (2026-07-28) clients on the same endpoints, in front of a
 * session-era upstream (the fixture over stdio) and a 2026-07-28 upstream (the fixture serving
 * both eras over stdio). Sampling and elicitation make their round trip in each pairing; the
 * policy, approval and audit apply alike.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type ClientOptions, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ALLOW_ALL, writeConfig } from '../helpers/bastion.js';
import { recordsOf, type Json } from '../helpers/audit.js';
import { fixtureStdio, startBastionHttp, type Listening } from '../helpers/fixtures.js';
import { MODERN_VERSION, modernRpc, post } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { BASTION_BIN, FIXTURE_BIN, REPO_ROOT } from '../helpers/paths.js';

const SAMPLED = { role: 'assistant', content: { type: 'text', text: 'sampled by the test client' }, model: 'test-model', stopReason: 'endTurn' };
const ELICITED = { action: 'accept', content: { username: 'ada', email: 'ada@example.com', name: 'Ada' } };

/** An SDK client of either era that answers sampling and elicitation, and counts what it was asked. */
async function connect(url: string | (() => Transport), era: 'legacy' | 'modern'): Promise<{ client: Client; asked: string[] }> {
  const asked: string[] = [];
  const options: ClientOptions = {
    capabilities: { sampling: {}, elicitation: { form: {} } },
    ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
  };
  const client = new Client({ name: `bastion-${era}-test`, version: '1.0.0' }, options);
  client.setRequestHandler('sampling/createMessage', async () => {
    asked.push('sampling');
    return SAMPLED as never;
  });
  client.setRequestHandler('elicitation/create', async () => {
    asked.push('elicitation');
    return ELICITED as never;
  });
  await client.connect(typeof url === 'string' ? new StreamableHTTPClientTransport(new URL(url)) : url());
  assert.equal(client.getProtocolEra() ?? 'legacy', era, `the client negotiated the ${era} era`);
  return { client, asked };
}

async function roundTrips(url: string | (() => Transport), era: 'legacy' | 'modern'): Promise<void> {
  const { client, asked } = await connect(url, era);
  try {
    const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'Say hi' } });
    assert.match(JSON.stringify(sampled.content), /sampled by the test client/);
    const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
    assert.match(JSON.stringify(elicited.content), /ada@example.com/);
    assert.deepEqual(asked, ['sampling', 'elicitation']);
  } finally {
    await client.close();
  }
}

/** A 2026-07-28 client opens a listen stream, adds a tool upstream, and hears tools/list_changed. */
async function hearsListChange(url: string | (() => Transport), tool: string): Promise<void> {
  const { client } = await connect(url, 'modern');
  try {
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', async () => void changed++);
    const subscription = await client.listen({ toolsListChanged: true });
    await client.callTool({ name: 'test_add_tool', arguments: { name: tool } });
    await waitFor(() => changed > 0, 10_000, 'tools/list_changed on the listen stream');
    await subscription.close();
  } finally {
    await client.close();
  }
}

describe('protocol eras: both on each side, translated between', () => {
  let bastion: Listening;

  before(async () => {
    const config = writeConfig({
      policy: ALLOW_ALL,
      mcpServers: {
        session: fixtureStdio(),
        stateless: { command: process.execPath, args: [FIXTURE_BIN, 'stdio-modern'], env: { FIXTURE_TOOLS_TTL_MS: '60000' } },
      },
    });
    bastion = await startBastionHttp(config);
  });

  after(() => bastion?.stop());

  it('detects each upstream era: server/discover first, initialize for a session-era server', async () => {
    // Upstreams start with the first client of a principal; ask for the lists to start them.
    await modernRpc(`${bastion.url}/mcp`, 'tools/list');
    await waitFor(() => bastion.stderr().includes('"protocol":"2026-07-28"') && bastion.stderr().includes('"protocol":"2025-11-25"'), 15_000, 'both upstreams to connect');
    const connected = bastion.stderr().split('\n').filter((line) => line.includes('upstream connected'));
    assert.ok(connected.some((line) => line.includes('"server":"stateless"') && line.includes('"protocol":"2026-07-28"')), connected.join('\n'));
    assert.ok(connected.some((line) => line.includes('"server":"session"') && line.includes('"protocol":"2025-11-25"')), connected.join('\n'));
  });

  it('modern client, session-era upstream: sampling and elicitation become input-required rounds', async () => {
    await roundTrips(`${bastion.url}/servers/session/mcp`, 'modern');
  });

  it('session-era client, modern upstream: input-required results become requests to the client', async () => {
    await roundTrips(`${bastion.url}/servers/stateless/mcp`, 'legacy');
  });

  it('modern client, modern upstream', async () => {
    await roundTrips(`${bastion.url}/servers/stateless/mcp`, 'modern');
  });

  it('session-era client, session-era upstream still works as before', async () => {
    await roundTrips(`${bastion.url}/servers/session/mcp`, 'legacy');
  });

  it('on the wire: keyed input requests, a sealed requestState, the retry resumes the same call', async () => {
    const url = `${bastion.url}/servers/session/mcp`;
    const capabilities = { elicitation: {} };
    const first = (await modernRpc(url, 'tools/call', { name: 'test_input_required_result_elicitation', arguments: {} }, { capabilities })) as Json;
    assert.equal(first.result?.resultType, 'input_required', JSON.stringify(first));
    assert.equal(first.result.inputRequests.user_name.method, 'elicitation/create');
    assert.equal(first.result.inputRequests.user_name.params._meta, undefined, 'the key hint stays inside Bastion');
    const state = first.result.requestState as string;
    assert.ok(typeof state === 'string' && state.length > 20);

    // A retry of the same call with these answers and this state.
    const retry = (inputResponses: Json, requestState: string, id: number, name = 'test_input_required_result_elicitation') =>
      modernRpc(url, 'tools/call', { name, arguments: {}, inputResponses, requestState }, { capabilities, id }) as Promise<Json>;

    const tampered = await retry({ user_name: ELICITED }, `${state}x`, 2);
    assert.equal(tampered.error?.code, -32602, JSON.stringify(tampered));
    assert.equal(tampered.error.data.code, 'BASTION_REQUEST_STATE_INVALID');

    const elsewhere = await retry({ user_name: ELICITED }, state, 3, 'test_input_required_result_request_state');
    assert.equal(elsewhere.error?.data?.code, 'BASTION_REQUEST_STATE_INVALID', 'a state is bound to its own request');

    const invalid = await retry({ user_name: 12345 }, state, 4);
    assert.equal(invalid.error?.data?.code, 'BASTION_INPUT_INVALID', JSON.stringify(invalid));

    const done = await retry({ user_name: { action: 'accept', content: { name: 'Ada' } } }, state, 5);
    assert.equal(done.result?.resultType, 'complete', JSON.stringify(done));
    assert.match(JSON.stringify(done.result.content), /Hello, Ada!/);

    const again = await retry({ user_name: ELICITED }, state, 6);
    assert.equal(again.error?.data?.code, 'BASTION_REQUEST_STATE_INVALID', 'a round is answered once');
  });

  it('bad stateless requests: a clear error, the right status and code', async () => {
    const url = `${bastion.url}/mcp`;
    const envelope = { 'io.modelcontextprotocol/protocolVersion': MODERN_VERSION, 'io.modelcontextprotocol/clientCapabilities': {} };
    const headers = (method: string, extra: Record<string, string> = {}) => ({ 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method, ...extra });

    const unknown = await post(url, { jsonrpc: '2.0', id: 7, method: 'foo/bar', params: { _meta: envelope } }, headers('foo/bar'));
    assert.equal(unknown.status, 404);
    const unknownBody = (await unknown.json()) as Json;
    assert.deepEqual([unknownBody.id, unknownBody.error.code], [7, -32601]);

    const removed = await post(url, { jsonrpc: '2.0', id: 8, method: 'logging/setLevel', params: { level: 'info', _meta: envelope } }, headers('logging/setLevel'));
    assert.equal(removed.status, 404, 'logging/setLevel is gone in 2026-07-28');
    await removed.body?.cancel();

    const mismatch = await post(url, { jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: envelope } }, headers('tools/call'));
    assert.equal(mismatch.status, 400);
    assert.equal(((await mismatch.json()) as Json).error.code, -32020, 'Mcp-Method must match the body');

    const noMeta = await post(url, { jsonrpc: '2.0', id: 10, method: 'tools/list', params: {} }, headers('tools/list'));
    assert.equal(noMeta.status, 400);
    assert.equal(((await noMeta.json()) as Json).error.code, -32602, 'the per-request envelope is required');

    const garbage = (await modernRpc(`${bastion.url}/servers/session/mcp`, 'tools/call', { name: 'test_simple_text', arguments: {}, requestState: 'not a state' }, { id: 11 })) as Json;
    assert.equal(garbage.error?.data?.code, 'BASTION_REQUEST_STATE_INVALID');
    assert.match(garbage.error.message, /send the request again without it/);

    // Bastion is still serving both eras after all of it.
    const listed = (await modernRpc(url, 'tools/list', {}, { id: 12 })) as Json;
    assert.ok(Array.isArray(listed.result?.tools));
  });

  it('a question the client cannot answer is refused upstream, not put to it', async () => {
    const result = (await modernRpc(`${bastion.url}/servers/session/mcp`, 'tools/call', { name: 'test_input_required_result_capabilities', arguments: {} }, { capabilities: { sampling: {} } })) as Json;
    assert.equal(result.result?.resultType, 'input_required', JSON.stringify(result));
    assert.deepEqual(Object.values(result.result.inputRequests as Json).map((request: Json) => request.method), ['sampling/createMessage']);
  });

  it("a session client hears a 2026-07-28 server's list changes, which come on Bastion's listen stream", async () => {
    const { client } = await connect(`${bastion.url}/servers/stateless/mcp`, 'legacy');
    try {
      let changed = 0;
      client.setNotificationHandler('notifications/tools/list_changed', async () => void changed++);
      await client.callTool({ name: 'test_add_tool', arguments: { name: 'added_upstream_modern' } });
      await waitFor(() => changed > 0, 10_000, 'tools/list_changed from the modern upstream');
    } finally {
      await client.close();
    }
  });

  it('cache hints: a list is as cacheable as the least cacheable server it merges', async () => {
    const alone = (await modernRpc(`${bastion.url}/servers/stateless/mcp`, 'tools/list')) as Json;
    assert.deepEqual([alone.result?.ttlMs, alone.result?.cacheScope], [60000, 'public'], JSON.stringify(alone).slice(0, 300));
    const merged = (await modernRpc(`${bastion.url}/mcp`, 'tools/list')) as Json;
    assert.deepEqual([merged.result?.ttlMs, merged.result?.cacheScope], [0, 'private'], 'the session-era server gives no hint: uncacheable');
    const { client } = await connect(`${bastion.url}/mcp`, 'legacy');
    try {
      const legacy = (await client.listTools()) as Json;
      assert.equal(legacy.ttlMs, undefined, 'session clients are not sent hints');
    } finally {
      await client.close();
    }
  });

  it('subscriptions/listen hears the list changes of a session-era upstream', async () => {
    await hearsListChange(`${bastion.url}/servers/session/mcp`, 'added_for_listen');
  });
});

describe('protocol eras: policy, approval and audit alike', () => {
  let bastion: Listening;
  let config: string;

  before(async () => {
    config = writeConfig({
      mcpServers: { session: fixtureStdio() },
      policy: { defaults: { read: 'ask', write: 'ask', execute: 'ask', unknown: 'ask' }, rules: [{ id: 'no-errors', tool: 'test_error_handling', decision: 'deny', reason: 'errors are not wanted here' }] },
      approval: { channels: ['elicitation'], timeout: '30s' },
      admin: { enabled: false },
      audit: { path: 'audit.db' },
    });
    bastion = await startBastionHttp(config);
  });

  after(() => bastion?.stop());

  it('asks a 2026-07-28 client for approval through an input-required elicitation, and records the answer', async () => {
    const url = `${bastion.url}/mcp`;
    const capabilities = { elicitation: {} };
    const first = (await modernRpc(url, 'tools/call', { name: 'test_simple_text', arguments: {} }, { capabilities })) as Json;
    assert.equal(first.result?.resultType, 'input_required', JSON.stringify(first));
    const [key, question] = Object.entries(first.result.inputRequests as Json)[0] as [string, Json];
    assert.equal(question.method, 'elicitation/create');
    assert.match(question.params.message, /approval/);
    const done = (await modernRpc(
      url,
      'tools/call',
      { name: 'test_simple_text', arguments: {}, inputResponses: { [key]: { action: 'accept', content: { decision: 'approve_once' } } }, requestState: first.result.requestState },
      { capabilities, id: 2 },
    )) as Json;
    assert.match(JSON.stringify(done.result?.content), /simple text response/, JSON.stringify(done));

    const declined = (await modernRpc(url, 'tools/call', { name: 'test_simple_text', arguments: {} }, { capabilities, id: 3 })) as Json;
    const [declinedKey] = Object.keys(declined.result.inputRequests as Json);
    const denied = (await modernRpc(
      url,
      'tools/call',
      { name: 'test_simple_text', arguments: {}, inputResponses: { [declinedKey as string]: { action: 'decline' } }, requestState: declined.result.requestState },
      { capabilities, id: 4 },
    )) as Json;
    assert.equal(denied.result?.isError, true, JSON.stringify(denied));
    assert.equal(denied.result._meta['bastion/denial'].code, 'BASTION_APPROVAL_REQUIRED');

    const calls = recordsOf(config, '--kind', 'call', '--tool', 'test_simple_text');
    const modern = calls.filter((record) => record.approval);
    assert.equal(modern.length, 2, JSON.stringify(calls));
    assert.deepEqual(
      modern.map((record) => [record.decision, record.approval.outcome, record.approval.via]),
      [
        ['allow', 'approved', 'elicitation'],
        ['deny', 'denied', 'elicitation'],
      ],
    );
  });

  it('a policy denial reads the same in both eras', async () => {
    const modern = (await modernRpc(`${bastion.url}/mcp`, 'tools/call', { name: 'test_error_handling', arguments: {} })) as Json;
    const { client } = await connect(`${bastion.url}/mcp`, 'legacy');
    try {
      const legacy = (await client.callTool({ name: 'test_error_handling', arguments: {} })) as Json;
      assert.equal(modern.result?.isError, true, JSON.stringify(modern));
      assert.deepEqual(modern.result.content, legacy.content);
      assert.equal(modern.result._meta['bastion/denial'].rule, 'no-errors');
      assert.equal(legacy._meta['bastion/denial'].rule, 'no-errors');
    } finally {
      await client.close();
    }
  });
});

describe('protocol eras over stdio: bastion run serves both', () => {
  const config = writeConfig({ policy: ALLOW_ALL, mcpServers: { session: fixtureStdio() } });
  const stdio = () =>
    new StdioClientTransport({
      command: process.execPath,
      args: [BASTION_BIN, 'run', '--config', config],
      cwd: REPO_ROOT,
      env: { ...(process.env as Record<string, string>), BASTION_DATA_DIR: mkdtempSync(join(tmpdir(), 'bastion-data-')) },
      stderr: 'pipe',
    });

  it('a 2026-07-28 client over stdio, session-era upstream: sampling and elicitation as input-required rounds', async () => {
    await roundTrips(stdio, 'modern');
  });

  it('a 2026-07-28 client over stdio hears list changes on its listen stream', async () => {
    await hearsListChange(stdio, 'added_over_stdio');
  });

  it('a session client over stdio, as before', async () => {
    await roundTrips(stdio, 'legacy');
  });
});
