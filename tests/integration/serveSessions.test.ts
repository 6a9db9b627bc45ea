/**
 * `bastion serve` with the official SDK client: Streamable HTTP (aggregate and per-server
 * endpoints) and legacy HTTP+SSE; sessions kept apart (sampling and logs reach only their own
 * client); a dropped stream resumed with Last-Event-ID.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, SSEClientTransport, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { ALLOW_ALL, writeConfig } from '../helpers/bastion.js';
import { fixtureStdio, realServers, startBastionHttp, type Listening } from '../helpers/fixtures.js';
import { messageOf, openSession, post, PROTOCOL_VERSION, sseEvents } from '../helpers/http.js';

const SIMPLE = [{ type: 'text', text: 'This is a simple text response for testing.' }];

async function connect(url: URL, options: { sse?: boolean; capabilities?: ClientCapabilities; setup?: (client: Client) => void } = {}) {
  const client = new Client({ name: 'bastion-serve-test', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  const transport = options.sse ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  return { client, transport };
}

describe('bastion serve: sessions over HTTP', () => {
  let bastion: Listening;
  const clients: Client[] = [];

  before(async () => {
    bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio(), memory: realServers().servers.memory } }));
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    bastion?.stop();
  });

  it('serves the SDK client over Streamable HTTP, every server aggregated and prefixed', async () => {
    const { client, transport } = await connect(new URL('/mcp', bastion.url));
    clients.push(client);
    assert.match((transport as StreamableHTTPClientTransport).sessionId ?? '', /^[A-Za-z0-9_-]{32}$/, 'the session id is 192 random bits, base64url');
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    assert.ok(names.includes('fx__test_simple_text') && names.includes('memory__read_graph'), names.join(', '));
    assert.deepEqual((await client.callTool({ name: 'fx__test_simple_text', arguments: {} })).content, SIMPLE);
  });

  it('serves one server alone at /servers/<name>/mcp, under its own names', async () => {
    const { client } = await connect(new URL('/servers/fx/mcp', bastion.url));
    clients.push(client);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    assert.ok(names.includes('test_simple_text'), names.join(', '));
    assert.ok(!names.some((name) => name.includes('__') || name === 'read_graph'), `only fx's tools, unprefixed: ${names.join(', ')}`);
    assert.deepEqual((await client.callTool({ name: 'test_simple_text', arguments: {} })).content, SIMPLE);
    const unknown = await post(new URL('/servers/nope/mcp', bastion.url).href, {});
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { data: { code: string } } }).error.data.code, 'BASTION_NOT_FOUND');
  });

  it('serves older clients over legacy HTTP+SSE', async () => {
    const { client } = await connect(new URL('/sse', bastion.url), { sse: true });
    clients.push(client);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    assert.ok(names.includes('fx__test_simple_text'));
    assert.deepEqual((await client.callTool({ name: 'fx__test_simple_text', arguments: {} })).content, SIMPLE);
  });

  it("keeps sessions apart: each sampling request reaches its own client, logs only the caller's", async () => {
    const logs: { a: number; b: number } = { a: 0, b: 0 };
    const open = (who: 'a' | 'b') =>
      connect(new URL('/mcp', bastion.url), {
        capabilities: { sampling: {} },
        setup: (client) => {
          client.setRequestHandler('sampling/createMessage', async () => {
            // Slow enough that both calls are in flight at once.
            await new Promise((resolve) => setTimeout(resolve, 200));
            return { role: 'assistant', content: { type: 'text', text: `answer from ${who}` }, model: 'test', stopReason: 'endTurn' };
          });
          client.setNotificationHandler('notifications/message', () => void logs[who]++);
        },
      });
    const [a, b] = await Promise.all([open('a'), open('b')]);
    clients.push(a.client, b.client);
    await a.client.setLoggingLevel('debug');
    await b.client.setLoggingLevel('debug');
    const [fromA, fromB] = await Promise.all([
      a.client.callTool({ name: 'fx__test_sampling', arguments: { prompt: 'who answers?' } }),
      b.client.callTool({ name: 'fx__test_sampling', arguments: { prompt: 'who answers?' } }),
    ]);
    assert.match(JSON.stringify(fromA.content), /answer from a/);
    assert.match(JSON.stringify(fromB.content), /answer from b/);

    const logged = await a.client.callTool({ name: 'fx__test_tool_with_logging', arguments: {} });
    assert.match(JSON.stringify(logged.content), /executed successfully/);
    assert.equal(logs.a, 3, "the caller got the call's three log lines before its result");
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(logs.b, 0, "another session never sees the caller's logs");
  });

  it('resumes a dropped stream with Last-Event-ID: nothing is lost, notifications come before the result', async () => {
    const url = new URL('/mcp', bastion.url).href;
    const sessionId = await openSession(url);
    const headers = { 'mcp-session-id': sessionId };
    const dropped = new AbortController();
    const call = await post(
      url,
      { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'fx__test_slow', arguments: { ms: 1500 }, _meta: { progressToken: 'resume-me' } } },
      headers,
      dropped.signal,
    );
    assert.equal(call.status, 200);
    assert.match(call.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = sseEvents(call);
    const priming = await events.next();
    assert.ok(!priming.done && priming.value.id, 'the stream opens with an event id');
    assert.equal(messageOf(priming.value), undefined, 'the priming event carries no message');
    assert.deepEqual(events.retries, [1000], 'a retry hint is sent');
    let lastEventId = priming.value.id;
    const first = await events.next();
    assert.ok(!first.done && first.value.id);
    assert.equal((messageOf(first.value)?.params as { progress: number }).progress, 1);
    lastEventId = first.value.id;
    dropped.abort();

    // Until the server sees the old connection close, the stream counts as taken (409): a client
    // waits the retry hint and tries again.
    const resume = () =>
      fetch(url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': PROTOCOL_VERSION, 'last-event-id': lastEventId, ...headers } });
    let resumed = await resume();
    for (let attempt = 0; resumed.status === 409 && attempt < 5; attempt++) {
      await resumed.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 200));
      resumed = await resume();
    }
    assert.equal(resumed.status, 200);
    const progress: number[] = [];
    let result: Record<string, unknown> | undefined;
    for await (const event of sseEvents(resumed)) {
      const message = messageOf(event);
      if (!message) continue;
      assert.ok(event.id, 'every replayed or live event has an id');
      if (message.method === 'notifications/progress') progress.push((message.params as { progress: number }).progress);
      if (message.id === 7) {
        result = message;
        break;
      }
    }
    assert.deepEqual(progress, [2, 3, 4, 5], 'the progress missed while disconnected, then the rest, in order');
    assert.ok(result?.result, `the call's result arrives on the resumed stream: ${JSON.stringify(result)}`);
  });
});

describe('bastion serve: a server shared by every session (sharing: shared)', () => {
  let bastion: Listening;
  const clients: Client[] = [];

  before(async () => {
    bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio({}, { sharing: 'shared' }) } }));
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    bastion?.stop();
  });

  it('serves several sessions from one process, and refuses a sampling request it cannot attribute', async () => {
    const sampling = (client: Client) =>
      client.setRequestHandler('sampling/createMessage', async () => ({ role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'test' }));
    const a = await connect(new URL('/mcp', bastion.url), { capabilities: { sampling: {} }, setup: sampling });
    const b = await connect(new URL('/mcp', bastion.url), { capabilities: { sampling: {} }, setup: sampling });
    clients.push(a.client, b.client);
    assert.deepEqual((await a.client.callTool({ name: 'test_simple_text', arguments: {} })).content, SIMPLE);
    assert.deepEqual((await b.client.callTool({ name: 'test_simple_text', arguments: {} })).content, SIMPLE);
    assert.equal((bastion.stderr().match(/"server":"fx"[^\n]*"upstream connected"/g) ?? []).length, 1, 'one process serves both sessions');

    // Alone on the server, a session's call gets its sampling request answered.
    assert.match(JSON.stringify((await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })).content), /sampled/);
    // With another session's call in flight too, the request could be for either client: refused.
    const slow = b.client.callTool({ name: 'test_slow', arguments: { ms: 1500 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ambiguous = await a.client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }).then(
      (result) => JSON.stringify(result),
      (error: Error) => error.message,
    );
    assert.match(ambiguous, /cannot tell which client/);
    await slow;
  });
});
