/** The policy stage alone, with a fake `next`: what it lets through, what it refuses and how. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContext, SessionView } from '../../src/pipeline/context.js';
import { policyStage } from '../../src/pipeline/stages/policy.js';
import { createLogger } from '../../src/log/logger.js';
import { CompiledPolicy } from '../../src/policy/policy.js';
import { toolCallContext, type RoutedTool } from '../helpers/context.js';

const WRITE_FILE = { name: 'write_file', annotations: { destructiveHint: true } };
const READ_FILE = { name: 'read_file', annotations: { readOnlyHint: true } };
const DELETE = { name: 'delete_entities' };
const routes: Record<string, RoutedTool> = {
  fs__read_file: { exposed: 'fs__read_file', server: 'fs', name: 'read_file', definition: READ_FILE },
  fs__write_file: { exposed: 'fs__write_file', server: 'fs', name: 'write_file', definition: WRITE_FILE },
  memory__delete_entities: { exposed: 'memory__delete_entities', server: 'memory', name: 'delete_entities', definition: DELETE },
};
const view = { catalog: { knownTool: (name: string) => routes[name] } } as unknown as SessionView;
const log = createLogger('silent');

function toolCall(exposed: string, args: Record<string, unknown> = {}): CallContext {
  const route = routes[exposed];
  assert.ok(route);
  return toolCallContext(route, args, view);
}

async function run(source: { current: CompiledPolicy }, ctx: CallContext, answer?: Record<string, unknown>) {
  let called = 0;
  await policyStage(source, log)(ctx, async () => {
    called++;
    if (answer) ctx.result = answer;
  });
  return called;
}

describe('policy stage', () => {
  it('lets allowed calls through and records the decision', async () => {
    const ctx = toolCall('fs__read_file', { path: '/tmp/x' });
    assert.equal(await run({ current: new CompiledPolicy() }, ctx), 1);
    assert.equal(ctx.policy?.decision, 'allow');
    assert.equal(ctx.policy?.tier, 'read');
    assert.equal(ctx.denial, undefined);
  });

  it('answers ask with a denial that says approval was needed, and deny with the rule', async () => {
    const ask = toolCall('fs__write_file');
    assert.equal(await run({ current: new CompiledPolicy() }, ask), 0, 'next is not called');
    assert.equal(ask.denial?.code, 'BASTION_APPROVAL_REQUIRED');
    assert.match(ask.denial?.detail ?? '', /fs__write_file.*needs a human's approval.*not given: no approval channel is configured/);
    assert.equal(ask.denial?.rule, 'default:write');

    const policy = new CompiledPolicy({ rules: [{ id: 'no-writes', tier: 'write', decision: 'deny', reason: 'this workspace is read-only' }] });
    const deny = toolCall('fs__write_file');
    assert.equal(await run({ current: policy }, deny), 0);
    assert.equal(deny.denial?.code, 'BASTION_POLICY_DENIED');
    assert.equal(deny.denial?.detail, 'Bastion blocked the call to fs__write_file (a write tool): this workspace is read-only. Rule: no-writes.');
  });

  it('does not enforce shadow rules', async () => {
    const policy = new CompiledPolicy({ rules: [{ id: 'trial', tool: 'read_file', decision: 'deny', mode: 'shadow' }] });
    const ctx = toolCall('fs__read_file');
    assert.equal(await run({ current: policy }, ctx), 1);
    assert.deepEqual(ctx.policy?.shadow, [{ rule: 'trial', decision: 'deny' }]);
  });

  it('hides always-denied tools from tools/list', async () => {
    const policy = new CompiledPolicy({ rules: [{ id: 'no-delete', tool: 'delete_*', decision: 'deny' }] });
    const ctx: CallContext = { ...toolCall('fs__read_file'), method: 'tools/list', params: {} };
    delete ctx.target;
    const tools = Object.keys(routes).map((name) => ({ name }));
    assert.equal(await run({ current: policy }, ctx, { tools }), 1);
    assert.deepEqual((ctx.result?.tools as Array<{ name: string }>).map((tool) => tool.name), ['fs__read_file', 'fs__write_file']);
  });

  it('reads the policy once per call, so that a reload applies to the next call', async () => {
    const source = { current: new CompiledPolicy() };
    assert.equal(await run(source, toolCall('fs__read_file')), 1);
    source.current = new CompiledPolicy({ rules: [{ id: 'lockdown', server: '*', decision: 'deny' }] });
    const after = toolCall('fs__read_file');
    assert.equal(await run(source, after), 0);
    assert.equal(after.denial?.rule, 'lockdown');
  });

  it('passes other methods untouched', async () => {
    const ctx: CallContext = { ...toolCall('fs__read_file'), method: 'resources/read', params: { uri: 'file:///x' } };
    assert.equal(await run({ current: new CompiledPolicy({ rules: [{ id: 'all', server: '*', decision: 'deny' }] }) }, ctx), 1);
  });
});
