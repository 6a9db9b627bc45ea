/**
 * The fetch that Bastion's upstream HTTP transports use: the WHATWG fetch interface, served by
 * undici's request API over one keep-alive connection pool. The SDK's transports only need fetch's
 * shape; Node's built-in fetch spends three times the CPU per call on the way (`npm run bench`:
 * about 600 µs against 200 µs per upstream call on the benchmark machine).
 *
 * A JSON answer is read whole before it is handed over; an event stream is handed over as a stream.
 */
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';

const pool = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 10 * 60_000, connect: { noDelay: true } });

/** Statuses whose Response may not have a body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

type Method = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'HEAD' | 'OPTIONS';

export function headerRecord(headers: RequestInit['headers'] | undefined): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...(headers as Record<string, string>) };
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

export async function upstreamFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  if (input instanceof Request) return fetch(input, init);
  const body = init.body;
  if (body !== undefined && body !== null && typeof body !== 'string') return fetch(input, init);
  const answer = await request(input, {
    method: (init.method ?? 'GET').toUpperCase() as Method,
    headers: headerRecord(init.headers),
    ...(body !== undefined && body !== null ? { body } : {}),
    ...(init.signal ? { signal: init.signal } : {}),
    dispatcher: pool,
  });
  const headers = responseHeaders(answer.headers);
  const status = answer.statusCode;
  if (NULL_BODY.has(status) || init.method === 'HEAD') {
    await answer.body.dump();
    return new Response(null, { status, headers });
  }
  const streaming = (headers.get('content-type') ?? '').includes('text/event-stream');
  const payload = streaming ? (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>) : await answer.body.arrayBuffer();
  return new Response(payload, { status, headers });
}
