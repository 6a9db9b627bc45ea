/**
 * The compiled policy: it classifies tools and decides calls. Rules that match a call decide it,
 * deny over ask over allow; with none, the tier's default does. Shadow rules are evaluated and
 * reported but never decide. A rule that fails to evaluate denies, and the failure is counted.
 * A compiled policy is immutable; a reload builds a new one.
 */
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import { canonicalJson } from '../approval/binding.js';
import type { RawPolicy, RawRule } from '../config/policySchema.js';
import { compileCondition, type Arguments, type Condition, type ConditionContext } from './conditions.js';
import { inferTier, type Classification, type Tier, type ToolDefinition } from './tiers.js';
import { systemLookup, type Lookup } from './urlAllowed.js';
import { outranks, type PolicyVerdict } from './verdict.js';

export type { PolicyVerdict } from './verdict.js';
import { commandArgumentOf, DEFAULT_READ_ONLY } from './shell/defaults.js';
import { ShellGuard } from './shell/guard.js';

/** The id under which the default shell guard's decisions are reported. */
export const DEFAULT_SHELL_RULE = 'shell-default';

const DEFAULTS: Record<Tier, PolicyVerdict> = { read: 'allow', write: 'ask', execute: 'ask', unknown: 'ask' };

export interface ToolCall {
  readonly server: string;
  readonly tool: string;
  readonly arguments: Arguments;
  readonly principal: string;
  /** The tool as the server listed it, when known; without it the tier comes from config and name. */
  readonly definition?: ToolDefinition | undefined;
}

export interface PolicyDecision {
  readonly decision: PolicyVerdict;
  readonly tier: Tier;
  readonly destructive: boolean;
  /** The rule that decided, or null when the tier's default did. */
  readonly rule: string | null;
  /** The deciding rule's own words for a denial, if it has some. */
  readonly ruleReason: string | undefined;
  readonly reasons: readonly string[];
  /** Shadow rules that matched, with what they would have decided. */
  readonly shadow: ReadonlyArray<{ readonly rule: string; readonly decision: PolicyVerdict }>;
  /** Rules that failed to evaluate (each denied). */
  readonly errors: readonly string[];
  /** For a shell command that asks only for lack of a pattern: the commands a granted pattern may cover. */
  readonly shell?: { readonly grantable: ReadonlyArray<readonly string[]>; readonly onlyGrantable: boolean };
}

interface CompiledRule {
  readonly id: string;
  /** For a shell rule, the guard decides instead. */
  readonly decision: PolicyVerdict;
  readonly shell: { readonly argument: string; readonly guard: ShellGuard } | undefined;
  readonly shadow: boolean;
  readonly reason: string | undefined;
  readonly server: ((name: string) => boolean) | undefined;
  readonly tool: ((name: string) => boolean) | undefined;
  readonly tiers: ReadonlySet<Tier> | undefined;
  readonly principal: ((name: string) => boolean) | undefined;
  readonly conditions: readonly Condition[];
}

interface ExplicitTier {
  readonly matches: (key: string) => boolean;
  readonly pattern: string;
  readonly tier: Tier;
  readonly destructive: boolean;
}

const glob = (pattern: string | undefined) => (pattern === undefined ? undefined : picomatch(pattern, { dot: true }));

function compileRule(rule: RawRule, context: ConditionContext): CompiledRule {
  return {
    id: rule.id,
    decision: rule.decision ?? 'deny',
    shell: rule.shell ? { argument: rule.shell.argument ?? 'command', guard: new ShellGuard(rule.shell, context.baseDir) } : undefined,
    shadow: rule.mode === 'shadow',
    reason: rule.reason,
    server: glob(rule.server),
    tool: glob(rule.tool),
    tiers: rule.tier === undefined ? undefined : new Set(Array.isArray(rule.tier) ? rule.tier : [rule.tier]),
    principal: glob(rule.principal),
    conditions: (rule.arguments ?? []).map((condition) => compileCondition(condition, context)),
  };
}

export interface PolicyOptions {
  /** DNS lookup for URL rules; tests inject one. */
  readonly lookup?: Lookup;
  /** Where relative path roots start. Default: the working directory. */
  readonly baseDir?: string;
}

