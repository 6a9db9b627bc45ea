/**
 * Servers configured with `sharing: shared`: one connection serves every session. What the server
 * says must still reach the right session only. Resource updates go to the sessions subscribed to
 * the URI; a log line or a server-to-client request goes to the one session with a call in flight
 * on the server. A request that cannot be attributed to one session is refused (fail closed).
 */
import type { ClientCapabilities, JSONRPCNotification, JSONRPCRequest } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/compile.js';
import { BastionError } from '../errors/bastionError.js';
import type { Logger } from '../log/logger.js';
import type { Recorder } from '../telemetry/recorder.js';
import type { JsonObject } from '../upstream/passthrough.js';
import { Upstream, type UpstreamEvents, type UpstreamState } from '../upstream/upstream.js';
import type { SessionScope } from './sessionScope.js';

interface SharedEntry {
  readonly upstream: Upstream;
  readonly scopes: Set<SessionScope>;
}

export class SharedUpstreams implements UpstreamEvents {
  private readonly entries = new Map<string, SharedEntry>();

  constructor(
    private readonly log: Logger,
    private readonly recorder?: Recorder,
  ) {}

  /** The shared connection to a server, started on first use with the first client's capabilities. */
  acquire(spec: ServerSpec, capabilities: ClientCapabilities, scope: SessionScope): Upstream {
    let entry = this.entries.get(spec.name);
    if (!entry) {
      entry = { upstream: new Upstream(spec, capabilities, this, this.log.child({ server: spec.name, sharing: 'shared' }), this.recorder?.upstreamListener(spec.name, null)), scopes: new Set() };
      this.entries.set(spec.name, entry);
      entry.upstream.start();
    }
    entry.scopes.add(scope);
    return entry.upstream;
  }

  release(scope: SessionScope): void {
    for (const entry of this.entries.values()) entry.scopes.delete(scope);
  }

  private scopesOf(server: string): SessionScope[] {
    return [...(this.entries.get(server)?.scopes ?? [])];
  }

  onNotification(server: string, notification: JSONRPCNotification): void {
    const scopes = this.scopesOf(server);
    if (notification.method === 'notifications/message') {
      const busy = scopes.filter((scope) => scope.hasCallsOn(server));
      for (const scope of busy.length === 1 ? busy : scopes) scope.onNotification(server, notification);
      return;
    }
    // Each scope filters resource updates by its own subscriptions.
    for (const scope of scopes) scope.onNotification(server, notification);
  }

  onServerRequest(server: string, request: JSONRPCRequest, signal: AbortSignal): Promise<JsonObject> {
    const scopes = this.scopesOf(server);
    const busy = scopes.filter((scope) => scope.hasCallsOn(server));
    const owner = busy.length === 1 ? busy[0] : busy.length === 0 && scopes.length === 1 ? scopes[0] : undefined;
    if (!owner) {
      const why = busy.length > 1 ? `${busy.length} sessions have calls in flight on it` : 'no session has a call in flight on it';
      throw new BastionError(
        'BASTION_NO_CLIENT',
        `Server '${server}' sent ${request.method}, but ${why}, so Bastion cannot tell which client it is for; set sharing: per-session for this server`,
        { server, method: request.method },
      );
    }
    return owner.onServerRequest(server, request, signal);
  }

  onStreamDropped(server: string): void {
    for (const scope of this.scopesOf(server)) if (scope.hasCallsOn(server)) scope.onStreamDropped(server);
  }

  onStateChange(server: string, state: UpstreamState): void {
    for (const scope of this.scopesOf(server)) scope.onStateChange(server, state);
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map(({ upstream }) => upstream.close()));
  }
}
