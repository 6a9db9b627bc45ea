/**
 * Turns a validated config into the immutable form the gateway runs on: defaults applied,
 * durations in milliseconds, paths resolved, what the operator should know noted as warnings. Nothing on the
 * request path parses config again.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import ms from 'ms';
import { CompiledPolicy } from '../policy/policy.js';
import { compileSandbox, type SandboxProfile } from '../sandbox/profile.js';
import { launchedPackage } from '../trust/npmPackage.js';
import { DEFAULT_REGISTRY } from '../trust/packages.js';
import { typosquatOf } from '../trust/typosquat.js';
import type { TraceSettings } from '../telemetry/tracing.js';
import { type AuditEntry, type RawConfig, type TelemetryEntry, type RemoteServerEntry, type ServeEntry, type StdioServerEntry } from './schema.js';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_ADMIN_PORT = 7332;

/** The data directory when the config names none: $BASTION_DATA_DIR, else ~/.local/share/bastion. */
export function defaultDataDir(env: NodeJS.ProcessEnv, base = process.cwd()): string {
  const setting = env.BASTION_DATA_DIR;
  return setting ? resolve(base, setting.replace(/^~(?=$|\/)/, homedir())) : join(homedir(), '.local', 'share', 'bastion');
}

interface ServerSpecBase {
  readonly name: string;
  readonly timeoutMs: number;
  /** How long starting and initializing may take: kept apart from timeoutMs, since a cold `npx` start is slow. */
  readonly startupTimeoutMs: number;
  /** `per-session`: each client session gets its own connection (its own process, for stdio). */
  readonly sharing: 'per-session' | 'shared';
  /** Whether tools and prompts are exposed as `<server>__<name>` on the aggregate endpoint. */
  readonly prefix: boolean;
  /** Where the server's last tool list is saved (under dataDir). */
  readonly toolSnapshot: string;
}

/** How `bastion serve` serves HTTP; the CLI's --host and --port override host and port. */
export interface ServeSettings {
  readonly host: string;
  readonly port: number;
  readonly allowedHosts: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxSessions: number;
  readonly sessionIdleTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly replayBuffer: number;
  /** 0 when SSE polling is off. */
  readonly pollAfterMs: number;
}

export const LOOPBACK_HOSTNAMES = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

export interface AuditSettings {
  readonly enabled: boolean;
  readonly store: 'sqlite' | 'postgres' | 'jsonl';
  /** The file of a sqlite or jsonl store. */
  readonly path: string;
  /** The PostgreSQL URL; undefined when the store is not postgres, or no URL is given. */
  readonly url: string | undefined;
  readonly table: string;
  readonly durability: 'process' | 'os';
  readonly onFailure: 'deny' | 'allow';
  readonly redact: { readonly keys: readonly string[]; readonly patterns: readonly string[] };
}

export interface StdioServerSpec extends ServerSpecBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  /** The OS sandbox it runs in, or false when the config turns it off. */
  readonly sandbox: SandboxProfile | false;
  /** Set at startup for a server launched by a package runner (src/trust/prepare.ts). */
  readonly pinned?: { readonly package: string; readonly refusal?: string; readonly configured: { readonly command: string; readonly args: readonly string[] } };
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
  readonly serve: ServeSettings;
  readonly policy: CompiledPolicy;
  readonly admin: { readonly enabled: boolean; readonly port: number };
  readonly approval: { readonly timeoutMs: number; readonly channels: ReadonlyArray<'elicitation' | 'endpoint'> };
  readonly audit: AuditSettings;
  readonly telemetry: { readonly metrics: boolean; readonly traces: TraceSettings };
  readonly trust: { readonly registry: string; readonly allowScripts: readonly string[]; readonly keys: readonly string[]; readonly require: boolean };
  /** Things the operator should know at startup: disabled or unsandboxed servers, look-alike package names. */
  readonly warnings: readonly string[];
}