function mergeShellAsks(
  current: { grantable: ReadonlyArray<readonly string[]>; onlyGrantable: boolean } | undefined,
  verdict: { decision: PolicyVerdict; grantable: ReadonlyArray<readonly string[]>; onlyGrantable: boolean },
): { grantable: ReadonlyArray<readonly string[]>; onlyGrantable: boolean } {
  const onlyGrantable = verdict.decision === 'allow' || verdict.onlyGrantable;
  if (!current) return { grantable: verdict.grantable, onlyGrantable };
  return { grantable: [...current.grantable, ...verdict.grantable], onlyGrantable: current.onlyGrantable && onlyGrantable };
}

export class CompiledPolicy {
  readonly hideDenied: boolean;
  private readonly defaults: Readonly<Record<Tier, PolicyVerdict>>;
  private readonly rules: readonly CompiledRule[];
  private readonly explicitTiers: readonly ExplicitTier[];
  private readonly classified = new WeakMap<object, Map<string, Classification>>();
  private readonly defaultShellGuard: ShellGuard | undefined;
  /** Identifies this policy's content: approvals are bound to it, so an edited policy asks again. */
  readonly version: string;
  /** Rule evaluation failures since this policy was compiled. */
  evaluationErrors = 0;

  constructor(raw: RawPolicy = {}, options: PolicyOptions = {}) {
    const context = { lookup: options.lookup ?? systemLookup, baseDir: options.baseDir ?? process.cwd() };
    this.version = createHash('sha256').update(canonicalJson(raw)).digest('hex').slice(0, 16);
    this.defaults = Object.freeze({ ...DEFAULTS, ...raw.defaults });
    this.hideDenied = raw.hideDenied ?? true;
    this.rules = Object.freeze((raw.rules ?? []).map((rule) => compileRule(rule, context)));
    const guard = raw.shellGuard ?? {};
    this.defaultShellGuard =
      guard.enabled === false ? undefined : new ShellGuard({ ...guard, allow: guard.allow ?? DEFAULT_READ_ONLY, otherwise: guard.otherwise ?? 'ask' }, context.baseDir);
    this.explicitTiers = Object.freeze(
      Object.entries(raw.tiers ?? {}).map(([pattern, value]) => ({
        pattern,
        matches: picomatch(pattern, { dot: true }),
        tier: typeof value === 'string' ? value : value.tier,
        destructive: typeof value === 'string' ? false : (value.destructive ?? false),
      })),
    );
  }

  /** The tier of a tool: the config's, else inferred. Cached per listed definition. */
  classify(server: string, tool: string, definition?: ToolDefinition): Classification {
    const explicit = this.explicitTiers.find((entry) => entry.matches(`${server}/${tool}`));
    if (explicit) return { tier: explicit.tier, destructive: explicit.destructive, reasons: [`config: policy.tiers["${explicit.pattern}"] is ${explicit.tier}`] };
    if (!definition) return inferTier({ name: tool });
    let perServer = this.classified.get(definition);
    if (!perServer) this.classified.set(definition, (perServer = new Map()));
    let classification = perServer.get(server);
    if (!classification) perServer.set(server, (classification = inferTier(definition)));
    return classification;
  }

  private appliesTo(rule: CompiledRule, call: ToolCall, tier: Tier): boolean {
    return (
      (!rule.server || rule.server(call.server)) &&
      (!rule.tool || rule.tool(call.tool)) &&
      (!rule.tiers || rule.tiers.has(tier)) &&
      (!rule.principal || rule.principal(call.principal))
    );
  }

