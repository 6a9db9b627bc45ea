/**
 * Builds the SDK client transport for one upstream server. For a remote server without a `type`,
 * the caller tries Streamable HTTP first and falls back to legacy SSE, as the SDK's own
 * fallback does; the order lives here.
 */
import { SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import type { RemoteServerSpec, ServerSpec } from '../config/compile.js';
import { createStdioTransport } from '../sandbox/launch.js';
import { headerRecord, upstreamFetch } from './httpFetch.js';

export type TransportKind = 'stdio' | 'streamable-http' | 'sse';

export interface TransportHooks {
  /** The server closed a Streamable HTTP stream before its response (SSE polling); the SDK resumes it. */
  readonly onStreamDropped: () => void;
}

/** The transports to try, in order, each with its kind. */
export function transportAttempts(spec: ServerSpec, hooks: TransportHooks): Array<{ kind: TransportKind; create: () => Transport }> {
  if (spec.transport === 'stdio') return [{ kind: 'stdio', create: () => createStdioTransport(spec) }];
  const http = { kind: 'streamable-http' as const, create: () => streamableHttp(spec, hooks) };
  const sse = { kind: 'sse' as const, create: () => legacySse(spec) };
  if (spec.transport === 'streamable-http') return [http];
  if (spec.transport === 'sse') return [sse];
  return [http, sse];
}

function streamableHttp(spec: RemoteServerSpec, hooks: TransportHooks): Transport {
  return new StreamableHTTPClientTransport(spec.url, {
    requestInit: { headers: { ...spec.headers } },
    fetch: upstreamFetch,
    reconnectionScheduler: (reconnect, delay, attempt) => {
      if (attempt === 0) hooks.onStreamDropped();
      const timer = setTimeout(reconnect, delay);
      return () => clearTimeout(timer);
    },
  });
}

function legacySse(spec: RemoteServerSpec): Transport {
  const headers = { ...spec.headers };
  return new SSEClientTransport(spec.url, {
    requestInit: { headers },
    fetch: upstreamFetch,
    // The event stream is opened with fetch as well, so that configured headers (auth) reach it too.
    eventSourceInit: {
      fetch: (url, init) => upstreamFetch(url, { ...init, headers: { ...headerRecord(init?.headers), ...headers } }),
    },
  });
}
