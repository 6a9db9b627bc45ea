/**
 * The legacy HTTP+SSE transport (protocol revision 2024-11-05), for older clients: the client
 * opens an SSE stream (GET /sse), is told where to post (an `endpoint` event naming
 * /messages?sessionId=...), and receives every message of the session on that one stream. The
 * MCP SDK no longer ships a server side for it that works on web-standard requests, so this file
 * holds one. The session lives as long as the stream: when it closes, the session ends.
 */
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';

const KEEP_ALIVE_MS = 15_000;

export class LegacySseTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly response: Response;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private readonly keepAlive: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly sessionId: string,
    endpoint: string,
  ) {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        this.write(`event: endpoint\ndata: ${endpoint}\n\n`);
      },
      cancel: () => void this.close(),
    });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
    this.response = new Response(stream, {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' },
    });
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('the SSE stream of this session is closed');
    this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** A message the client posted to /messages. */
  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  private write(text: string): void {
    if (this.closed) return;
    try {
      this.controller.enqueue(this.encoder.encode(text));
    } catch (error) {
      this.onerror?.(error as Error);
      void this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    try {
      this.controller.close();
    } catch {
      // The client already went away.
    }
    this.onclose?.();
  }
}