  async decide(call: ToolCall): Promise<PolicyDecision> {
    const { tier, destructive, reasons: tierReasons } = this.classify(call.server, call.tool, call.definition);
    const reasons = [`tier ${tier}${destructive ? ' (destructive)' : ''}: ${tierReasons.join('; ')}`];
    const shadow: Array<{ rule: string; decision: PolicyVerdict }> = [];
    const errors: string[] = [];
    let winner: CompiledRule | undefined;
    let guarded = false;
    let shellAsks: { grantable: ReadonlyArray<readonly string[]>; onlyGrantable: boolean } | undefined;
    for (const rule of this.rules) {
      if (!this.appliesTo(rule, call, tier)) continue;
      let matched: boolean;
      let decision = rule.decision;
      try {
        matched = await this.conditionsHold(rule, call.arguments);
        if (matched && rule.shell) {
          guarded = true;
          const verdict = await rule.shell.guard.decide(call.arguments?.[rule.shell.argument], call.arguments);
          decision = verdict.decision;
          reasons.push(...verdict.reasons.map((reason) => `rule ${rule.id} (shell): ${reason}`));
          if (!rule.shadow) shellAsks = mergeShellAsks(shellAsks, verdict);
        }
      } catch (error) {
        // Fail closed: a rule that cannot be evaluated denies.
        this.evaluationErrors++;
        errors.push(rule.id);
        reasons.push(`rule ${rule.id} could not be evaluated (${(error as Error).message}): deny`);
        matched = true;
        decision = 'deny';
      }
      if (!matched) continue;
      if (rule.shadow) {
        shadow.push({ rule: rule.id, decision });
        reasons.push(`shadow rule ${rule.id} would ${decision} (not enforced)`);
        continue;
      }
      if (!winner || outranks(decision, winner.decision)) winner = decision === rule.decision ? rule : { ...rule, decision };
    }
    const commandArgument = guarded || !this.defaultShellGuard ? undefined : commandArgumentOf(call.tool, call.definition);
    if (commandArgument !== undefined && this.defaultShellGuard) {
      // A terminal tool without a shell rule still gets its command line checked.
      const verdict = await this.defaultShellGuard.decide(call.arguments?.[commandArgument], call.arguments);
      reasons.push(...verdict.reasons.map((reason) => `${DEFAULT_SHELL_RULE}: ${reason}`));
      shellAsks = mergeShellAsks(shellAsks, verdict);
      if (!winner || outranks(verdict.decision, winner.decision)) {
        winner = { id: DEFAULT_SHELL_RULE, decision: verdict.decision, shell: undefined, shadow: false, reason: undefined, server: undefined, tool: undefined, tiers: undefined, principal: undefined, conditions: [] };
      }
    }
    if (winner) {
      reasons.push(`rule ${winner.id}: ${winner.decision}${winner.reason ? ` (${winner.reason})` : ''}`);
      return { decision: winner.decision, tier, destructive, rule: winner.id, ruleReason: winner.reason, reasons, shadow, errors, ...(shellAsks ? { shell: shellAsks } : {}) };
    }
    const decision = this.defaults[tier];
    reasons.push(`no rule matched: the default for ${tier} is ${decision}`);
    return { decision, tier, destructive, rule: null, ruleReason: undefined, reasons, shadow, errors };
  }

  private async conditionsHold(rule: CompiledRule, args: Arguments): Promise<boolean> {
    for (const condition of rule.conditions) if (!(await condition.holds(args))) return false;
    return true;
  }

  /**
   * What the policy says of a tool before any arguments are known: the decision of the rules
   * that need no arguments (or the default), and whether rules on arguments may change it.
   */
  toolVerdict(server: string, tool: string, definition?: ToolDefinition): { decision: PolicyVerdict; tier: Tier; destructive: boolean; rule: string | null; reason: string; dependsOnArguments: boolean } {
    const { tier, destructive } = this.classify(server, tool, definition);
    const call: ToolCall = { server, tool, arguments: undefined, principal: '*', definition };
    let winner: CompiledRule | undefined;
    let dependsOnArguments = false;
    for (const rule of this.rules) {
      if (rule.shadow || !this.appliesTo(rule, call, tier)) continue;
      if (rule.principal || rule.conditions.length > 0 || rule.shell) {
        dependsOnArguments = true;
        continue;
      }
      if (!winner || outranks(rule.decision, winner.decision)) winner = rule;
    }
    if (this.defaultShellGuard && commandArgumentOf(tool, definition) !== undefined) dependsOnArguments = true;
    const decision = winner?.decision ?? this.defaults[tier];
    const reason = winner ? `rule ${winner.id}` : `default for ${tier}`;
    return { decision, tier, destructive, rule: winner?.id ?? null, reason, dependsOnArguments };
  }

  /** A tool every call of which is denied: hidden from tools/list when hideDenied is on. */
  hides(server: string, tool: string, definition?: ToolDefinition): boolean {
    if (!this.hideDenied) return false;
    const verdict = this.toolVerdict(server, tool, definition);
    // A rule's deny outranks everything; a default deny yields to rules that may allow.
    return verdict.decision === 'deny' && (verdict.rule !== null || !verdict.dependsOnArguments);
  }
}
