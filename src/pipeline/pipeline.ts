/**
 * The one pipeline every request passes. Its phases, in order:
 *   on request  – who asks and how much (authentication, rate limits)
 *   on call     – what is asked (routing, tiers, argument rules, approval)
 *   on result   – what comes back (redaction, output checks); these run in reverse, after `next`
 *   on complete – always runs, for success, denial, error and abort alike (audit)
 * The terminal stage forwards to the upstream. docs/pipeline.md draws it.
 */
import { compose, type Stage } from './compose.js';
import type { CallContext } from './context.js';

export interface PipelinePhases {
  readonly onRequest: readonly Stage[];
  readonly onCall: readonly Stage[];
  readonly onResult: readonly Stage[];
  readonly onComplete: readonly Stage[];
  readonly terminal: Stage;
}

export type Pipeline = (ctx: CallContext) => Promise<void>;

export function buildPipeline(phases: PipelinePhases): Pipeline {
  // On-complete stages wrap everything so that they see every outcome; on-result stages sit just
  // outside the terminal and act after it returns, so results pass them in reverse order.
  return compose([...phases.onComplete, ...phases.onRequest, ...phases.onCall, ...phases.onResult, phases.terminal]);
}
