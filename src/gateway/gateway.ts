/**
 * The gateway: one pipeline for every request, the shared upstream connections, and a scope per
 * client session that holds the session's own connections and merged catalog. Edges (stdio,
 * HTTP) create client sessions; sessions open scopes; requests carry their scope through the
 * pipeline as `ctx.view`.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { CompiledConfig } from '../config/compile.js';
import type { Logger } from '../log/logger.js';
import type { CallContext } from '../pipeline/context.js';
import { buildPipeline, type Pipeline } from '../pipeline/pipeline.js';
import { forwardStage } from '../pipeline/stages/forward.js';
import { policyStage, type PolicySource } from '../pipeline/stages/policy.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { routeStage } from '../pipeline/stages/route.js';
import { ApprovalManager } from '../approval/manager.js';
import { Redactor } from '../audit/redact.js';
import type { AuditWriter } from '../audit/writer.js';
import { auditStage } from '../pipeline/stages/audit.js';
import { metricsStage } from '../pipeline/stages/metrics.js';
import { pinsStage } from '../pipeline/stages/pins.js';
import { traceStage } from '../pipeline/stages/trace.js';
import { ToolPins } from '../trust/toolPins.js';
import { join } from 'node:path';
import { Metrics } from '../telemetry/metrics.js';
import { Recorder } from '../telemetry/recorder.js';
import { Tracing } from '../telemetry/tracing.js';
import { SessionScope, type ClientSessionHandle } from './sessionScope.js';
import { SharedUpstreams } from './sharedUpstreams.js';

export type { ClientSessionHandle } from './sessionScope.js';

export class Gateway implements PolicySource {
  readonly pipeline: Pipeline;
  readonly approvals: ApprovalManager;
  readonly metrics: Metrics;
  readonly recorder: Recorder;
  private readonly tracing: Tracing;
  private policy: CompiledPolicy;
  private readonly shared: SharedUpstreams;
  private readonly scopes = new Set<SessionScope>();

  /** `audit` is the open audit log; without one (bastion tools), requests are not recorded. */
  constructor(
    readonly config: CompiledConfig,
    private readonly log: Logger,
    private readonly audit?: AuditWriter,
  ) {
    this.metrics = new Metrics(() => this.approvals.list().length);
    this.recorder = new Recorder(this.metrics, audit);
    audit?.observe({
      committed: (records, seconds) => {
        this.metrics.auditRecords.inc(records);
        this.metrics.auditCommit.observe(seconds);
      },
      failed: () => this.metrics.auditFailures.inc(),
      dropped: () => this.metrics.auditDropped.inc(),
    });
    this.tracing = new Tracing(config.telemetry.traces);
    this.shared = new SharedUpstreams(log, this.recorder);
    this.policy = config.policy;
    this.approvals = new ApprovalManager(config.approval, log.child({ component: 'approval' }), (notice) => this.recorder.notice(notice));
    this.pipeline = buildPipeline({
      onRequest: [],
      onCall: [routeStage(), pinsStage(new ToolPins(join(config.dataDir, 'pins')), log, { elicit: config.approval.channels.includes('elicitation'), timeoutMs: config.approval.timeoutMs }), policyStage(this, log, this.approvals)],
      onResult: [],
      onComplete: [traceStage(this.tracing), metricsStage(this.metrics), ...(audit ? [auditStage(audit, new Redactor(config.audit.redact), config.audit)] : [])],
      terminal: forwardStage(),
    });
  }

  /** The policy in force; calls read it once, so a reload never changes a call half-way. */
  get current(): CompiledPolicy {
    return this.policy;
  }

  /** Applies a reloaded config's policy to new calls. Server changes need a restart. */
  reload(config: CompiledConfig): void {
    this.policy = config.policy;
    this.recorder.configReload(true, { file: config.file, policyVersion: config.policy.version });
    // Pinned servers run their locked install: compare them as the config wrote them.
    const asConfigured = (servers: CompiledConfig['servers']) =>
      JSON.stringify(servers.map((spec) => (spec.transport === 'stdio' && spec.pinned ? { ...spec, ...spec.pinned.configured, pinned: undefined } : spec)));
    if (asConfigured(config.servers) !== asConfigured(this.config.servers)) this.log.warn('config reload: server changes take effect after a restart; the new policy applies now');
  }

  /** A config edit that failed validation: the policy in force stays, and the attempt is recorded. */
  rejectReload(file: string, problems: readonly string[]): void {
    this.recorder.configReload(false, { file, problems });
  }

  /** Whether a server of this name is configured (and enabled). */
  hasServer(name: string): boolean {
    return this.config.servers.some((server) => server.name === name);
  }

  /**
   * Connects a client session to its servers: every configured server, or only `server` (the
   * per-server endpoint, where names are not prefixed). Per-session servers start here, declaring
   * to each server what this client can do.
   */
  openScope(session: ClientSessionHandle, clientCapabilities: ClientCapabilities | undefined, server?: string): SessionScope {
    const specs = server === undefined ? this.config.servers : this.config.servers.filter((spec) => spec.name === server);
    const prefix = new Map(specs.map((spec) => [spec.name, server === undefined && spec.prefix]));
    const scope = new SessionScope(session, specs, (name) => prefix.get(name) ?? false, clientCapabilities, this.shared, this.log, this.recorder);
    this.scopes.add(scope);
    this.recorder.session('opened', session.id, { endpoint: server ?? null, ...session.describe?.() });
    scope.signal.addEventListener(
      'abort',
      () => {
        this.scopes.delete(scope);
        this.approvals.grants.endSession(session.id);
        this.recorder.session('closed', session.id, {});
      },
      { once: true },
    );
    return scope;
  }

  /** Runs one client request through the pipeline; the caller's edge translates the outcome. */
  handle(ctx: CallContext): Promise<void> {
    return this.pipeline(ctx);
  }

  /** Closes every session and server, then writes what the audit log still holds and exports the last spans. */
  async close(): Promise<void> {
    await Promise.all([...this.scopes].map((scope) => scope.close('Bastion is shutting down')));
    await this.shared.close();
    await this.audit?.close();
    await this.tracing.close();
  }
}
