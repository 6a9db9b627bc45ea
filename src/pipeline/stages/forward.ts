/**
 * Terminal stage: answers merged lists from the catalog, broadcasts what all servers must hear,
 * and forwards routed requests to their upstream with progress and cancellation mapped. Results
 * come back untouched; failures stay typed (BastionError) or keep the upstream's JSON-RPC error.
 */
import { paginate } from '../../gateway/cursor.js';
import { LIST_METHODS, PAGE_SIZE } from '../../gateway/methods.js';
import type { JsonObject } from '../../upstream/passthrough.js';
import type { Upstream } from '../../upstream/upstream.js';
import type { Stage } from '../compose.js';
import type { CallContext, SessionView } from '../context.js';

export function forwardStage(pageSize = PAGE_SIZE): Stage {
  return async function forward(ctx) {
    const view = ctx.view;
    const listKind = LIST_METHODS[ctx.method];
    if (listKind) {
      const items = await view.catalog.list(listKind);
      const { page, nextCursor } = paginate(items, ctx.params?.cursor, pageSize);
      // Stateless (2026-07-28) clients read cache hints; session clients are never sent them.
      ctx.result = { [listKind]: page, ...(nextCursor ? { nextCursor } : {}), ...(ctx.asker ? view.catalog.hint(listKind) : {}) };
      return;
    }
    if (ctx.method === 'logging/setLevel') {
      await view.setLogLevel(String(ctx.params?.level));
      ctx.result = {};
      return;
    }
    const target = ctx.target;
    if (!target) throw new Error(`forward: no target for ${ctx.method}`);
    const upstream = view.upstream(target.server);
    if (!upstream) throw new Error(`forward: unknown server ${target.server}`);
    ctx.result = await callUpstream(upstream, ctx, target.params, view);
    if (ctx.method === 'resources/subscribe' || ctx.method === 'resources/unsubscribe') {
      view.noteSubscription(ctx.method, target.server, String(target.params?.uri));
    }
  };
}

async function callUpstream(upstream: Upstream, ctx: CallContext, params: JsonObject | undefined, view: SessionView): Promise<JsonObject> {
  const meta = params?._meta as JsonObject | undefined;
  const clientToken = meta?.progressToken;
  let onProgress: ((progress: JsonObject) => void) | undefined;
  let sentProgress = false;
  if (clientToken !== undefined) {
    // The client's token is replaced by one of Bastion's per upstream, and mapped back on the way down.
    onProgress = (progress) => {
      sentProgress = true;
      void ctx.notify('notifications/progress', { ...progress, progressToken: clientToken }).catch(() => undefined);
    };
  }
  const outbound = outboundParams(params, ctx.trace?.carrier);
  const release = view.trackCall(upstream.name, ctx);
  try {
    const result = await upstream.request(ctx.method, outbound, { signal: ctx.signal, ...(onProgress ? { onProgress } : {}) });
    // Progress is already written, in order; one turn of the event loop lets it leave in its own
    // write, so that clients that drop progress sharing a read with its response still see it.
    if (sentProgress) await new Promise((resolve) => setImmediate(resolve));
    return result;
  } catch (error) {
    // Recorded for the on-complete stages (audit), which see every outcome.
    ctx.error = error as Error;
    throw error;
  } finally {
    release();
  }
}

/** The params as sent upstream: the client's progress token taken out, the request's trace context put in. */
function outboundParams(params: JsonObject | undefined, traceCarrier: Readonly<Record<string, string>> | undefined): JsonObject | undefined {
  const meta = params?._meta as JsonObject | undefined;
  if (!traceCarrier && meta?.progressToken === undefined) return params;
  const { progressToken: _dropped, ...restMeta } = meta ?? {};
  const outMeta = { ...restMeta, ...traceCarrier };
  const { _meta: _old, ...rest } = params ?? {};
  return Object.keys(outMeta).length > 0 ? { ...rest, _meta: outMeta } : rest;
}
