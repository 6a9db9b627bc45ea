/**
 * One connected client, served by the SDK's Server: it answers initialize and ping itself and
 * hands every other request to the gateway's pipeline as a typed CallContext, then turns the
 * outcome (result, denial or error) into the wire answer. It holds no policy.
 */
import { randomUUID } from 'node:crypto';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  Server,
  type JSONRPCRequest,
  type RequestId,
  type ServerContext,
  type Transport,
} from '@modelcontextprotocol/server';
import { linkedAbort } from '../abort.js';
import { errorToWire } from '../errors/toWire.js';
import type { Logger } from '../log/logger.js';
import { ANONYMOUS, type CallContext } from '../pipeline/context.js';
import { capabilityRefusal, missingCapability } from '../upstream/clientRequests.js';
import { passthroughResult, type JsonObject } from '../upstream/passthrough.js';
import { answerCall } from './answer.js';
import { SERVER_CAPABILITIES, SERVER_INFO } from './serverIdentity.js';
import type { Gateway } from './gateway.js';
import type { ClientSessionHandle, SessionScope } from './sessionScope.js';

export interface ClientSessionOptions {
  /** The session id (the HTTP edge chooses it, so that it equals Mcp-Session-Id). Default: a random UUID. */
  readonly id?: string;
  /** Expose only this server, under its own names (the per-server endpoint). */
  readonly server?: string;
  /** SSE polling: close a call's response stream after this long, where the client can resume. 0 = never. */
  readonly pollAfterMs?: number;
}


/** A human may take long to answer an elicitation: the upstream's own timeout governs, not Bastion's. */
const NO_TIMEOUT = 2_147_483_647;

export class ClientSession implements ClientSessionHandle {
  readonly id: string;
  readonly server: Server;
  private scope: SessionScope | undefined;
  private closed = false;
  private readonly unanswered = new Set<RequestId>();

  constructor(
    private readonly gateway: Gateway,
    private readonly log: Logger,
    private readonly options: ClientSessionOptions = {},
  ) {
    this.id = options.id ?? randomUUID();
    this.server = new Server(SERVER_INFO, { capabilities: SERVER_CAPABILITIES });
    // logging/setLevel is forwarded to the servers through the pipeline, not kept by the SDK.
    this.server.removeRequestHandler('logging/setLevel');
    this.server.fallbackRequestHandler = (request, ctx) => this.onRequest(request, ctx);
    this.server.fallbackNotificationHandler = async (notification) => {
      if (notification.method === 'notifications/roots/list_changed') {
        this.scope?.notifyUpstreams(notification.method, notification.params as JsonObject | undefined);
      }
    };
    this.server.oninitialized = () => void this.ensureScope();
  }

  describe(): Record<string, unknown> {
    const client = this.server.getClientVersion();
    return { principal: ANONYMOUS, client: client?.name ?? null, clientVersion: client?.version ?? null };
  }

  /** Requests of this session not answered yet; an idle session, or one that may stop, has none. */
  get unansweredRequests(): number {
    return this.unanswered.size;
  }

  async connect(transport: Transport): Promise<void> {
    const onclose = transport.onclose;
    transport.onclose = () => {
      onclose?.();
      this.unanswered.clear();
      void this.end('the client disconnected');
    };
    await this.server.connect(transport);
    // A request counts until its answer is written, not merely computed, so that a graceful
    // shutdown never closes a stream with an answer still on its way.
    const receive = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) this.unanswered.add(message.id);
      receive?.call(transport, message, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      try {
        await send(message, options);
      } finally {
        if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) this.unanswered.delete(message.id as RequestId);
      }
    };
  }

  /** The session's servers, connected once the client has said what it can do. */
  private ensureScope(): SessionScope {
    this.scope ??= this.gateway.openScope(this, this.server.getClientCapabilities(), this.options.server);
    if (this.closed) void this.scope.close('the session ended');
    return this.scope;
  }

  /** Ends the session: its calls in flight are cancelled and its own upstream connections closed. */
  async end(reason: string): Promise<void> {
    this.closed = true;
    await this.scope?.close(reason);
  }

  private async onRequest(request: JSONRPCRequest, sdk: ServerContext): Promise<JsonObject> {
    // A client that skips notifications/initialized still gets its servers.
    const scope = this.ensureScope();
    const clientInfo = this.server.getClientVersion();
    const linked = linkedAbort([sdk.mcpReq.signal, scope.signal]);
    const ctx: CallContext = {
      method: request.method,
      params: request.params as JsonObject | undefined,
      requestId: request.id,
      caller: { sessionId: this.id, principal: ANONYMOUS, clientName: clientInfo?.name, clientVersion: clientInfo?.version },
      view: scope,
      signal: linked.signal,
      notify: (method, params) => sdk.mcpReq.notify({ method, params } as never),
      ...(sdk.http?.closeSSE ? { closeStream: sdk.http.closeSSE } : {}),
      startedAt: performance.now(),
    };
    const pollAfterMs = this.options.pollAfterMs ?? 0;
    const poll = ctx.closeStream && pollAfterMs > 0 ? setTimeout(ctx.closeStream, pollAfterMs) : undefined;
    try {
      return await answerCall(this.gateway, ctx, this.log);
    } finally {
      clearTimeout(poll);
      linked.release();
    }
  }

  notify(method: string, params?: JsonObject): void {
    this.server.notification({ method, ...(params ? { params } : {}) } as never).catch((error: Error) => {
      this.log.debug({ method, error: error.message }, 'notification not delivered to the client');
    });
  }

  canElicit(): boolean {
    return Boolean(this.server.getClientCapabilities()?.elicitation);
  }

  async requestFromServer(server: string, request: JSONRPCRequest, signal: AbortSignal, relatedRequestId?: RequestId): Promise<JsonObject> {
    const params = request.params as JsonObject | undefined;
    const missing = missingCapability(this.server.getClientCapabilities(), request.method, params);
    if (missing) throw errorToWire(capabilityRefusal(server, request.method, missing));
    return this.server.request({ method: request.method, params } as never, passthroughResult, {
      signal,
      timeout: NO_TIMEOUT,
      ...(relatedRequestId !== undefined ? { relatedRequestId } : {}),
    });
  }
}
