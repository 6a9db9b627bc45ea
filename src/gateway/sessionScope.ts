/**
 * One client session's upstream servers: its own connections (sharing: per-session) and the shared
 * ones it uses, the catalog merged from them, its calls in flight, subscriptions and log level.
 * Everything a server says comes back to this session only: notifications of a call travel on that
 * call's stream, and server-to-client requests go to the call that caused them. Ending the scope
 * cancels its calls in flight and closes its own connections.
 */
import type { ClientCapabilities, JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/compile.js';
import type { Logger } from '../log/logger.js';
import type { Recorder } from '../telemetry/recorder.js';
import { errorToWire } from '../errors/toWire.js';
import type { CallContext, ClientAsker, SessionView } from '../pipeline/context.js';
import { capabilityRefusal } from '../upstream/clientRequests.js';
import type { JsonObject } from '../upstream/passthrough.js';
import { Upstream, type UpstreamEvents, type UpstreamState } from '../upstream/upstream.js';
import { Catalog } from './catalog.js';
import type { SharedUpstreams } from './sharedUpstreams.js';

/** What the scope needs from a connected client session. */
export interface ClientSessionHandle {
  readonly id: string;
  /** Who the client is, for the audit record of the session's start. */
  describe?(): Record<string, unknown>;
  /** Sends a notification on the session's own stream (not tied to a request). */
  notify(method: string, params?: JsonObject): void;
  /** Whether the client declared elicitation (form mode). */
  canElicit(): boolean;
  /** Sends a server-to-client request, checking the capability the client declared. */
  requestFromServer(server: string, request: JSONRPCRequest, signal: AbortSignal, relatedRequestId?: CallContext['requestId']): Promise<JsonObject>;
}

const LIST_CHANGED_NOTIFICATIONS = ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'];

/** The client capabilities Bastion mirrors to upstreams, so that servers offer what the client can do. */
const MIRRORED_CAPABILITIES = ['sampling', 'elicitation', 'roots'] as const;

function mirroredCapabilities(client: ClientCapabilities | undefined): ClientCapabilities {
  const mirrored: Record<string, unknown> = {};
  for (const key of MIRRORED_CAPABILITIES) if (client?.[key]) mirrored[key] = client[key];
  return mirrored as ClientCapabilities;
}

/** A server's request to a client that is asked within its call (2026-07-28), refused if the client cannot take it. */
async function askWithin(asker: ClientAsker, server: string, request: JSONRPCRequest, signal: AbortSignal): Promise<JsonObject> {
  const params = (request.params ?? {}) as JsonObject;
  const missing = asker.lacks(request.method, params);
  if (missing) throw errorToWire(capabilityRefusal(server, request.method, missing));
  return asker.ask(request.method, params, signal);
}

export class SessionScope implements SessionView, UpstreamEvents {
  readonly catalog: Catalog;
  private readonly upstreams = new Map<string, Upstream>();
  private readonly own: Upstream[] = [];
  private readonly calls = new Map<string, CallContext[]>();
  private readonly subscriptions = new Map<string, Set<string>>();
  private readonly pendingListChanges = new Set<string>();
  private readonly ended = new AbortController();
  private logLevel: string | undefined;
  /** Servers that have connected or failed at least once in this session. */
  private readonly seen = new Set<string>();

  constructor(
    readonly session: ClientSessionHandle,
    specs: readonly ServerSpec[],
    prefixed: (server: string) => boolean,
    clientCapabilities: ClientCapabilities | undefined,
    private readonly shared: SharedUpstreams,
    private readonly log: Logger,
    recorder?: Recorder,
  ) {
    const mirrored = mirroredCapabilities(clientCapabilities);
    for (const spec of specs) {
      if (spec.sharing === 'shared') {
        this.upstreams.set(spec.name, shared.acquire(spec, mirrored, this));
        continue;
      }
      const upstream = new Upstream(spec, mirrored, this, log.child({ server: spec.name, session: session.id }), recorder?.upstreamListener(spec.name, session.id));
      this.upstreams.set(spec.name, upstream);
      this.own.push(upstream);
      upstream.start();
    }
    this.catalog = new Catalog(this.upstreams, log, prefixed);
  }

  /** Aborted when the session ends: every call in flight is cancelled upstream. */
  get signal(): AbortSignal {
    return this.ended.signal;
  }

  hasCallsOn(server: string): boolean {
    return (this.calls.get(server)?.length ?? 0) > 0;
  }

  wantsUpdatesOf(server: string, uri: string): boolean {
    return this.subscriptions.get(server)?.has(uri) ?? false;
  }

  // --- SessionView ---------------------------------------------------------------------------

  upstream(server: string): Upstream | undefined {
    return this.upstreams.get(server);
  }

  async setLogLevel(level: string): Promise<void> {
    this.logLevel = level;
    await Promise.all([...this.upstreams.values()].map((upstream) => this.applyLogLevel(upstream)));
  }

  trackCall(server: string, ctx: CallContext): () => void {
    const calls = this.calls.get(server) ?? [];
    calls.push(ctx);
    this.calls.set(server, calls);
    return () => {
      const index = calls.indexOf(ctx);
      if (index >= 0) calls.splice(index, 1);
    };
  }

  noteSubscription(method: string, server: string, uri: string): void {
    const uris = this.subscriptions.get(server) ?? new Set<string>();
    if (method === 'resources/subscribe') uris.add(uri);
    else uris.delete(uri);
    this.subscriptions.set(server, uris);
  }

  canElicit(ctx: CallContext): boolean {
    return ctx.asker ? ctx.asker.lacks('elicitation/create') === undefined : this.session.canElicit();
  }

  elicit(params: JsonObject, signal: AbortSignal, ctx: CallContext): Promise<JsonObject> {
    if (ctx.asker) return ctx.asker.ask('elicitation/create', params, signal);
    return this.session.requestFromServer('bastion', { jsonrpc: '2.0', id: 0, method: 'elicitation/create', params }, signal, ctx.requestId);
  }

  /** Forwards a client notification (roots changed) to every server of the session. */
  notifyUpstreams(method: string, params?: JsonObject): void {
    for (const upstream of this.upstreams.values()) {
      upstream.notify(method, params).catch((error: Error) => {
        this.log.debug({ server: upstream.name, method, error: error.message }, 'notification not delivered upstream');
      });
    }
  }

  // --- UpstreamEvents (own connections directly; shared ones through SharedUpstreams) ---------

  onNotification(server: string, notification: JSONRPCNotification): void {
    if (LIST_CHANGED_NOTIFICATIONS.includes(notification.method)) {
      this.queueListChanged([notification.method]);
      return;
    }
    const params = notification.params as JsonObject | undefined;
    if (notification.method === 'notifications/resources/updated' && !this.wantsUpdatesOf(server, String(params?.uri))) return;
    if (notification.method === 'notifications/message') {
      // Say which server a log line came from when the server did not.
      this.deliverForCall(server, notification.method, params && params.logger === undefined ? { ...params, logger: server } : params);
      return;
    }
    this.session.notify(notification.method, params);
  }

  onServerRequest(server: string, request: JSONRPCRequest, signal: AbortSignal): Promise<JsonObject> {
    // The latest call in flight on that server caused the request; its stream carries it.
    const calls = this.calls.get(server);
    const owner = calls?.[calls.length - 1];
    if (owner?.asker) return askWithin(owner.asker, server, request, signal);
    return this.session.requestFromServer(server, request, signal, owner?.requestId);
  }

  onStateChange(server: string, state: UpstreamState): void {
    if (state === 'ready') {
      const upstream = this.upstreams.get(server);
      if (upstream) void this.renew(upstream);
      // Lists wait for a server's first connection, so that one changes nothing a client has seen.
      const first = !this.seen.has(server);
      this.seen.add(server);
      if (first) return;
    }
    if (state === 'restarting') this.seen.add(server);
    // Tools, prompts and resources appear or disappear with the server: tell the client to list again.
    this.queueListChanged(LIST_CHANGED_NOTIFICATIONS);
  }

  /** The server asked its client to poll: let this session's client poll too, where it can resume. */
  onStreamDropped(server: string): void {
    for (const call of this.calls.get(server) ?? []) call.closeStream?.();
  }

  /** A notification sent while exactly one call is in flight on the server belongs to that call. */
  private deliverForCall(server: string, method: string, params: JsonObject | undefined): void {
    const calls = this.calls.get(server);
    const only = calls?.length === 1 ? calls[0] : undefined;
    if (!only) {
      this.session.notify(method, params);
      return;
    }
    only.notify(method, params ?? {}).catch(() => this.session.notify(method, params));
  }

  /** After a (re)connect, a server learns again what this session told it: log level and subscriptions. */
  private async renew(upstream: Upstream): Promise<void> {
    await this.applyLogLevel(upstream);
    for (const uri of this.subscriptions.get(upstream.name) ?? []) {
      await upstream.request('resources/subscribe', { uri }).catch((error: Error) => {
        this.log.warn({ server: upstream.name, uri, error: error.message }, 'could not renew a subscription');
      });
    }
  }

  private async applyLogLevel(upstream: Upstream): Promise<void> {
    if (this.logLevel === undefined || !upstream.capabilities?.logging) return;
    await upstream.request('logging/setLevel', { level: this.logLevel }).catch((error: Error) => {
      this.log.warn({ server: upstream.name, error: error.message }, 'logging/setLevel failed upstream');
    });
  }

  private queueListChanged(methods: readonly string[]): void {
    if (this.ended.signal.aborted) return;
    const idle = this.pendingListChanges.size === 0;
    for (const method of methods) this.pendingListChanges.add(method);
    if (!idle) return;
    // Coalesce bursts (a restart changes every list at once) into one notification per kind.
    setTimeout(() => {
      const pending = [...this.pendingListChanges];
      this.pendingListChanges.clear();
      if (this.ended.signal.aborted) return;
      for (const method of pending) this.session.notify(method);
    }, 20).unref();
  }

  /** Ends the session's hold on its servers: calls in flight are cancelled, own connections closed. */
  async close(reason: string): Promise<void> {
    if (this.ended.signal.aborted) return;
    this.ended.abort(new Error(reason));
    this.shared.release(this);
    await Promise.all(this.own.map((upstream) => upstream.close()));
  }
}
