/**
 * On complete: every request leaves an audit record, whatever its outcome. The answer waits until
 * the record is committed (group commit, src/audit/writer.ts), so that no answered call is missing
 * after a crash. When the store cannot be written, `audit.onFailure: deny` (the default) fails
 * closed: new calls are refused, and a call whose record could not be written gets an error
 * instead of its result.
 */
import type { CallEvent } from '../../audit/record.js';
import type { Redactor } from '../../audit/redact.js';
import type { AuditWriter } from '../../audit/writer.js';
import { BastionError } from '../../errors/bastionError.js';
import type { Stage } from '../compose.js';
import type { CallContext } from '../context.js';
import { outcomeOf } from '../outcome.js';

export interface AuditStageSettings {
  readonly onFailure: 'deny' | 'allow';
}

const CALL_LIKE = new Set(['tools/call', 'prompts/get']);

export function auditStage(writer: AuditWriter, redactor: Redactor, settings: AuditStageSettings): Stage {
  return async function audit(ctx, next) {
    let thrown: unknown;
    if (!writer.healthy && settings.onFailure === 'deny') {
      ctx.denial = {
        code: 'BASTION_AUDIT_UNAVAILABLE',
        detail: `Bastion refused the ${ctx.method} request: the audit log cannot be written (${writer.failure}), and calls are refused until it can, so that none goes unrecorded.`,
      };
      // Nothing ran: the refusal is recorded when the store is back, and need not wait for it.
      writer.note(callEvent(ctx, redactor, undefined));
      return;
    }
    try {
      await next();
    } catch (error) {
      thrown = error;
    }
    try {
      await writer.record(callEvent(ctx, redactor, thrown));
    } catch (error) {
      // A refusal stays a refusal; only a call that ran has its answer withheld.
      if (settings.onFailure === 'deny' && !ctx.denial) {
        throw new BastionError(
          'BASTION_AUDIT_UNAVAILABLE',
          `The ${ctx.method} request ran, but its audit record could not be written (${(error as Error).message}); its answer is withheld. The record is kept and retried.`,
        );
      }
    }
    if (thrown !== undefined) throw thrown;
  };
}

function callEvent(ctx: CallContext, redactor: Redactor, thrown: unknown): CallEvent {
  const elapsed = performance.now() - ctx.startedAt;
  const outcome = outcomeOf(ctx, thrown);
  const params = ctx.params;
  const requested = typeof params?.name === 'string' ? params.name : typeof params?.uri === 'string' ? params.uri : null;
  let args: unknown = null;
  if (params) {
    if (CALL_LIKE.has(ctx.method)) args = params.arguments ?? null;
    else {
      const { _meta: _dropped, ...rest } = params;
      args = Object.keys(rest).length > 0 ? rest : null;
    }
  }
  return {
    kind: 'call',
    time: new Date(Date.now() - elapsed).toISOString(),
    principal: ctx.caller.principal,
    client: { name: ctx.caller.clientName ?? null, version: ctx.caller.clientVersion ?? null },
    session: ctx.caller.sessionId,
    server: ctx.target?.server ?? null,
    method: ctx.method,
    // A name the client made up (an unknown tool) is its text, and may carry a secret.
    tool: ctx.target?.name ?? (requested === null ? null : redactor.text(requested)),
    arguments: redactor.value(args),
    decision: outcome.decision,
    rule: outcome.rule,
    tier: outcome.tier,
    approval: ctx.approval ?? null,
    status: outcome.status,
    errorCode: outcome.errorCode,
    error: outcome.error === null ? null : redactor.text(outcome.error),
    durationMs: Math.round(elapsed * 1000) / 1000,
    bytesIn: jsonBytes(params),
    bytesOut: jsonBytes(ctx.result),
    traceId: ctx.trace?.traceId ?? null,
  };
}

function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}
