/**
 * The admin API, on its own loopback port behind a bearer token:
 *   GET  /admin/approvals        pending approvals
 *   POST /admin/approvals/{id}   {"decision": "approve" | "deny", "scope": "once" | "session",
 *                                 "pattern"?: "git diff *", "ttl"?: "1h"}
 *   GET  /metrics                Prometheus metrics (unless telemetry.metrics is false)
 * It only translates: the approval manager decides what an answer means. When its port is taken
 * (another Bastion on this machine), Bastion runs without it and says so; approvals then go
 * through the other channels, or are denied.
 */
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import ms from 'ms';
import { z } from 'zod';
import type { ApprovalManager } from '../../approval/manager.js';
import type { CompiledConfig } from '../../config/compile.js';
import type { Logger } from '../../log/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { listen } from '../listen.js';
import { sameToken, ensureToken } from './token.js';

const AnswerSchema = z
  .strictObject({
    decision: z.enum(['approve', 'deny']),
    scope: z.enum(['once', 'session']).optional(),
    pattern: z.string().min(1).optional(),
    ttl: z
      .string()
      .optional()
      .refine((value) => value === undefined || (typeof ms(value as ms.StringValue) === 'number' && ms(value as ms.StringValue) > 0), 'expected a duration such as "1h"'),
  })
  .refine((answer) => answer.pattern === undefined || (answer.decision === 'approve' && answer.scope === 'session'), 'a pattern is granted with decision approve and scope session');

export interface AdminEdge {
  readonly url: string;
  close(): Promise<void>;
}

/** What the admin API serves. */
export interface AdminServices {
  readonly approvals: ApprovalManager;
  readonly metrics?: Metrics;
}

export function createAdminApp({ approvals, metrics }: AdminServices, token: string): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!sameToken(presented, token)) return c.json({ error: 'unauthorized: send Authorization: Bearer <token from dataDir/admin-token>' }, 401);
    await next();
  });
  app.get('/admin/approvals', (c) => c.json({ approvals: approvals.list() }));
  app.post('/admin/approvals/:id', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the body must be JSON: {"decision": "approve" | "deny", "scope": "once" | "session"}' }, 400);
    }
    const parsed = AnswerSchema.safeParse(body);
    if (!parsed.success) return c.json({ error: `invalid answer: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}` }, 400);
    const id = c.req.param('id');
    const { decision, scope = 'once', pattern, ttl } = parsed.data;
    const answer = { decision, scope, ...(pattern ? { pattern } : {}), ...(ttl ? { ttlMs: ms(ttl as ms.StringValue) } : {}) };
    if (!approvals.answer(id, answer)) {
      return c.json({ error: `no pending approval ${id}: it was answered, withdrawn or timed out` }, 404);
    }
    return c.json({ id, decision, scope, ...(pattern ? { pattern } : {}), ...(ttl ? { ttl } : {}) });
  });
  if (metrics) {
    app.get('/metrics', async (c) => {
      const { body, contentType } = await metrics.scrape();
      return c.body(body, 200, { 'content-type': contentType });
    });
  }
  app.notFound((c) => c.json({ error: `not found: ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

export async function startAdmin(
  services: { readonly approvals: ApprovalManager; readonly metrics: Metrics },
  config: Pick<CompiledConfig, 'admin' | 'dataDir' | 'telemetry'>,
  log: Logger,
): Promise<AdminEdge | undefined> {
  const { approvals } = services;
  const { dataDir, admin: settings } = config;
  let token: string;
  try {
    token = ensureToken(dataDir);
  } catch (error) {
    log.warn({ dataDir, error: (error as Error).message }, 'the admin token cannot be stored; the admin API is off, and approvals go through the other channels or are denied');
    return undefined;
  }
  const server = createAdaptorServer({ fetch: createAdminApp({ approvals, ...(config.telemetry.metrics ? { metrics: services.metrics } : {}) }, token).fetch }) as Server;
  let port: number;
  try {
    ({ port } = await listen(server, settings.port, '127.0.0.1'));
  } catch (error) {
    log.warn({ port: settings.port, error: (error as Error).message }, 'the admin API could not listen; approvals cannot be answered through it');
    return undefined;
  }
  const url = `http://127.0.0.1:${port}`;
  approvals.endpointListening = true;
  // Not "listening on": that line announces the MCP endpoint, and scripts look for it.
  process.stderr.write(`bastion: admin API at ${url} (token in ${dataDir}/admin-token)\n`);
  return {
    url,
    close: async () => {
      approvals.endpointListening = false;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
