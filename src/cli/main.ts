#!/usr/bin/env -S node --min-semi-space-size=16
/**
 * Bastion's command line. It parses arguments, loads the config and hands over to a command; it
 * decides nothing itself. Exit status 2 means bad usage or a bad config file.
 *
 * The shebang gives the process a 16 MiB young generation: every call leaves short-lived garbage
 * (parse trees, contexts), and fewer scavenges keep the slowest decisions close to the typical
 * ones (`npm run bench:shell`).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { BASTION_VERSION } from '../version.js';
import { UnsafeBindError } from '../edges/http/server.js';
import { runStdio } from './run.js';
import { AdminClientError, adminTarget, answerApproval, listApprovals, printApprovals, watchApprovals } from './approvals.js';
import { runCheck } from './check.js';
import { runServe } from './serve.js';
import { listTools, printTools } from './tools.js';

const EXIT_USAGE = 2;

function fail(message: string): never {
  process.stderr.write(`bastion: ${message}\n`);
  process.exit(EXIT_USAGE);
}

const program = new Command()
  .name('bastion')
  .description('A security gateway for the Model Context Protocol')
  .version(BASTION_VERSION)
  .exitOverride()
  .configureOutput({ writeOut: (text) => process.stderr.write(text), writeErr: (text) => process.stderr.write(text) });

program
  .command('run')
  .description('Serve MCP on stdin/stdout in front of the servers in the config file')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON; the mcpServers shape of claude_desktop_config.json)', process.env.BASTION_CONFIG)
  .option('--log-level <level>', 'log level on stderr: trace, debug, info, warn, error', process.env.BASTION_LOG_LEVEL ?? 'info')
  .action(async (options: { config: string; logLevel: string }) => {
    const log = createLogger(options.logLevel);
    await runStdio(loadConfig(options.config), log);
  });

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a TCP port, 0 to 65535');
  return port;
}

program
  .command('serve')
  .description('Serve MCP over HTTP (Streamable HTTP at /mcp, legacy SSE at /sse) in front of the servers in the config file')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)', process.env.BASTION_CONFIG)
  .option('--host <address>', 'address to listen on (default: serve.host, else 127.0.0.1); only loopback until authentication is configured')
  .option('--port <port>', 'TCP port (default: serve.port, else 7331; 0 picks a free port)', parsePort)
  .option('--log-level <level>', 'log level on stderr: trace, debug, info, warn, error', process.env.BASTION_LOG_LEVEL ?? 'info')
  .action(async (options: { config: string; host?: string; port?: number; logLevel: string }) => {
    const log = createLogger(options.logLevel);
    await runServe(loadConfig(options.config), { host: options.host, port: options.port }, log);
  });

program
  .command('check')
  .description(
    'Validate a config file; with JSON lines {"server","tool","arguments"} on stdin, print the decision for each, one JSON line per input line',
  )
  .requiredOption('-c, --config <file>', 'config file', process.env.BASTION_CONFIG)
  .option('--principal <name>', 'decide as this principal', 'anonymous')
  .action(async (options: { config: string; principal: string }) => {
    const config = loadConfig(options.config);
    for (const warning of config.warnings) process.stderr.write(`warning: ${warning}\n`);
    for (const server of config.servers) process.stderr.write(`${server.name}: ${server.transport}, timeout ${server.timeoutMs} ms\n`);
    process.stderr.write(`config ok: ${config.file}\n`);
    if (!process.stdin.isTTY) await runCheck(config, options.principal, process.stdin, process.stdout);
  });

program
  .command('approvals')
  .description('List the calls waiting for approval (through the admin API); --watch answers them as they arrive')
  .option('-c, --config <file>', 'config file, for admin.port and dataDir (default: $BASTION_CONFIG, else port 7332 and $BASTION_DATA_DIR)', process.env.BASTION_CONFIG)
  .option('--url <url>', 'admin API URL (default http://127.0.0.1:<admin.port>)')
  .option('--watch', 'show each pending call as it arrives and take y/s/n')
  .option('--json', 'print JSON')
  .action(async (options: { config?: string; url?: string; watch?: boolean; json?: boolean }) => {
    const target = adminTarget(options.config ? loadConfig(options.config) : undefined, options.url);
    if (options.watch) return watchApprovals(target, process.stdin, process.stdout);
    printApprovals(await listApprovals(target), options.json === true, process.stdout);
  });

for (const [name, decision] of [
  ['approve', 'approve'],
  ['deny', 'deny'],
] as const) {
  program
    .command(`${name} <id>`)
    .description(decision === 'approve' ? 'Approve a held call (once, or --session for identical calls of its session)' : 'Deny a held call')
    .option('-c, --config <file>', 'config file, for admin.port and dataDir (default: $BASTION_CONFIG, else port 7332 and $BASTION_DATA_DIR)', process.env.BASTION_CONFIG)
    .option('--url <url>', 'admin API URL (default http://127.0.0.1:<admin.port>)')
    .option('--session', 'approve identical calls of the same session too (never for execute tools)')
    .option('--pattern <pattern>', 'for a shell command: approve commands matching this pattern in the session too, e.g. "git diff *"')
    .option('--for <duration>', 'how long a --session or --pattern grant lasts, e.g. 1h')
    .action(async (id: string, options: { config?: string; url?: string; session?: boolean; pattern?: string; for?: string }) => {
      const scope = options.session || options.pattern ? 'session' : 'once';
      await answerApproval(adminTarget(options.config ? loadConfig(options.config) : undefined, options.url), id, decision, scope, {
        ...(options.pattern ? { pattern: options.pattern } : {}),
        ...(options.for ? { ttl: options.for } : {}),
      });
      process.stderr.write(`${decision === 'approve' ? 'approved' : 'denied'} ${id}\n`);
    });
}

program
  .command('tools')
  .description('Start the configured servers and list every tool with its tier, decision and reason')
  .requiredOption('-c, --config <file>', 'config file', process.env.BASTION_CONFIG)
  .option('--json', 'print JSON instead of a table')
  .option('--log-level <level>', 'log level on stderr', process.env.BASTION_LOG_LEVEL ?? 'warn')
  .action(async (options: { config: string; json?: boolean; logLevel: string }) => {
    const rows = await listTools(loadConfig(options.config), createLogger(options.logLevel));
    printTools(rows, options.json === true, process.stdout);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof UnsafeBindError) fail(error.message);
  if (error instanceof AdminClientError) {
    process.stderr.write(`bastion: ${error.message}\n`);
    process.exit(1);
  }
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') fail(`cannot listen: ${(error as Error).message}`);
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) process.exit(0);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(`bastion: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
