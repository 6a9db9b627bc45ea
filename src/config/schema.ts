/**
 * The one schema of Bastion's config file. Its `mcpServers` section has the shape of Claude
 * Desktop's claude_desktop_config.json, so a user can point Bastion at their existing file. The
 * committed JSON Schema (schema/bastion.schema.json) is generated from this file; never edit it
 * by hand. The schema is strict: an unknown key is an error, to catch typos.
 */
import ms from 'ms';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { PolicySchema } from './policySchema.js';

/** Server names become tool-name prefixes (`<server>__<tool>`): keep them valid under every client's rules. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_))*$/;
export const SERVER_NAME_MAX = 32;

const durationString = z
  .string()
  .refine((value) => {
    const parsed = ms(value as ms.StringValue);
    return typeof parsed === 'number' && parsed > 0;
  }, 'expected a duration such as "30s", "500ms" or "2m"');

/** Seconds as a number (as Cline writes it), or a duration string. */
const Duration = z
  .union([z.number().positive(), durationString])
  .describe('A timeout: a number of seconds, or a duration string such as "30s", "500ms" or "2m".');

const pathList = (what: string) => z.array(z.string().min(1)).optional().describe(`${what} Relative paths are relative to the config file; ~ is the user's home.`);

const byteSize = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*[kKmMgG]i?[bB]?$/, 'expected a size such as "512m" or "2g"')])
  .describe('Bytes, or a size such as "512m" or "2g".');

export const SandboxSchema = z
  .strictObject({
    runtime: z
      .enum(['auto', 'bubblewrap', 'sandbox-exec', 'docker', 'podman'])
      .optional()
      .describe('The mechanism. Default "auto": bubblewrap on Linux, sandbox-exec on macOS. "docker" and "podman" run the server in a container (set image).'),
    image: z.string().min(1).optional().describe('The container image, for the docker and podman runtimes.'),
    filesystem: z
      .strictObject({
        allowWrite: pathList('Paths the server may write (and read), besides its private temporary directory.'),
        allowRead: pathList('Paths the server may read, besides the system directories and its own package.'),
        denyRead: pathList('Paths hidden from the server even inside allowed ones. Credential stores (~/.ssh, ~/.aws, ...) are always hidden.'),
      })
      .optional(),
    network: z
      .strictObject({
        allowedDomains: z
          .array(z.string().min(1).regex(/^(\*\.)?[A-Za-z0-9.-]+$/, 'expected a host name such as "api.github.com" or "*.example.com"'))
          .optional()
          .describe('Hosts the server may reach, through a proxy outside the sandbox that refuses private, loopback and metadata addresses. Default: no network.'),
      })
      .optional(),
    env: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'))
      .optional()
      .describe("Variables passed from Bastion's environment into the sandbox, besides the server's own env."),
    limits: z
      .strictObject({
        memory: byteSize.optional().describe('Largest data segment (RLIMIT_DATA). Default: none.'),
        processes: z.number().int().positive().optional().describe('Most processes the server may start. Default 256.'),
        cpuSeconds: z.number().int().positive().optional().describe('CPU time, in seconds, after which the server is stopped. Default: none.'),
      })
      .optional(),
  })
  .superRefine((sandbox, ctx) => {
    if ((sandbox.runtime === 'docker' || sandbox.runtime === 'podman') && !sandbox.image) {
      ctx.addIssue({ code: 'custom', path: ['image'], message: `the ${sandbox.runtime} runtime needs an image` });
    }
  })
  .describe('The OS sandbox of a local server: read-only system, no credential stores, writes only where listed, no network unless listed.');

const SandboxSetting = z
  .union([z.literal(false), z.literal(true), SandboxSchema])
  .describe('The OS sandbox (on by default). false runs the server unsandboxed, with a warning at startup.');

const common = {
  timeout: Duration.optional().describe('How long one request to this server may take. Default 60s.'),
  startupTimeout: Duration.optional().describe(
    'How long the server may take to start (or be reached) and answer initialize. Default 60s, or timeout when that is longer.',
  ),
  disabled: z.boolean().optional().describe('When true, Bastion does not start or connect this server.'),
  sharing: z
    .enum(['per-session', 'shared'])
    .optional()
    .describe(
      'Whether each client session gets its own connection to this server (its own process, for a local server) or all sessions share one. ' +
        'Default "per-session", which keeps sampling, elicitation and roots requests with the client that caused them. ' +
        'With "shared", such a request is refused when Bastion cannot tell which session it belongs to.',
    ),
  prefix: z
    .boolean()
    .optional()
    .describe(
      'Expose this server\'s tools and prompts as <server>__<name>. Default: true when several servers are enabled, false when this is the only one.',
    ),
};