function toMs(value: number | string | undefined, fallback = DEFAULT_TIMEOUT_MS): number {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? Math.round(value * 1000) : (ms(value as ms.StringValue) as number);
}

type EntryCommon = Pick<StdioServerEntry, 'timeout' | 'startupTimeout' | 'sharing' | 'prefix'>;

function compileCommon(name: string, entry: EntryCommon, prefixByDefault: boolean, dataDir: string): ServerSpecBase {
  const timeoutMs = toMs(entry.timeout);
  return {
    name,
    toolSnapshot: join(dataDir, 'snapshots', `${name}.tools.json`),
    timeoutMs,
    startupTimeoutMs: toMs(entry.startupTimeout, Math.max(DEFAULT_TIMEOUT_MS, timeoutMs)),
    sharing: entry.sharing ?? 'per-session',
    prefix: entry.prefix ?? prefixByDefault,
  };
}

function compileStdio(base: ServerSpecBase, entry: StdioServerEntry, configDir: string): StdioServerSpec {
  return {
    ...base,
    transport: 'stdio',
    command: entry.command,
    args: Object.freeze([...(entry.args ?? [])]),
    env: Object.freeze({ ...(entry.env ?? {}) }),
    cwd: entry.cwd === undefined ? undefined : isAbsolute(entry.cwd) ? entry.cwd : resolve(configDir, entry.cwd),
    sandbox: compileSandbox(entry.sandbox, configDir),
  };
}

function compileRemote(base: ServerSpecBase, entry: RemoteServerEntry): RemoteServerSpec {
  const transport = entry.type === 'sse' ? 'sse' : entry.type === undefined ? 'auto' : 'streamable-http';
  return {
    ...base,
    transport,
    url: new URL(entry.url),
    headers: Object.freeze({ ...(entry.headers ?? {}) }),
  };
}

export function compileConfig(raw: RawConfig, context: { file: string; env: NodeJS.ProcessEnv }): CompiledConfig {
  const configDir = dirname(context.file);
  const warnings: string[] = [];
  const dataDir = raw.dataDir ? resolve(configDir, raw.dataDir.replace(/^~(?=$|\/)/, homedir())) : defaultDataDir(context.env, configDir);
  const servers: ServerSpec[] = [];
  // One server behind Bastion keeps its own names, so that wrapping a server changes nothing the client sees.
  const prefixByDefault = Object.values(raw.mcpServers).filter((entry) => !entry.disabled).length > 1;
  for (const [name, entry] of Object.entries(raw.mcpServers)) {
    if (entry.disabled) {
      warnings.push(`mcpServers.${name}: disabled; not started`);
      continue;
    }
    if ('command' in entry) {
      warnings.push(...packageWarnings(name, entry.command, entry.args ?? []));
      if (entry.sandbox === false) {
        warnings.push(`mcpServers.${name}: sandbox is false, so this server runs unsandboxed, with your full rights (files, network, credentials)`);
      }
      servers.push(Object.freeze(compileStdio(compileCommon(name, entry, prefixByDefault, dataDir), entry, configDir)));
    } else {
      servers.push(Object.freeze(compileRemote(compileCommon(name, entry, prefixByDefault, dataDir), entry)));
    }
  }
  return Object.freeze({
    file: context.file,
    servers: Object.freeze(servers),
    dataDir,
    serve: compileServe(raw.serve ?? {}),
    policy: new CompiledPolicy(raw.policy ?? {}, { baseDir: configDir }),
    admin: Object.freeze({ enabled: raw.admin?.enabled ?? true, port: raw.admin?.port ?? DEFAULT_ADMIN_PORT }),
    approval: Object.freeze({
      timeoutMs: toMs(raw.approval?.timeout, 120_000),
      channels: Object.freeze([...(raw.approval?.channels ?? ['elicitation', 'endpoint'])]),
    }),
    audit: compileAudit(raw.audit ?? {}, { configDir, dataDir, env: context.env }),
    telemetry: compileTelemetry(raw.telemetry ?? {}, context.env),
    trust: Object.freeze({
      registry: raw.trust?.registry ?? (context.env.npm_config_registry || DEFAULT_REGISTRY),
      allowScripts: Object.freeze([...(raw.trust?.allowScripts ?? [])]),
      // PEM text stays as it is; a path is resolved from the config file's folder.
      keys: Object.freeze((raw.trust?.keys ?? []).map((key) => (key.includes('-----BEGIN') ? key : resolve(configDir, key.replace(/^~(?=$|\/)/, homedir()))))),
      require: raw.trust?.require ?? false,
    }),
    warnings: Object.freeze(warnings),
  });
}

