/**
 * The `policy:` section: decisions per tier, explicit tiers, and rules. Everything that can be
 * checked without running is checked here, so that a bad rule stops startup and is named:
 * regexes compile (as RE2, which runs in linear time), ids are unique, every rule matches on
 * something, every argument condition has exactly one matcher.
 */
import { RE2JS } from 're2js';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { TIERS } from '../policy/tiers.js';

export const Decision = z.enum(['allow', 'ask', 'deny']);
const TierName = z.enum(TIERS);

const MATCHERS = ['glob', 'regex', 'equals', 'prefix', 'range', 'within', 'url'] as const;

const UrlMatcher = z
  .strictObject({
    hosts: z.array(z.string().min(1)).optional().describe('Host names allowed (globs, e.g. "*.example.com"). Default: any host.'),
    schemes: z.array(z.string().min(1)).optional().describe('URL schemes allowed. Default: http and https.'),
    allowRanges: z
      .array(z.string().min(1))
      .optional()
      .describe('Address ranges (CIDR) allowed although private, loopback, link-local or metadata, e.g. "10.1.0.0/16".'),
  })
  .describe('Matches a URL that is allowed: scheme and host allowed, and no address it resolves to in a blocked range.');

export const ArgumentCondition = z
  .strictObject({
    pointer: z
      .union([z.string().regex(/^(\/.*)?$/, 'expected a JSON pointer such as "/path"'), z.array(z.string().regex(/^(\/.*)?$/)).min(1)])
      .describe('JSON pointer(s) into the arguments, e.g. "/path" or ["/source", "/destination"]. Arrays are checked element by element.'),
    not: z.boolean().optional().describe('Negates the matcher: the condition holds when some value found does not match.'),
    glob: z.string().optional(),
    regex: z.string().optional().describe('An RE2 regular expression (linear time: no backreferences or lookaround).'),
    equals: z.unknown().optional(),
    prefix: z.string().optional(),
    range: z.strictObject({ min: z.number().optional(), max: z.number().optional() }).optional().describe('A numeric range, bounds included.'),
    within: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Path roots: matches a path inside one of them, after normalization and symlink resolution.'),
    url: UrlMatcher.optional(),
  })
  .describe('One condition on the arguments: a pointer and exactly one matcher.');

/** Checks one condition of a rule (the loader adds the rule's id to the path it reports). */
function checkCondition(condition: z.infer<typeof ArgumentCondition>, path: Array<string | number>, ctx: z.RefinementCtx): void {
  const present = MATCHERS.filter((matcher) => condition[matcher] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `expected exactly one matcher (${MATCHERS.join(', ')}), found ${present.length ? present.join(', ') : 'none'}`,
    });
  }
  if (condition.regex !== undefined) {
    try {
      RE2JS.compile(condition.regex);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: [...path, 'regex'], message: `the regex does not compile as RE2: ${(error as Error).message}` });
    }
  }
  for (const [index, range] of (condition.url?.allowRanges ?? []).entries()) {
    try {
      ipaddr.parseCIDR(range);
    } catch {
      ctx.addIssue({ code: 'custom', path: [...path, 'url', 'allowRanges', index], message: 'expected a CIDR range such as "10.0.0.0/8"' });
    }
  }
}

const ShellPatterns = z.array(z.string().min(1)).describe('Command patterns: words, with a trailing "*" for any further arguments.');

const shellGuardFields = {
  allow: ShellPatterns.optional(),
  ask: ShellPatterns.optional(),
  deny: ShellPatterns.optional(),
  otherwise: Decision.optional().describe('The decision for a command that matches no pattern. Default ask.'),
  dangerousFlags: z.enum(['ask', 'deny']).optional().describe('What a dangerous flag (git -c, find -exec, rg --pre...) turns an allowed command into. Default ask.'),
  writes: z.array(z.string().min(1)).optional().describe('Roots where redirections (>, >>) may write. Without them, any write to a file is denied.'),
};