export const StdioServerSchema = z
  .strictObject({
    type: z.literal('stdio').optional(),
    command: z.string().min(1).describe('The executable to start, e.g. "npx" or "/usr/bin/node".'),
    args: z.array(z.string()).optional().describe('Arguments passed to the command.'),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment variables for the server process.'),
    cwd: z.string().optional().describe('Working directory of the server process.'),
    sandbox: SandboxSetting.optional(),
    ...common,
  })
  .describe('A local server started as a child process and spoken to over stdio.');

export const RemoteServerSchema = z
  .strictObject({
    type: z
      .enum(['streamable-http', 'http', 'sse'])
      .optional()
      .describe('Transport: "streamable-http" (or "http") or legacy "sse". When absent, Bastion tries Streamable HTTP and falls back to SSE.'),
    url: z.url({ protocol: /^https?$/ }).describe('The server endpoint, e.g. https://example.com/mcp.'),
    headers: z.record(z.string(), z.string()).optional().describe('HTTP headers sent with every request, e.g. Authorization.'),
    ...common,
  })
  .describe('A remote server spoken to over Streamable HTTP or legacy HTTP+SSE.');

export const ServerEntrySchema = z.union([StdioServerSchema, RemoteServerSchema]);

const byteCount = z.number().int().positive();

export const ServeSchema = z
  .strictObject({
    host: z.string().min(1).optional().describe('Address to listen on. Default 127.0.0.1. A non-loopback address is refused until authentication is configured.'),
    port: z.number().int().min(0).max(65535).optional().describe('TCP port. Default 7331; 0 picks a free port.'),
    allowedHosts: z
      .array(z.string().min(1))
      .optional()
      .describe('Host header hostnames served (no port; IPv6 in brackets). Default: localhost, 127.0.0.1 and [::1]. Defends against DNS rebinding.'),
    allowedOrigins: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Origin hostnames allowed to call from a browser (no scheme or port), or "<scheme>://*" for a browser-extension scheme. ' +
          'Default: localhost, 127.0.0.1 and [::1]. Requests without an Origin header (non-browser clients) are not affected.',
      ),
    maxBodyBytes: byteCount.optional().describe('Largest request body accepted, in bytes. Default 4194304 (4 MiB); larger bodies get 413.'),
    maxHeaderBytes: byteCount.optional().describe('Largest total size of request headers, in bytes. Default 16384; larger headers get 431.'),
    maxSessions: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Most sessions kept at once (each may hold its own server processes). At the bound, a new session replaces the least recently used idle one. Default 32.',
      ),
    sessionIdleTimeout: Duration.optional().describe('A session with no request and no call in flight for this long is ended. Default 30m.'),
    shutdownGrace: Duration.optional().describe('On SIGTERM, how long calls in flight may take to finish before Bastion closes. Default 10s.'),
    pollAfter: Duration.optional().describe(
      'SSE polling: once a call has run this long, Bastion closes its response stream and the client resumes it with Last-Event-ID. ' +
        'Keeps connections short behind proxies that cut long-lived ones. Off by default. Needs replayBuffer > 0.',
    ),
    replayBuffer: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Messages kept per session so that a client can resume a dropped stream with Last-Event-ID. Default 1000.'),
  })
  .describe('How `bastion serve` serves clients over HTTP.');

export const AdminSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Serve the admin API. Default true.'),
    port: z.number().int().min(0).max(65535).optional().describe('TCP port on 127.0.0.1. Default 7332; 0 picks a free port.'),
  })
  .describe('The admin API (pending approvals), on loopback only, behind a bearer token kept in dataDir/admin-token.');

export const ApprovalSchema = z
  .strictObject({
    timeout: Duration.optional().describe('How long a held call waits for a human. No answer means deny. Default 120s.'),
    channels: z
      .array(z.enum(['elicitation', 'endpoint']))
      .optional()
      .describe('Where approval is asked, in order: the calling client (MCP elicitation), then the admin endpoint. Default both, in that order.'),
  })
  .describe('Human approval of calls whose decision is ask.');

const re2Pattern = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      RE2JS.compile(source);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `the pattern does not compile as RE2: ${(error as Error).message}` });
    }
  });

