/**
 * The merged view of a session's upstreams: tools, prompts, resources and resource templates, and
 * the routing tables built from them. Tools and prompts of a prefixed server are exposed as
 * `<server>__<name>`, others under their own name; resources keep their URIs. Where two servers
 * expose the same name or URI, the first in config order wins and the collision is logged once.
 * Items pass untouched but for the exposed name.
 */
import { UriTemplate } from '@modelcontextprotocol/client';
import type { Logger } from '../log/logger.js';
import type { JsonObject } from '../upstream/passthrough.js';
import type { ListKind, Upstream } from '../upstream/upstream.js';
import { mergeHints, type CacheHint } from '../upstream/cacheHints.js';
import { namespacedName } from './naming.js';

export interface NamedRoute {
  readonly server: string;
  readonly name: string;
  /** The item as the server listed it. */
  readonly definition: JsonObject;
}

interface TemplateRoute {
  readonly server: string;
  readonly uriTemplate: string;
  readonly matcher: UriTemplate | undefined;
}

export class Catalog {
  private toolRoutes = new Map<string, NamedRoute>();
  private promptRoutes = new Map<string, NamedRoute>();
  private resourceRoutes = new Map<string, string>();
  private templateRoutes: TemplateRoute[] = [];
  private readonly reportedCollisions = new Set<string>();

  constructor(
    private readonly upstreams: ReadonlyMap<string, Upstream>,
    private readonly log: Logger,
    private readonly prefixed: (server: string) => boolean,
  ) {}

  /** How long the merged list of one kind may be kept, and by whom (2026-07-28 cache hints). */
  hint(kind: ListKind): CacheHint {
    return mergeHints([...this.upstreams.values()].map((upstream) => upstream.listHint(kind)));
  }

  /** The merged list of one kind, in config order; upstreams that fail to list drop out of it. */
  async list(kind: ListKind): Promise<JsonObject[]> {
    const perServer = await Promise.all(
      [...this.upstreams.values()].map(async (upstream) => {
        await upstream.settled();
        try {
          return { server: upstream.name, items: (await upstream.list(kind)) as JsonObject[] };
        } catch (error) {
          this.log.warn({ server: upstream.name, kind, error: (error as Error).message }, 'upstream list failed; its items are left out');
          return { server: upstream.name, items: [] };
        }
      }),
    );
    switch (kind) {
      case 'tools':
        return this.mergeNamed(perServer, (routes) => (this.toolRoutes = routes));
      case 'prompts':
        return this.mergeNamed(perServer, (routes) => (this.promptRoutes = routes));
      case 'resources':
        return this.mergeResources(perServer);
      case 'resourceTemplates':
        return this.mergeTemplates(perServer);
    }
  }

  private mergeNamed(perServer: Array<{ server: string; items: JsonObject[] }>, install: (routes: Map<string, NamedRoute>) => void): JsonObject[] {
    const routes = new Map<string, NamedRoute>();
    const merged: JsonObject[] = [];
    for (const { server, items } of perServer) {
      for (const item of items) {
        if (typeof item?.name !== 'string') continue;
        const exposed = this.prefixed(server) ? namespacedName(server, item.name) : item.name;
        const owner = routes.get(exposed);
        if (owner) {
          this.reportCollision(exposed, owner.server, server);
          continue;
        }
        routes.set(exposed, { server, name: item.name, definition: item });
        merged.push({ ...item, name: exposed });
      }
    }
    install(routes);
    return merged;
  }

  private mergeResources(perServer: Array<{ server: string; items: JsonObject[] }>): JsonObject[] {
    const routes = new Map<string, string>();
    const merged: JsonObject[] = [];
    for (const { server, items } of perServer) {
      for (const item of items) {
        if (typeof item?.uri !== 'string') continue;
        const owner = routes.get(item.uri);
        if (owner !== undefined) {
          this.reportCollision(item.uri, owner, server);
          continue;
        }
        routes.set(item.uri, server);
        merged.push(item);
      }
    }
    this.resourceRoutes = routes;
    return merged;
  }

  private mergeTemplates(perServer: Array<{ server: string; items: JsonObject[] }>): JsonObject[] {
    const routes: TemplateRoute[] = [];
    const merged: JsonObject[] = [];
    for (const { server, items } of perServer) {
      for (const item of items) {
        if (typeof item?.uriTemplate !== 'string') continue;
        const owner = routes.find((route) => route.uriTemplate === item.uriTemplate);
        if (owner) {
          this.reportCollision(item.uriTemplate, owner.server, server);
          continue;
        }
        routes.push({ server, uriTemplate: item.uriTemplate, matcher: compileTemplate(item.uriTemplate) });
        merged.push(item);
      }
    }
    this.templateRoutes = routes;
    return merged;
  }

  private reportCollision(exposed: string, kept: string, dropped: string): void {
    const key = `${exposed}\u0000${dropped}`;
    if (this.reportedCollisions.has(key)) return;
    this.reportedCollisions.add(key);
    this.log.warn({ exposed, kept, dropped }, 'name or URI offered by two servers: the first in config order serves it');
  }

  /** The route of a tool name from the last listing, without listing again. */
  knownTool(exposed: string): NamedRoute | undefined {
    return this.toolRoutes.get(exposed);
  }

  async resolveTool(exposed: string): Promise<NamedRoute | undefined> {
    return this.resolveNamed(exposed, 'tools', () => this.toolRoutes);
  }

  async resolvePrompt(exposed: string): Promise<NamedRoute | undefined> {
    return this.resolveNamed(exposed, 'prompts', () => this.promptRoutes);
  }

  /** A client may call a name it never listed (or listed before a change): list once more before giving up. */
  private async resolveNamed(exposed: string, kind: ListKind, routes: () => Map<string, NamedRoute>): Promise<NamedRoute | undefined> {
    const known = routes().get(exposed);
    if (known) return known;
    await this.list(kind);
    return routes().get(exposed);
  }

  /** The server of a resource URI: listed resources first, then templates, then the only resource server. */
  async resolveResource(uri: string): Promise<string | undefined> {
    const direct = this.resourceRoutes.get(uri) ?? this.matchTemplate(uri);
    if (direct) return direct;
    await Promise.all([this.list('resources'), this.list('resourceTemplates')]);
    const found = this.resourceRoutes.get(uri) ?? this.matchTemplate(uri);
    if (found) return found;
    // Resources can be unlisted (links returned by tools): with one resource server, it is the owner.
    const resourceServers = [...this.upstreams.values()].filter((upstream) => upstream.capabilities?.resources);
    return resourceServers.length === 1 ? resourceServers[0]?.name : undefined;
  }

  /** The server that declared a resource template, for completion requests that reference it. */
  async resolveTemplate(uriTemplate: string): Promise<string | undefined> {
    const find = () => this.templateRoutes.find((route) => route.uriTemplate === uriTemplate)?.server;
    if (find()) return find();
    await this.list('resourceTemplates');
    return find();
  }

  private matchTemplate(uri: string): string | undefined {
    return this.templateRoutes.find((route) => route.matcher?.match(uri))?.server;
  }
}

function compileTemplate(uriTemplate: string): UriTemplate | undefined {
  try {
    return new UriTemplate(uriTemplate);
  } catch {
    return undefined;
  }
}
