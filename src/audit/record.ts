/**
 * What the audit log records. Every event has a kind; a call record says who asked what, what was
 * decided and why, who approved it, and how it ended. Stored records add the chain fields (seq,
 * prev) and are hashed over their canonical JSON form (src/audit/chain.ts).
 */

export type AuditKind = 'call' | 'approval' | 'session' | 'config' | 'upstream' | 'server-request';

/** How a human's approval was given or refused, as recorded on the call it held. */
export interface ApprovalTrail {
  readonly id: string | null;
  /** approved, denied, timeout, cancelled, unreachable, or granted (covered by an earlier session or pattern grant). */
  readonly outcome: 'approved' | 'denied' | 'timeout' | 'cancelled' | 'unreachable' | 'granted';
  /** The channel that answered: elicitation, endpoint, or grant. */
  readonly via: string | null;
  /** Who answered: the calling client's principal for elicitation, "admin" for the admin endpoint. */
  readonly by: string | null;
  readonly at: string;
  readonly scope: 'once' | 'session' | null;
  readonly pattern?: string;
}

export interface CallEvent {
  readonly kind: 'call';
  readonly time: string;
  readonly principal: string;
  readonly client: { readonly name: string | null; readonly version: string | null };
  readonly session: string;
  readonly server: string | null;
  readonly method: string;
  /** The upstream's own name of the tool or prompt; the resource URI for resource methods. */
  readonly tool: string | null;
  /** The arguments as the client sent them, with secrets redacted. */
  readonly arguments: unknown;
  /** The decision that was carried out: allow or deny (an ask ends as one of them, see approval). */
  readonly decision: 'allow' | 'deny';
  readonly rule: string | null;
  readonly tier: string | null;
  readonly approval: ApprovalTrail | null;
  /** ok, error (the upstream or Bastion failed), denied, or cancelled. */
  readonly status: 'ok' | 'error' | 'denied' | 'cancelled';
  readonly errorCode: string | number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly traceId: string | null;
}

/** Anything but a call: approvals asked and answered, sessions, reloads, upstream lifecycle. */
export interface NoticeEvent {
  readonly kind: Exclude<AuditKind, 'call'>;
  readonly time: string;
  /** What happened, e.g. "requested", "answered", "opened", "reloaded", "started", "crashed". */
  readonly event: string;
  readonly server: string | null;
  readonly session: string | null;
  readonly principal: string | null;
  readonly detail: Record<string, unknown>;
}

export type AuditEvent = CallEvent | NoticeEvent;

/** A record as stored: the event, its place in the chain, and the previous record's hash. */
export type SealedRecord = AuditEvent & { readonly seq: number; readonly prev: string };

export interface StoredRecord {
  readonly record: SealedRecord;
  /** The canonical JSON that was hashed, exactly as stored. */
  readonly canonical: string;
  readonly hash: string;
}

/** The columns a store indexes beside the record, for queries; verify checks they agree with it. */
export function indexColumns(record: AuditEvent): { time: string; kind: string; server: string | null; tool: string | null; decision: string | null } {
  return {
    time: record.time,
    kind: record.kind,
    server: record.server,
    tool: record.kind === 'call' ? record.tool : null,
    decision: record.kind === 'call' ? record.decision : null,
  };
}
