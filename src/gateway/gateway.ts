/**
 * The gateway: it owns the upstream servers, the merged catalog and the pipeline, and connects
 * them to client sessions. Requests from clients go through the pipeline; requests and
 * notifications from servers are routed back to the client session that owns them.
 */
import type { ClientCapabilities, JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/client';
import type { CompiledConfig } from '../config/compile.js';
import { BastionError } from '../errors/bastionError.js';
import type { Logger } from '../log/logger.js';
import type { CallContext } from '../pipeline/context.js';
import { buildPipeline, type Pipeline } from '../pipeline/pipeline.js';
import { forwardStage, type UpstreamDirectory } from '../pipeline/stages/forward.js';
import { routeStage } from '../pipeline/stages/route.js';
import type { JsonObject } from '../upstream/passthrough.js';
import { Upstream, type UpstreamEvents, type UpstreamState } from '../upstream/upstream.js';
import { Catalog } from './catalog.js';

/** What the gateway needs from a connected client session. */
export interface ClientSessionHandle {
  readonly id: string;
  notify(method: string, params?: JsonObject): void;
  /** Sends a server-to-client request, checking the capability the client declared. */
  requestFromServer(server: string, request: JSONRPCRequest, signal: AbortSignal, relatedRequestId?: CallContext['requestId']): Promise<JsonObject>;
}

const LIST_CHANGED_NOTIFICATIONS = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
];

/** The client capabilities Bastion mirrors to upstreams, so that servers offer what the client can do. */
const MIRRORED_CAPABILITIES = ['sampling', 'elicitation', 'roots'] as const;

interface InFlightCall {
  readonly session: ClientSessionHandle;
  readonly ctx: CallContext;
}

export class Gateway implements UpstreamDirectory, UpstreamEvents {
  readonly upstreams = new Map<string, Upstream>();
  readonly catalog: Catalog;
  readonly pipeline: Pipeline;
  private readonly sessions = new Map<string, ClientSessionHandle>();
  private readonly inFlight = new Map<string, InFlightCall[]>();
  private readonly subscriptions = new Map<string, Set<string>>();
  private readonly pendingListChanges = new Set<string>();
  private logLevel: string | undefined;
  private started = false;

  constructor(
    readonly config: CompiledConfig,
    private readonly log: Logger,
  ) {
    this.catalog = new Catalog(this.upstreams, log);
    this.pipeline = buildPipeline({
      onRequest: [],
      onCall: [routeStage(this.catalog)],
      onResult: [],
      onComplete: [],
      terminal: forwardStage(this.catalog, this),
    });
  }

  /** Connects every upstream, declaring to each what the first client declared it can do. */
  start(clientCapabilities: ClientCapabilities = {}): void {
    if (this.started) return;
    this.started = true;
    const mirrored: ClientCapabilities = {};
    for (const key of MIRRORED_CAPABILITIES) {
      if (clientCapabilities[key]) (mirrored as Record<string, unknown>)[key] = clientCapabilities[key];
    }
    for (const spec of this.config.servers) {
      const upstream = new Upstream(spec, mirrored, this, this.log.child({ server: spec.name }));
      this.upstreams.set(spec.name, upstream);
      upstream.start();
    }
  }

  attach(session: ClientSessionHandle): () => void {
    this.sessions.set(session.id, session);
    return () => this.sessions.delete(session.id);
  }

  /** Runs one client request through the pipeline; the caller's edge translates the outcome. */
  handle(ctx: CallContext): Promise<void> {
    return this.pipeline(ctx);
  }

  // --- UpstreamDirectory -------------------------------------------------------------------

  get(server: string): Upstream | undefined {
    return this.upstreams.get(server);
  }

  async setLogLevel(level: string): Promise<void> {
    this.logLevel = level;
    await Promise.all([...this.upstreams.values()].map((upstream) => this.applyLogLevel(upstream)));
  }

  private async applyLogLevel(upstream: Upstream): Promise<void> {
    if (this.logLevel === undefined || !upstream.capabilities?.logging) return;
    await upstream.request('logging/setLevel', { level: this.logLevel }).catch((error: Error) => {
      this.log.warn({ server: upstream.name, error: error.message }, 'logging/setLevel failed upstream');
    });
  }

