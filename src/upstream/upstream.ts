/**
 * One upstream MCP server, kept connected: it connects (trying transports in order), restarts
 * with backoff after a crash or disconnect, and gives every request a timeout that cancels the
 * request upstream. It forwards content untouched. It holds no policy: it never decides whether
 * a request may pass, only how it reaches the server.
 */
import {
  Client,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SERVER_INFO_META_KEY,
  type ClientCapabilities,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type ServerCapabilities,
  type Transport,
} from '@modelcontextprotocol/client';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { ServerSpec } from '../config/compile.js';
import { BastionError } from '../errors/bastionError.js';
import type { Logger } from '../log/logger.js';
import { linkedAbort, withTimeout } from '../abort.js';
import type { LifecycleListener } from '../telemetry/recorder.js';
import { BASTION_NAME, BASTION_VERSION } from '../version.js';
import { passthroughResult, withoutMetaKey, type JsonObject } from './passthrough.js';
import { saveToolSnapshot } from './toolSnapshot.js';
import { hintOf, mergeHints, UNCACHEABLE, type CacheHint } from './cacheHints.js';
import { CLIENT_REQUEST_CAPABILITY } from './clientRequests.js';
import { eraMemory } from './eraMemory.js';
import { ListenStream } from './listenStream.js';
import { transportAttempts, type TransportKind } from './transports.js';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'restarting' | 'closed';

export interface UpstreamEvents {
  /** A notification from the server (list changes, logs, resource updates). Progress is routed per request instead. */
  onNotification(server: string, notification: JSONRPCNotification): void;
  /** A request from the server to the client (sampling, elicitation, roots). */
  onServerRequest(server: string, request: JSONRPCRequest, signal: AbortSignal): Promise<JsonObject>;
  /** The server connected, or went away; its lists may have changed. */
  onStateChange(server: string, state: UpstreamState): void;
  /** The server closed a call's stream so that the client polls (SSE polling); Bastion resumes it. */
  onStreamDropped(server: string): void;
}

export interface UpstreamRequestOptions {
  signal?: AbortSignal;
  /** Called for each progress notification of this request, synchronously and in order. */
  onProgress?: (params: JsonObject) => void;
}

const BACKOFF_INITIAL_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A connection that stayed up this long resets the backoff. */
const STABLE_AFTER_MS = 60_000;
/** A server that ignores server/discover this long speaks the session era (stdio); over HTTP it is down. */
const DISCOVER_PROBE_MS = 5000;
/** The SDK's own timer is disabled: Bastion keeps the per-server timeout itself (setTimeout's maximum). */
const NO_SDK_TIMEOUT = 2_147_483_647;

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

