/**
 * One slow, dead or crashing upstream never blocks the others: its calls fail with an error that
 * names it, or its tools drop out of the list, and the rest keep working.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/client';
import { startBastion, ALLOW_ALL, writeConfig, type Started } from '../helpers/bastion.js';
import { fixtureStdio } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait.js';

const SIMPLE = [{ type: 'text', text: 'This is a simple text response for testing.' }];

describe('upstream failures', () => {
  let bastion: Started;

  before(async () => {
    const config = writeConfig({
      policy: ALLOW_ALL,
      mcpServers: {
        crashy: fixtureStdio(),
        slow: fixtureStdio({}, { timeout: '1s' }),
        dead: fixtureStdio({ FIXTURE_HANG: '1' }, { timeout: 1, startupTimeout: 1 }),
        steady: fixtureStdio(),
      },
    });
    bastion = await startBastion(config);
  });

  after(async () => {
    await bastion?.close();
  });

  it('leaves a server that never answers out of the list, and serves the others', async () => {
    const { tools } = await bastion.client.listTools();
    const names = tools.map((tool) => tool.name);
    assert.ok(names.includes('steady__test_simple_text'));
    assert.ok(!names.some((name) => name.startsWith('dead__')), 'the dead server has no tools listed');
    assert.match(bastion.stderr(), /"server":"dead".*upstream connection failed/);
    await assert.rejects(bastion.client.callTool({ name: 'dead__test_simple_text', arguments: {} }), (error: ProtocolError) => {
      assert.equal((error.data as { code: string }).code, 'BASTION_UNKNOWN_TOOL');
      return true;
    });
  });

  it('times out a call that takes too long, cancels it upstream, and names the server', async () => {
    const slowCall = bastion.client.callTool({ name: 'slow__test_slow', arguments: { ms: 10_000 } });
    const other = await bastion.client.callTool({ name: 'steady__test_simple_text', arguments: {} });
    assert.deepEqual(other.content, SIMPLE, 'another server answers while one is slow');
    await assert.rejects(slowCall, (error: ProtocolError) => {
      assert.equal(error.code, -32001);
      assert.match(error.message, /'slow' did not answer tools\/call within 1000 ms/);
      assert.equal((error.data as { code: string }).code, 'BASTION_UPSTREAM_TIMEOUT');
      return true;
    });
    await waitFor(() => /test_slow cancelled/.test(bastion.stderr()), 5000, 'cancellation reached the upstream');
  });

  it('restarts a crashed server with backoff and tells the client to list again', async () => {
    let listChanged = 0;
    bastion.client.setNotificationHandler('notifications/tools/list_changed', () => {
      listChanged++;
    });
    await assert.rejects(bastion.client.callTool({ name: 'crashy__test_crash', arguments: {} }), (error: ProtocolError) => {
      assert.match(error.message, /'crashy'/);
      assert.equal((error.data as { code: string }).code, 'BASTION_UPSTREAM_CLOSED');
      return true;
    });
    // The others are unaffected while it restarts.
    assert.deepEqual((await bastion.client.callTool({ name: 'steady__test_simple_text', arguments: {} })).content, SIMPLE);
    await waitFor(() => /"server":"crashy".*upstream restart scheduled/.test(bastion.stderr()), 5000, 'restart scheduled');
    let result: unknown;
    await waitFor(
      () => {
        void bastion.client.callTool({ name: 'crashy__test_simple_text', arguments: {} }).then(
          (value) => (result = value.content),
          () => undefined,
        );
        return result !== undefined;
      },
      10_000,
      'the crashed server answers again',
    );
    assert.deepEqual(result, SIMPLE);
    await waitFor(() => listChanged > 0, 5000, 'list_changed after the restart');
  });
});