  trackCall(server: string, ctx: CallContext): () => void {
    const session = this.sessions.get(ctx.caller.sessionId);
    if (!session) return () => undefined;
    const calls = this.inFlight.get(server) ?? [];
    const call = { session, ctx };
    calls.push(call);
    this.inFlight.set(server, calls);
    return () => {
      const index = calls.indexOf(call);
      if (index >= 0) calls.splice(index, 1);
    };
  }

  noteSubscription(method: string, server: string, uri: string): void {
    const uris = this.subscriptions.get(server) ?? new Set<string>();
    if (method === 'resources/subscribe') uris.add(uri);
    else uris.delete(uri);
    this.subscriptions.set(server, uris);
  }

  // --- UpstreamEvents ----------------------------------------------------------------------

  onNotification(server: string, notification: JSONRPCNotification): void {
    if (LIST_CHANGED_NOTIFICATIONS.includes(notification.method)) {
      this.queueListChanged([notification.method]);
      return;
    }
    const params = notification.params as JsonObject | undefined;
    if (notification.method === 'notifications/message' && params && params.logger === undefined) {
      // Say which server a log line came from when the server did not.
      this.broadcast(notification.method, { ...params, logger: server });
      return;
    }
    this.broadcast(notification.method, params);
  }

  async onServerRequest(server: string, request: JSONRPCRequest, signal: AbortSignal): Promise<JsonObject> {
    const owner = this.ownerOf(server);
    if (!owner) {
      throw new BastionError('BASTION_NO_CLIENT', `Server '${server}' sent ${request.method}, but no client session can take it`, { server });
    }
    return owner.session.requestFromServer(server, request, signal, owner.requestId);
  }

  onStateChange(server: string, state: UpstreamState): void {
    if (state === 'ready') {
      const upstream = this.upstreams.get(server);
      if (upstream) void this.renew(upstream);
    }
    // Tools, prompts and resources appear or disappear with the server: tell clients to list again.
    this.queueListChanged(LIST_CHANGED_NOTIFICATIONS);
  }

  /** After a (re)connect, a server learns again what it was told before: log level and subscriptions. */
  private async renew(upstream: Upstream): Promise<void> {
    await this.applyLogLevel(upstream);
    for (const uri of this.subscriptions.get(upstream.name) ?? []) {
      await upstream.request('resources/subscribe', { uri }).catch((error: Error) => {
        this.log.warn({ server: upstream.name, uri, error: error.message }, 'could not renew a subscription');
      });
    }
  }

  /** The call a server's request belongs to: the latest call in flight on that server, else the only session. */
  private ownerOf(server: string): { session: ClientSessionHandle; requestId?: CallContext['requestId'] } | undefined {
    const calls = this.inFlight.get(server);
    const latest = calls?.[calls.length - 1];
    if (latest) return { session: latest.session, requestId: latest.ctx.requestId };
    if (this.sessions.size === 1) {
      const [only] = this.sessions.values();
      return only ? { session: only } : undefined;
    }
    return undefined;
  }

  private queueListChanged(methods: readonly string[]): void {
    const idle = this.pendingListChanges.size === 0;
    for (const method of methods) this.pendingListChanges.add(method);
    if (!idle) return;
    // Coalesce bursts (a restart changes every list at once) into one notification per kind.
    setTimeout(() => {
      const pending = [...this.pendingListChanges];
      this.pendingListChanges.clear();
      for (const method of pending) this.broadcast(method);
    }, 20).unref();
  }

  private broadcast(method: string, params?: JsonObject): void {
    for (const session of this.sessions.values()) session.notify(method, params);
  }

  /** Forwards a client notification (roots changed) to every server. */
  notifyUpstreams(method: string, params?: JsonObject): void {
    for (const upstream of this.upstreams.values()) {
      upstream.notify(method, params).catch((error: Error) => {
        this.log.debug({ server: upstream.name, method, error: error.message }, 'notification not delivered upstream');
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.close()));
  }
}
