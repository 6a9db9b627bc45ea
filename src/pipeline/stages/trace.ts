/**
 * On complete: opens the request's trace (continuing the client's, from `_meta`) before anything
 * else runs, and ends it with the outcome. The forward stage carries it upstream.
 */
import type { Tracing } from '../../telemetry/tracing.js';
import type { Stage } from '../compose.js';
import { observeOutcome } from '../outcome.js';

export function traceStage(tracing: Tracing): Stage {
  return function traceRequest(ctx, next) {
    const meta = ctx.params?._meta;
    // Named by method until the route is known: a name the client made up may carry anything.
    ctx.trace = tracing.start(ctx.method, meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined, {
      'mcp.method.name': ctx.method,
      'mcp.session.id': ctx.caller.sessionId,
      'jsonrpc.request.id': String(ctx.requestId),
    });
    const trace = ctx.trace;
    return observeOutcome(ctx, next, (outcome) =>
      trace.end({
        ...(ctx.target?.name ? { name: `${ctx.method} ${ctx.target.name}` } : {}),
        ...(outcome.status === 'ok' ? {} : { error: outcome.errorCode === null ? outcome.status : String(outcome.errorCode) }),
        attributes: {
          'bastion.decision': outcome.decision,
          'bastion.status': outcome.status,
          ...(ctx.target ? { 'bastion.server': ctx.target.server } : {}),
          ...(ctx.target?.name && ctx.method === 'tools/call' ? { 'gen_ai.tool.name': ctx.target.name } : {}),
          ...(outcome.rule ? { 'bastion.rule': outcome.rule } : {}),
        },
      }),
    );
  };
}
