/**
 * `npm run bench:shell`: how long the shell guard takes to decide command lines of about 200
 * characters (parse, walk, unwrap, match), as p50, p90 and p99 over 20,000 decisions each, after
 * warm-up. The target is p99 ≤ 200 µs. The script runs twice: with Node's default heap, and with
 * the 16 MiB young generation that `bastion` runs with (its shebang and `npm start`), since the
 * slowest percent of decisions are the ones a scavenge interrupts.
 */
import { ShellGuard } from '../src/policy/shell/guard.js';
import { DEFAULT_READ_ONLY } from '../src/policy/shell/defaults.js';

const LINES = {
  'nine commands, pipes, a substitution and a redirection':
    "git status && git diff --stat HEAD~3 -- src tests | grep -v node_modules; ls -la /tmp/project/build | wc -l; find . -name '*.ts' -newer package.json | head -20; echo \"done: $(date)\" >/dev/null",
  'one command with many arguments':
    'git log --oneline --graph --decorate -n 50 -- src/policy/shell/guard.ts src/policy/shell/parser.ts src/policy/shell/wrappers.ts src/policy/policy.ts src/config/policySchema.ts tests/unit/shellGuard.test.ts',
  'two commands in a pipeline': "grep -rn --include='*.ts' 'descendantsOfType' src tests scripts docs | sort -t: -k1,1 -k2,2n | head -n 40 && echo 'the search over the whole source tree of the project is complete'",
};
const RUNS = 20_000;
const flags = process.execArgv.join(' ') || 'no flags';
console.log(`node ${process.version}, ${flags}`);

const guard = new ShellGuard({ allow: [...DEFAULT_READ_ONLY], otherwise: 'ask' }, process.cwd());
for (const [label, line] of Object.entries(LINES)) {
  for (let index = 0; index < 2_000; index++) await guard.decide(line);
  const times: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = process.hrtime.bigint();
    await guard.decide(line);
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  times.sort((a, b) => a - b);
  const at = (quantile: number) => (times[Math.min(times.length - 1, Math.floor(times.length * quantile))] ?? NaN).toFixed(1);
  const verdict = await guard.decide(line);
  console.log(`${label} (${line.length} characters, ${verdict.decision}): p50 ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs, max ${at(1)} µs`);
}
