/**
 * Turns a validated config into the immutable form the gateway runs on: defaults applied,
 * durations in milliseconds, paths resolved, reserved sections noted as warnings. Nothing on the
 * request path parses config again.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import ms from 'ms';
import { RESERVED_SECTIONS, type RawConfig, type RemoteServerEntry, type StdioServerEntry } from './schema.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

interface ServerSpecBase {
  readonly name: string;
  readonly timeoutMs: number;
}

export interface StdioServerSpec extends ServerSpecBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
}

export interface RemoteServerSpec extends ServerSpecBase {
  /** `auto` tries Streamable HTTP first and falls back to legacy SSE, as the SDK's own fallback does. */
  readonly transport: 'streamable-http' | 'sse' | 'auto';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
}

export type ServerSpec = StdioServerSpec | RemoteServerSpec;

export interface CompiledConfig {
  readonly file: string;
  readonly servers: readonly ServerSpec[];
  readonly dataDir: string;
  /** Things the operator should know at startup: ignored reserved sections, disabled servers. */
  readonly warnings: readonly string[];
}

function toMs(value: number | string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  return typeof value === 'number' ? Math.round(value * 1000) : (ms(value as ms.StringValue) as number);
}

function compileStdio(name: string, entry: StdioServerEntry, configDir: string): StdioServerSpec {
  return {
    name,
    transport: 'stdio',
    timeoutMs: toMs(entry.timeout),
    command: entry.command,
    args: Object.freeze([...(entry.args ?? [])]),
    env: Object.freeze({ ...(entry.env ?? {}) }),
    cwd: entry.cwd === undefined ? undefined : isAbsolute(entry.cwd) ? entry.cwd : resolve(configDir, entry.cwd),
  };
}

function compileRemote(name: string, entry: RemoteServerEntry): RemoteServerSpec {
  const transport = entry.type === 'sse' ? 'sse' : entry.type === undefined ? 'auto' : 'streamable-http';
  return {
    name,
    transport,
    timeoutMs: toMs(entry.timeout),
    url: new URL(entry.url),
    headers: Object.freeze({ ...(entry.headers ?? {}) }),
  };
}

export function compileConfig(raw: RawConfig, context: { file: string; env: NodeJS.ProcessEnv }): CompiledConfig {
  const configDir = dirname(context.file);
  const warnings: string[] = [];
  for (const section of RESERVED_SECTIONS) {
    if (raw[section] !== undefined) {
      warnings.push(`${section}: this section is reserved for a feature that has not landed yet; it is ignored`);
    }
  }
  const servers: ServerSpec[] = [];
  for (const [name, entry] of Object.entries(raw.mcpServers)) {
    if (entry.disabled) {
      warnings.push(`mcpServers.${name}: disabled; not started`);
      continue;
    }
    if ('command' in entry) {
      if (entry.sandbox !== undefined) {
        warnings.push(`mcpServers.${name}.sandbox: reserved for the OS sandbox, which has not landed yet; ignored`);
      }
      servers.push(Object.freeze(compileStdio(name, entry, configDir)));
    } else {
      servers.push(Object.freeze(compileRemote(name, entry)));
    }
  }
  const dataDirSetting = raw.dataDir ?? context.env.BASTION_DATA_DIR;
  const dataDir = dataDirSetting
    ? resolve(configDir, dataDirSetting.replace(/^~(?=$|\/)/, homedir()))
    : join(homedir(), '.local', 'share', 'bastion');
  return Object.freeze({
    file: context.file,
    servers: Object.freeze(servers),
    dataDir,
    warnings: Object.freeze(warnings),
  });
}
