/**
 * `bastion check`: validates the config and, given JSON lines on stdin, decides each call the
 * way the gateway would, without starting any server:
 *   in:  {"server": "fs", "tool": "write_file", "arguments": {...}}
 *   out: {"decision": "allow|ask|deny", "tier": "...", "rule": "<id>|null", "reasons": [...]}
 * One output line per input line, in order; a malformed line gets {"error": "..."} and checking
 * goes on. Tool definitions come from the last snapshot Bastion saved, else from config and name.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { CompiledConfig } from '../config/compile.js';
import type { ToolDefinition } from '../policy/tiers.js';
import { loadToolSnapshot } from '../upstream/toolSnapshot.js';

interface CheckLine {
  server: string;
  tool: string;
  arguments?: Record<string, unknown>;
}

function parseLine(line: string): CheckLine | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected an object {"server", "tool", "arguments"}';
  const { server, tool, arguments: args } = value as Record<string, unknown>;
  if (typeof server !== 'string' || server === '') return '"server" must be a non-empty string';
  if (typeof tool !== 'string' || tool === '') return '"tool" must be a non-empty string';
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) return '"arguments" must be an object';
  return { server, tool, ...(args ? { arguments: args as Record<string, unknown> } : {}) };
}

export async function runCheck(config: CompiledConfig, principal: string, input: Readable, output: Writable): Promise<void> {
  const snapshots = new Map<string, Promise<Array<Record<string, unknown>> | undefined>>();
  const definitionOf = async (server: string, tool: string): Promise<ToolDefinition | undefined> => {
    const spec = config.servers.find((each) => each.name === server);
    if (!spec) return undefined;
    if (!snapshots.has(server)) snapshots.set(server, loadToolSnapshot(spec.toolSnapshot));
    return (await snapshots.get(server))?.find((each) => each.name === tool) as ToolDefinition | undefined;
  };
  const write = (value: unknown) => output.write(`${JSON.stringify(value)}\n`);
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    const call = parseLine(line);
    if (typeof call === 'string') {
      write({ error: call });
      continue;
    }
    if (!config.servers.some((spec) => spec.name === call.server)) {
      write({ decision: 'deny', tier: 'unknown', rule: null, reasons: [`no enabled server named "${call.server}" in ${config.file}`] });
      continue;
    }
    const decision = await config.policy.decide({ ...call, arguments: call.arguments, principal, definition: await definitionOf(call.server, call.tool) });
    write({ decision: decision.decision, tier: decision.tier, rule: decision.rule, reasons: decision.reasons });
  }
}
