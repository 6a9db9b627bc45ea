/**
 * Runs one request through the gateway and turns its outcome into what the client is answered:
 * the result, a policy refusal of a tool call as a tool result the model can read, or a wire
 * error. Session clients and stateless (2026-07-28) clients are answered alike.
 */
import { denialToToolResult, denialToWire, errorToWire } from '../errors/toWire.js';
import { ERROR_CATALOGUE } from '../errors/catalogue.js';
import type { Logger } from '../log/logger.js';
import type { CallContext } from '../pipeline/context.js';
import type { JsonObject } from '../upstream/passthrough.js';
import type { Gateway } from './gateway.js';

export async function answerCall(gateway: Gateway, ctx: CallContext, log: Logger): Promise<JsonObject> {
  try {
    await gateway.handle(ctx);
  } catch (error) {
    // Typed failures (BastionError, upstream protocol errors) carry a code; anything else is a bug.
    if (!(error instanceof Error && 'code' in error)) log.error({ method: ctx.method, err: error }, 'request failed inside the gateway');
    else log.debug({ method: ctx.method, err: error }, 'request failed');
    throw errorToWire(error);
  }
  if (ctx.denial) {
    const entry = ERROR_CATALOGUE[ctx.denial.code];
    if (ctx.method === 'tools/call' && 'toolResult' in entry && entry.toolResult) return denialToToolResult(ctx.denial);
    throw denialToWire(ctx.denial);
  }
  if (!ctx.result) throw errorToWire(new Error(`no result for ${ctx.method}`));
  return ctx.result;
}
