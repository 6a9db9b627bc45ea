/** The route stage alone, with a fake `next` and a fake catalog. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContext, SessionView } from '../../src/pipeline/context.js';
import { routeStage } from '../../src/pipeline/stages/route.js';
import { toolCallContext } from '../helpers/context.js';

const definition = { name: 'read_file' };
const catalog = {
  resolveTool: async (name: string) => (name === 'fs__read_file' ? { server: 'fs', name: 'read_file', definition } : undefined),
  resolvePrompt: async () => undefined,
  resolveResource: async (uri: string) => (uri.startsWith('file://') ? 'fs' : undefined),
  resolveTemplate: async () => undefined,
};
const view = { catalog } as unknown as SessionView;

function request(method: string, params: Record<string, unknown>): CallContext {
  const ctx = toolCallContext({ exposed: '', server: '', name: '', definition: {} }, {}, view);
  delete ctx.target;
  return { ...ctx, method, params };
}

async function run(ctx: CallContext): Promise<number> {
  let called = 0;
  await routeStage()(ctx, async () => void called++);
  return called;
}

describe('route stage', () => {
  it('routes a tool call to its server under the server’s own name', async () => {
    const ctx = request('tools/call', { name: 'fs__read_file', arguments: { path: '/x' } });
    assert.equal(await run(ctx), 1);
    assert.deepEqual(ctx.target, { server: 'fs', name: 'read_file', definition, params: { name: 'read_file', arguments: { path: '/x' } } });
  });

  it('refuses unknown tools, prompts and resources with stable codes, without calling next', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['tools/call', { name: 'nope__x' }, 'BASTION_UNKNOWN_TOOL'],
      ['tools/call', {}, 'BASTION_INVALID_PARAMS'],
      ['prompts/get', { name: 'fs__p' }, 'BASTION_UNKNOWN_PROMPT'],
      ['resources/read', { uri: 'db://x' }, 'BASTION_UNKNOWN_RESOURCE'],
      ['sampling/createMessage', {}, 'BASTION_METHOD_NOT_FOUND'],
    ];
    for (const [method, params, code] of cases) {
      const ctx = request(method, params);
      assert.equal(await run(ctx), 0, method);
      assert.equal(ctx.denial?.code, code, method);
    }
  });

  it('lets lists and broadcasts through without a target', async () => {
    const ctx = request('tools/list', {});
    assert.equal(await run(ctx), 1);
    assert.equal(ctx.target, undefined);
  });
});
