/**
 * Tool-definition pins: what a server's tools said when they were first seen (or last approved),
 * so that a definition that changes behind the user's back (a "rug pull": the model reads tool
 * descriptions as instructions) is held out until a person approves it. Per server, a file in
 * dataDir/pins holds the pinned definitions with their RFC 8785 hash, and what differs now:
 * changed, added (with what it may have been renamed from) and removed tools, and changed
 * instructions. `bastion pins` reads and approves them; a running Bastion rereads the file when
 * it changes, so an approval applies at once.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { writeFileAtomicSync } from '../atomicFile.js';

/** The parts of a tool that the model reads or relies on. */
const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

export type ToolDefinitionLike = Record<string, unknown> & { name: string };

export interface PinnedTool {
  readonly hash: string;
  readonly definition: Record<string, unknown>;
  readonly pinnedAt: string;
}

export interface PendingTool {
  readonly kind: 'changed' | 'added';
  readonly hash: string;
  readonly definition: Record<string, unknown>;
  readonly seenAt: string;
  /** A removed tool whose definition, name aside, is this one's. */
  readonly renamedFrom?: string;
}

export interface ServerPins {
  readonly server: string;
  tools: Record<string, PinnedTool>;
  instructions: { hash: string; text: string } | null;
  pending: { tools: Record<string, PendingTool>; removed: string[]; instructions: { hash: string; text: string; seenAt: string } | null };
}

const definitionHashes = new WeakMap<object, string>();

function pinnedPart(tool: Record<string, unknown>, withName = true): Record<string, unknown> {
  const part: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if ((withName || field !== 'name') && tool[field] !== undefined) part[field] = tool[field];
  return part;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The RFC 8785 hash of a tool's pinned fields; cached per definition object, since calls check it. */
export function definitionHash(tool: Record<string, unknown>): string {
  let hash = definitionHashes.get(tool);
  if (!hash) {
    hash = sha256(canonicalize(pinnedPart(tool)) as string);
    definitionHashes.set(tool, hash);
  }
  return hash;
}

const unnamedHash = (tool: Record<string, unknown>) => sha256(canonicalize(pinnedPart(tool, false)) as string);

export class ToolPins {
  private readonly cache = new Map<string, { mtimeMs: number; pins: ServerPins | undefined }>();

  constructor(readonly dir: string) {}

  private file(server: string): string {
    return join(this.dir, `${server}.json`);
  }

  /** The server's pins as the file holds them now (reread when the file changed). */
  load(server: string): ServerPins | undefined {
    let mtimeMs = -1;
    try {
      mtimeMs = statSync(this.file(server)).mtimeMs;
    } catch {
      // no pins yet
    }
    const cached = this.cache.get(server);
    if (cached && cached.mtimeMs === mtimeMs) return cached.pins;
    const pins = mtimeMs < 0 ? undefined : (JSON.parse(readFileSync(this.file(server), 'utf8')) as ServerPins);
    this.cache.set(server, { mtimeMs, pins });
    return pins;
  }

  private save(pins: ServerPins): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.file(pins.server), `${JSON.stringify(pins, null, 2)}\n`);
    this.cache.delete(pins.server);
  }

  /** Whether a tool is held out: its definition is not the pinned one. A server never seen holds nothing. */
  isHeld(server: string, tool: Record<string, unknown> & { name: string }): boolean {
    const pins = this.load(server);
    if (!pins) return false;
    return pins.tools[tool.name]?.hash !== definitionHash(tool);
  }

  /**
   * Compares a server's full tool list (and instructions) with its pins: pins everything on first
   * sight, and records what differs otherwise. Returns the names of the tools held out.
   */
  observe(server: string, tools: readonly ToolDefinitionLike[], instructions: string | undefined): Set<string> {
    const now = new Date().toISOString();
    const pins = this.load(server);
    const instructionsPin = instructions === undefined ? null : { hash: sha256(instructions), text: instructions };
    if (!pins) {
      this.save({
        server,
        tools: Object.fromEntries(tools.map((tool) => [tool.name, { hash: definitionHash(tool), definition: pinnedPart(tool), pinnedAt: now }])),
        instructions: instructionsPin,
        pending: { tools: {}, removed: [], instructions: null },
      });
      return new Set();
    }
    const held = new Set<string>();
    const pending: ServerPins['pending'] = { tools: {}, removed: [], instructions: null };
    const current = new Set(tools.map((tool) => tool.name));
    const removed = Object.keys(pins.tools).filter((name) => !current.has(name));
    for (const tool of tools) {
      const hash = definitionHash(tool);
      const pinned = pins.tools[tool.name];
      if (pinned?.hash === hash) continue;
      held.add(tool.name);
      const earlier = pins.pending.tools[tool.name];
      const renamedFrom = pinned ? undefined : removed.find((name) => unnamedHash(pins.tools[name]!.definition) === unnamedHash(tool));
      pending.tools[tool.name] =
        earlier?.hash === hash ? earlier : { kind: pinned ? 'changed' : 'added', hash, definition: pinnedPart(tool), seenAt: now, ...(renamedFrom ? { renamedFrom } : {}) };
    }
    pending.removed = removed;
    if (instructionsPin && instructionsPin.hash !== pins.instructions?.hash) {
      pending.instructions = pins.pending.instructions?.hash === instructionsPin.hash ? pins.pending.instructions : { ...instructionsPin, seenAt: now };
    }
    if (canonicalize(pending) !== canonicalize(pins.pending)) this.save({ ...pins, pending });
    return held;
  }

  /** Approves what differs: the named tools' changes (or every change, removals and instructions too). Returns what was approved. */
  approve(server: string, names?: readonly string[]): string[] {
    const pins = this.load(server);
    if (!pins) return [];
    const now = new Date().toISOString();
    const approved: string[] = [];
    for (const [name, change] of Object.entries(pins.pending.tools)) {
      if (names && !names.includes(name)) continue;
      pins.tools[name] = { hash: change.hash, definition: change.definition, pinnedAt: now };
      delete pins.pending.tools[name];
      approved.push(name);
    }
    for (const name of [...pins.pending.removed]) {
      if (names && !names.includes(name)) continue;
      delete pins.tools[name];
      pins.pending.removed = pins.pending.removed.filter((removed) => removed !== name);
      approved.push(`${name} (removed)`);
    }
    if (!names && pins.pending.instructions) {
      pins.instructions = { hash: pins.pending.instructions.hash, text: pins.pending.instructions.text };
      pins.pending.instructions = null;
      approved.push('(instructions)');
    }
    this.save(pins);
    return approved;
  }

  /** Forgets a server's pins: its tools are pinned again as they are on next sight. */
  reset(server: string): boolean {
    const existed = this.load(server) !== undefined;
    rmSync(this.file(server), { force: true });
    this.cache.delete(server);
    return existed;
  }
}
