/**
 * `bastion approvals [--watch]`, `bastion approve ID [--session]`, `bastion deny ID`: a client of
 * the admin API. It finds the API from the config (admin.port) or --url, and reads the token from
 * the data directory. `--watch` shows each pending call as it arrives and takes y (approve once),
 * s (approve for the session) or n (deny).
 */
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_ADMIN_PORT, defaultDataDir, type CompiledConfig } from '../config/compile.js';
import { readToken } from '../edges/admin/token.js';
import type { ApprovalRequest } from '../approval/manager.js';

export class AdminClientError extends Error {
  override readonly name = 'AdminClientError';
}

export interface AdminTarget {
  readonly url: string;
  readonly token: string;
}

/** Where the admin API is and its token: from the config, else the defaults (port 7332, $BASTION_DATA_DIR). */
export function adminTarget(config: CompiledConfig | undefined, url: string | undefined): AdminTarget {
  const dataDir = config?.dataDir ?? defaultDataDir(process.env);
  const token = readToken(dataDir);
  if (!token) throw new AdminClientError(`no admin token in ${dataDir}/admin-token: start Bastion first (or give --config, or set BASTION_DATA_DIR)`);
  return { url: (url ?? `http://127.0.0.1:${config?.admin.port ?? DEFAULT_ADMIN_PORT}`).replace(/\/$/, ''), token };
}

async function call(target: AdminTarget, path: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, { ...init, headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' } });
  } catch (error) {
    throw new AdminClientError(`cannot reach the admin API at ${target.url}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new AdminClientError(body.error ?? `the admin API answered ${response.status}`);
  return body;
}

export async function listApprovals(target: AdminTarget): Promise<ApprovalRequest[]> {
  return ((await call(target, '/admin/approvals')) as { approvals: ApprovalRequest[] }).approvals;
}

export interface AnswerOptions {
  readonly pattern?: string;
  readonly ttl?: string;
}

export async function answerApproval(target: AdminTarget, id: string, decision: 'approve' | 'deny', scope: 'once' | 'session', options: AnswerOptions = {}): Promise<void> {
  await call(target, `/admin/approvals/${encodeURIComponent(id)}`, { method: 'POST', body: JSON.stringify({ decision, scope, ...options }) });
}

export function describe(request: ApprovalRequest): string {
  return [
    `${request.id}  ${request.server}/${request.tool}  ${request.tier}${request.destructive ? ' (destructive)' : ''}  rule ${request.rule ?? `default:${request.tier}`}  expires ${request.expiresAt}`,
    `  arguments: ${JSON.stringify(request.arguments)}`,
    ...request.reasons.map((reason) => `  why: ${reason}`),
  ].join('\n');
}

export function printApprovals(pending: readonly ApprovalRequest[], json: boolean, output: Writable): void {
  output.write(json ? `${JSON.stringify(pending, null, 2)}\n` : pending.length === 0 ? 'no pending approvals\n' : `${pending.map(describe).join('\n\n')}\n`);
}

/** Shows pending approvals as they arrive and answers each from the terminal. */
export async function watchApprovals(target: AdminTarget, input: Readable, output: Writable, pollMs = 500): Promise<void> {
  const terminal = createInterface({ input, output });
  const seen = new Set<string>();
  output.write(`watching ${target.url} for approvals (y: approve once, s: approve for the session, n: deny)\n`);
  for (;;) {
    for (const request of await listApprovals(target)) {
      if (seen.has(request.id)) continue;
      seen.add(request.id);
      output.write(`\n${describe(request)}\n`);
      const choice = (await terminal.question(request.sessionScopeAllowed ? 'approve? [y/s/N] ' : 'approve? [y/N] ')).trim().toLowerCase();
      const decision = choice === 'y' || choice === 's' ? 'approve' : 'deny';
      await answerApproval(target, request.id, decision, choice === 's' ? 'session' : 'once').catch((error: Error) => output.write(`  ${error.message}\n`));
      output.write(`  ${decision === 'approve' ? 'approved' : 'denied'}\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
