/**
 * Human approval of calls whose decision is ask. The call is held while a person is asked through
 * the configured channels, in order: the calling client (MCP elicitation), then Bastion's admin
 * endpoint. The first reachable channel decides. No answer within the timeout, a cancelled call,
 * or no reachable channel means deny, and the reason says which. Pending approvals live only in
 * memory: after a restart they are gone, and the calls they held were never approved.
 */
import { randomBytes } from 'node:crypto';
import type { ApprovalTrail, NoticeEvent } from '../audit/record.js';
import type { Logger } from '../log/logger.js';
import type { CallContext } from '../pipeline/context.js';
import type { PolicyDecision } from '../policy/policy.js';
import { argumentsHash, type Binding } from './binding.js';
import { SessionGrants } from './grants.js';

export type ApprovalChannel = 'elicitation' | 'endpoint';

/** What a human sees of a held call. */
export interface ApprovalRequest {
  readonly id: string;
  readonly server: string;
  readonly tool: string;
  readonly tier: string;
  readonly destructive: boolean;
  readonly rule: string | null;
  readonly arguments: unknown;
  readonly argumentsHash: string;
  readonly principal: string;
  readonly session: string;
  readonly policyVersion: string;
  /** Why the call needs approval: the policy's reasons, each offending shell command among them. */
  readonly reasons: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Whether "approve for this session" may be offered (never for execute or unknown tools). */
  readonly sessionScopeAllowed: boolean;
  /** For a shell command: the commands a granted pattern could cover (each as words). */
  readonly grantableCommands: ReadonlyArray<readonly string[]>;
}

export interface ApprovalAnswer {
  readonly decision: 'approve' | 'deny';
  readonly scope: 'once' | 'session';
  /** A command pattern the approval extends to for this tool in the session ("git diff *"). */
  readonly pattern?: string;
  /** How long a session or pattern grant lasts; default: until the session ends. */
  readonly ttlMs?: number;
}

export interface ApprovalOutcome {
  readonly approved: boolean;
  readonly detail: string;
  /** Who decided, when and through which channel: for the audit record. */
  readonly trail: ApprovalTrail;
}

/** Receives a notice when a call is held for approval and when the hold ends (the audit log). */
export type ApprovalNotices = (notice: NoticeEvent) => void;

export interface ApprovalSettings {
  readonly timeoutMs: number;
  readonly channels: readonly ApprovalChannel[];
}

interface Pending {
  readonly request: ApprovalRequest;
  readonly settle: (answer: ApprovalAnswer) => void;
}

class ApprovalTimeout extends Error {}

export class ApprovalManager {
  readonly grants = new SessionGrants();
  /** Set by the admin edge while it listens: only then can the endpoint channel be reached. */
  endpointListening = false;
  private readonly pending = new Map<string, Pending>();
  private readonly watchers = new Set<(request: ApprovalRequest) => void>();

  constructor(
    private readonly settings: ApprovalSettings,
    private readonly log: Logger,
    private readonly notices: ApprovalNotices = () => undefined,
  ) {}

  list(): ApprovalRequest[] {
    return [...this.pending.values()].map((pending) => pending.request);
  }

  /** Answers a pending approval from the endpoint; false when no such approval is pending. */
  answer(id: string, answer: ApprovalAnswer): boolean {
    const pending = this.pending.get(id);
    if (!pending) return false;
    pending.settle(answer);
    return true;
  }

