/**
 * Clients of protocol revision 2026-07-28. They have no session: every request stands alone and
 * says in `_meta` who the client is and what it can do. Their requests pass the same pipeline as
 * session clients' (policy, approval, audit).
 *
 * - Upstream connections are kept per principal and endpoint, since such a client cannot hold
 *   them per session, and closed after serve.sessionIdleTimeout without a request.
 * - A call that needs the client's input (an upstream's sampling, elicitation or roots request,
 *   or Bastion's approval question) answers with an input-required result and stays parked,
 *   upstream request still open. The client's retry carries the answers and the requestState,
 *   sealed (HMAC) with the call, its round, the principal and the request it belongs to; it
 *   resumes that very call. A call not resumed within PARK_MS is cancelled upstream.
 * - Change notifications reach `subscriptions/listen` streams through `onChange`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  createRequestStateCodec,
  LOG_LEVEL_META_KEY,
  Server,
  type ClientCapabilities,
  type JSONRPCRequest,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { BastionError } from '../errors/bastionError.js';
import { errorToWire } from '../errors/toWire.js';
import type { Logger } from '../log/logger.js';
import type { CallContext } from '../pipeline/context.js';
import type { JsonObject } from '../upstream/passthrough.js';
import { answerCall } from './answer.js';
import type { Gateway } from './gateway.js';
import { InputRound } from './inputRound.js';
import { SERVER_CAPABILITIES, SERVER_INFO } from './serverIdentity.js';
import type { ClientSessionHandle, SessionScope } from './sessionScope.js';

/** How long a parked call waits for the client's retry. */
const PARK_MS = 10 * 60_000;
/** Questions asked one after another within this window travel in one input-required result. */
const GATHER_MS = 15;
/** Upstreams are told the client can do everything; each request's own declaration is checked when asked. */
const EVERY_CAPABILITY: ClientCapabilities = { sampling: {}, elicitation: { form: {}, url: {} }, roots: {} };
/** Log levels in order (RFC 5424), for the per-request `logLevel`. */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

type Outcome = { readonly result: JsonObject } | { readonly error: unknown };

interface StateClaims {
  readonly call: string;
  readonly round: number;
  readonly binding: string;
}

interface ParkedCall {
  readonly id: string;
  readonly binding: string;
  readonly input: InputRound;
  readonly controller: AbortController;
  /** The call's end: its answer, or what it failed with. */
  outcome: Promise<Outcome>;
  round: number;
  /** The exchange waiting on the call now: its notifications go there. */
  exchange: ServerContext | undefined;
  expiry: NodeJS.Timeout | undefined;
}

interface ScopeEntry {
  readonly scope: SessionScope;
  /** How many listen streams want each resource's updates. */
  readonly subscriptions: Map<string, number>;
  lastSeen: number;
  calls: number;
  /** Open listen streams: they keep the connections up, but a shutdown does not wait for them. */
  listeners: number;
}

/** A change an upstream announced, for the listen streams of one principal at one endpoint. */
export type ChangeListener = (key: string, method: string, params: JsonObject | undefined) => void;

/** Names a principal's view of an endpoint (a server's name, or undefined for all servers). */
export function endpointKey(principal: string, endpoint: string | undefined): string {
  return `${principal}\u0000${endpoint ?? ''}`;
}

