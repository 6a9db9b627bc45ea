/**
 * `bastion run`: serves MCP to one client over stdin/stdout, in front of the configured servers.
 * Logs go to stderr only. The gateway and its servers end when the client closes stdin or when
 * Bastion is asked to stop.
 */
import type { CompiledConfig } from '../config/compile.js';
import { watchConfig } from '../config/watch.js';
import { startAdmin } from '../edges/admin/server.js';
import { StdioEdgeTransport } from '../edges/stdioTransport.js';
import { ClientSession } from '../gateway/clientSession.js';
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
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, 'stopping');
    await watcher.close();
    await admin?.close();
    await gateway.close();
    process.exit(0);
  };
  transport.onclose = () => void stop('client closed stdin');
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await new ClientSession(gateway, log).connect(transport);
  log.info({ config: config.file, servers: config.servers.map((server) => server.name) }, 'serving MCP on stdio');
}
