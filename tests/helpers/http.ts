/**
 * Raw HTTP against `bastion serve`, for what the SDK client hides: status codes, headers, event
 * ids and resuming a stream by hand.
 */
import { request as httpRequest } from 'node:http';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';

export const PROTOCOL_VERSION = '2025-11-25';

export const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': PROTOCOL_VERSION,
};

export function initializeBody(id: number | string = 1) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bastion-http-test', version: '1.0.0' } },
  };
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** Opens a session by hand (initialize, then initialized) and returns its id. */
export async function openSession(url: string): Promise<string> {
  const response = await post(url, initializeBody());
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}: ${await response.text()}`);
  const sessionId = response.headers.get('mcp-session-id');
  if (!sessionId) throw new Error('initialize answered without Mcp-Session-Id');
  await response.body?.cancel();
  const initialized = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sessionId });
  if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}`);
  return sessionId;
}

/** The SSE events of a response body, one at a time. */
export function sseEvents(response: Response): AsyncIterableIterator<EventSourceMessage> & {
  reader: ReadableStreamDefaultReader<EventSourceMessage>;
  /** The retry hints (ms) seen so far. */
  retries: number[];
} {
  if (!response.body) throw new Error(`no body (status ${response.status})`);
  const retries: number[] = [];
  const parser = new EventSourceParserStream({ onRetry: (ms) => retries.push(ms) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(parser).getReader();
  const iterator = {
    reader,
    retries,
    async next(): Promise<IteratorResult<EventSourceMessage>> {
      const { value, done } = await reader.read();
      return done ? { value: undefined, done: true } : { value, done: false };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** The JSON-RPC messages in SSE events (priming events, with empty data, are skipped). */
export function messageOf(event: EventSourceMessage): Record<string, unknown> | undefined {
  return event.data.trim() === '' ? undefined : (JSON.parse(event.data) as Record<string, unknown>);
}

/** Sends one request and reads the JSON-RPC message of its answer, whether JSON or an SSE stream. */
export async function rpc(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await post(url, body, headers);
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return (await response.json()) as Record<string, unknown>;
  for await (const event of sseEvents(response)) {
    const message = messageOf(event);
    if (message && 'id' in message) {
      await response.body?.cancel().catch(() => undefined);
      return message;
    }
  }
  throw new Error('the stream ended without an answer');
}

/**
 * A request through node:http, which (unlike fetch) may set any Host header and reads an early
 * answer while the body is still being sent.
 */
export function rawRequest(target: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(target, { method: options.method ?? 'POST', headers: { ...MCP_HEADERS, ...options.headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The server may answer and close before the whole body is sent; the answer is what counts.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    request.end(options.body);
  });
}

export const MODERN_VERSION = '2026-07-28';

/**
 * One request as a 2026-07-28 client sends it: the version, method and name in headers, and who
 * the client is and what it can do in `_meta`. Answers the JSON-RPC message of the response.
 */
export function modernRpc(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  options: { id?: number | string; capabilities?: Record<string, unknown> } = {},
): Promise<Record<string, unknown>> {
  const { _meta, ...rest } = params as { _meta?: Record<string, unknown> };
  const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  const body = {
    jsonrpc: '2.0',
    id: options.id ?? 1,
    method,
    params: {
      ...rest,
      _meta: {
        ..._meta,
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientInfo': { name: 'bastion-modern-test', version: '1.0.0' },
        'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? {},
      },
    },
  };
  return rpc(url, body, { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) });
}