/** What the operator should know about the package a server's command line fetches: a look-alike name, or no way to pin it. */
function packageWarnings(server: string, command: string, args: readonly string[]): string[] {
  const launched = launchedPackage(command, args);
  if (!launched) return [];
  const warnings: string[] = [];
  const squat = typosquatOf(launched.name);
  if (squat) {
    warnings.push(`mcpServers.${server}: the package ${squat.name} looks like ${squat.resembles} (${squat.how}); check that it is the one you mean before you trust it`);
  }
  if (launched.ecosystem === 'python') {
    warnings.push(`mcpServers.${server}: ${launched.runner} ${launched.name} is not pinned: it runs whatever the package index serves at each start`);
  }
  return warnings;
}

function compileAudit(entry: AuditEntry, where: { configDir: string; dataDir: string; env: NodeJS.ProcessEnv }): AuditSettings {
  const store = entry.store ?? 'sqlite';
  const defaultFile = store === 'jsonl' ? 'audit.jsonl' : 'audit.db';
  return Object.freeze({
    enabled: entry.enabled ?? true,
    store,
    path: entry.path ? resolve(where.configDir, entry.path.replace(/^~(?=$|\/)/, homedir())) : join(where.dataDir, defaultFile),
    url: store === 'postgres' ? (entry.url ?? where.env.BASTION_AUDIT_URL) : undefined,
    table: entry.table ?? 'bastion_audit',
    durability: entry.durability ?? 'process',
    onFailure: entry.onFailure ?? 'deny',
    redact: Object.freeze({ keys: Object.freeze([...(entry.redact?.keys ?? [])]), patterns: Object.freeze([...(entry.redact?.patterns ?? [])]) }),
  });
}

function compileTelemetry(entry: TelemetryEntry, env: NodeJS.ProcessEnv): CompiledConfig['telemetry'] {
  return Object.freeze({
    metrics: entry.metrics ?? true,
    traces: Object.freeze({
      endpoint: entry.traces?.endpoint ?? (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined),
      serviceName: entry.traces?.serviceName ?? 'bastion',
      sampleRatio: entry.traces?.sampleRatio ?? 1,
    }),
  });
}

function compileServe(entry: ServeEntry): ServeSettings {
  return Object.freeze({
    host: entry.host ?? '127.0.0.1',
    port: entry.port ?? 7331,
    allowedHosts: Object.freeze([...(entry.allowedHosts ?? LOOPBACK_HOSTNAMES)]),
    allowedOrigins: Object.freeze([...(entry.allowedOrigins ?? LOOPBACK_HOSTNAMES)]),
    maxBodyBytes: entry.maxBodyBytes ?? 4 * 1024 * 1024,
    maxHeaderBytes: entry.maxHeaderBytes ?? 16 * 1024,
    maxSessions: entry.maxSessions ?? 32,
    sessionIdleTimeoutMs: toMs(entry.sessionIdleTimeout, 30 * 60_000),
    shutdownGraceMs: toMs(entry.shutdownGrace, 10_000),
    replayBuffer: entry.replayBuffer ?? 1000,
    pollAfterMs: entry.pollAfter === undefined ? 0 : toMs(entry.pollAfter),
  });
}
