/**
 * The typed per-request context that every stage of the pipeline sees. Each field says which
 * stage writes it; stages never add ad-hoc properties.
 */
import type { RequestId } from '@modelcontextprotocol/server';
import type { BastionError } from '../errors/bastionError.js';
import type { ErrorCode } from '../errors/catalogue.js';

/** Who is calling: filled by the edge from the downstream session. */
export interface Caller {
  readonly sessionId: string;
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
  /** The params to send upstream (names rewritten to the upstream's own). */
  readonly params: Record<string, unknown> | undefined;
}

export interface CallContext {
  /** Set by the edge. */
  readonly method: string;
  readonly params: Record<string, unknown> | undefined;
  readonly requestId: RequestId;
  readonly caller: Caller;
  /** Aborted when the client cancels or disconnects. */
  readonly signal: AbortSignal;
  /** Sends a notification on this request's stream (progress, logs). */
  readonly notify: (method: string, params: Record<string, unknown>) => Promise<void>;
  readonly startedAt: number;
  /** Written by the route stage. */
  target?: Target;
  /** Written by the forward stage (or a stage answering itself). */
  result?: Record<string, unknown>;
  /** Written by any stage that refuses; stops the chain. */
  denial?: Denial;
  /** Written when forwarding failed. */
  error?: BastionError | Error;
}
