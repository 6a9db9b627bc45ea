/**
 * Bounds the sessions `bastion serve` keeps, since each may hold processes of its own. At the
 * bound, a new session takes the place of the least recently used idle one (which then answers
 * 404, and its client initializes again, as the protocol expects); when every session has a
 * request in flight, the new one is refused with 503.
 */
import type { Logger } from '../../log/logger.js';

export interface LimitedSession {
  readonly id: string;
  /** When the session last received a request (ms since the epoch). */
  readonly lastSeen: number;
  /** Whether a request of the session awaits its answer. */
  readonly busy: boolean;
  end(reason: string): void;
}

export class SessionLimit {
  private readonly live = new Set<LimitedSession>();

  constructor(
    private readonly max: number,
    private readonly log: Logger,
  ) {}

  /** Makes room for one more session; false when there is none to make. */
  admit(): boolean {
    if (this.live.size < this.max) return true;
    let oldest: LimitedSession | undefined;
    for (const session of this.live) if (!session.busy && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
    if (!oldest) return false;
    this.log.info({ session: oldest.id, max: this.max }, 'session limit reached: the least recently used idle session is ended');
    this.live.delete(oldest);
    oldest.end('the session limit was reached and this session was the least recently used');
    return true;
  }

  add(session: LimitedSession): void {
    this.live.add(session);
  }

  remove(session: LimitedSession): void {
    this.live.delete(session);
  }
}
