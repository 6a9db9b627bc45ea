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
import { Redactor } from '../audit/redact.js';
import { AuditStoreError } from '../audit/store.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { BASTION_VERSION } from '../version.js';
import { UnsafeBindError } from '../edges/http/server.js';
import { runStdio } from './run.js';
import { AdminClientError, adminTarget, answerApproval, listApprovals, printApprovals, watchApprovals } from './approvals.js';
import { auditExport, auditQuery, auditTail, auditVerify } from './audit.js';
import { runCheck } from './check.js';
import { UsageError } from './usageError.js';
import { runLock, runSign, runVerify } from './lock.js';
import { pinsApprove, pinsDiff, pinsList, pinsReset } from './pins.js';
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
    const config = loadConfig(options.config);
    await runStdio(config, createLogger(options.logLevel, new Redactor(config.audit.redact)));
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
    const config = loadConfig(options.config);
    await runServe(config, { host: options.host, port: options.port }, createLogger(options.logLevel, new Redactor(config.audit.redact)));
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

const audit = program
  .command('audit')
  .description('Read the audit log: every request, decision and approval, hash-chained')
  .hook('preAction', () => {
    // A reader that stops early (`bastion audit export | head`) closes the pipe; that is not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  });
const configOption = ['-c, --config <file>', 'config file, for the audit store (audit.store, audit.path, dataDir)', process.env.BASTION_CONFIG] as const;
const filterOptions = (command: Command) =>
  command
    .option('--since <when>', 'only records since a duration ago (1h, 30m) or a time (2026-11-24T08:00:00Z)')
    .option('--server <name>', 'only this server')
    .option('--tool <name>', "only this tool (the server's own name), prompt or resource URI")
    .option('--decision <decision>', 'only allow or deny')
    .option('--kind <kind>', 'only call, approval, session, config or upstream records');

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

filterOptions(audit.command('tail').description('Print the last records; with -f, keep printing new ones as they are written'))
  .requiredOption(...configOption)
  .option('-n, --lines <count>', 'how many of the last records', parseCount, 20)
  .option('-f, --follow', 'keep printing new records until interrupted')
  .option('--json', 'print each record as a JSON line')
  .action(async (options: { config: string; lines: number; follow?: boolean; json?: boolean }) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await auditTail(loadConfig(options.config), options, process.stdout, stop.signal);
  });

filterOptions(audit.command('query').description('Print the records that match the filters, oldest first'))
  .requiredOption(...configOption)
  .option('--limit <count>', 'only the last N matching records', parseCount)
  .option('--json', 'print each record as a JSON line')
  .action(async (options: { config: string; json?: boolean; limit?: number }) => {
    await auditQuery(loadConfig(options.config), options, process.stdout);
  });

audit
  .command('verify')
  .description('Check the hash chain: exit 0 with "N records, chain intact", or 1 naming the first broken record')
  .requiredOption(...configOption)
  .action(async (options: { config: string }) => {
    if (!(await auditVerify(loadConfig(options.config), process.stdout))) process.exitCode = 1;
  });

filterOptions(audit.command('export').description('Write records as JSON lines or CSV, oldest first'))
  .requiredOption(...configOption)
  .option('--format <format>', 'jsonl or csv', 'jsonl')
  .option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout')
  .action(async (options: { config: string; format: string; output?: string }) => {
    const count = await auditExport(loadConfig(options.config), options, process.stdout);
    if (options.output) process.stderr.write(`exported ${count} records to ${options.output}\n`);
  });

program
  .command('lock')
  .description('Pin each server launched by npx (or npm exec, pnpm dlx, yarn dlx, bunx) to an exact version and integrity in bastion.lock, and install it')
  .requiredOption('-c, --config <file>', 'config file; bastion.lock is written next to it', process.env.BASTION_CONFIG)
  .option('--update <server>', "show what changed in the server's package since it was locked, and lock the new one")
  .action(async (options: { config: string; update?: string }) => runLock(loadConfig(options.config), options.update, process.stderr));

program
  .command('sign <server>')
  .description("Sign the package locked for SERVER (name, version and integrity) with an Ed25519 private key, in bastion.lock")
  .requiredOption('-c, --config <file>', 'config file; bastion.lock is next to it', process.env.BASTION_CONFIG)
  .requiredOption('--key <file>', 'Ed25519 private key, PEM (openssl genpkey -algorithm ed25519 -out key.pem)')
  .action((server: string, options: { config: string; key: string }) => runSign(loadConfig(options.config), server, options.key, process.stderr));

program
  .command('verify')
  .description('Check that every package in bastion.lock is signed by a key of trust.keys; exit 1 when one is not')
  .requiredOption('-c, --config <file>', 'config file; bastion.lock is next to it', process.env.BASTION_CONFIG)
  .action((options: { config: string }) => {
    if (!runVerify(loadConfig(options.config), process.stdout)) process.exitCode = 1;
  });

const pins = program.command('pins').description('Tool definitions pinned per server, and the changes held out until a person approves them');
const pinsConfig = ['-c, --config <file>', 'config file, for dataDir and the servers', process.env.BASTION_CONFIG] as const;
pins
  .command('list')
  .description('For each server: how many tools are pinned, and which are held (changed, added), removed, or whose instructions changed')
  .requiredOption(...pinsConfig)
  .option('--json', 'print the pins as JSON')
  .action((options: { config: string; json?: boolean }) => pinsList(loadConfig(options.config), options.json === true, process.stdout));
pins
  .command('diff [server] [tool]')
  .description('Show exactly what changed: a unified diff of each held definition, and the changed words of its description')
  .requiredOption(...pinsConfig)
  .action((server: string | undefined, tool: string | undefined, options: { config: string }) => void pinsDiff(loadConfig(options.config), server, tool, process.stdout));
pins
  .command('approve <server> [tools...]')
  .description('Pin the current definitions of the named tools (or every change of the server, removals and instructions too)')
  .requiredOption(...pinsConfig)
  .action((server: string, tools: string[], options: { config: string }) => pinsApprove(loadConfig(options.config), server, tools, process.stderr));
pins
  .command('reset <server>')
  .description("Forget a server's pins: its tools are pinned again as they are when next listed")
  .requiredOption(...pinsConfig)
  .action((server: string, options: { config: string }) => pinsReset(loadConfig(options.config), server, process.stderr));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof UnsafeBindError || error instanceof UsageError) fail(error.message);
  if (error instanceof AdminClientError || error instanceof AuditStoreError) {
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
