/**
 * On call: decides which upstream server a request goes to, and rewrites namespaced names to
 * the server's own. An unknown tool, prompt or resource is refused here with a stable code.
 */
import type { Catalog } from '../../gateway/catalog.js';
import { BROADCAST_METHODS, LIST_METHODS } from '../../gateway/methods.js';
import type { JsonObject } from '../../upstream/passthrough.js';
import type { Stage } from '../compose.js';
import type { CallContext, Denial, Target } from '../context.js';

type Resolution = Target | Denial;

export function routeStage(): Stage {
  return async function route(ctx, next) {
    if (LIST_METHODS[ctx.method] || BROADCAST_METHODS.has(ctx.method)) return next();
    const resolution = await resolve(ctx.view.catalog, ctx);
    if ('code' in resolution) {
      ctx.denial = resolution;
      return;
    }
    ctx.target = resolution;
    return next();
  };
}

function stringParam(ctx: CallContext, key: string): string | undefined {
  const value = ctx.params?.[key];
  return typeof value === 'string' ? value : undefined;
}

async function resolve(catalog: Catalog, ctx: CallContext): Promise<Resolution> {
  const params = ctx.params ?? {};
  switch (ctx.method) {
    case 'tools/call':
    case 'prompts/get': {
      const isTool = ctx.method === 'tools/call';
      const exposed = stringParam(ctx, 'name');
      if (!exposed) return { code: 'BASTION_INVALID_PARAMS', detail: `${ctx.method}: params.name must be a string` };
      const route = isTool ? await catalog.resolveTool(exposed) : await catalog.resolvePrompt(exposed);
      if (!route) {
        return isTool
          ? { code: 'BASTION_UNKNOWN_TOOL', detail: `Unknown tool: ${exposed}. Call a tool by the name tools/list shows` }
          : { code: 'BASTION_UNKNOWN_PROMPT', detail: `Unknown prompt: ${exposed}. Get a prompt by the name prompts/list shows` };
      }
      return { server: route.server, name: route.name, definition: route.definition, params: { ...params, name: route.name } };
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const uri = stringParam(ctx, 'uri');
      if (!uri) return { code: 'BASTION_INVALID_PARAMS', detail: `${ctx.method}: params.uri must be a string` };
      const server = await catalog.resolveResource(uri);
      if (!server) return { code: 'BASTION_UNKNOWN_RESOURCE', detail: `Unknown resource: ${uri}. No server lists it or a template that matches it` };
      return { server, params };
    }
    case 'completion/complete':
      return resolveCompletion(catalog, params);
    default:
      return { code: 'BASTION_METHOD_NOT_FOUND', detail: `Method not found: ${ctx.method}` };
  }
}

async function resolveCompletion(catalog: Catalog, params: JsonObject): Promise<Resolution> {
  const ref = params.ref as JsonObject | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
    const route = await catalog.resolvePrompt(ref.name);
    if (!route) return { code: 'BASTION_UNKNOWN_PROMPT', detail: `Unknown prompt: ${ref.name}` };
    return { server: route.server, name: route.name, params: { ...params, ref: { ...ref, name: route.name } } };
  }
  if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
    const server = (await catalog.resolveTemplate(ref.uri)) ?? (await catalog.resolveResource(ref.uri));
    if (!server) return { code: 'BASTION_UNKNOWN_RESOURCE', detail: `Unknown resource or template: ${ref.uri}` };
    return { server, params };
  }
  return { code: 'BASTION_INVALID_PARAMS', detail: 'completion/complete: params.ref must be a ref/prompt with a name or a ref/resource with a uri' };
}
