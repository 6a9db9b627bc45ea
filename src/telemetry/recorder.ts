/**
 * Where Bastion's own events go besides the log: the audit log (as notices) and the metrics.
 * Upstream starts, failures and crashes, sessions opened and closed, approvals held and answered,
 * config reloads. Calls are recorded by the pipeline's own stages instead.
 */
import type { NoticeEvent } from '../audit/record.js';
import type { AuditWriter } from '../audit/writer.js';
import type { Metrics } from './metrics.js';

export type UpstreamLifecycle = 'started' | 'failed' | 'disconnected' | 'restarting' | 'closed';

/** What an upstream connection reports about itself. */
export type LifecycleListener = (event: UpstreamLifecycle, detail: Record<string, unknown>) => void;

export class Recorder {
  constructor(
    readonly metrics: Metrics,
    private readonly writer: AuditWriter | undefined,
  ) {}

  notice(notice: NoticeEvent): void {
    this.writer?.note(notice);
  }

  /** A listener for one upstream connection, tagged with its server and session. */
  upstreamListener(server: string, session: string | null): LifecycleListener {
    let ready = false;
    return (event, detail) => {
      if (event === 'started') {
        ready = true;
        this.metrics.upstreamReady.inc({ server });
      } else if (ready && (event === 'disconnected' || event === 'closed')) {
        ready = false;
        this.metrics.upstreamReady.dec({ server });
      }
      // A deliberate close is the session's end, already recorded; it is not an upstream event.
      if (event === 'closed') return;
      this.metrics.upstreamEvents.inc({ server, event });
      this.notice({ kind: 'upstream', time: new Date().toISOString(), event, server, session, principal: null, detail });
    };
  }

  session(event: 'opened' | 'closed', session: string, detail: Record<string, unknown>): void {
    this.notice({ kind: 'session', time: new Date().toISOString(), event, server: null, session, principal: null, detail });
  }

  configReload(applied: boolean, detail: Record<string, unknown>): void {
    this.metrics.configReloads.inc({ result: applied ? 'applied' : 'rejected' });
    this.notice({ kind: 'config', time: new Date().toISOString(), event: applied ? 'reloaded' : 'reload-rejected', server: null, session: null, principal: null, detail });
  }
}
