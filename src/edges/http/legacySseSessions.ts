/**
 * Sessions of the legacy HTTP+SSE transport: GET /sse opens one (the stream is the session) and
 * POST /messages?sessionId=... feeds it. The session ends when the stream closes, which cancels
 * its calls in flight. Session ids are random and bound to the principal, as for Streamable HTTP.
 */
import { randomBytes } from 'node:crypto';
import { parseJSONRPCMessage } from '@modelcontextprotocol/server';
import { ClientSession } from '../../gateway/clientSession.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Logger } from '../../log/logger.js';
import { httpError } from './httpError.js';
import { LegacySseTransport } from './legacySseTransport.js';
import { servedSession, SessionTable, type ServedSession } from './servedSessions.js';
import type { SessionLimit } from './sessionLimit.js';

interface SseSession extends ServedSession {
  readonly transport: LegacySseTransport;
}

export class LegacySseSessions {
  readonly sessions: SessionTable<SseSession>;

  constructor(
    private readonly gateway: Gateway,
    private readonly limit: SessionLimit,
    private readonly log: Logger,
  ) {
    this.sessions = new SessionTable(limit);
  }

  /** GET /sse: opens a session and answers with its stream. */
  async open(principal: string): Promise<Response> {
    if (!this.limit.admit()) {
      return httpError('BASTION_TOO_MANY_SESSIONS', 'Service unavailable: the session limit is reached and all sessions are busy (serve.maxSessions)', {
        headers: { 'retry-after': '1' },
      });
    }
    const id = randomBytes(24).toString('base64url');
    const transport = new LegacySseTransport(id, `/messages?sessionId=${id}`);
    const client = new ClientSession(this.gateway, this.log, { id });
    const session: SseSession = servedSession(id, client, transport, principal, { transport });
    transport.onclose = () => {
      this.sessions.remove(session);
      this.log.info({ session: id, transport: 'sse' }, 'session ended');
    };
    this.sessions.add(session);
    await client.connect(transport);
    this.log.info({ session: id, transport: 'sse' }, 'session opened');
    return transport.response;
  }

  /** POST /messages: one JSON-RPC message for the session; the answer travels on its stream. */
  post(sessionId: string | undefined, body: unknown, principal: string): Response {
    const session = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (!session || session.principal !== principal) {
      return httpError('BASTION_SESSION_NOT_FOUND', 'Session not found: open a stream with GET /sse and post to the endpoint it names');
    }
    if (Array.isArray(body)) return httpError('BASTION_BATCH_UNSUPPORTED', 'Invalid Request: the HTTP+SSE transport takes one JSON-RPC message per request');
    let message;
    try {
      message = parseJSONRPCMessage(body);
    } catch {
      return httpError('BASTION_INVALID_REQUEST', 'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message', { status: 400 });
    }
    session.lastSeen = Date.now();
    session.transport.receive(message);
    return new Response('Accepted', { status: 202 });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.transport.close()));
  }
}