export const ShellRule = z
  .strictObject({ argument: z.string().min(1).optional().describe('The argument that holds the command line. Default "command".'), ...shellGuardFields })
  .describe('A shell guard: the command line is parsed, and every simple command in it must be allowed.');

export const ShellGuardDefaults = z
  .strictObject({ enabled: z.boolean().optional().describe('Default true.'), ...shellGuardFields })
  .describe(
    'The guard applied without a rule to terminal tools (known terminal servers, and tools with an argument named command, cmd, script or shell_command). By default it allows a built-in list of read-only commands and asks for the rest.',
  );

export const Rule = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected an id of letters, digits, ".", "_" and "-"').describe('Named in decisions and denials.'),
    server: z.string().min(1).optional().describe('Server name glob.'),
    tool: z.string().min(1).optional().describe("Tool name glob (the server's own name, not prefixed)."),
    tier: z.union([TierName, z.array(TierName).min(1)]).optional(),
    principal: z.string().min(1).optional().describe('Principal glob; every caller is "anonymous" until authentication is configured.'),
    arguments: z.array(ArgumentCondition).min(1).optional().describe('Conditions on the arguments; all must hold.'),
    decision: Decision.optional().describe('The decision when the rule matches; a shell rule decides by its patterns instead.'),
    shell: ShellRule.optional(),
    mode: z.enum(['enforce', 'shadow']).optional().describe('"shadow" decides and records, but does not enforce.'),
    reason: z.string().optional().describe('Told to the model and the human when this rule denies.'),
  })
  .superRefine((rule, ctx) => {
    if (rule.server === undefined && rule.tool === undefined && rule.tier === undefined && rule.principal === undefined && rule.arguments === undefined) {
      ctx.addIssue({ code: 'custom', message: 'the rule matches nothing: give it server, tool, tier, principal or arguments' });
    }
    for (const [index, condition] of (rule.arguments ?? []).entries()) checkCondition(condition, ['arguments', index], ctx);
    if (rule.shell && rule.decision !== undefined) ctx.addIssue({ code: 'custom', path: ['decision'], message: 'a shell rule decides by its patterns: remove decision' });
    if (!rule.shell && rule.decision === undefined) ctx.addIssue({ code: 'custom', message: 'the rule needs a decision (allow, ask or deny) or a shell guard' });
  });

const ExplicitTier = z.union([TierName, z.strictObject({ tier: TierName, destructive: z.boolean().optional() })]);

export const PolicySchema = z
  .strictObject({
    defaults: z
      .strictObject({ read: Decision.optional(), write: Decision.optional(), execute: Decision.optional(), unknown: Decision.optional() })
      .optional()
      .describe('The decision per tier when no rule matches. Default: read allow, write ask, execute ask, unknown ask.'),
    tiers: z
      .record(z.string().regex(/^[^/]+\/.+$/, 'expected "<server glob>/<tool glob>"'), ExplicitTier)
      .optional()
      .describe('Explicit tiers, which win over inference: {"fs/write_*": write, "shell/run": {tier: execute, destructive: true}}.'),
    shellGuard: ShellGuardDefaults.optional(),
    hideDenied: z.boolean().optional().describe('Hide tools that are always denied from tools/list. Default true.'),
    rules: z
      .array(Rule)
      .optional()
      .superRefine((rules, ctx) => {
        const seen = new Map<string, number>();
        for (const [index, rule] of (rules ?? []).entries()) {
          const first = seen.get(rule.id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate rule id "${rule.id}" (first at rules[${first}])` });
          else seen.set(rule.id, index);
        }
      }),
  })
  .describe('Permission tiers and rules: every tool call is decided allow, ask or deny.');

export type RawPolicy = z.infer<typeof PolicySchema>;
export type RawRule = z.infer<typeof Rule>;
export type RawCondition = z.infer<typeof ArgumentCondition>;
export type RawShellGuard = z.infer<typeof ShellGuardDefaults>;
