/**
 * `npm run bench:shell`: how long the shell guard takes to decide a 200-character command line
 * (parse, walk, unwrap, match), as p50 and p99 over 20,000 decisions after warm-up. The target
 * is p99 ≤ 200 µs.
 */
import { ShellGuard } from '../src/policy/shell/guard.js';
import { DEFAULT_READ_ONLY } from '../src/policy/shell/defaults.js';

const LINE = "git status && git diff --stat HEAD~3 -- src tests | grep -v node_modules; ls -la /tmp/project/build | wc -l; find . -name '*.ts' -newer package.json | head -20; echo \"done: $(date)\" >/dev/null";
const RUNS = 20_000;

const guard = new ShellGuard({ allow: [...DEFAULT_READ_ONLY], otherwise: 'ask' }, process.cwd());
for (let index = 0; index < 2_000; index++) await guard.decide(LINE);
const times: number[] = [];
for (let index = 0; index < RUNS; index++) {
  const started = process.hrtime.bigint();
  await guard.decide(LINE);
  times.push(Number(process.hrtime.bigint() - started) / 1000);
}
times.sort((a, b) => a - b);
const at = (quantile: number) => (times[Math.min(times.length - 1, Math.floor(times.length * quantile))] ?? NaN).toFixed(1);
const verdict = await guard.decide(LINE);
console.log(`command line: ${LINE.length} characters, decided ${verdict.decision}`);
console.log(`shell guard decision: p50 ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs, max ${at(1)} µs (${RUNS} decisions)`);
