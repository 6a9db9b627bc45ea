/**
 * On call: tools whose definition changed since it was pinned, or that appeared since, are held
 * out until a person approves them (src/trust/toolPins.ts): tools/list leaves them out, and a
 * call to one is refused, saying what to run to review it. Each tools/list compares every
 * listed server's full tool list with its pins, and pins a server's tools on first sight.
 */
import type { ToolDefinitionLike, ToolPins } from '../../trust/toolPins.js';
import type { Logger } from '../../log/logger.js';
import type { Stage } from '../compose.js';
import type { CallContext } from '../context.js';

export function pinsStage(pins: ToolPins, log: Logger): Stage {
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
