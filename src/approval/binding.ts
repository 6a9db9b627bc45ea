/**
 * What an approval is bound to: principal, session, server, tool, the exact arguments (a SHA-256
 * of their canonical JSON, keys sorted) and the policy version. Arguments that differ by one byte
 * have another hash, so they need another approval.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

export function argumentsHash(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args ?? {})).digest('hex');
}

export interface Binding {
  readonly principal: string;
  readonly session: string;
  readonly server: string;
  readonly tool: string;
  readonly argumentsHash: string;
  readonly policyVersion: string;
}

export function bindingKey(binding: Binding): string {
  return [binding.principal, binding.session, binding.server, binding.tool, binding.argumentsHash, binding.policyVersion].join('\u0000');
}
