/**
 * What Bastion learned of each upstream's protocol era: a 2026-07-28 server's discovery result,
 * or that the server speaks the session era only. The first connection probes (server/discover,
 * falling back to initialize); later connections to the same server, in any session, start from
 * the verdict without probing again. A verdict that fails (the server changed) is forgotten.
 */
import type { PriorDiscovery } from '@modelcontextprotocol/client';
import type { ServerSpec } from '../config/compile.js';

const verdicts = new Map<string, PriorDiscovery>();

/** One server as configured: a changed command or URL is another server. */
function keyOf(spec: ServerSpec): string {
  return JSON.stringify(spec.transport === 'stdio' ? [spec.name, spec.command, spec.args] : [spec.name, spec.url]);
}

export const eraMemory = {
  recall(spec: ServerSpec): PriorDiscovery | undefined {
    return verdicts.get(keyOf(spec));
  },
  remember(spec: ServerSpec, verdict: PriorDiscovery): void {
    verdicts.set(keyOf(spec), verdict);
  },
  forget(spec: ServerSpec): void {
    verdicts.delete(keyOf(spec));
  },
};
