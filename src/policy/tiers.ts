/**
 * Permission tiers: what a tool may do, decided by the operator, not by the server. An explicit
 * tier in the config wins. Otherwise the tier is inferred from the tool's name, then its
 * description, then its input schema; the server's annotations may only raise it (they are
 * claims, not facts). A tool with no signal is `unknown`, which decisions treat like `execute`.
 */
export const TIERS = ['read', 'write', 'execute', 'unknown'] as const;
export type Tier = (typeof TIERS)[number];

export interface Classification {
  readonly tier: Tier;
  /** Deletes or overwrites. */
  readonly destructive: boolean;
  /** Why, for humans: each signal that decided. */
  readonly reasons: readonly string[];
}

/** A tool as a server lists it; everything is optional because servers are untrusted. */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: unknown;
  readonly inputSchema?: unknown;
  readonly annotations?: unknown;
}

const READ_VERBS = new Set([
  'read', 'get', 'list', 'search', 'describe', 'find', 'show', 'view', 'query', 'lookup', 'count', 'inspect', 'stat', 'info',
  'tree', 'echo', 'print', 'preview', 'compare', 'diff', 'validate', 'summarize', 'analyze', 'explain', 'open', 'retrieve', 'load',
  'browse', 'check', 'head', 'tail', 'grep', 'status', 'peek', 'watch',
]);
const WRITE_VERBS = new Set([
  'write', 'create', 'update', 'delete', 'move', 'edit', 'set', 'add', 'insert', 'append', 'put', 'patch', 'modify', 'save', 'remove',
  'rename', 'copy', 'mkdir', 'replace', 'clear', 'reset', 'toggle', 'store', 'upsert', 'merge', 'drop', 'truncate', 'erase', 'purge',
  'destroy', 'unlink', 'rm', 'touch', 'commit', 'archive', 'restore', 'enable', 'disable', 'assign', 'tag', 'label', 'mark', 'link',
]);
const EXECUTE_VERBS = new Set([
  'run', 'exec', 'execute', 'shell', 'command', 'eval', 'evaluate', 'script', 'terminal', 'spawn', 'send', 'post', 'invoke', 'call',
  'trigger', 'launch', 'start', 'kill', 'email', 'mail', 'notify', 'publish', 'deploy', 'install', 'fetch', 'request', 'download',
  'upload', 'navigate', 'click', 'type', 'pay', 'purchase', 'transfer', 'sql', 'bash', 'powershell', 'cmd', 'process', 'interact',
  'compress', 'simulate', 'sample', 'elicit', 'message', 'tweet', 'sms', 'webhook', 'http', 'curl',
]);
const DESTRUCTIVE_VERBS = new Set(['delete', 'remove', 'overwrite', 'drop', 'destroy', 'erase', 'truncate', 'purge', 'wipe', 'unlink', 'rm', 'kill', 'reset', 'clear']);
/** Arguments that carry code or a command line make a tool `execute`, whatever its name says. */
const EXECUTE_ARGUMENTS = new Set(['command', 'cmd', 'script', 'code', 'commands', 'shell']);

const RANK: Record<Tier, number> = { read: 0, write: 1, execute: 2, unknown: 2 };

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function exactVerbTier(word: string): Tier | undefined {
  if (EXECUTE_VERBS.has(word)) return 'execute';
  if (WRITE_VERBS.has(word)) return 'write';
  if (READ_VERBS.has(word)) return 'read';
  return undefined;
}

/** Descriptions say what a tool does in the third person: "Lists", "Searches", "Creates". */
function verbTier(word: string): Tier | undefined {
  return (
    exactVerbTier(word) ??
    (word.endsWith('es') ? exactVerbTier(word.slice(0, -2)) : undefined) ??
    (word.endsWith('s') ? exactVerbTier(word.slice(0, -1)) : undefined)
  );
}

/** The higher of two tiers; `unknown` stays unknown unless raised to execute. */
function raise(current: Tier, to: Tier): Tier {
  if (current === 'unknown') return to === 'execute' ? 'execute' : 'unknown';
  return RANK[to] > RANK[current] ? to : current;
}

function schemaProperties(inputSchema: unknown): string[] {
  const properties = (inputSchema as { properties?: unknown } | undefined)?.properties;
  return properties && typeof properties === 'object' ? Object.keys(properties) : [];
}

export function inferTier(tool: ToolDefinition): Classification {
  const reasons: string[] = [];
  let tier: Tier = 'unknown';
  const nameWords = words(tool.name);
  const nameVerb = nameWords.find((word) => verbTier(word));
  if (nameVerb) {
    tier = verbTier(nameVerb) as Tier;
    reasons.push(`name: "${nameVerb}" suggests ${tier}`);
  } else if (typeof tool.description === 'string') {
    // The description's first sentence usually starts with what the tool does.
    const firstSentence = tool.description.split(/[.\n]/, 1)[0] ?? '';
    const verb = words(firstSentence).slice(0, 12).find((word) => verbTier(word));
    if (verb) {
      tier = verbTier(verb) as Tier;
      reasons.push(`description: "${verb}" suggests ${tier}`);
    }
  }
  const codeArgument = schemaProperties(tool.inputSchema).find((property) => EXECUTE_ARGUMENTS.has(property.toLowerCase()));
  if (codeArgument) {
    tier = 'execute';
    reasons.push(`argument "${codeArgument}" means execute`);
  }
  let destructive = nameWords.some((word) => DESTRUCTIVE_VERBS.has(word));
  if (!destructive && typeof tool.description === 'string') {
    destructive = /\b(delete|deletes|overwrite|overwrites|overwriting|erase|erases|destroy|destroys|wipe|wipes)\b/i.test(tool.description);
  }
  const hints = (tool.annotations ?? {}) as Record<string, unknown>;
  if (hints.readOnlyHint === false && tier !== 'unknown' && RANK[tier] < RANK.write) {
    tier = 'write';
    reasons.push('annotation readOnlyHint=false raises it to write');
  }
  if (hints.destructiveHint === true) {
    if (tier !== 'unknown' && RANK[tier] < RANK.write) {
      tier = 'write';
      reasons.push('annotation destructiveHint=true raises it to write');
    }
    destructive = true;
  }
  if (hints.openWorldHint === true && tier !== 'execute') {
    tier = raise(tier, 'execute');
    reasons.push('annotation openWorldHint=true raises it to execute');
  }
  if (tier === 'unknown') reasons.push('no name, description or argument signal: unknown, treated like execute');
  return { tier, destructive, reasons };
}
