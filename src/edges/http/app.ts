/**
 * The HTTP routes of `bastion serve`, as a Hono app. Every request first passes the endpoint
 * guards (shutting down, Host, Origin); then:
 *   /mcp                  Streamable HTTP, every server aggregated: session clients (2025-11-25
 *                         and earlier) and stateless ones (2026-07-28), told apart per request
 *   /servers/<name>/mcp   Streamable HTTP, that server alone, names unprefixed
 *   GET /sse, POST /messages   the legacy HTTP+SSE transport, every server aggregated
 * The edge only translates: sessions feed the gateway, which decides.
 */
import { Hono, type Context } from 'hono';
import { isLegacyRequest, validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import type { ServeSettings } from '../../config/compile.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Logger } from '../../log/logger.js';
import { ANONYMOUS } from '../../pipeline/context.js';
import { httpError } from './httpError.js';
import { readJsonBody } from './jsonBody.js';
import type { LegacySseSessions } from './legacySseSessions.js';
import type { StatelessEndpoint } from './statelessEndpoint.js';
import type { StreamableSessions } from './streamableSessions.js';

export interface AppParts {
  readonly gateway: Gateway;
  readonly settings: ServeSettings;
  readonly streamable: StreamableSessions;
  readonly sse: LegacySseSessions;
  readonly stateless: StatelessEndpoint;
  readonly log: Logger;
  readonly isStopping: () => boolean;
}

export function createApp({ gateway, settings, streamable, sse, stateless, log, isStopping }: AppParts): Hono {
  const app = new Hono();
  const allowedHosts = [...settings.allowedHosts];
  const allowedOrigins = [...settings.allowedOrigins];

  app.use('*', async (c, next) => {
    if (isStopping()) return httpError('BASTION_SHUTTING_DOWN', 'Service unavailable: Bastion is shutting down', { headers: { connection: 'close' } });
    const host = validateHostHeader(c.req.header('host'), allowedHosts);
    if (!host.ok) {
      log.warn({ host: c.req.header('host'), path: c.req.path }, 'request refused: Host not allowed');
      return httpError('BASTION_HOST_FORBIDDEN', `Forbidden: ${host.message}. Allowed hosts are set by serve.allowedHosts`);
    }
    const origin = validateOriginHeader(c.req.header('origin'), allowedOrigins);
    if (!origin.ok) {
      log.warn({ origin: c.req.header('origin'), path: c.req.path }, 'request refused: Origin not allowed');
      return httpError('BASTION_ORIGIN_FORBIDDEN', `Forbidden: ${origin.message}. Allowed origins are set by serve.allowedOrigins`);
    }
    await next();
  });

  const mcp = async (c: Context, server: string | undefined) => {
    if (!['GET', 'POST', 'DELETE'].includes(c.req.method)) {
      return httpError('BASTION_METHOD_NOT_ALLOWED', `Method not allowed: ${c.req.method}. An MCP endpoint takes POST, GET and DELETE`, {
        headers: { allow: 'GET, POST, DELETE' },
      });
    }
    let body: unknown;
    if (c.req.method === 'POST') {
      const parsed = await readJsonBody(c.req.raw, settings.maxBodyBytes);
      if (!parsed.ok) return parsed.response;
      body = parsed.value;
      // The revision decides the era of each request: one carrying the 2026-07-28 envelope is
      // stateless. A request in a session is not (and is not classified, which costs ~15 µs).
      const inSession = c.req.header('mcp-session-id') !== undefined;
      if (!inSession && !Array.isArray(body) && !(await isLegacyRequest(c.req.raw, body))) return stateless.handle(c.req.raw, body, server, ANONYMOUS);
    }
    return streamable.handle(c.req.raw, body, server, ANONYMOUS);
  };

  app.all('/mcp', (c) => mcp(c, undefined));
  app.all('/servers/:name/mcp', (c) => {
    const name = c.req.param('name');
    if (!gateway.hasServer(name)) return httpError('BASTION_NOT_FOUND', `Not found: no enabled server named '${name}' in the config`);
    return mcp(c, name);
  });

  app.get('/sse', () => sse.open(ANONYMOUS));
  app.post('/messages', async (c) => {
    const parsed = await readJsonBody(c.req.raw, settings.maxBodyBytes);
    if (!parsed.ok) return parsed.response;
    return sse.post(c.req.query('sessionId'), parsed.value, ANONYMOUS);
  });

  app.notFound((c) => httpError('BASTION_NOT_FOUND', `Not found: ${c.req.method} ${c.req.path}. MCP is served at /mcp, /servers/<name>/mcp and /sse`));
  app.onError((error, c) => {
    log.error({ err: error, method: c.req.method, path: c.req.path }, 'HTTP request failed inside Bastion');
    return httpError('BASTION_INTERNAL', 'Internal error in Bastion; the request was not completed', { status: 500 });
  });
  return app;
}
