/**
 * `bastion serve`'s HTTP listener: binds (loopback only until authentication exists), limits
 * header sizes, and shuts down gracefully: on stop it refuses new requests, lets calls in flight
 * finish within serve.shutdownGrace, then ends every session and closes the upstreams.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isIP } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { ServeSettings } from '../../config/compile.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Logger } from '../../log/logger.js';
import { listen } from '../listen.js';
import { createApp } from './app.js';
import { LegacySseSessions } from './legacySseSessions.js';
import { SessionLimit } from './sessionLimit.js';
import { StatelessEndpoint } from './statelessEndpoint.js';
import { StreamableSessions } from './streamableSessions.js';

const DRAIN_POLL_MS = 25;
const LINGER_MS = 1000;

export class UnsafeBindError extends Error {
  override readonly name = 'UnsafeBindError';
}

/** Loopback addresses only: 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

export interface HttpEdge {
  readonly url: string;
  /** Stops accepting, drains calls in flight within the grace period, then closes everything. */
  stop(reason: string): Promise<void>;
}

export async function startHttpEdge(gateway: Gateway, settings: ServeSettings, log: Logger): Promise<HttpEdge> {
  if (!isLoopback(settings.host)) {
    throw new UnsafeBindError(
      `refusing to listen on ${settings.host}: it is not a loopback address, and Bastion has no authentication configured yet. ` +
        'Without authentication, anyone who can reach the port could use every server behind Bastion. ' +
        'Listen on 127.0.0.1 or ::1 (the default), and reach it through an SSH tunnel or an authenticating reverse proxy.',
    );
  }
  const limit = new SessionLimit(settings.maxSessions, log);
  const streamable = new StreamableSessions(gateway, settings, limit, log);
  const sse = new LegacySseSessions(gateway, limit, log);
  const stateless = new StatelessEndpoint(gateway, settings, log);
  let stopping = false;
  const app = createApp({ gateway, settings, streamable, sse, stateless, log, isStopping: () => stopping });
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: { maxHeaderSize: settings.maxHeaderBytes } }) as Server;
  server.on('clientError', (error, socket) => {
    // Oversized headers and malformed HTTP: answer and close, never crash.
    const status = (error as NodeJS.ErrnoException).code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  const address = await listen(server, settings.port, settings.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let stopped: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      log.info({ reason, graceMs: settings.shutdownGraceMs }, 'stopping: no new requests; letting calls in flight finish');
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      const unanswered = () => streamable.sessions.unansweredRequests + sse.sessions.unansweredRequests + stateless.clients.unansweredRequests;
      const deadline = Date.now() + settings.shutdownGraceMs;
      while (unanswered() > 0 && Date.now() < deadline) await sleep(DRAIN_POLL_MS);
      if (unanswered() > 0) log.warn({ unanswered: unanswered(), graceMs: settings.shutdownGraceMs }, 'requests still in flight after the grace period are cancelled');
      await Promise.all([streamable.closeAll(), sse.closeAll(), stateless.close()]);
      await gateway.close();
      // Ended streams let their connections finish; whatever is left after a moment is cut.
      server.closeIdleConnections();
      await Promise.race([closed, sleep(LINGER_MS)]);
      server.closeAllConnections();
    })();
    return stopped;
  };
  return { url, stop };
}