export const AuditSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Record every request in the audit log. Default true.'),
    store: z
      .enum(['sqlite', 'postgres', 'jsonl'])
      .optional()
      .describe('Where records go: "sqlite" (default, embedded, in dataDir), "postgres" (for teams; set url), or "jsonl" (one JSON record per line).'),
    path: z.string().min(1).optional().describe('The sqlite or jsonl file. Default dataDir/audit.db or dataDir/audit.jsonl; relative paths are relative to the config file.'),
    url: z
      .string()
      .min(1)
      .optional()
      .describe('PostgreSQL connection URL, e.g. postgres://bastion@db/audit. Default: $BASTION_AUDIT_URL. Keep passwords out of the file: use the variable, or PGPASSWORD.'),
    table: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a plain lower-case SQL name')
      .optional()
      .describe('PostgreSQL table. Default bastion_audit.'),
    durability: z
      .enum(['process', 'os'])
      .optional()
      .describe(
        'When a call is answered, its record is committed. "process" (default): the commit survives a crash of Bastion (kill -9) but not of the machine. ' +
          '"os": every commit is also flushed to disk (fsync), so it survives power loss, at the cost of one fsync per batch.',
      ),
    onFailure: z
      .enum(['deny', 'allow'])
      .optional()
      .describe('When the store cannot be written: "deny" (default) refuses calls until it can; "allow" serves them and keeps the records queued for retry.'),
    redact: z
      .strictObject({
        keys: z.array(re2Pattern).optional().describe('Extra argument names (RE2 regular expressions, case-insensitive) whose values are always redacted.'),
        patterns: z.array(re2Pattern).optional().describe('Extra value patterns (RE2 regular expressions); every match in a string is redacted.'),
      })
      .optional()
      .describe('Secrets are redacted from records and logs by built-in name and shape patterns; add your own here.'),
  })
  .describe('The tamper-evident audit log: every request, decision and approval, hash-chained.');

export const TrustSchema = z
  .strictObject({
    registry: z.url({ protocol: /^https?$/ }).optional().describe('The npm registry packages are resolved and installed from. Default: $npm_config_registry, else https://registry.npmjs.org/.'),
    allowScripts: z
      .array(z.string())
      .optional()
      .describe('Servers whose package may run its install scripts (preinstall, install, postinstall). Default: none.'),
    keys: z
      .array(z.string().min(1))
      .optional()
      .describe('Ed25519 public keys you trust to sign packages: PEM text, or the path of a PEM file (relative to the config file).'),
    require: z.boolean().optional().describe('Start a package-runner server only when its locked package carries a signature from one of trust.keys (bastion sign). Default false.'),
  })
  .refine((trust) => !trust.require || (trust.keys?.length ?? 0) > 0, { message: 'require: true needs at least one key in trust.keys', path: ['require'] })
  .describe('Pinned packages: servers launched by npx and the like run the version recorded in bastion.lock, installed by Bastion.');

export const TelemetrySchema = z
  .strictObject({
    metrics: z.boolean().optional().describe('Serve Prometheus metrics at /metrics on the admin port (bearer token as for the admin API). Default true.'),
    traces: z
      .strictObject({
        endpoint: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. Default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; unset exports nothing.'),
        serviceName: z.string().min(1).optional().describe('service.name of the spans. Default "bastion".'),
        sampleRatio: z.number().min(0).max(1).optional().describe('Share of new traces recorded (a client\'s sampled trace is always followed). Default 1.'),
      })
      .optional(),
  })
  .describe('Metrics and traces.');


export const ConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema this file follows, for editors.'),
    mcpServers: z
      .record(
        z
          .string()
          .max(SERVER_NAME_MAX)
          .regex(SERVER_NAME_PATTERN, 'expected a server name of letters, digits, "-" and single "_"'),
        ServerEntrySchema,
      )
      .describe('The MCP servers behind Bastion, in the shape of claude_desktop_config.json.'),
    dataDir: z
      .string()
      .optional()
      .describe("Bastion's state directory. Default: $BASTION_DATA_DIR, else ~/.local/share/bastion."),
    serve: ServeSchema.optional(),
    policy: PolicySchema.optional(),
    admin: AdminSchema.optional(),
    approval: ApprovalSchema.optional(),
    audit: AuditSchema.optional(),
    telemetry: TelemetrySchema.optional(),
    trust: TrustSchema.optional(),
    // Claude Desktop keeps these beside mcpServers; accepting them lets its file be used unchanged.
    globalShortcut: z.unknown().optional().describe("Claude Desktop's own setting; ignored by Bastion."),
    preferences: z.unknown().optional().describe("Claude Desktop's own setting; ignored by Bastion."),
  })
  .describe('Bastion configuration');

export type RawConfig = z.infer<typeof ConfigSchema>;
export type StdioServerEntry = z.infer<typeof StdioServerSchema>;
export type RemoteServerEntry = z.infer<typeof RemoteServerSchema>;
export type ServeEntry = z.infer<typeof ServeSchema>;
export type SandboxEntry = z.infer<typeof SandboxSchema>;
export type AuditEntry = z.infer<typeof AuditSchema>;
export type TelemetryEntry = z.infer<typeof TelemetrySchema>;
export type TrustEntry = z.infer<typeof TrustSchema>;

