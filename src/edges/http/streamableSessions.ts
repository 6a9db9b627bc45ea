/**
 * Streamable HTTP sessions (protocol revision 2025-11-25): one SDK transport and one client
 * session per Mcp-Session-Id. Ids are 192 random bits. A session is bound to the endpoint that
 * created it and to its principal: presented anywhere else it is unknown (404), like an ended
 * one. DELETE ends a session, and so does idleness: no request and no call in flight for
 * serve.sessionIdleTimeout. Ending a session cancels its calls in flight and closes its own
 * upstream connections.
 */
import { randomBytes } from 'node:crypto';
import {
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { ServeSettings } from '../../config/compile.js';
import { ClientSession } from '../../gateway/clientSession.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Logger } from '../../log/logger.js';
import { SessionEventStore } from './eventStore.js';
import { httpError } from './httpError.js';
import { servedSession, SessionTable, type ServedSession } from './servedSessions.js';
import type { SessionLimit } from './sessionLimit.js';

/** The reconnection delay suggested to clients in the SSE `retry` field. */
const RETRY_INTERVAL_MS = 1000;
/** Batches were part of Streamable HTTP only in its first revision. */
const LAST_REVISION_WITH_BATCHES = '2025-03-26';

interface HttpSession extends ServedSession {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  /** The per-server endpoint's server, or undefined for the aggregate endpoint. */
  readonly server: string | undefined;
  readonly protocolVersion: string;
}

export class StreamableSessions {
  readonly sessions: SessionTable<HttpSession>;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly gateway: Gateway,
    private readonly settings: ServeSettings,
    private readonly limit: SessionLimit,
    private readonly log: Logger,
  ) {
    this.sessions = new SessionTable(limit);
    const every = Math.max(1000, Math.min(settings.sessionIdleTimeoutMs / 2, 30_000));
    this.sweeper = setInterval(() => this.expireIdle(), every);
    this.sweeper.unref();
  }

  /** Serves one request at /mcp or /servers/<name>/mcp; `body` is the parsed POST body. */
  async handle(request: Request, body: unknown, server: string | undefined, principal: string): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id === null) {
      if (request.method === 'POST' && isInitializeRequest(body)) return this.create(request, body, server, principal);
      return httpError('BASTION_SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required; send initialize first to open a session');
    }
    const session = this.sessions.get(id);
    if (!session || session.server !== server || session.principal !== principal) {
      return httpError('BASTION_SESSION_NOT_FOUND', 'Session not found: it is unknown or has ended; send initialize to open a new one');
    }
    if (Array.isArray(body)) {
      const version = request.headers.get('mcp-protocol-version') ?? session.protocolVersion;
      if (version > LAST_REVISION_WITH_BATCHES) {
        return httpError('BASTION_BATCH_UNSUPPORTED', `Invalid Request: protocol version ${version} has no JSON-RPC batches; send one message per request`);
      }
    }
    session.lastSeen = Date.now();
    try {
      return await session.transport.handleRequest(request, { parsedBody: body });
    } finally {
      session.lastSeen = Date.now();
    }
  }

  private async create(request: Request, body: { params: { protocolVersion: string } }, server: string | undefined, principal: string): Promise<Response> {
    if (!this.limit.admit()) {
      return httpError('BASTION_TOO_MANY_SESSIONS', `Service unavailable: ${this.settings.maxSessions} sessions are open and all are busy (serve.maxSessions)`, {
        headers: { 'retry-after': '1' },
      });
    }
    const id = randomBytes(24).toString('base64url');
    const requested = body.params.protocolVersion;
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      ...(this.settings.replayBuffer > 0 ? { eventStore: new SessionEventStore(this.settings.replayBuffer) } : {}),
      retryInterval: RETRY_INTERVAL_MS,
      onsessioninitialized: () => this.sessions.add(session),
    });
    const client = new ClientSession(this.gateway, this.log, { id, server, pollAfterMs: this.settings.pollAfterMs });
    const session: HttpSession = servedSession(id, client, transport, principal, {
      transport,
      server,
      protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION,
    });
    transport.onclose = () => {
      this.sessions.remove(session);
      this.log.info({ session: id }, 'session ended');
    };
    await session.client.connect(session.transport);
    const response = await session.transport.handleRequest(request, { parsedBody: body });
    // A refused initialize (wrong Accept or Content-Type) opens nothing.
    if (!this.sessions.has(id)) await session.transport.close();
    else this.log.info({ session: id, server, protocolVersion: session.protocolVersion }, 'session opened');
    return response;
  }

  private expireIdle(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.busy || now - session.lastSeen < this.settings.sessionIdleTimeoutMs) continue;
      this.log.info({ session: session.id, idleMs: now - session.lastSeen }, 'idle session expired');
      void session.transport.close();
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => session.transport.close()));
  }
}
