import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compose, type Stage } from '../../src/pipeline/compose.js';
import type { CallContext, SessionView } from '../../src/pipeline/context.js';
import { buildPipeline } from '../../src/pipeline/pipeline.js';

/** These stages never reach an upstream: any use of the view is a failure of the test. */
const noView = new Proxy({} as SessionView, {
  get: (_target, key) => assert.fail(`the pipeline under test touched ctx.view.${String(key)}`),
});

function context(): CallContext {
  return {
    method: 'tools/call',
    params: { name: 'x' },
    requestId: 1,
    caller: { sessionId: 's', principal: 'anonymous', clientName: undefined, clientVersion: undefined },
    view: noView,
    signal: new AbortController().signal,
    notify: async () => undefined,
    startedAt: 0,
  };
}

describe('pipeline composition', () => {
  it('runs stages in order and unwinds in reverse', async () => {
    const trace: string[] = [];
    const stage = (name: string): Stage => async (_ctx, next) => {
      trace.push(`${name}>`);
      await next();
      trace.push(`<${name}`);
    };
    await compose([stage('a'), stage('b'), stage('c')])(context());
    assert.deepEqual(trace, ['a>', 'b>', 'c>', '<c', '<b', '<a']);
  });

  it('refuses a second next()', async () => {
    const twice: Stage = async (_ctx, next) => {
      await next();
      await next();
    };
    let terminalRuns = 0;
    await assert.rejects(compose([twice, async () => void terminalRuns++])(context()), /next\(\) called twice/);
    assert.equal(terminalRuns, 1);
  });

  it('stops at a denial: later stages and the terminal never run', async () => {
    let forwarded = false;
    const deny: Stage = async (ctx) => {
      ctx.denial = { code: 'BASTION_UNKNOWN_TOOL', detail: 'no' };
    };
    const ctx = context();
    await compose([deny, async () => void (forwarded = true)])(ctx);
    assert.equal(forwarded, false);
    assert.equal(ctx.denial?.code, 'BASTION_UNKNOWN_TOOL');
  });

  it('orders phases: complete wraps all, then request, call, result, terminal', async () => {
    const trace: string[] = [];
    const mark = (name: string): Stage => async (_ctx, next) => {
      trace.push(name);
      await next();
    };
    await buildPipeline({
      onRequest: [mark('request')],
      onCall: [mark('call')],
      onResult: [mark('result')],
      onComplete: [mark('complete')],
      terminal: mark('terminal'),
    })(context());
    assert.deepEqual(trace, ['complete', 'request', 'call', 'result', 'terminal']);
  });
});
