/**
 * What both HTTP transports keep per session: the client session, its principal, when it was last
 * used, and a table of the live ones that counts against serve.maxSessions.
 */
import type { Transport } from '@modelcontextprotocol/server';
import type { ClientSession } from '../../gateway/clientSession.js';
import type { LimitedSession, SessionLimit } from './sessionLimit.js';

export interface ServedSession extends LimitedSession {
  readonly client: ClientSession;
  /** Who opened the session; it answers to nobody else. */
  readonly principal: string;
  lastSeen: number;
}

/** A served session with the fields of its transport's own kind (`extra`). */
export function servedSession<E extends object>(id: string, client: ClientSession, transport: Transport, principal: string, extra: E): ServedSession & E {
  const base: ServedSession = {
    id,
    client,
    principal,
    lastSeen: Date.now(),
    get busy() {
      return client.unansweredRequests > 0;
    },
    end: () => void transport.close(),
  };
  // Object.assign keeps base's getter; a spread would freeze `busy` at its first value.
  return Object.assign(base, extra);
}

export class SessionTable<S extends ServedSession> {
  private readonly sessions = new Map<string, S>();

  constructor(private readonly limit: SessionLimit) {}

  get(id: string): S | undefined {
    return this.sessions.get(id);
  }

  has(id: string): boolean {
    return this.sessions.has(id);
  }

  add(session: S): void {
    this.sessions.set(session.id, session);
    this.limit.add(session);
  }

  remove(session: S): void {
    this.sessions.delete(session.id);
    this.limit.remove(session);
  }

  values(): IterableIterator<S> {
    return this.sessions.values();
  }

  /** Requests not answered yet, over every session: a graceful shutdown waits for none. */
  get unansweredRequests(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.client.unansweredRequests;
    return count;
  }
}
