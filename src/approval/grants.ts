/**
 * Approvals granted for a session, until they expire or the session ends:
 * - an identical-call grant covers the next calls with the same binding (same arguments). It never
 *   covers `execute` or `unknown` tools: nothing that runs code is approved without a person
 *   seeing that very call;
 * - a pattern grant ("git diff *" for this tool, in this session, for an hour) covers later shell
 *   commands whose every command that asks matches it. It is what a person explicitly scoped, so
 *   it may cover execute tools; it never covers what asks for another reason (a dangerous flag,
 *   privileges, computed arguments), nor anything denied.
 */
import type { Tier } from '../policy/tiers.js';
import { patternMatches } from '../policy/shell/guard.js';
import { bindingKey, type Binding } from './binding.js';

interface PatternGrant {
  readonly principal: string;
  readonly server: string;
  readonly tool: string;
  readonly pattern: string;
  readonly expiresAt: number;
}

interface Grant {
  readonly key: string;
  readonly expiresAt: number;
}

export class SessionGrants {
  private readonly grants = new Map<string, Grant[]>();
  private readonly patterns = new Map<string, PatternGrant[]>();

  static coverable(tier: Tier): boolean {
    return tier === 'read' || tier === 'write';
  }

  grant(binding: Binding, ttlMs = Infinity): void {
    const list = this.grants.get(binding.session) ?? [];
    list.push({ key: bindingKey(binding), expiresAt: Date.now() + ttlMs });
    this.grants.set(binding.session, list);
  }

  covers(binding: Binding, tier: Tier): boolean {
    if (!SessionGrants.coverable(tier)) return false;
    const key = bindingKey(binding);
    const now = Date.now();
    return (this.grants.get(binding.session) ?? []).some((grant) => grant.key === key && grant.expiresAt > now);
  }

  grantPattern(binding: Binding, pattern: string, ttlMs = Infinity): void {
    const list = this.patterns.get(binding.session) ?? [];
    list.push({ principal: binding.principal, server: binding.server, tool: binding.tool, pattern, expiresAt: Date.now() + ttlMs });
    this.patterns.set(binding.session, list);
  }

  /** The pattern that covers every command of a call that asks, if granted. */
  coveringPattern(binding: Binding, commands: ReadonlyArray<readonly string[]>): string | undefined {
    if (commands.length === 0) return undefined;
    const now = Date.now();
    const live = (this.patterns.get(binding.session) ?? []).filter(
      (grant) => grant.expiresAt > now && grant.principal === binding.principal && grant.server === binding.server && grant.tool === binding.tool,
    );
    const used = new Set<string>();
    for (const words of commands) {
      const grant = live.find((each) => patternMatches(each.pattern, words));
      if (!grant) return undefined;
      used.add(grant.pattern);
    }
    return [...used].join(', ');
  }

  endSession(session: string): void {
    this.grants.delete(session);
    this.patterns.delete(session);
  }
}