  watch(listener: (request: ApprovalRequest) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  async decide(ctx: CallContext, decision: PolicyDecision, policyVersion: string): Promise<ApprovalOutcome> {
    const target = ctx.target;
    if (!target?.name) return { approved: false, detail: 'the call has no tool to approve', trail: trail(null, 'unreachable', null, null, null) };
    const args = target.params?.arguments;
    const binding: Binding = {
      principal: ctx.caller.principal,
      session: ctx.caller.sessionId,
      server: target.server,
      tool: target.name,
      argumentsHash: argumentsHash(args),
      policyVersion,
    };
    if (this.grants.covers(binding, decision.tier)) return { approved: true, detail: 'approved earlier for this session', trail: trail(null, 'granted', 'grant', null, 'session') };
    if (decision.shell?.onlyGrantable) {
      const pattern = this.grants.coveringPattern(binding, decision.shell.grantable);
      if (pattern) {
        this.log.info({ server: binding.server, tool: binding.tool, session: binding.session, pattern }, 'approved by a pattern granted for the session');
        return { approved: true, detail: `approved for this session by the granted pattern ${pattern}`, trail: { ...trail(null, 'granted', 'grant', null, 'session'), pattern } };
      }
    }
    const now = Date.now();
    const request: ApprovalRequest = {
      // Hex, so that an id never starts with "-" and reads as an option on the command line (bastion approve ID).
      id: randomBytes(10).toString('hex'),
      server: binding.server,
      tool: binding.tool,
      tier: decision.tier,
      destructive: decision.destructive,
      rule: decision.rule,
      arguments: args ?? {},
      argumentsHash: binding.argumentsHash,
      principal: binding.principal,
      session: binding.session,
      policyVersion,
      reasons: decision.reasons,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.settings.timeoutMs).toISOString(),
      sessionScopeAllowed: SessionGrants.coverable(decision.tier),
      grantableCommands: decision.shell?.onlyGrantable ? decision.shell.grantable : [],
    };
    this.notices(notice('requested', request, {}));
    const unreachable: string[] = [];
    for (const channel of this.settings.channels) {
      if (channel === 'elicitation') {
        if (!ctx.view.canElicit(ctx)) {
          unreachable.push('the client cannot be asked (it did not declare elicitation)');
          continue;
        }
        try {
          return this.settle(request, binding, await this.withTimeout(ctx.signal, (signal) => this.askClient(ctx, request, signal)), 'elicitation');
        } catch (error) {
          if (error instanceof ApprovalTimeout || ctx.signal.aborted) return this.failed(request, error);
          this.log.warn({ approval: request.id, error: (error as Error).message }, 'approval by elicitation failed; trying the next channel');
          unreachable.push(`asking the client failed (${(error as Error).message})`);
          continue;
        }
      }
      if (channel === 'endpoint') {
        if (!this.endpointListening) {
          unreachable.push('the admin endpoint is not listening');
          continue;
        }
        try {
          return this.settle(request, binding, await this.withTimeout(ctx.signal, (signal) => this.askEndpoint(request, signal)), 'endpoint');
        } catch (error) {
          return this.failed(request, error);
        }
      }
    }
    this.log.warn({ approval: request.id, server: request.server, tool: request.tool, unreachable }, 'approval needed, but no channel is reachable: denied');
    this.notices(notice('unreachable', request, { unreachable }));
    return { approved: false, detail: `no approval channel is reachable: ${unreachable.join('; ')}`, trail: trail(request.id, 'unreachable', null, null, null) };
  }

  private settle(request: ApprovalRequest, binding: Binding, answer: ApprovalAnswer, channel: ApprovalChannel): ApprovalOutcome {
    const via = channel === 'elicitation' ? 'the client' : 'the admin endpoint';
    const by = channel === 'elicitation' ? request.principal : 'admin';
    const scope = answer.scope === 'session' && (request.sessionScopeAllowed || answer.pattern !== undefined) ? 'session' : 'once';
    const answered = { ...trail(request.id, answer.decision === 'approve' ? 'approved' : 'denied', channel, by, scope), ...(answer.pattern !== undefined ? { pattern: answer.pattern } : {}) };
    this.log.info({ approval: request.id, server: request.server, tool: request.tool, decision: answer.decision, scope: answer.scope, via }, 'approval answered');
    this.notices(notice('answered', request, { ...answered }));
    if (answer.decision !== 'approve') return { approved: false, detail: `a human denied it through ${via}`, trail: answered };
    if (answer.pattern !== undefined) {
      this.grants.grantPattern(binding, answer.pattern, answer.ttlMs);
      this.log.info({ approval: request.id, session: binding.session, server: binding.server, tool: binding.tool, pattern: answer.pattern, ttlMs: answer.ttlMs }, 'pattern granted for the session');
    } else if (answer.scope === 'session' && request.sessionScopeAllowed) {
      this.grants.grant(binding, answer.ttlMs);
    }
    return { approved: true, detail: `approved through ${via}${answer.scope === 'session' && request.sessionScopeAllowed ? ' for this session' : ''}`, trail: answered };
  }

