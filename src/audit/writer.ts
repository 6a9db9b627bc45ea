/**
 * Group commit. Records wait in memory for at most one turn of the event loop; then everything
 * that arrived meanwhile is appended as one transaction, and each caller's promise resolves when
 * its record is committed. A call's response waits for that promise, so a call that was answered
 * is in the store even if Bastion is killed the next instant, while the store sees one write per
 * batch, not one per call.
 *
 * When the store fails, waiting callers are told (so that they can fail closed), the records stay
 * queued in order, and the batch is retried with backoff until it is written.
 */
import type { Logger } from '../log/logger.js';
import type { AuditEvent } from './record.js';
import type { AuditStore } from './store.js';

interface Entry {
  readonly event: AuditEvent;
  settle?: (error?: Error) => void;
}

export interface WriterObserver {
  committed(records: number, seconds: number): void;
  failed(): void;
  dropped(): void;
}

const MAX_BATCH = 512;
/** Records held while the store is failing; beyond this the oldest unwritten records are dropped (and counted). */
const MAX_QUEUED = 100_000;
const RETRY_INITIAL_MS = 250;
const RETRY_MAX_MS = 10_000;

export class AuditWriter {
  private queue: Entry[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private retryMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Why the store last failed; undefined while writes succeed. */
  failure: string | undefined;

  private observer: WriterObserver | undefined;

  constructor(
    readonly store: AuditStore,
    private readonly log: Logger,
  ) {}

  /** Reports commits, failures and drops (the metrics). */
  observe(observer: WriterObserver): void {
    this.observer = observer;
  }

  get healthy(): boolean {
    return this.failure === undefined;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a record; resolves when it is committed, rejects if the store fails before that. */
  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({ event, settle: (error) => (error ? reject(error) : resolve()) });
    });
  }

  /** Queues a record that nobody waits for (lifecycle notices). */
  note(event: AuditEvent): void {
    this.enqueue({ event });
  }

  private enqueue(entry: Entry): void {
    if (this.queue.length >= MAX_QUEUED) {
      const dropped = this.queue.shift();
      dropped?.settle?.(new Error('the audit queue overflowed while the store was failing'));
      this.observer?.dropped();
      this.log.error({ store: this.store.location }, 'audit queue full while the store is failing: the oldest unwritten record was dropped');
    }
    this.queue.push(entry);
    if (this.scheduled || this.flushing || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private flush(): Promise<void> {
    this.scheduled = false;
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0 && !this.retryTimer) void this.flush();
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      const started = performance.now();
      try {
        await this.store.append(batch.map((entry) => entry.event));
      } catch (error) {
        this.onFailure(batch, error as Error);
        return;
      }
      this.queue.splice(0, batch.length);
      if (this.failure) this.log.warn({ store: this.store.location, after: this.failure }, 'audit store writable again; queued records written');
      this.failure = undefined;
      this.retryMs = 0;
      this.observer?.committed(batch.length, (performance.now() - started) / 1000);
      for (const entry of batch) entry.settle?.();
    }
  }

  private onFailure(batch: readonly Entry[], error: Error): void {
    this.failure = error.message;
    this.observer?.failed();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs ? this.retryMs * 2 : RETRY_INITIAL_MS);
    this.log.error({ store: this.store.location, error: error.message, queued: this.queue.length, retryInMs: this.retryMs }, 'audit store write failed; records stay queued and will be retried');
    // The records stay queued; only the waiting callers hear of it now.
    for (const entry of batch) {
      entry.settle?.(new Error(`the audit store failed: ${error.message}`));
      entry.settle = undefined;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Writes what is queued (trying until the deadline), then closes the store. */
  async close(deadlineMs = 5000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.queue.length > 0 && Date.now() < until) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      await this.flush();
      if (this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.queue.length > 0) this.log.error({ store: this.store.location, lost: this.queue.length }, 'Bastion stopped with audit records it could not write');
    await this.store.close();
  }
}
