/**
 * Approvals granted for a session: they cover the next identical calls (same binding) of that
 * session only, until they expire or the session ends. Grants never cover `execute` or `unknown`
 * tools: nothing that runs code is approved without a human seeing that very call.
 */
import type { Tier } from '../policy/tiers.js';
import { bindingKey, type Binding } from './binding.js';

interface Grant {
  readonly key: string;
  readonly expiresAt: number;
}

export class SessionGrants {
  private readonly grants = new Map<string, Grant[]>();

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

  endSession(session: string): void {
    this.grants.delete(session);
  }
}
