/**
 * On call: the policy decides every tool call allow, ask or deny, from the tool's tier and the
 * rules. A denial names what was blocked, why, and the rule; `ask` holds the call until a human
 * answers (src/approval/), and anything but an approval denies it, saying why. On tools/list,
 * tools that every call would deny are taken out, so that the model never sees them.
 */
import type { ApprovalTrail } from '../../audit/record.js';
import type { Logger } from '../../log/logger.js';
import type { CompiledPolicy, PolicyDecision } from '../../policy/policy.js';
import type { ToolDefinition } from '../../policy/tiers.js';
import type { Stage } from '../compose.js';
import type { CallContext, Denial } from '../context.js';

/** Where the stage reads the policy in force; a reload replaces it between calls, never during one. */
export interface PolicySource {
  readonly current: CompiledPolicy;
}

/** Asks a human about a call the policy decided ask. */
export interface Approver {
  decide(ctx: CallContext, decision: PolicyDecision, policyVersion: string): Promise<{ approved: boolean; detail: string; trail: ApprovalTrail }>;
}

export function policyStage(source: PolicySource, log: Logger, approver?: Approver): Stage {
  return async function policy(ctx, next) {
    const current = source.current;
    if (ctx.method === 'tools/list') {
      await next();
      hideDenied(ctx, current);
      return;
    }
    if (ctx.method !== 'tools/call' || !ctx.target?.name) return next();
    const decision = await current.decide({
      server: ctx.target.server,
      tool: ctx.target.name,
      arguments: ctx.target.params?.arguments as Record<string, unknown> | undefined,
      principal: ctx.caller.principal,
      definition: ctx.target.definition as ToolDefinition | undefined,
    });
    ctx.policy = decision;
    if (decision.shadow.length > 0 || decision.errors.length > 0) {
      log.info({ server: ctx.target.server, tool: ctx.target.name, decision: decision.decision, shadow: decision.shadow, ruleErrors: decision.errors }, 'policy: shadow rules matched or rules failed');
    }
    if (decision.decision === 'allow') return next();
    if (decision.decision === 'ask') {
      const outcome = approver
        ? await approver.decide(ctx, decision, current.version)
        : { approved: false, detail: 'no approval channel is configured', trail: { id: null, outcome: 'unreachable' as const, via: null, by: null, at: new Date().toISOString(), scope: null } };
      ctx.approval = outcome.trail;
      if (outcome.approved) return next();
      ctx.denial = denialOf(ctx, decision, outcome.detail);
      return;
    }
    ctx.denial = denialOf(ctx, decision);
  };
}

function denialOf(ctx: CallContext, decision: PolicyDecision, approvalDetail = ''): Denial {
  const tool = String(ctx.params?.name);
  const why = decision.ruleReason ?? (decision.rule ? `rule ${decision.rule} matched` : `the default for ${decision.tier} tools is ${decision.decision}`);
  const rule = decision.rule ?? `default:${decision.tier}`;
  if (decision.decision === 'ask') {
    return {
      code: 'BASTION_APPROVAL_REQUIRED',
      detail: `Bastion blocked the call to ${tool} (a ${decision.tier} tool): it needs a human's approval (${why}), and it was not given: ${approvalDetail}. Rule: ${rule}.`,
      rule,
    };
  }
  return { code: 'BASTION_POLICY_DENIED', detail: `Bastion blocked the call to ${tool} (a ${decision.tier} tool): ${why}. Rule: ${rule}.`, rule };
}

function hideDenied(ctx: CallContext, current: CompiledPolicy): void {
  const tools = ctx.result?.tools;
  if (!current.hideDenied || !Array.isArray(tools)) return;
  const visible = tools.filter((tool: { name?: unknown }) => {
    const route = typeof tool.name === 'string' ? ctx.view.catalog.knownTool(tool.name) : undefined;
    return !route || !current.hides(route.server, route.name, route.definition as unknown as ToolDefinition);
  });
  if (visible.length !== tools.length) ctx.result = { ...ctx.result, tools: visible };
}
