/**
 * Reads a config file (JSON or YAML), substitutes ${VAR} from the environment, validates it
 * against the one schema and compiles it. Every failure is a ConfigError that names the file,
 * the path inside it and what was expected; the CLI turns it into exit status 2.
 */
import { readFileSync } from 'node:fs';
import { loadPublicKey } from '../trust/signatures.js';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { compileConfig, type CompiledConfig } from './compile.js';
import { ConfigSchema } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'BASTION_CONFIG_INVALID';

  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Formats a path as the user wrote it: mcpServers.fs.args[1]. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(key))) out += out ? `.${String(key)}` : String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || '(top level)';
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} (or ${VAR:-default}) in every string; a missing variable is a problem, reported by path. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, problems: string[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (whole, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set (used as ${whole})`);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, problems, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, problems, [...path, key])]),
    );
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
  // A server entry is a union: report the errors of the branch the user meant (url → remote, else stdio).
  if (issue.code === 'invalid_union' && issue.errors.length === 2) {
    const entry = valueAt(input, issue.path);
    const meantRemote = entry !== null && typeof entry === 'object' && 'url' in entry;
    const branch = issue.errors[meantRemote ? 1 : 0] ?? [];
    if (branch.length > 0) {
      return branch.flatMap((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, input));
    }
  }
  const where = `${formatPath(issue.path)}${ruleNameAt(input, issue.path)}`;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key (check its spelling)`);
  }
  if (issue.code === 'invalid_key') return [`${where}: invalid name: ${issue.issues.map((inner) => inner.message).join('; ')}`];
  return [`${where}: ${issue.message}`];
}

/** Problems inside a policy rule also name the rule by its id, which is easier to find than an index. */
function ruleNameAt(input: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (path[0] !== 'policy' || path[1] !== 'rules' || typeof path[2] !== 'number' || path[3] === 'id') return '';
  const id = (valueAt(input, path.slice(0, 3)) as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? ` (rule "${id}")` : '';
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function parseText(file: string, text: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      file,
      document.errors.map((error) => `${error.linePos?.[0] ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: ` : ''}${error.message.split('\n')[0]}`),
    );
  }
  return document.toJS();
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
}

/** Parses and validates config text; `file` is only used to name the source in errors. */
export function parseConfig(file: string, text: string, options: LoadOptions = {}): CompiledConfig {
  const env = options.env ?? process.env;
  const raw = parseText(file, text);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, ['(top level): expected an object with an mcpServers section']);
  }
  const problems: string[] = [];
  const substituted = substituteEnv(raw, env, problems);
  const result = ConfigSchema.safeParse(substituted);
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => describeIssue(issue, substituted)));
  if (problems.length > 0 || !result.success) throw new ConfigError(file, problems);
  const compiled = compileConfig(result.data, { file, env });
  const keyProblems = compiled.trust.keys.flatMap((key, index) => {
    try {
      loadPublicKey(key);
      return [];
    } catch (error) {
      return [`trust.keys[${index}]: ${(error as Error).message}`];
    }
  });
  if (keyProblems.length > 0) throw new ConfigError(file, keyProblems);
  if (compiled.audit.enabled && compiled.audit.store === 'postgres' && !compiled.audit.url) {
    throw new ConfigError(file, ['audit.url: the postgres store needs a connection URL (set audit.url, or $BASTION_AUDIT_URL)']);
  }
  return compiled;
}

export function loadConfig(path: string, options: LoadOptions = {}): CompiledConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String((error as Error).message);
    throw new ConfigError(file, [`cannot read the file: ${reason}`]);
  }
  return parseConfig(file, text, options);
}
