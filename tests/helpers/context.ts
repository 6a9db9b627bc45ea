/** A CallContext for a tools/call already routed, as the pipeline's stages see it, for stage tests and benchmarks. */
import type { CallContext, SessionView } from '../../src/pipeline/context.js';

export interface RoutedTool {
  readonly exposed: string;
  readonly server: string;
  readonly name: string;
  readonly definition: Record<string, unknown>;
}

export function toolCallContext(tool: RoutedTool, args: Record<string, unknown>, view: SessionView): CallContext {
  return {
    method: 'tools/call',
    params: { name: tool.exposed, arguments: args },
    requestId: 1,
    caller: { sessionId: 's', principal: 'anonymous', clientName: undefined, clientVersion: undefined },
    view,
    signal: new AbortController().signal,
    notify: async () => undefined,
    startedAt: 0,
    target: { server: tool.server, name: tool.name, definition: tool.definition, params: { name: tool.name, arguments: args } },
  };
}
