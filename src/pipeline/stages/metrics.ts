/** On complete: counts every request and its latency, by server, tool, decision and status. */
import type { Metrics } from '../../telemetry/metrics.js';
import type { Stage } from '../compose.js';
import { observeOutcome } from '../outcome.js';

export function metricsStage(metrics: Metrics): Stage {
  return function measure(ctx, next) {
    return observeOutcome(ctx, next, (outcome) => {
      const server = ctx.target?.server ?? '';
      const tool = ctx.method === 'tools/call' || ctx.method === 'prompts/get' ? (ctx.target?.name ?? '') : '';
      metrics.calls.inc({ server, tool, method: ctx.method, decision: outcome.decision, status: outcome.status });
      metrics.callDuration.observe({ server, method: ctx.method }, (performance.now() - ctx.startedAt) / 1000);
      if (ctx.policy?.errors.length) metrics.policyErrors.inc({ server, tool }, ctx.policy.errors.length);
      if (ctx.approval) metrics.approvals.inc({ outcome: ctx.approval.outcome });
    });
  };
}
