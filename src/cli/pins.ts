/**
 * `bastion pins list | diff | approve | reset`: the tool definitions pinned per server, what
 * differs now, and the person's answer. It works on the files in dataDir/pins, with or without a
 * running Bastion, which rereads them at once.
 */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { CompiledConfig } from '../config/compile.js';
import { definitionDiff, wordDiff } from '../trust/definitionDiff.js';
import { ToolPins, type ServerPins } from '../trust/toolPins.js';
import { UsageError } from './usageError.js';

function store(config: CompiledConfig): ToolPins {
  return new ToolPins(join(config.dataDir, 'pins'));
}

function serversOf(config: CompiledConfig, server: string | undefined): string[] {
  const names = config.servers.map((spec) => spec.name);
  if (server === undefined) return names;
  if (!names.includes(server)) throw new UsageError(`no server named '${server}' in ${config.file}`);
  return [server];
}

function summary(pins: ServerPins | undefined): string {
  if (!pins) return 'not seen yet: its tools are pinned when Bastion first lists them';
  const parts = [`${Object.keys(pins.tools).length} tools pinned`];
  const changed = Object.entries(pins.pending.tools).filter(([, tool]) => tool.kind === 'changed').map(([name]) => name);
  const added = Object.entries(pins.pending.tools).filter(([, tool]) => tool.kind === 'added').map(([name, tool]) => (tool.renamedFrom ? `${name} (renamed from ${tool.renamedFrom})` : name));
  if (changed.length) parts.push(`held, changed: ${changed.join(', ')}`);
  if (added.length) parts.push(`held, added: ${added.join(', ')}`);
  if (pins.pending.removed.length) parts.push(`removed: ${pins.pending.removed.join(', ')}`);
  if (pins.pending.instructions) parts.push('instructions changed');
  return parts.join('; ');
}

export function pinsList(config: CompiledConfig, json: boolean, out: Writable): void {
  const pins = store(config);
  const servers = serversOf(config, undefined);
  if (json) {
    out.write(`${JSON.stringify(Object.fromEntries(servers.map((server) => [server, pins.load(server) ?? null])), null, 2)}\n`);
    return;
  }
  for (const server of servers) out.write(`${server}: ${summary(pins.load(server))}\n`);
}

export function pinsDiff(config: CompiledConfig, server: string | undefined, tool: string | undefined, out: Writable): number {
  const pins = store(config);
  let shown = 0;
  for (const name of serversOf(config, server)) {
    const current = pins.load(name);
    if (!current) continue;
    for (const [toolName, change] of Object.entries(current.pending.tools)) {
      if (tool !== undefined && tool !== toolName) continue;
      shown++;
      const before = change.kind === 'changed' ? current.tools[toolName]?.definition : change.renamedFrom ? current.tools[change.renamedFrom]?.definition : undefined;
      out.write(`${name}/${toolName}: ${change.kind === 'changed' ? 'changed' : `added${change.renamedFrom ? ` (renamed from ${change.renamedFrom})` : ''}`}, seen ${change.seenAt}\n`);
      out.write(`${definitionDiff(`${name}/${toolName}`, before, change.definition)}\n`);
    }
    if (tool === undefined) {
      for (const removed of current.pending.removed) {
        shown++;
        out.write(`${name}/${removed}: removed by the server\n\n`);
      }
      if (current.pending.instructions) {
        shown++;
        out.write(`${name}: instructions changed, seen ${current.pending.instructions.seenAt}\n${wordDiff(current.instructions?.text ?? '', current.pending.instructions.text)}\n\n`);
      }
    }
  }
  if (shown === 0) out.write('nothing differs from the pinned definitions\n');
  return shown;
}

export function pinsApprove(config: CompiledConfig, server: string, tools: readonly string[], out: Writable): void {
  serversOf(config, server);
  const approved = store(config).approve(server, tools.length > 0 ? tools : undefined);
  out.write(approved.length ? `approved for ${server}: ${approved.join(', ')}\n` : `nothing to approve for ${server}\n`);
}

export function pinsReset(config: CompiledConfig, server: string, out: Writable): void {
  serversOf(config, server);
  out.write(store(config).reset(server) ? `forgot the pins of ${server}: its tools are pinned again as they are on next sight\n` : `${server} had no pins\n`);
}
