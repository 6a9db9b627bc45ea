/**
 * `bastion run`: serves MCP to one client over stdin/stdout, in front of the configured servers.
 * The client's first message decides the era (the SDK's serveStdio): `initialize` opens a session
 * (2025-11-25 and earlier); a request with the 2026-07-28 envelope makes the connection stateless,
 * served like a stateless HTTP client (docs/eras.md). Logs go to stderr only. The gateway and its
 * servers end when the client closes stdin or when Bastion is asked to stop.
 */
import type { CompiledConfig } from '../config/compile.js';
import { watchConfig } from '../config/watch.js';
import { startAdmin } from '../edges/admin/server.js';
import { StdioEdgeTransport } from '../edges/stdioTransport.js';
import type { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { ClientSession } from '../gateway/clientSession.js';
import { StatelessClients } from '../gateway/statelessClients.js';
import { ANONYMOUS } from '../pipeline/context.js';
import { openAuditWriter } from '../audit/openStore.js';
import { Gateway } from '../gateway/gateway.js';
import { preparePinned } from '../trust/prepare.js';
import type { Logger } from '../log/logger.js';

export async function runStdio(config: CompiledConfig, log: Logger): Promise<void> {
  for (const warning of config.warnings) log.warn({ config: config.file }, warning);
  const prepared = await preparePinned(config, log);
  const gateway = new Gateway(prepared, log, await openAuditWriter(config.audit, log));
  const watcher = watchConfig(config.file, { onValid: (next) => gateway.reload(next), onRejected: (problems) => gateway.rejectReload(config.file, problems) }, log);
  const admin = config.admin.enabled ? await startAdmin(gateway, config, log) : undefined;
  const transport = new StdioEdgeTransport();
  let statelessServer: Server | undefined;
  const stateless = new StatelessClients(gateway, config.serve.sessionIdleTimeoutMs, log.child({ component: 'stateless' }), (_key, method, params) => {
    // serveStdio moves change notifications of a stateless connection onto its listen streams.
    statelessServer?.notification({ method, ...(params ? { params } : {}) } as never).catch(() => undefined);
  });
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    await watcher.close();
    await admin?.close();
    await stateless.close();
    await gateway.close();
    process.exit(0);
  };
  void transport.ended.then(() => stop('client closed stdin'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  serveStdio(
    ({ era }) => {
      if (era === 'legacy') return new ClientSession(gateway, log).server;
      statelessServer = stateless.server(undefined, ANONYMOUS);
      return statelessServer;
    },
    { transport, onerror: (error) => log.debug({ error: error.message }, 'stdio message refused') },
  );
  log.info({ config: config.file, servers: config.servers.map((server) => server.name) }, 'serving MCP on stdio');
}
