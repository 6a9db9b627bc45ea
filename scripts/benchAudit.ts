/**
 * `npm run bench:audit`: what the on-complete stages cost per call, in-process, with the audit log
 * on SQLite (WAL) in a temporary directory: the record built and redacted, its group commit
 * awaited, then the metrics and trace stages. Two loads: one call at a time (each waits for its
 * own commit) and 64 in flight (commits shared). Figures are per call, best of five rounds, and
 * relative to a chain that only calls next. Process CPU time per call is shown beside wall time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../src/audit/redact.js';
import { SqliteStore } from '../src/audit/stores/sqlite.js';
import { AuditWriter } from '../src/audit/writer.js';
import { createLogger } from '../src/log/logger.js';
import { compose, type Stage } from '../src/pipeline/compose.js';
import type { SessionView } from '../src/pipeline/context.js';
import { auditStage } from '../src/pipeline/stages/audit.js';
import { metricsStage } from '../src/pipeline/stages/metrics.js';
import { traceStage } from '../src/pipeline/stages/trace.js';
import { Metrics } from '../src/telemetry/metrics.js';
import { Tracing } from '../src/telemetry/tracing.js';
import { toolCallContext } from '../tests/helpers/context.js';

const CALLS = 20_000;
const log = createLogger('silent');
const tool = { exposed: 'read_file', server: 'fs', name: 'read_file', definition: { name: 'read_file', annotations: { readOnlyHint: true } } };
const view = {} as SessionView;
const args = { path: '/srv/project/src/index.ts', encoding: 'utf8', token: 'secret-value', note: 'export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789' };
const result = { content: [{ type: 'text', text: 'x'.repeat(2048) }] };

interface Figures {
  wallNs: number;
  cpuNs: number;
}

async function perCall(stages: Stage[], inFlight: number): Promise<Figures> {
  const chain = compose([...stages, async (ctx) => void (ctx.result = result)]);
  let best: Figures = { wallNs: Infinity, cpuNs: Infinity };
  for (let round = 0; round < 5; round++) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < CALLS) {
          next++;
          const ctx = toolCallContext(tool, args, view);
          (ctx as { startedAt: number }).startedAt = performance.now();
          await chain(ctx);
        }
      }),
    );
    const wallNs = Number(process.hrtime.bigint() - started) / CALLS;
    const used = process.cpuUsage(cpu);
    const cpuNs = ((used.user + used.system) * 1000) / CALLS;
    if (wallNs < best.wallNs) best = { wallNs, cpuNs };
  }
  return best;
}

const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
const floorStage: Stage = async (_ctx, next) => next();

for (const inFlight of [1, 64]) {
  const floor = await perCall([floorStage], inFlight);
  console.log(`\n${inFlight} call${inFlight > 1 ? 's' : ''} in flight; floor (a stage that only calls next): ${us(floor.wallNs)} per call`);
  for (const durability of ['process', 'os'] as const) {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'bastion-bench-audit-')), 'audit.db'), { durability });
    const writer = new AuditWriter(store, log);
    const figures = await perCall([auditStage(writer, new Redactor(), { onFailure: 'deny' })], inFlight);
    console.log(`audit stage, sqlite, durability ${durability}: ${us(figures.wallNs)} per call wall (${us(figures.wallNs - floor.wallNs)} over the floor), ${us(figures.cpuNs)} CPU`);
    await writer.close();
  }
  const metrics = new Metrics(() => 0);
  const figures = await perCall([traceStage(new Tracing({ endpoint: undefined, serviceName: 'bench', sampleRatio: 1 })), metricsStage(metrics)], inFlight);
  console.log(`trace + metrics stages: ${us(figures.wallNs)} per call wall (${us(figures.wallNs - floor.wallNs)} over the floor), ${us(figures.cpuNs)} CPU`);
}
