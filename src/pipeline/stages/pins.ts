/**
 * On call: tools whose definition changed since it was pinned, or that appeared since, are held
 * out until a person approves them (src/trust/toolPins.ts): tools/list leaves them out, and a
 * call to one is refused, saying what to run to review it. When the calling client can be asked
 * (elicitation, an approval channel), it is shown the change and asked first; approving pins the
 * new definition. Each tools/list compares every listed server's full tool list with its pins,
 * and pins a server's tools on first sight.
 */
import { definitionDiff } from '../../trust/definitionDiff.js';
import type { ToolDefinitionLike, ToolPins } from '../../trust/toolPins.js';
import type { Logger } from '../../log/logger.js';
import type { Stage } from '../compose.js';
import type { CallContext } from '../context.js';

export interface PinApproval {
  /** Whether the approval channels include asking the calling client (elicitation). */
  readonly elicit: boolean;
  readonly timeoutMs: number;
}

export function pinsStage(pins: ToolPins, log: Logger, approval: PinApproval = { elicit: false, timeoutMs: 0 }): Stage {
  return async function pinned(ctx, next) {
    if (ctx.method === 'tools/list') {
      await next();
      await holdChanged(ctx, pins, log);
      return;
    }
    if (ctx.method !== 'tools/call' || !ctx.target?.name || !ctx.target.definition) return next();
    const { server, name, definition } = ctx.target;
    if (!pins.load(server)) await observe(ctx, pins, server, log);
    if (pins.isHeld(server, definition as ToolDefinitionLike)) {
      if (approval.elicit && ctx.view.canElicit(ctx) && (await askClient(ctx, pins, server, name, approval.timeoutMs, log))) return next();
      ctx.denial = {
        code: 'BASTION_TOOL_CHANGED',
        detail: `Bastion held back the call to ${String(ctx.params?.name)}: its definition is new or changed since it was approved, and a person must review it first (bastion pins diff ${server} ${name}; then bastion pins approve ${server} ${name}).`,
        rule: 'pins',
      };
      return;
    }
    return next();
  };
}

async function observe(ctx: CallContext, pins: ToolPins, server: string, log: Logger): Promise<Set<string>> {
  const upstream = ctx.view.upstream(server);
  if (!upstream || upstream.state !== 'ready') return new Set();
  const tools = (await upstream.list('tools')) as ToolDefinitionLike[];
  const held = pins.observe(server, tools, upstream.instructions);
  if (held.size > 0) log.warn({ server, held: [...held] }, 'tool definitions changed or added since approved: held out until approved (bastion pins diff)');
  return held;
}

async function holdChanged(ctx: CallContext, pins: ToolPins, log: Logger): Promise<void> {
  const tools = ctx.result?.tools;
  if (!Array.isArray(tools)) return;
  const routes = tools.map((tool: { name?: unknown }) => (typeof tool.name === 'string' ? ctx.view.catalog.knownTool(tool.name) : undefined));
  const held = new Map<string, Set<string>>();
  for (const server of new Set(routes.flatMap((route) => (route ? [route.server] : [])))) held.set(server, await observe(ctx, pins, server, log));
  const visible = tools.filter((_tool, index) => {
    const route = routes[index];
    return !route || !held.get(route.server)?.has(route.name);
  });
  if (visible.length !== tools.length) ctx.result = { ...ctx.result, tools: visible };
}

/** Shows the change to the calling client's user and asks; true when they approved the new definition (now pinned). */
async function askClient(ctx: CallContext, pins: ToolPins, server: string, name: string, timeoutMs: number, log: Logger): Promise<boolean> {
  if (!pins.load(server)?.pending.tools[name]) await observe(ctx, pins, server, log);
  const current = pins.load(server);
  const change = current?.pending.tools[name];
  if (!current || !change) return false;
  const before = change.kind === 'changed' ? current.tools[name]?.definition : change.renamedFrom ? current.tools[change.renamedFrom]?.definition : undefined;
  const message = [
    `The tool ${String(ctx.params?.name)} (server ${server}) is ${change.kind === 'changed' ? 'changed since you approved it' : 'new'}. The model reads its description as instructions.`,
    definitionDiff(`${server}/${name}`, before, change.definition),
    'Approve this definition? Until you do, Bastion holds the tool out.',
  ].join('\n');
  try {
    const answer = await ctx.view.elicit(
      { mode: 'form', message, requestedSchema: { type: 'object', properties: { decision: { type: 'string', title: 'Decision', enum: ['approve', 'keep_held'] } }, required: ['decision'] } },
      AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      ctx,
    );
    if (answer.action !== 'accept' || (answer.content as { decision?: unknown } | undefined)?.decision !== 'approve') return false;
  } catch (error) {
    log.info({ server, tool: name, error: (error as Error).message }, 'asking the client to approve a changed tool failed; it stays held');
    return false;
  }
  pins.approve(server, [name]);
  log.info({ server, tool: name, via: 'elicitation' }, 'changed tool definition approved by the client');
  return true;
}