export class StatelessClients {
  private readonly scopes = new Map<string, ScopeEntry>();
  private readonly parked = new Map<string, ParkedCall>();
  private readonly codec = createRequestStateCodec<StateClaims>({ key: randomBytes(32), ttlSeconds: PARK_MS / 1000 });
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly gateway: Gateway,
    private readonly idleTimeoutMs: number,
    private readonly log: Logger,
    private readonly onChange: ChangeListener,
  ) {
    this.sweeper = setInterval(() => this.expireIdle(), Math.max(1000, Math.min(idleTimeoutMs / 2, 30_000)));
    this.sweeper.unref();
  }

  /** Calls of stateless clients not answered yet (a parked call counts until it ends). */
  get unansweredRequests(): number {
    let count = 0;
    for (const entry of this.scopes.values()) count += entry.calls;
    return count;
  }

  /**
   * An SDK server for stateless clients at an endpoint: it answers discovery itself and hands
   * every other request to serve(). Over HTTP there is one per request; over stdio, one per
   * connection.
   */
  server(endpoint: string | undefined, principal: string): Server {
    const instance = new Server(SERVER_INFO, { capabilities: SERVER_CAPABILITIES });
    instance.fallbackRequestHandler = (request, sdk) => this.serve(request, sdk, endpoint, principal);
    return instance;
  }

  /** Serves one request of a stateless client at an endpoint (a server's name, or undefined for all). */
  async serve(request: JSONRPCRequest, sdk: ServerContext, endpoint: string | undefined, principal: string): Promise<JsonObject> {
    try {
      return await this.serveRound(request, sdk, endpoint, principal);
    } catch (error) {
      throw errorToWire(error);
    }
  }

  private async serveRound(request: JSONRPCRequest, sdk: ServerContext, endpoint: string | undefined, principal: string): Promise<JsonObject> {
    const envelope = (sdk.mcpReq.envelope ?? {}) as JsonObject;
    const capabilities = (envelope[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
    const binding = bindingOf(principal, endpoint, request);
    const state = await sdk.mcpReq.requestState<string>();
    let call: ParkedCall;
    if (typeof state === 'string') {
      call = await this.resume(state, binding);
      // The SDK sets aside answers that are not result objects; one to an open question is refused.
      const malformed = sdk.mcpReq.droppedInputResponseKeys?.find((key) => call.input.isOpen(key));
      if (malformed !== undefined) {
        throw new BastionError('BASTION_INPUT_INVALID', `inputResponses.${malformed} is not a result object; answer it again with the same requestState`, { key: malformed });
      }
      call.input.answer(sdk.mcpReq.inputResponses, capabilities);
    } else {
      call = this.start(request, sdk, endpoint, principal, binding, capabilities);
    }
    return this.next(call, sdk);
  }

  private start(request: JSONRPCRequest, sdk: ServerContext, endpoint: string | undefined, principal: string, binding: string, capabilities: ClientCapabilities): ParkedCall {
    const entry = this.scopeFor(principal, endpoint);
    const envelope = (sdk.mcpReq.envelope ?? {}) as JsonObject;
    const clientInfo = envelope[CLIENT_INFO_META_KEY] as { name?: string; version?: string } | undefined;
    const logLevel = envelope[LOG_LEVEL_META_KEY];
    const input = new InputRound(capabilities, { ...sdk.mcpReq.inputResponses });
    const controller = new AbortController();
    const id = randomUUID();
    // The call's notifications go to whichever exchange waits on it; `outcome` is set once the call starts.
    const call = { id, binding, input, controller, round: 0, exchange: sdk, expiry: undefined } as Omit<ParkedCall, 'outcome'> as ParkedCall;
    const ctx: CallContext = {
      method: request.method,
      params: request.params as JsonObject | undefined,
      requestId: request.id,
      caller: { sessionId: `stateless-${id}`, principal, clientName: clientInfo?.name, clientVersion: clientInfo?.version },
      view: entry.scope,
      signal: AbortSignal.any([controller.signal, entry.scope.signal]),
      notify: async (method, params) => {
        if (method === 'notifications/message' && !wantsLog(logLevel, params.level)) return;
        await call.exchange?.mcpReq.notify({ method, params } as never);
      },
      asker: input,
      startedAt: performance.now(),
    };
    entry.calls++;
    const outcome = answerCall(this.gateway, ctx, this.log).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    call.outcome = outcome;
    void outcome.finally(() => {
      entry.calls--;
      entry.lastSeen = Date.now();
    });
    return call;
  }

  /** Waits for the call's end or its next questions, whichever comes first. */
  private async next(call: ParkedCall, sdk: ServerContext): Promise<JsonObject> {
    clearTimeout(call.expiry);
    this.parked.delete(call.id);
    call.exchange = sdk;
    // Closing the response stream cancels the request (2026-07-28), here the call it resumed.
    const cancel = () => this.cancel(call, 'the client closed the request');
    sdk.mcpReq.signal.addEventListener('abort', cancel, { once: true });
    let stopWaiting = () => undefined as void;
    try {
      const questions = new Promise<'input'>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const gather = () => {
          clearTimeout(timer);
          timer = setTimeout(() => resolve('input'), GATHER_MS);
        };
        call.input.onQuestion(gather);
        if (call.input.waiting) gather();
        stopWaiting = () => clearTimeout(timer);
      });
      const first = await Promise.race([call.outcome, questions]);
      if (first !== 'input') {
        if ('error' in first) throw first.error;
        return first.result;
      }
      call.round += 1;
      this.park(call);
      const requestState = await this.codec.mint({ call: call.id, round: call.round, binding: call.binding });
      return { resultType: 'input_required', inputRequests: call.input.inputRequests(), requestState };
    } finally {
      stopWaiting();
      call.input.onQuestion(() => undefined);
      sdk.mcpReq.signal.removeEventListener('abort', cancel);
      call.exchange = undefined;
    }
  }

  private park(call: ParkedCall): void {
    this.parked.set(call.id, call);
    call.expiry = setTimeout(() => this.cancel(call, `the client did not come back with the answers within ${PARK_MS / 60_000} minutes`), PARK_MS);
    call.expiry.unref();
  }

  private cancel(call: ParkedCall, reason: string): void {
    clearTimeout(call.expiry);
    this.parked.delete(call.id);
    call.input.abandon(reason);
    call.controller.abort(new Error(reason));
  }

  private async resume(state: string, binding: string): Promise<ParkedCall> {
    let claims: StateClaims;
    try {
      claims = await this.codec.verify(state, undefined as never);
    } catch (error) {
      throw new BastionError('BASTION_REQUEST_STATE_INVALID', `requestState was refused (${(error as Error).message}): it was altered, has expired, or was not issued by this Bastion; send the request again without it`);
    }
    const call = this.parked.get(claims.call);
    if (claims.binding !== binding) {
      throw new BastionError('BASTION_REQUEST_STATE_INVALID', 'requestState belongs to another request (method, name, caller or endpoint differ); send the request again without it');
    }
    if (!call || call.round !== claims.round) {
      throw new BastionError('BASTION_REQUEST_STATE_INVALID', 'requestState refers to a round that is over (answered already, cancelled or expired); send the request again without it');
    }
    return call;
  }

  private scopeFor(principal: string, endpoint: string | undefined): ScopeEntry {
    const key = endpointKey(principal, endpoint);
    const existing = this.scopes.get(key);
    if (existing && !existing.scope.signal.aborted) {
      existing.lastSeen = Date.now();
      return existing;
    }
    const handle: ClientSessionHandle = {
      id: `stateless-${randomBytes(9).toString('base64url')}`,
      describe: () => ({ principal, client: null, clientVersion: null, protocol: '2026-07-28' }),
      notify: (method, params) => this.onChange(key, method, params),
      canElicit: () => false,
      requestFromServer: async (server, request) => {
        // Only reached for a request of a server with no call of this client in flight.
        throw new BastionError('BASTION_NO_CLIENT', `'${server}' sent ${request.method} outside any call; a 2026-07-28 client can only be asked within a call`, { server });
      },
    };
    const entry: ScopeEntry = { scope: this.gateway.openScope(handle, EVERY_CAPABILITY, endpoint), subscriptions: new Map(), lastSeen: Date.now(), calls: 0, listeners: 0 };
    this.scopes.set(key, entry);
    return entry;
  }

  /**
   * A listen stream's resource subscriptions: each URI is subscribed upstream, through the
   * pipeline (policy and audit apply), while at least one stream wants it.
   */
  async listen(principal: string, endpoint: string | undefined, uris: readonly string[], until: AbortSignal): Promise<void> {
    const entry = this.scopeFor(principal, endpoint);
    entry.listeners++;
    const subscribed: string[] = [];
    for (const uri of new Set(uris)) {
      const count = entry.subscriptions.get(uri) ?? 0;
      entry.subscriptions.set(uri, count + 1);
      subscribed.push(uri);
      if (count === 0) await this.internalCall(entry, principal, 'resources/subscribe', { uri });
    }
    const release = () => {
      entry.listeners--;
      entry.lastSeen = Date.now();
      for (const uri of subscribed) {
        const left = (entry.subscriptions.get(uri) ?? 1) - 1;
        if (left > 0) {
          entry.subscriptions.set(uri, left);
          continue;
        }
        entry.subscriptions.delete(uri);
        if (!entry.scope.signal.aborted) void this.internalCall(entry, principal, 'resources/unsubscribe', { uri });
      }
    };
    if (until.aborted) release();
    else until.addEventListener('abort', release, { once: true });
  }

  /** A request Bastion makes on a stateless client's behalf; a failure is logged, not thrown. */
  private async internalCall(entry: ScopeEntry, principal: string, method: string, params: JsonObject): Promise<void> {
    const ctx: CallContext = {
      method,
      params,
      requestId: `bastion-${randomUUID()}`,
      caller: { sessionId: 'stateless-listen', principal, clientName: undefined, clientVersion: undefined },
      view: entry.scope,
      signal: entry.scope.signal,
      notify: async () => undefined,
      startedAt: performance.now(),
    };
    await answerCall(this.gateway, ctx, this.log).catch((error: Error) => {
      this.log.warn({ method, uri: params.uri, error: error.message }, 'subscription for a listen stream failed upstream');
    });
  }

  private expireIdle(): void {
    const now = Date.now();
    for (const [key, entry] of this.scopes) {
      if (entry.calls > 0 || entry.listeners > 0 || now - entry.lastSeen < this.idleTimeoutMs) continue;
      this.scopes.delete(key);
      this.log.info({ idleMs: now - entry.lastSeen }, 'idle stateless client connections closed');
      void entry.scope.close('no request from this client within serve.sessionIdleTimeout');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const call of this.parked.values()) this.cancel(call, 'Bastion is shutting down');
    await Promise.all([...this.scopes.values()].map((entry) => entry.scope.close('Bastion is shutting down')));
    this.scopes.clear();
  }
}

/** What a requestState is bound to: who asked, where, and which request (method and name or URI). */
function bindingOf(principal: string, endpoint: string | undefined, request: JSONRPCRequest): string {
  const params = request.params as JsonObject | undefined;
  const name = params?.name ?? params?.uri ?? '';
  return JSON.stringify([principal, endpoint ?? '', request.method, name, params?.arguments ?? null]);
}

/** A log line reaches a stateless client only at or above the level it asked for in `_meta`. */
function wantsLog(requested: unknown, level: unknown): boolean {
  if (typeof requested !== 'string') return false;
  return LOG_LEVELS.indexOf(String(level)) >= LOG_LEVELS.indexOf(requested);
}
