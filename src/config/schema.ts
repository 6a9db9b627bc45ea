/**
 * The one schema of Bastion's config file. Its `mcpServers` section has the shape of Claude
 * Desktop's claude_desktop_config.json, so a user can point Bastion at their existing file. The
 * committed JSON Schema (schema/bastion.schema.json) is generated from this file; never edit it
 * by hand. The schema is strict: an unknown key is an error, to catch typos.
 */
import ms from 'ms';
import { z } from 'zod';

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

/** Reserved for the sandbox issue: accepted and ignored with a warning until it lands. */
const ReservedSandbox = z.unknown().describe('Reserved: the OS sandbox of a local server. Accepted and ignored for now.');

const common = {
  timeout: Duration.optional().describe('How long one request to this server may take. Default 60s.'),
  disabled: z.boolean().optional().describe('When true, Bastion does not start or connect this server.'),
};

export const StdioServerSchema = z
  .strictObject({
    type: z.literal('stdio').optional(),
    command: z.string().min(1).describe('The executable to start, e.g. "npx" or "/usr/bin/node".'),
    args: z.array(z.string()).optional().describe('Arguments passed to the command.'),
    env: z.record(z.string(), z.string()).optional().describe('Extra environment variables for the server process.'),
    cwd: z.string().optional().describe('Working directory of the server process.'),
    sandbox: ReservedSandbox.optional(),
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

/** A section that a later issue defines: accepted (any shape) and ignored with a warning until it lands. */
const reservedSection = (what: string) => z.unknown().optional().describe(`Reserved: ${what}. Accepted and ignored for now.`);

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
    policy: reservedSection('permission tiers and the policy engine'),
    admin: reservedSection('the admin API'),
    audit: reservedSection('the audit log'),
    trust: reservedSection('pinned packages and tool definitions'),
    // Claude Desktop keeps these beside mcpServers; accepting them lets its file be used unchanged.
    globalShortcut: z.unknown().optional().describe("Claude Desktop's own setting; ignored by Bastion."),
    preferences: z.unknown().optional().describe("Claude Desktop's own setting; ignored by Bastion."),
  })
  .describe('Bastion configuration');

export type RawConfig = z.infer<typeof ConfigSchema>;
export type StdioServerEntry = z.infer<typeof StdioServerSchema>;
export type RemoteServerEntry = z.infer<typeof RemoteServerSchema>;

/** Sections and server keys that are reserved for issues not yet landed. */
export const RESERVED_SECTIONS = ['policy', 'admin', 'audit', 'trust'] as const;