const LIST_METHODS: Record<ListKind, { method: string; capability: keyof ServerCapabilities }> = {
  tools: { method: 'tools/list', capability: 'tools' },
  prompts: { method: 'prompts/list', capability: 'prompts' },
  resources: { method: 'resources/list', capability: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', capability: 'resources' },
};

/** Lists change only on list_changed or reconnect; upstream pages are fetched in full and cached until then. */
const LIST_CHANGED: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

export class Upstream {
  state: UpstreamState = 'idle';
  transportKind: TransportKind | undefined;
  lastError: string | undefined;

  private client: Client | undefined;
  private attempt = 0;
  private connectedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private settledPromise: Promise<void>;
  private settle!: () => void;
  private readonly progressRoutes = new Map<string, (params: JsonObject) => void>();
  private progressCounter = 0;
  private readonly lists = new Map<ListKind, Promise<unknown[]>>();
  private readonly listHints = new Map<ListKind, CacheHint>();
  /** A 2026-07-28 server's change notifications, and the resources clients subscribed to. */
  private readonly listen: ListenStream;

  constructor(
    readonly spec: ServerSpec,
    private readonly clientCapabilities: ClientCapabilities,
    private readonly events: UpstreamEvents,
    private readonly log: Logger,
    private readonly lifecycle: LifecycleListener = () => undefined,
  ) {
    this.settledPromise = new Promise((resolve) => (this.settle = resolve));
    this.listen = new ListenStream(log);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Resolves once the first connection attempt has succeeded or failed. */
  settled(): Promise<void> {
    return this.settledPromise;
  }

  get capabilities(): ServerCapabilities | undefined {
    return this.state === 'ready' ? this.client?.getServerCapabilities() : undefined;
  }

  /** The instructions the server gave at initialize, if any. */
  get instructions(): string | undefined {
    return this.client?.getInstructions();
  }

  /** `modern` for a 2026-07-28 server, `legacy` for a session-era one; undefined until connected. */
  get era(): 'modern' | 'legacy' | undefined {
    return this.state === 'ready' ? this.client?.getProtocolEra() : undefined;
  }

  get serverInfo(): { name: string; version: string } | undefined {
    return this.client?.getServerVersion();
  }

  start(): void {
    if (this.state !== 'idle') return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const failures: string[] = [];
    for (const { kind, create } of transportAttempts(this.spec, { onStreamDropped: () => this.events.onStreamDropped(this.name) })) {
      const client = this.createClient();
      let transport: Transport | undefined;
      try {
        transport = create();
        this.attachTransport(transport);
        const prior = eraMemory.recall(this.spec);
        await withTimeout(client.connect(transport, prior ? { prior } : {}), this.spec.startupTimeoutMs, `no answer to initialize within ${this.spec.startupTimeoutMs} ms`).catch((error: unknown) => {
          if (prior) eraMemory.forget(this.spec);
          throw error;
        });
        if ((this.state as UpstreamState) === 'closed') {
          await client.close();
          return;
        }
        this.client = client;
        this.transportKind = kind;
        this.state = 'ready';
        this.connectedAt = Date.now();
        this.lastError = undefined;
        client.onclose = () => this.onDisconnect(client);
        const info = client.getServerVersion();
        const era = client.getProtocolEra() ?? 'legacy';
        const discover = client.getDiscoverResult();
        eraMemory.remember(this.spec, era === 'modern' && discover ? { kind: 'modern', discover } : { kind: 'legacy' });
        const protocol = client.getNegotiatedProtocolVersion() ?? null;
        this.log.info({ transport: kind, protocol, upstream: info?.name, upstreamVersion: info?.version }, 'upstream connected');
        this.lifecycle('started', { transport: kind, protocol, upstream: info?.name ?? null, upstreamVersion: info?.version ?? null });
        if (era === 'modern') void this.listen.attach(client);
        this.settle();
        this.events.onStateChange(this.name, 'ready');
        return;
      } catch (error) {
        failures.push(`${kind}: ${describeError(error)}`);
        client.onclose = undefined;
        await client.close().catch(() => undefined);
        await transport?.close().catch(() => undefined);
      }
    }
    this.lastError = failures.join('; ');
    this.log.warn({ error: this.lastError }, 'upstream connection failed');
    this.lifecycle('failed', { error: this.lastError });
    this.settle();
    this.scheduleRestart();
  }

  private createClient(): Client {
    const client = new Client(
      { name: BASTION_NAME, version: BASTION_VERSION, title: 'Bastion MCP gateway' },
      {
        capabilities: this.clientCapabilities,
        // server/discover first; a server that does not know it is a session-era server.
        versionNegotiation: { mode: 'auto', probe: { timeoutMs: Math.min(DISCOVER_PROBE_MS, this.spec.startupTimeoutMs) } },
      },
    );
    // Requests from the server to the client pass through untouched, with their cancellation signal.
    // A 2026-07-28 server's input-required results come the same way: the SDK hands each embedded
    // request to this handler and retries with the answers.
    client.fallbackRequestHandler = (request, ctx) => this.events.onServerRequest(this.name, request, ctx.mcpReq.signal);
    // The SDK fulfils a 2026-07-28 server's input requests through registered handlers only.
    for (const [method, capability] of Object.entries(CLIENT_REQUEST_CAPABILITY) as Array<[keyof typeof CLIENT_REQUEST_CAPABILITY, keyof ClientCapabilities]>) {
      if (!this.clientCapabilities[capability]) continue;
      client.setRequestHandler(method, ((request: { params?: unknown }, ctx: { mcpReq: { id: string | number; signal: AbortSignal } }) =>
        this.events.onServerRequest(this.name, { jsonrpc: '2.0', id: ctx.mcpReq.id, method, params: request.params as JsonObject }, ctx.mcpReq.signal)) as never);
    }
    client.onerror = (error) => {
      // Progress for a token the SDK did not allot is Bastion's own routing (see attachTransport).
      if (/progress notification for an unknown token/.test(error.message)) return;
      this.log.debug({ error: error.message }, 'upstream protocol error');
    };
    return client;
  }

  /**
   * Sees every inbound message before the SDK does, synchronously and in arrival order. Progress
   * and other notifications are routed here so that none is reordered behind the response it
   * precedes: the SDK dispatches notifications a microtask late and drops progress that arrives
   * in the same read as its response.
   */
  private attachTransport(transport: Transport): void {
    transport.onmessage = (message: JSONRPCMessage) => {
      if (!('method' in message) || 'id' in message) return;
      const notification = message as JSONRPCNotification;
      if (notification.method === 'notifications/progress') {
        const token = notification.params?.progressToken;
        const route = typeof token === 'string' ? this.progressRoutes.get(token) : undefined;
        route?.(notification.params as JsonObject);
        return;
      }
      // The SDK aborts the matching handler; and it keeps the listen stream's acknowledgement.
      if (notification.method === 'notifications/cancelled' || notification.method === 'notifications/subscriptions/acknowledged') return;
      for (const kind of LIST_CHANGED[notification.method] ?? []) this.lists.delete(kind);
      this.events.onNotification(this.name, notification);
    };
    const stderr = (transport as { stderr?: unknown }).stderr;
    if (stderr instanceof Readable) {
      createInterface({ input: stderr }).on('line', (line) => this.log.info({ stream: 'stderr' }, line));
    }
  }

  private onDisconnect(client: Client): void {
    if (this.client !== client || this.state === 'closed') return;
    this.client = undefined;
    this.listen.detach();
    this.lists.clear();
    this.lastError = 'connection closed';
    this.log.warn('upstream disconnected');
    this.lifecycle('disconnected', { error: this.lastError });
    if (Date.now() - this.connectedAt >= STABLE_AFTER_MS) this.attempt = 0;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.state === 'closed') return;
    this.state = 'restarting';
    this.events.onStateChange(this.name, 'restarting');
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt++);
    this.log.info({ inMs: delay }, 'upstream restart scheduled');
    this.lifecycle('restarting', { inMs: delay, attempt: this.attempt });
    this.restartTimer = setTimeout(() => void this.connect(), delay);
    this.restartTimer.unref();
  }

  private connected(method: string): Client {
    if (this.state === 'ready' && this.client) return this.client;
    const why = this.state === 'restarting' ? `restarting after: ${this.lastError ?? 'a failure'}` : this.state;
    throw new BastionError('BASTION_UPSTREAM_UNAVAILABLE', `Upstream server '${this.name}' is not available (${why}); ${method} was not sent`, {
      server: this.name,
      state: this.state,
    });
  }

  /**
   * Sends one request and returns the upstream's result untouched. Upstream JSON-RPC errors are
   * rethrown as they came (code, message, data); Bastion's own failures are BastionErrors that
   * name the server.
   */
  async request(method: string, params: JsonObject | undefined, options: UpstreamRequestOptions = {}): Promise<JsonObject> {
    const client = this.connected(method);
    if ((method === 'resources/subscribe' || method === 'resources/unsubscribe') && client.getProtocolEra() === 'modern') {
      // 2026-07-28 has no subscribe: the URI joins (or leaves) the filter of the listen stream.
      const uri = String(params?.uri);
      await (method === 'resources/subscribe' ? this.listen.subscribe(uri) : this.listen.unsubscribe(uri));
      return {};
    }
    const linked = linkedAbort([options.signal]);
    let timedOut = false;
    const expire = () => {
      timedOut = true;
      linked.controller.abort();
    };
    let timer = setTimeout(expire, this.spec.timeoutMs);
    const signal = linked.signal;
    let token: string | undefined;
    let outbound = params;
    if (options.onProgress) {
      token = `bastion-${++this.progressCounter}`;
      const onProgress = options.onProgress;
      this.progressRoutes.set(token, (progress) => {
        // Progress shows the server is alive: the timeout counts from the last sign of life.
        clearTimeout(timer);
        timer = setTimeout(expire, this.spec.timeoutMs);
        onProgress(progress);
      });
      outbound = { ...params, _meta: { ...(params?._meta as JsonObject | undefined), progressToken: token } };
    }
    try {
      // A 2026-07-28 server names itself in each result; towards the client, Bastion is the server.
      return withoutMetaKey(await client.request({ method, params: outbound }, passthroughResult, { signal, timeout: NO_SDK_TIMEOUT }), SERVER_INFO_META_KEY);
    } catch (error) {
      if (timedOut) {
        throw new BastionError('BASTION_UPSTREAM_TIMEOUT', `Upstream server '${this.name}' did not answer ${method} within ${this.spec.timeoutMs} ms; the request was cancelled`, {
          server: this.name,
          timeoutMs: this.spec.timeoutMs,
        });
      }
      if (error instanceof ProtocolError) throw error;
      if (error instanceof SdkError && (error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected)) {
        throw new BastionError('BASTION_UPSTREAM_CLOSED', `Upstream server '${this.name}' closed the connection while ${method} was in flight`, {
          server: this.name,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      linked.release();
      if (token) this.progressRoutes.delete(token);
    }
  }

  async notify(method: string, params?: JsonObject): Promise<void> {
    if (this.state !== 'ready' || !this.client) return;
    await this.client.notification({ method, ...(params ? { params } : {}) });
  }

  /**
   * Every item of one list, all upstream pages merged, cached until list_changed or reconnect. A
   * shared connection does not keep a list its server marked private (cacheScope): each caller
   * fetches it anew, so that one principal never sees what the server meant for another.
   */
  list(kind: ListKind): Promise<unknown[]> {
    const { method, capability } = LIST_METHODS[kind];
    if (this.state !== 'ready' || !this.capabilities?.[capability]) return Promise.resolve([]);
    let cached = this.lists.get(kind);
    if (!cached) {
      cached = this.fetchAll(method, kind);
      this.lists.set(kind, cached);
      cached.then(
        () => {
          if (this.spec.sharing === 'shared' && this.listHint(kind).cacheScope === 'private' && this.era === 'modern') this.lists.delete(kind);
        },
        () => this.lists.delete(kind),
      );
    }
    return cached;
  }

  /** The cache hint of the last fetch of a list (a session-era server gives none: uncacheable). */
  listHint(kind: ListKind): CacheHint {
    return this.listHints.get(kind) ?? UNCACHEABLE;
  }

  private async fetchAll(method: string, kind: ListKind): Promise<unknown[]> {
    const items = await this.fetchPages(method, kind);
    if (kind === 'tools') {
      saveToolSnapshot(this.spec.toolSnapshot, this.name, items).catch((error: Error) => {
        this.log.debug({ file: this.spec.toolSnapshot, error: error.message }, 'could not save the tool snapshot');
      });
    }
    return items;
  }

  private async fetchPages(method: string, kind: ListKind): Promise<unknown[]> {
    const items: unknown[] = [];
    const hints: CacheHint[] = [];
    const seenCursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.request(method, cursor === undefined ? undefined : { cursor });
      hints.push(hintOf(page));
      const pageItems = page[kind];
      if (Array.isArray(pageItems)) items.push(...pageItems);
      cursor = typeof page.nextCursor === 'string' ? page.nextCursor : undefined;
      // A server that repeats a cursor would loop forever; stop at the first repeat.
      if (cursor !== undefined && seenCursors.has(cursor)) break;
      if (cursor !== undefined) seenCursors.add(cursor);
    } while (cursor !== undefined);
    this.listHints.set(kind, mergeHints(hints));
    return items;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.lifecycle('closed', {});
    clearTimeout(this.restartTimer);
    this.settle();
    const client = this.client;
    this.client = undefined;
    await this.listen.close();
    await client?.close().catch(() => undefined);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
