/**
 * `bastion serve`: serves MCP over HTTP (Streamable HTTP and legacy HTTP+SSE) in front of the
 * configured servers. It prints "listening on http://HOST:PORT" to stderr when ready, and stops
 * gracefully on SIGTERM or SIGINT.
 */
import type { CompiledConfig } from '../config/compile.js';
import { watchConfig } from '../config/watch.js';
import { startAdmin } from '../edges/admin/server.js';
import { startHttpEdge } from '../edges/http/server.js';
import { openAuditWriter } from '../audit/openStore.js';
import { Gateway } from '../gateway/gateway.js';
import { preparePinned } from '../trust/prepare.js';
import type { Logger } from '../log/logger.js';

export interface ServeOverrides {
  readonly host?: string;
  readonly port?: number;
}

export async function runServe(config: CompiledConfig, overrides: ServeOverrides, log: Logger): Promise<void> {
  for (const warning of config.warnings) log.warn({ config: config.file }, warning);
  const settings = { ...config.serve, ...(overrides.host !== undefined ? { host: overrides.host } : {}), ...(overrides.port !== undefined ? { port: overrides.port } : {}) };
  const prepared = await preparePinned(config, log);
  const gateway = new Gateway(prepared, log, await openAuditWriter(config.audit, log));
  const edge = await startHttpEdge(gateway, settings, log);
  const watcher = watchConfig(config.file, { onValid: (next) => gateway.reload(next), onRejected: (problems) => gateway.rejectReload(config.file, problems) }, log);
  const admin = config.admin.enabled ? await startAdmin(gateway, config, log) : undefined;
  const stop = (reason: string) => {
    void Promise.all([watcher.close(), admin?.close(), edge.stop(reason)]).then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  log.info({ config: config.file, url: edge.url, servers: config.servers.map((server) => server.name) }, 'serving MCP over HTTP');
  process.stderr.write(`bastion: listening on ${edge.url}/mcp (legacy SSE at ${edge.url}/sse)\n`);
}