  private failed(request: ApprovalRequest, error: unknown): ApprovalOutcome {
    const timedOut = error instanceof ApprovalTimeout;
    this.log.info({ approval: request.id, server: request.server, tool: request.tool, reason: timedOut ? 'timeout' : 'cancelled' }, 'approval not given: denied');
    const ended = trail(request.id, timedOut ? 'timeout' : 'cancelled', null, null, null);
    this.notices(notice(ended.outcome, request, {}));
    return {
      approved: false,
      detail: timedOut ? `the approval timed out after ${Math.round(this.settings.timeoutMs / 1000)} s with no answer` : 'the call was cancelled while it waited for approval',
      trail: ended,
    };
  }

  /** Runs an ask with the timeout and the call's cancellation; either rejects it and stops the ask. */
  private async withTimeout(callSignal: AbortSignal, ask: (signal: AbortSignal) => Promise<ApprovalAnswer>): Promise<ApprovalAnswer> {
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => stop.abort(callSignal.reason);
    callSignal.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([
        ask(stop.signal),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            stop.abort(new ApprovalTimeout());
            reject(new ApprovalTimeout());
          }, this.settings.timeoutMs);
          stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      callSignal.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  private askEndpoint(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    return new Promise((resolve) => {
      this.pending.set(request.id, { request, settle: resolve });
      signal.addEventListener('abort', () => this.pending.delete(request.id), { once: true });
      for (const watcher of this.watchers) watcher(request);
    });
  }

  private async askClient(ctx: CallContext, request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    const choices = request.sessionScopeAllowed ? ['approve_once', 'approve_session', 'deny'] : ['approve_once', 'deny'];
    const result = await ctx.view.elicit(
      {
        mode: 'form',
        message: approvalMessage(request, String(ctx.params?.name ?? request.tool)),
        requestedSchema: {
          type: 'object',
          properties: { decision: { type: 'string', title: 'Decision', enum: choices } },
          required: ['decision'],
        },
      },
      signal,
      ctx,
    );
    const chosen = (result.content as { decision?: unknown } | undefined)?.decision;
    if (result.action !== 'accept' || (chosen !== 'approve_once' && chosen !== 'approve_session')) return { decision: 'deny', scope: 'once' };
    return { decision: 'approve', scope: chosen === 'approve_session' ? 'session' : 'once' };
  }
}

function approvalMessage(request: ApprovalRequest, exposedName: string): string {
  return [
    `Bastion holds a call that needs your approval.`,
    `Tool: ${exposedName} (server ${request.server}, ${request.tier}${request.destructive ? ', destructive' : ''})`,
    `Rule: ${request.rule ?? `default for ${request.tier}`}`,
    `Arguments: ${JSON.stringify(request.arguments, null, 2)}`,
    `Why: ${request.reasons.join('; ')}`,
    `No answer by ${request.expiresAt} means deny.`,
  ].join('\n');
}

function trail(id: string | null, outcome: ApprovalTrail['outcome'], via: string | null, by: string | null, scope: ApprovalTrail['scope']): ApprovalTrail {
  return { id, outcome, via, by, at: new Date().toISOString(), scope };
}

/** An approval notice for the audit log: what was held, and what became of it. Arguments are on the call's own record. */
function notice(event: string, request: ApprovalRequest, detail: Record<string, unknown>): NoticeEvent {
  return {
    kind: 'approval',
    time: new Date().toISOString(),
    event,
    server: request.server,
    session: request.session,
    principal: request.principal,
    detail: { approval: request.id, tool: request.tool, tier: request.tier, rule: request.rule, argumentsHash: request.argumentsHash, expiresAt: request.expiresAt, ...detail },
  };
}
