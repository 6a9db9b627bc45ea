/**
 * `bastion tools`: starts the configured servers, lists every tool with its tier, the decision the
 * policy gives it before arguments are known, and why; as a table, or as JSON with --json.
 */
import type { Writable } from 'node:stream';
import type { CompiledConfig, ServerSpec } from '../config/compile.js';
import { BastionError } from '../errors/bastionError.js';
import { Gateway } from '../gateway/gateway.js';
import { preparePinned } from '../trust/prepare.js';
import type { Logger } from '../log/logger.js';
import type { ToolDefinition } from '../policy/tiers.js';

export interface ToolRow {
  server: string;
  /** How the server runs: "sandboxed" or "UNSANDBOXED" for a local server, "remote" for one reached over HTTP. */
  sandbox: string;
  tool: string;
  tier: string;
  destructive: boolean;
  decision: string;
  reason: string;
  error?: string;
}

export async function listTools(config: CompiledConfig, log: Logger): Promise<ToolRow[]> {
  const gateway = new Gateway(await preparePinned(config, log), log);
  const scope = gateway.openScope(
    {
      id: 'bastion-tools',
      notify: () => undefined,
      canElicit: () => false,
      requestFromServer: async (server, request) => {
        throw new BastionError('BASTION_NO_CLIENT', `bastion tools has no client to answer ${request.method} from '${server}'`);
      },
    },
    {},
  );
  const rows: ToolRow[] = [];
  try {
    for (const spec of config.servers) {
      const upstream = scope.upstream(spec.name);
      await upstream?.settled();
      if (!upstream || upstream.state !== 'ready') {
        rows.push({ server: spec.name, sandbox: sandboxOf(spec), tool: '', tier: '', destructive: false, decision: '', reason: '', error: `not connected: ${upstream?.lastError ?? 'unknown'}` });
        continue;
      }
      for (const tool of (await upstream.list('tools')) as ToolDefinition[]) {
        const verdict = config.policy.toolVerdict(spec.name, tool.name, tool);
        const classification = config.policy.classify(spec.name, tool.name, tool);
        rows.push({
          server: spec.name,
          sandbox: sandboxOf(spec),
          tool: tool.name,
          tier: verdict.tier,
          destructive: verdict.destructive,
          decision: verdict.decision,
          reason: `${verdict.reason}${verdict.dependsOnArguments ? ' (rules on arguments may change it)' : ''}; tier: ${classification.reasons.join('; ')}`,
        });
      }
    }
  } finally {
    await gateway.close();
  }
  return rows;
}

function sandboxOf(spec: ServerSpec): string {
  if (spec.transport !== 'stdio') return 'remote';
  return spec.sandbox ? 'sandboxed' : 'UNSANDBOXED';
}

export function printTools(rows: readonly ToolRow[], json: boolean, output: Writable): void {
  if (json) {
    output.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const header = ['SERVER', 'TOOL', 'TIER', 'DECISION', 'REASON'];
  const table = rows.map((row) =>
    row.error ? [row.server, '-', '-', '-', row.error] : [row.server, row.tool, `${row.tier}${row.destructive ? '!' : ''}`, row.decision, row.reason],
  );
  const widths = header.slice(0, 4).map((title, column) => Math.max(title.length, ...table.map((cells) => (cells[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  ');
  output.write(`${[line(header), ...table.map(line)].join('\n')}\n`);
  output.write('(! marks destructive tools: they delete or overwrite)\n');
  for (const server of new Set(rows.filter((row) => row.sandbox === 'UNSANDBOXED').map((row) => row.server))) {
    output.write(`${server}: UNSANDBOXED (sandbox: false): it runs with your full rights over files, network and credentials\n`);
  }
}
