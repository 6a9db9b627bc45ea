/**
 * Prometheus metrics, served at /metrics on the admin port. Labels are bounded: server and tool
 * names come from the configured servers' own lists (a call to an unknown tool is counted without
 * one), so that a client cannot grow the series without limit.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class Metrics {
  readonly registry = new Registry();
  readonly calls = new Counter({
    name: 'bastion_calls_total',
    help: 'Requests through the pipeline, by server, tool, method, decision and status.',
    labelNames: ['server', 'tool', 'method', 'decision', 'status'] as const,
    registers: [this.registry],
  });
  readonly callDuration = new Histogram({
    name: 'bastion_call_duration_seconds',
    help: 'Time from receiving a request to its answer, approvals included, by server and method.',
    labelNames: ['server', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly policyErrors = new Counter({
    name: 'bastion_policy_evaluation_errors_total',
    help: 'Policy rules that failed to evaluate (the call was then decided fail-closed).',
    labelNames: ['server', 'tool'] as const,
    registers: [this.registry],
  });
  readonly approvals = new Counter({
    name: 'bastion_approvals_total',
    help: 'Calls held for approval, by outcome (approved, denied, timeout, cancelled, unreachable, granted).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly upstreamReady = new Gauge({
    name: 'bastion_upstream_connections_ready',
    help: 'Connections to each upstream server that are up (one per session for per-session servers).',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });
  readonly upstreamEvents = new Counter({
    name: 'bastion_upstream_events_total',
    help: 'Upstream lifecycle events: started, failed (could not connect), disconnected (crashed or dropped), restarting.',
    labelNames: ['server', 'event'] as const,
    registers: [this.registry],
  });
  readonly auditRecords = new Counter({ name: 'bastion_audit_records_total', help: 'Audit records committed.', registers: [this.registry] });
  readonly auditFailures = new Counter({ name: 'bastion_audit_write_failures_total', help: 'Failed audit batch writes (retried).', registers: [this.registry] });
  readonly auditDropped = new Counter({ name: 'bastion_audit_records_dropped_total', help: 'Audit records dropped because the queue overflowed while the store was failing.', registers: [this.registry] });
  readonly auditCommit = new Histogram({
    name: 'bastion_audit_commit_seconds',
    help: 'Time to commit one batch of audit records.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly configReloads = new Counter({
    name: 'bastion_config_reloads_total',
    help: 'Config reloads, by result (applied, rejected).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(pendingApprovals: () => number) {
    new Gauge({
      name: 'bastion_approvals_pending',
      help: 'Calls waiting for a human at the admin endpoint.',
      registers: [this.registry],
      collect() {
        this.set(pendingApprovals());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'bastion_' });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
