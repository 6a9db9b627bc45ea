/**
 * The typed per-request context that every stage of the pipeline sees. Each field says which
 * stage writes it; stages never add ad-hoc properties.
 */
import type { RequestId } from '@modelcontextprotocol/server';
import type { BastionError } from '../errors/bastionError.js';
import type { ApprovalTrail } from '../audit/record.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { Catalog } from '../gateway/catalog.js';
import type { PolicyDecision } from '../policy/policy.js';
import type { RequestTrace } from '../telemetry/tracing.js';
import type { Upstream } from '../upstream/upstream.js';

/**
 * The calling session's view of its upstream servers: the servers it may reach (its own
 * connections, or shared ones) and the catalog merged from them. Route and forward act on it.
 */
export interface SessionView {
  readonly catalog: Catalog;
  upstream(server: string): Upstream | undefined;
  /** Sends the client's log level to every server of the session, now and after each (re)connect. */
  setLogLevel(level: string): Promise<void>;
  /** Records that a call is in flight on a server, so that the server's requests reach this call's client. */
  trackCall(server: string, ctx: CallContext): () => void;
  /** Records subscriptions, so that updates reach this session and are renewed when a server restarts. */
  noteSubscription(method: string, server: string, uri: string): void;
  /** Whether the calling client declared elicitation, so that it can be asked for approval. */
  canElicit(ctx: CallContext): boolean;
  /** Asks the calling client (elicitation/create) within the request it concerns. */
  elicit(params: Record<string, unknown>, signal: AbortSignal, ctx: CallContext): Promise<Record<string, unknown>>;
}

/**
 * Asks the calling client within the request itself: a 2026-07-28 client takes no requests, so
 * its questions travel in input-required results (src/gateway/inputRound.ts).
 */
export interface ClientAsker {
  /** What this request's client did not declare for the question (a capability), or undefined. */
  lacks(method: string, params?: Record<string, unknown>): string | undefined;
  ask(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** Until authentication lands, every caller is this principal; sessions and scopes are bound to it already. */
export const ANONYMOUS = 'anonymous';

/** Who is calling: filled by the edge from the downstream session. */
export interface Caller {
  readonly sessionId: string;
  /** Who is authenticated; "anonymous" until authentication is configured. */
  readonly principal: string;
  readonly clientName: string | undefined;
  readonly clientVersion: string | undefined;
}

/** A refusal is data: a stage records it and stops the chain; the edge turns it into a wire error. */
export interface Denial {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly rule?: string;
}

/** Where a request goes: written by the route stage. */
export interface Target {
  readonly server: string;
  /** The upstream's own name of the tool or prompt (not namespaced), when the method has one. */
  readonly name?: string;
  /** The tool or prompt as the server listed it. */
  readonly definition?: Record<string, unknown>;
  /** The params to send upstream (names rewritten to the upstream's own). */
  readonly params: Record<string, unknown> | undefined;
}

export interface CallContext {
  /** Set by the edge. */
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  readonly requestId: RequestId;
  readonly caller: Caller;
  /** The servers this caller may reach. */
  readonly view: SessionView;
  /** Aborted when the client cancels, or its session ends. */
  readonly signal: AbortSignal;
  /** Sends a notification on this request's stream (progress, logs). */
  readonly notify: (method: string, params: Record<string, unknown>) => Promise<void>;
  /**
   * Closes this request's response stream so that the client resumes it later with Last-Event-ID
   * (SSE polling); absent where the client's transport cannot resume.
   */
  readonly closeStream?: () => void;
  /** Set by the edge for clients asked within the request (2026-07-28); absent for session clients. */
  readonly asker?: ClientAsker;
  readonly startedAt: number;
  /** Written by the trace stage: the request's trace, carried upstream in `_meta`. */
  trace?: RequestTrace;
  /** Written by the route stage. */
  target?: Target;
  /** Written by the policy stage for tool calls. */
  policy?: PolicyDecision;
  /** Written by the policy stage when the call was held for approval (or covered by a grant). */
  approval?: ApprovalTrail;
  /** Written by the forward stage (or a stage answering itself). */
  result?: Record<string, unknown>;
  /** Written by any stage that refuses; stops the chain. */
  denial?: Denial;
  /** Written when forwarding failed. */
  error?: BastionError | Error;
}
