/**
 * The listen stream of one 2026-07-28 upstream (subscriptions/listen): the list changes the server
 * can announce, and the resources clients subscribed to. The filter is fixed when the stream
 * opens, so a change of subscriptions replaces the stream; openings are queued so that two never
 * race. A stream the server closes is opened again, a few times in a row at most. Its
 * notifications arrive on the connection like a session server's.
 */
import type { Client, McpSubscription } from '@modelcontextprotocol/client';
import type { Logger } from '../log/logger.js';

const REOPEN_DELAY_MS = 1000;
const REOPEN_ATTEMPTS = 5;

export class ListenStream {
  /** Resources clients subscribed to. */
  private readonly resources = new Set<string>();
  private stream: McpSubscription | undefined;
  private client: Client | undefined;
  private queue: Promise<void> = Promise.resolve();
  private reopened = 0;

  constructor(private readonly log: Logger) {}

  /** Opens the stream on a (re)connected 2026-07-28 client. */
  attach(client: Client): Promise<void> {
    this.client = client;
    this.stream = undefined;
    this.reopened = 0;
    return this.open();
  }

  /** The connection is gone: its stream with it. */
  detach(): void {
    this.client = undefined;
    this.stream = undefined;
  }

  subscribe(uri: string): Promise<void> {
    this.resources.add(uri);
    return this.open();
  }

  unsubscribe(uri: string): Promise<void> {
    this.resources.delete(uri);
    return this.open();
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.detach();
    await stream?.close().catch(() => undefined);
  }

  private open(): Promise<void> {
    this.queue = this.queue.then(async () => {
      const client = this.client;
      if (!client || client.getProtocolEra() !== 'modern') return;
      const capabilities = client.getServerCapabilities();
      const previous = this.stream;
      const stream = await client
        .listen({
          toolsListChanged: Boolean(capabilities?.tools?.listChanged),
          promptsListChanged: Boolean(capabilities?.prompts?.listChanged),
          resourcesListChanged: Boolean(capabilities?.resources?.listChanged),
          ...(capabilities?.resources?.subscribe ? { resourceSubscriptions: [...this.resources] } : {}),
        })
        .catch((error: Error) => {
          this.log.warn({ error: error.message }, 'could not open the listen stream; change notifications are off');
          return undefined;
        });
      this.stream = stream;
      await previous?.close().catch(() => undefined);
      void stream?.closed.then((reason) => {
        if (reason !== 'remote' || this.stream !== stream || this.client !== client || this.reopened >= REOPEN_ATTEMPTS) return;
        this.reopened++;
        setTimeout(() => void this.open(), REOPEN_DELAY_MS).unref();
      });
    });
    return this.queue;
  }
}
