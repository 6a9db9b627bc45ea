/**
 * In-process microbenchmarks of the pipeline's stages, in µs per call over a chain that only calls
 * next (the floor): the policy (defaults, and a typical rule set), the shell guard deciding a
 * terminal tool's command line, the audit stage on SQLite (one call in flight, and 64 sharing
 * commits), and the trace and metrics stages. `npm run bench` reports them beside the end-to-end
 * figures; `npm run bench:audit` prints the audit rows alone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../../src/audit/redact.js';
import { SqliteStore } from '../../src/audit/stores/sqlite.js';
import { AuditWriter } from '../../src/audit/writer.js';
import { createLogger } from '../../src/log/logger.js';
import { compose, type Stage } from '../../src/pipeline/compose.js';
import type { CallContext, SessionView } from '../../src/pipeline/context.js';
import { auditStage } from '../../src/pipeline/stages/audit.js';
import { metricsStage } from '../../src/pipeline/stages/metrics.js';
import { policyStage } from '../../src/pipeline/stages/policy.js';
import { traceStage } from '../../src/pipeline/stages/trace.js';
import { CompiledPolicy } from '../../src/policy/policy.js';
import { Metrics } from '../../src/telemetry/metrics.js';
import { Tracing } from '../../src/telemetry/tracing.js';
import { toolCallContext } from '../../tests/helpers/context.js';

export interface StageFigure {
  readonly stage: string;
  /** Wall time per call over the floor. */
  readonly us: number;
  /** Process CPU time per call (all threads), stage and floor together. */
  readonly cpuUs: number;
}

const CALLS = 20_000;
const view = { catalog: { knownTool: () => undefined } } as unknown as SessionView;
const readFile = { exposed: 'read_file', server: 'fs', name: 'read_file', definition: { name: 'read_file', annotations: { readOnlyHint: true } } };
const terminal = {
  exposed: 'start_process',
  server: 'shell',
  name: 'start_process',
  definition: { name: 'start_process', inputSchema: { type: 'object', properties: { command: { type: 'string' }, timeout_ms: { type: 'number' } } } },
};
const readArgs = { path: '/srv/project/src/index.ts', encoding: 'utf8', token: 'secret-value', note: 'export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789' };
const shellArgs = { command: "git status && git diff --stat HEAD~3 -- src tests | grep -v node_modules; ls -la /tmp/project/build | wc -l", timeout_ms: 5000 };
const result = { content: [{ type: 'text', text: 'x'.repeat(2048) }] };

/** Best of five rounds: wall and CPU time per call, with `inFlight` calls running at once. */
export async function perCall(stages: readonly Stage[], context: () => CallContext, inFlight = 1): Promise<{ wallNs: number; cpuNs: number }> {
  const chain = compose([...stages, async (ctx) => void (ctx.result = result)]);
  let best = { wallNs: Infinity, cpuNs: Infinity };
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let issued = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (issued < CALLS) {
          issued++;
          const ctx = context();
          (ctx as { startedAt: number }).startedAt = performance.now();
          await chain(ctx);
        }
      }),
    );
    const wallNs = Number(process.hrtime.bigint() - started) / CALLS;
    const used = process.cpuUsage(cpu);
    if (wallNs < best.wallNs) best = { wallNs, cpuNs: ((used.user + used.system) * 1000) / CALLS };
  }
  return best;
}

const floorStage: Stage = async (_ctx, next) => next();
const readCall = () => toolCallContext(readFile, readArgs, view);
const shellCall = () => toolCallContext(terminal, shellArgs, view);

async function figure(stage: string, stages: readonly Stage[], context: () => CallContext, inFlight = 1): Promise<StageFigure> {
  const floor = await perCall([floorStage], context, inFlight);
  const measured = await perCall(stages, context, inFlight);
  return { stage, us: (measured.wallNs - floor.wallNs) / 1000, cpuUs: measured.cpuNs / 1000 };
}

async function withAudit(durability: 'process' | 'os', use: (stage: Stage) => Promise<StageFigure>): Promise<StageFigure> {
  const writer = new AuditWriter(new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bastion-bench-audit-')), 'audit.db'), { durability }), createLogger('silent'));
  try {
    return await use(auditStage(writer, new Redactor(), { onFailure: 'deny' }));
  } finally {
    await writer.close();
  }
}

export async function auditFigures(): Promise<StageFigure[]> {
  const figures: StageFigure[] = [];
  for (const durability of ['process', 'os'] as const) {
    for (const inFlight of [1, 64]) {
      figures.push(await withAudit(durability, (stage) => figure(`audit (sqlite, durability ${durability}, ${inFlight} in flight)`, [stage], readCall, inFlight)));
    }
  }
  return figures;
}

export async function stageFigures(): Promise<StageFigure[]> {
  const log = createLogger('silent');
  const typical = new CompiledPolicy({
    rules: [
      ...Array.from({ length: 8 }, (_, index) => ({ id: `other-${index}`, server: `server-${index}`, tool: 'delete_*', decision: 'deny' as const })),
      { id: 'no-keys', tool: 'write_*', arguments: [{ pointer: '/content', regex: 'AKIA[0-9A-Z]{16}' }], decision: 'deny' },
      { id: 'env-files', tool: '*', arguments: [{ pointer: '/path', glob: '**/.env*' }], decision: 'deny' },
    ],
  });
  return [
    await figure('policy (defaults)', [policyStage({ current: new CompiledPolicy({}) }, log)], readCall),
    await figure('policy (10 rules)', [policyStage({ current: typical }, log)], readCall),
    await figure('policy + shell guard (a 100-character command line)', [policyStage({ current: new CompiledPolicy({ defaults: { execute: 'allow' } }) }, log)], shellCall),
    ...(await auditFigures()),
    await figure('trace + metrics', [traceStage(new Tracing({ endpoint: undefined, serviceName: 'bench', sampleRatio: 1 })), metricsStage(new Metrics(() => 0))], readCall),
  ];
}
