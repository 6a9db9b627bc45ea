/**
 * Requests from servers to the client (sampling, elicitation, roots) reach the client that owns
 * the call and the answers get back; progress arrives complete and in order; cancellation reaches
 * the upstream; capabilities the client did not declare are honoured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { startBastion, ALLOW_ALL, writeConfig, type Started } from '../helpers/bastion.js';
import { fixtureStdio, realServers } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

describe('server-to-client requests, progress and cancellation', () => {
  let bastion: Started;
  let client: Client;
  const seen: { sampling: unknown[]; elicitation: unknown[]; roots: number } = { sampling: [], elicitation: [], roots: 0 };

  before(async () => {
    const config = writeConfig({ policy: ALLOW_ALL, mcpServers: { everything: realServers().servers.everything, fx: fixtureStdio() } });
    bastion = await startBastion(config, {
      capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } },
      setup: (sdkClient) => {
        sdkClient.setRequestHandler('sampling/createMessage', async (request) => {
          seen.sampling.push(request.params);
          return { role: 'assistant', content: { type: 'text', text: 'sampled by the test client' }, model: 'test-model', stopReason: 'endTurn' };
        });
        sdkClient.setRequestHandler('elicitation/create', async (request) => {
          seen.elicitation.push(request.params);
          return { action: 'accept', content: { username: 'ada', email: 'ada@example.com', name: 'Ada' } };
        });
        sdkClient.setRequestHandler('roots/list', async () => {
          seen.roots++;
          return { roots: [{ uri: 'file:///tmp/bastion-root', name: 'test root' }] };
        });
      },
    });
    client = bastion.client;
  });

  after(async () => {
    await bastion?.close();
  });

  it('routes sampling from server-everything to the client and the answer back', async () => {
    const result = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } });
    assert.ok(seen.sampling.length > 0, 'the client saw the sampling request');
    assert.match(JSON.stringify(result.content), /sampled by the test client/);
  });

  it('routes elicitation from server-everything to the client and the answer back', async () => {
    const { tools } = await client.listTools();
    assert.ok(tools.some((tool) => tool.name === 'everything__trigger-elicitation-request'), 'server-everything offers elicitation to a client that declared it');
    const result = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    assert.ok(seen.elicitation.length > 0);
    assert.match(JSON.stringify(result.content), /ada/);
  });

  it('routes roots/list from server-everything to the client', async () => {
    const before = seen.roots;
    const result = await client.callTool({ name: 'everything__get-roots-list', arguments: {} });
    await waitFor(() => seen.roots > before || /bastion-root/.test(JSON.stringify(result.content)));
    assert.match(JSON.stringify(result.content), /bastion-root/);
  });

  it('round-trips the fixture sampling, elicitation and roots requests', async () => {
    const sampled = await client.callTool({ name: 'fx__test_sampling', arguments: { prompt: 'hello' } });
    assert.deepEqual(sampled.content, [{ type: 'text', text: 'LLM response: sampled by the test client' }]);
    const elicited = await client.callTool({ name: 'fx__test_elicitation', arguments: { message: 'who are you?' } });
    assert.match(JSON.stringify(elicited.content), /action=accept/);
    const last = seen.elicitation.at(-1) as { message: string; requestedSchema: { required: string[] } };
    assert.equal(last.message, 'who are you?');
    assert.deepEqual(last.requestedSchema.required, ['username', 'email']);
    const roots = await client.callTool({ name: 'fx__test_roots', arguments: {} });
    assert.match(JSON.stringify(roots.content), /file:\/\/\/tmp\/bastion-root/);
  });

  it('delivers every progress notification, the last included, before the result', async () => {
    // Checked on the wire: the SDK client itself can drop a progress notification that arrives in
    // the same read as its response, which is the client's matter, not the gateway's.
    const start = bastion.wire.length;
    const result = await client.callTool({ name: 'fx__test_tool_with_progress', arguments: {} }, { onprogress: () => undefined });
    assert.match(JSON.stringify(result.content), /executed successfully/);
    const sent = bastion.wire.slice(start);
    const progress = sent.filter((message) => message.method === 'notifications/progress').map((message) => message.params as { progress: number; total: number; progressToken: unknown });
    assert.deepEqual(progress.map((update) => update.progress), [0, 50, 100]);
    assert.ok(progress.every((update) => update.total === 100));
    const responseAt = sent.findIndex((message) => 'result' in message);
    const lastProgressAt = sent.findLastIndex((message) => message.method === 'notifications/progress');
    assert.ok(lastProgressAt < responseAt, 'the last progress notification precedes the result');
    // The client's own token comes back, not Bastion's upstream token.
    assert.ok(progress.every((update) => !String(update.progressToken).startsWith('bastion-')));

    const longStart = bastion.wire.length;
    await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, { onprogress: () => undefined });
    const longRun = bastion.wire
      .slice(longStart)
      .filter((message) => message.method === 'notifications/progress')
      .map((message) => (message.params as { progress: number }).progress);
    assert.deepEqual(longRun, [1, 2, 3]);
  });

  it('cancels the upstream request when the client cancels', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'fx__test_slow', arguments: { ms: 20_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort('user gave up'), 300);
    await assert.rejects(call);
    await waitFor(() => /test_slow cancelled/.test(bastion.stderr()));
    // The gateway keeps serving after the cancellation.
    const next = await client.callTool({ name: 'fx__test_simple_text', arguments: {} });
    assert.deepEqual(next.content, [{ type: 'text', text: 'This is a simple text response for testing.' }]);
  });
});

describe('capabilities the client did not declare', () => {
  let bastion: Started;

  before(async () => {
    const config = writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio(), everything: realServers().servers.everything } });
    bastion = await startBastion(config, { capabilities: {} });
  });

  after(async () => {
    await bastion?.close();
  });

  it('are not declared to upstreams', async () => {
    await assert.rejects(bastion.client.callTool({ name: 'fx__test_sampling', arguments: { prompt: 'hello' } }), /did not declare the sampling capability/);
  });

  it('stop a server request that the client cannot take, with a reason', async () => {
    let reached = false;
    bastion.client.fallbackRequestHandler = async () => {
      reached = true;
      return {};
    };
    const outcome = await bastion.client
      .callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } })
      .then((result) => JSON.stringify(result), (error: Error) => error.message);
    assert.match(outcome, /sampling/i);
    assert.equal(reached, false, 'the client never saw the request');
  });
});
