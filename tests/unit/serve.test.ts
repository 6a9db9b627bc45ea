import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { SessionEventStore } from '../../src/edges/http/eventStore.js';
import { isLoopback } from '../../src/edges/http/server.js';

describe('serve settings', () => {
  it('default to a loopback listener with safe limits, per-session servers, and names prefixed only when several servers run', () => {
    const one = parseConfig('/etc/bastion.yaml', 'mcpServers:\n  fs:\n    command: x\n', { env: {} });
    assert.deepEqual(one.serve, {
      host: '127.0.0.1',
      port: 7331,
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
      allowedOrigins: ['localhost', '127.0.0.1', '[::1]'],
      maxBodyBytes: 4 * 1024 * 1024,
      maxHeaderBytes: 16 * 1024,
      maxSessions: 32,
      sessionIdleTimeoutMs: 30 * 60_000,
      shutdownGraceMs: 10_000,
      replayBuffer: 1000,
      pollAfterMs: 0,
    });
    assert.equal(one.servers[0]?.sharing, 'per-session');
    assert.equal(one.servers[0]?.prefix, false, 'a lone server keeps its own names');
    assert.equal(one.servers[0]?.startupTimeoutMs, 60_000);
    const two = parseConfig('/etc/bastion.yaml', 'mcpServers:\n  a:\n    command: x\n    timeout: 90\n  b:\n    url: http://127.0.0.1:1/mcp\n    prefix: false\n    sharing: shared\n', { env: {} });
    assert.deepEqual(
      two.servers.map((server) => [server.name, server.prefix, server.sharing, server.startupTimeoutMs]),
      [
        ['a', true, 'per-session', 90_000],
        ['b', false, 'shared', 60_000],
      ],
    );
  });

  it('reject nonsense with the path named', () => {
    assert.throws(() => parseConfig('/etc/b.yaml', 'mcpServers: {}\nserve:\n  port: 70000\n  sharing: x\n', { env: {} }), /serve\.port[\s\S]*serve\.sharing: unknown key/);
  });
});

describe('loopback check', () => {
  it('accepts only loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '10.0.0.1', '128.0.0.1']) assert.ok(!isLoopback(host), host);
  });
});

describe('session event store', () => {
  const message = (id: number) => ({ jsonrpc: '2.0' as const, id, result: {} });

  it('replays what followed an event on its own stream only, skipping priming events', async () => {
    const store = new SessionEventStore(100);
    const primed = await store.storeEvent('s1', {} as never);
    const a = await store.storeEvent('s1', message(1));
    await store.storeEvent('s2', message(2));
    await store.storeEvent('s1', message(3));
    const replayed: unknown[] = [];
    assert.equal(await store.replayEventsAfter(primed, { send: async (_id, sent) => void replayed.push(sent) }), 's1');
    assert.deepEqual(replayed, [message(1), message(3)]);
    assert.equal(await store.getStreamIdForEventId(a), 's1');
  });

  it('is bounded: the oldest events go, and their ids become unknown', async () => {
    const store = new SessionEventStore(2);
    const first = await store.storeEvent('s', message(1));
    await store.storeEvent('s', message(2));
    await store.storeEvent('s', message(3));
    assert.equal(await store.getStreamIdForEventId(first), undefined);
    assert.equal(await store.replayEventsAfter(first, { send: async () => assert.fail('nothing to replay') }), '');
  });
});
