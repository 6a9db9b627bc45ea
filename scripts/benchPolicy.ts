/**
 * `npm run bench:policy`: what the policy stage costs per tool call, in-process, for three
 * policies: none (the defaults), a typical one (ten rules: globs, an RE2 regex, a path root), and
 * one whose path rule resolves symlinks on every call. Figures are per call, best of five rounds,
 * and relative to a stage chain that only calls next (the floor).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, type Stage } from '../src/pipeline/compose.js';
import type { SessionView } from '../src/pipeline/context.js';
import { policyStage } from '../src/pipeline/stages/policy.js';
import { createLogger } from '../src/log/logger.js';
import type { RawPolicy } from '../src/config/policySchema.js';
import { CompiledPolicy } from '../src/policy/policy.js';
import { toolCallContext } from '../tests/helpers/context.js';

const CALLS = 20_000;
const root = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
writeFileSync(join(root, 'a.txt'), 'a');

const typical: RawPolicy = {
  rules: [
    ...Array.from({ length: 8 }, (_, index) => ({ id: `other-${index}`, server: `server-${index}`, tool: 'delete_*', decision: 'deny' as const })),
    { id: 'no-secrets', tool: 'write_*', arguments: [{ pointer: '/content', regex: 'AKIA[0-9A-Z]{16}' }], decision: 'deny' },
    { id: 'env-files', tool: '*', arguments: [{ pointer: '/path', glob: '**/.env*' }], decision: 'deny' },
  ],
};
const withRoots: RawPolicy = { rules: [...(typical.rules ?? []), { id: 'roots', server: 'fs', arguments: [{ pointer: '/path', within: [root] }], decision: 'allow' }] };

const tool = { exposed: 'read_file', server: 'fs', name: 'read_file', definition: { name: 'read_file', annotations: { readOnlyHint: true } } };
const view = { catalog: { knownTool: () => undefined } } as unknown as SessionView;
const context = () => toolCallContext(tool, { path: join(root, 'a.txt') }, view);

async function perCall(stages: Stage[]): Promise<number> {
  const chain = compose([...stages, async (ctx) => void (ctx.result = {})]);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < CALLS; index++) await chain(context());
    best = Math.min(best, Number(process.hrtime.bigint() - started) / CALLS);
  }
  return best;
}

const log = createLogger('silent');
const floor = await perCall([async (_ctx, next) => next()]);
console.log(`floor (a stage that only calls next): ${(floor / 1000).toFixed(2)} µs per call`);
for (const [label, raw] of [
  ['default policy, no rules', {}],
  ['typical policy, 10 rules', typical],
  ['10 rules + a path root (realpath per call)', withRoots],
] as const) {
  const ns = await perCall([policyStage({ current: new CompiledPolicy(raw) }, log)]);
  console.log(`${label}: ${(ns / 1000).toFixed(2)} µs per call (${((ns - floor) / 1000).toFixed(2)} µs over the floor)`);
}
