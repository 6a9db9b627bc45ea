/**
 * Streamable HTTP for clients of protocol revision 2026-07-28, on the same endpoints as session
 * clients: the app sends here every POST whose body the SDK classifies as modern (a request that
 * carries the per-request `_meta` envelope). The SDK's handler checks what the revision requires
 * of the wire (Mcp-Method and Mcp-Name against the body, -32020 on a mismatch; the protocol version;
 * removed methods), answers `server/discover`, and serves `subscriptions/listen` streams; every
 * other request reaches Bastion's pipeline through StatelessClients. The edge only translates.
 */
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { ServeSettings } from '../../config/compile.js';
import type { Gateway } from '../../gateway/gateway.js';
import { STATELESS_METHODS } from '../../gateway/methods.js';
import { endpointKey, StatelessClients } from '../../gateway/statelessClients.js';
import type { Logger } from '../../log/logger.js';
import type { JsonObject } from '../../upstream/passthrough.js';
import { httpError } from './httpError.js';

/** The SDK answers these itself, on every endpoint. */
const SDK_METHODS = new Set(['server/discover', 'subscriptions/listen']);

/** A request for a method Bastion does not serve in this revision: 404 with -32601, as the revision requires. */
function unservedMethod(body: unknown): Response | undefined {
  const request = body as { id?: unknown; method?: unknown } | null;
  if (typeof request?.method !== 'string' || !(typeof request.id === 'string' || typeof request.id === 'number')) return undefined;
  if (STATELESS_METHODS.has(request.method) || SDK_METHODS.has(request.method)) return undefined;
  return httpError('BASTION_METHOD_NOT_FOUND', `Method not found: ${request.method}`, { status: 404, id: request.id });
}

/** The resource URIs a `subscriptions/listen` request asks updates of. */
function listenedResources(body: unknown): string[] {
  const request = body as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | null;
  if (request?.method !== 'subscriptions/listen') return [];
  const uris = request.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((uri): uri is string => typeof uri === 'string') : [];
}

export class StatelessEndpoint {
  readonly clients: StatelessClients;
  /** One SDK handler per endpoint, so that a listen stream hears only its endpoint's servers. */
  private readonly handlers = new Map<string, McpHttpHandler>();

  constructor(
    gateway: Gateway,
    private readonly settings: ServeSettings,
    private readonly log: Logger,
  ) {
    this.clients = new StatelessClients(gateway, settings.sessionIdleTimeoutMs, log.child({ component: 'stateless' }), (key, method, params) =>
      this.announce(key, method, params),
    );
  }

  /** Serves one classified-modern POST; `body` is the parsed JSON. */
  async handle(request: Request, body: unknown, server: string | undefined, principal: string): Promise<Response> {
    const unserved = unservedMethod(body);
    if (unserved) return unserved;
    const response = await this.handlerFor(server, principal).fetch(request, { parsedBody: body });
    const uris = listenedResources(body);
    // An opened listen stream wants its resources' updates until the client closes it.
    if (uris.length > 0 && response.ok && response.headers.get('content-type')?.includes('text/event-stream')) {
      await this.clients.listen(principal, server, uris, request.signal);
    }
    return response;
  }

  private handlerFor(server: string | undefined, principal: string): McpHttpHandler {
    // Until authentication lands there is one principal; the handler is keyed by it all the same.
    const key = endpointKey(principal, server);
    let handler = this.handlers.get(key);
    if (!handler) {
      handler = createMcpHandler(() => this.clients.server(server, principal), {
        legacy: 'reject',
        maxRequestBodySize: this.settings.maxBodyBytes,
        onerror: (error) => this.log.debug({ error: error.message }, 'stateless request refused'),
      });
      this.handlers.set(key, handler);
    }
    return handler;
  }

  /** An upstream's change, told to the listen streams of the principal's endpoint. */
  private announce(key: string, method: string, params: JsonObject | undefined): void {
    const handler = this.handlers.get(key);
    if (handler) {
      if (method === 'notifications/tools/list_changed') handler.notify.toolsChanged();
      else if (method === 'notifications/prompts/list_changed') handler.notify.promptsChanged();
      else if (method === 'notifications/resources/list_changed') handler.notify.resourcesChanged();
      else if (method === 'notifications/resources/updated' && typeof params?.uri === 'string') handler.notify.resourceUpdated(params.uri);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.handlers.values()].map((handler) => handler.close()));
    await this.clients.close();
  }
}
