/**
 * How a request ended, read off its context once for every on-complete stage (audit, metrics,
 * traces): the decision carried out, the rule and tier behind it, and the status.
 */
import { BastionError } from '../errors/bastionError.js';
import type { Next } from './compose.js';
import type { CallContext } from './context.js';

export interface CallOutcome {
  readonly decision: 'allow' | 'deny';
  readonly status: 'ok' | 'error' | 'denied' | 'cancelled';
  readonly rule: string | null;
  readonly tier: string | null;
  readonly errorCode: string | number | null;
  readonly error: string | null;
}

export function outcomeOf(ctx: CallContext, thrown?: unknown): CallOutcome {
  const policy = ctx.policy;
  const tier = policy?.tier ?? null;
  if (ctx.denial) {
    return { decision: 'deny', status: 'denied', rule: ctx.denial.rule ?? policy?.rule ?? null, tier, errorCode: ctx.denial.code, error: ctx.denial.detail };
  }
  const rule = policy ? (policy.rule ?? `default:${policy.tier}`) : null;
  const failure = thrown ?? ctx.error;
  if (failure !== undefined) {
    const cancelled = ctx.signal.aborted;
    const code = failure instanceof BastionError ? failure.code : typeof (failure as { code?: unknown }).code === 'number' ? (failure as { code: number }).code : null;
    return { decision: 'allow', status: cancelled ? 'cancelled' : 'error', rule, tier, errorCode: code, error: (failure as Error).message ?? String(failure) };
  }
  return { decision: 'allow', status: 'ok', rule, tier, errorCode: null, error: null };
}

/**
 * Runs the rest of the chain and hands its outcome to `observe`, whatever it was; then lets the
 * outcome go on unchanged (a thrown error is thrown again).
 */
export async function observeOutcome(ctx: CallContext, next: Next, observe: (outcome: CallOutcome) => void): Promise<void> {
  let thrown: unknown;
  try {
    await next();
  } catch (error) {
    thrown = error;
  }
  observe(outcomeOf(ctx, thrown));
  if (thrown !== undefined) throw thrown;
}
