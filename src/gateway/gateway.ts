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
import { SessionScope, type ClientSessionHandle } from './sessionScope.js';
import { SharedUpstreams } from './sharedUpstreams.js';

export type { ClientSessionHandle } from './sessionScope.js';

export class Gateway implements PolicySource {
  readonly pipeline: Pipeline;
  readonly approvals: ApprovalManager;
  private policy: CompiledPolicy;
  private readonly shared: SharedUpstreams;
  private readonly scopes = new Set<SessionScope>();

  constructor(
    readonly config: CompiledConfig,
    private readonly log: Logger,
  ) {
    this.shared = new SharedUpstreams(log);
    this.policy = config.policy;
    this.approvals = new ApprovalManager(config.approval, log.child({ component: 'approval' }));
    this.pipeline = buildPipeline({
      onRequest: [],
      onCall: [routeStage(), policyStage(this, log, this.approvals)],
      onResult: [],
      onComplete: [],
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
    const before = JSON.stringify(this.config.servers);
    if (JSON.stringify(config.servers) !== before) this.log.warn('config reload: server changes take effect after a restart; the new policy applies now');
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
    const scope = new SessionScope(session, specs, (name) => prefix.get(name) ?? false, clientCapabilities, this.shared, this.log);
    this.scopes.add(scope);
    scope.signal.addEventListener(
      'abort',
      () => {
        this.scopes.delete(scope);
        this.approvals.grants.endSession(session.id);
      },
      { once: true },
    );
    return scope;
  }

  /** Runs one client request through the pipeline; the caller's edge translates the outcome. */
  handle(ctx: CallContext): Promise<void> {
    return this.pipeline(ctx);
  }

  async close(): Promise<void> {
    await Promise.all([...this.scopes].map((scope) => scope.close('Bastion is shutting down')));
    await this.shared.close();
  }
}
