/**
 * `npm run bench`: what Bastion costs per call, against the direct path and against other MCP
 * proxies, measured in one run. Not part of `npm test`.
 *
 * Targets, all serving the same `echo` tool of scripts/bench/upstream.ts, all on loopback:
 *   direct        the upstream itself over Streamable HTTP
 *   bastion-http  `bastion serve` in front of that upstream (remote server, per-session)
 *   bastion-http-2026  the same Bastion, called as a 2026-07-28 client (no session; `_meta` envelope)
 *   bastion-stdio `bastion serve` in front of the upstream over stdio (a process per session)
 *   supergateway  `supergateway --stateful` (Streamable HTTP) in front of the stdio upstream
 *   mcp-proxy     `mcp-proxy` (Streamable HTTP) in front of the stdio upstream
 * Bastion runs its full default pipeline: policy, audit on SQLite, metrics and traces.
 *
 * Sessions are opened before anything is timed. For each concurrency level, every target is
 * measured in each round, in rotated order, so that drift of the machine affects all alike; a
 * target's figure is its median round. The load generator (autocannon) runs in its own process and
 * reports its own CPU time. Also recorded: CPU time per call of each server process (from
 * /proc), peak RSS, Bastion's RSS with 1,000 idle sessions, its startup time, the sandbox's
 * startup cost per server, and in-process
 * microbenchmarks of each stage. Writes bench/results/<date>.json and .md and prints the table.
 *
 * BENCH_DURATION (seconds per measurement, default 3), BENCH_ROUNDS (default 3) and BENCH_LEVELS
 * (default "1,8,32,128") shorten or lengthen the run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { LoadResult, LoadSpec } from './load.js';
import { cpuMicros, freePort, memory, start, type Running } from './processes.js';
import { callEcho, openSession, STATELESS, type OpenSession } from './session.js';
import { sandboxStartup } from './sandboxStartup.js';
import { stageFigures, type StageFigure } from './stages.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = join(REPO, 'dist');
const BASTION = join(DIST, 'src', 'cli', 'main.js');
const UPSTREAM = join(DIST, 'scripts', 'bench', 'upstream.js');
const LOOPBACK_ONLY = join(DIST, 'scripts', 'bench', 'loopbackOnly.js');
const BIN = (name: string) => join(REPO, 'node_modules', '.bin', name);

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LEVELS = (process.env.BENCH_LEVELS ?? '1,8,32,128').split(',').map(Number);
const SESSIONS = 8;
const IDLE_SESSIONS = 1000;
const NODE_FLAGS = ['--min-semi-space-size=16'];

interface Target {
  readonly name: string;
  readonly process: Running;
  readonly endpoint: string;
  readonly sessions: OpenSession[];
}

interface Measurement extends LoadResult {
  readonly target: string;
  readonly connections: number;
  /** The server process's own CPU time per answered call (its children, such as stdio upstreams, not included). */
  readonly serverCpuUsPerCall: number;
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function bastionConfig(dir: string, server: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `bastion-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ dataDir: join(dir, 'data'), admin: { port: 0 }, serve: { maxSessions: IDLE_SESSIONS + 100 }, mcpServers: { up: server }, ...extra }));
  return file;
}

function startBastion(config: string): Promise<Running> {
  return start(process.execPath, [...NODE_FLAGS, BASTION, 'serve', '--config', config, '--port', '0', '--log-level', 'warn']);
}

async function target(name: string, running: Running, path = '/mcp', stateless = false): Promise<Target> {
  const endpoint = new URL(path, running.url).toString();
  const sessions = stateless ? Array.from({ length: SESSIONS }, () => STATELESS) : await Promise.all(Array.from({ length: SESSIONS }, () => openSession(endpoint)));
  const echoed = await callEcho(endpoint, sessions[0]!, 'echo');
  if (echoed !== 'hello') throw new Error(`${name} answered ${JSON.stringify(echoed)} instead of "hello"`);
  return { name, process: running, endpoint, sessions };
}

function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(DIST, 'scripts', 'bench', 'load.js'), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`the load generator exited with ${code}`))));
  });
}

async function measure(subject: Target, connections: number, durationSec: number): Promise<Measurement> {
  const pid = subject.process.child.pid as number;
  const before = cpuMicros(pid);
  const result = await runLoad({ url: subject.endpoint, sessions: subject.sessions, connections, durationSec, tool: 'echo' });
  const used = cpuMicros(pid) - before;
  return { ...result, target: subject.name, connections, serverCpuUsPerCall: used / Math.max(1, result.requests) };
}

/** Bastion's RSS before and after opening (and leaving idle) 1,000 sessions. */
async function idleSessions(config: string): Promise<{ before: number; after: number; perSessionKiB: number }> {
  const bastion = await startBastion(config);
  try {
    const endpoint = new URL('/mcp', bastion.url).toString();
    await openSession(endpoint);
    const before = memory(bastion.child.pid as number).rssMiB;
    for (let opened = 0; opened < IDLE_SESSIONS; opened += 50) await Promise.all(Array.from({ length: 50 }, () => openSession(endpoint)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = memory(bastion.child.pid as number).rssMiB;
    return { before, after, perSessionKiB: ((after - before) * 1024) / IDLE_SESSIONS };
  } finally {
    await bastion.stop();
  }
}

/** Time from spawning `bastion serve` to its "listening on" line, median of five. */
async function startupMs(config: string): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    const bastion = await startBastion(config);
    times.push(performance.now() - started);
    await bastion.stop();
  }
  return median(times);
}

function table(rows: Measurement[], direct: Map<number, Measurement>): string {
  const lines = [
    '| target | connections | calls/s | p50 ms | p90 ms | p99 ms | vs direct | server CPU µs/call | failures |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const base = direct.get(row.connections);
    lines.push(
      `| ${row.target} | ${row.connections} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} | ${row.p90.toFixed(2)} | ${row.p99.toFixed(2)} | ${base ? `${((row.rps / base.rps) * 100).toFixed(0)}%` : '-'} | ${row.serverCpuUsPerCall.toFixed(0)} | ${row.failures} |`,
    );
  }
  return lines.join('\n');
}

const work = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
const running: Running[] = [];
try {
  log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); ${DURATION} s per measurement, ${ROUNDS} rounds, connections ${LEVELS.join(', ')}`);
  const upstream = await start(process.execPath, [UPSTREAM, 'http']);
  running.push(upstream);
  const httpConfig = bastionConfig(work, { url: `${upstream.url}/mcp`, type: 'streamable-http' });
  const stdioConfig = bastionConfig(work, { command: process.execPath, args: [UPSTREAM, 'stdio'] });
  const stdioUpstream = `${process.execPath} ${UPSTREAM} stdio`;
  const supergatewayPort = await freePort();
  const mcpProxyPort = await freePort();
  const [bastionHttp, bastionStdio, supergateway, mcpProxy] = await Promise.all([
    startBastion(httpConfig),
    startBastion(stdioConfig),
    start(BIN('supergateway'), ['--stdio', stdioUpstream, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(supergatewayPort), '--logLevel', 'none'], {
      env: { NODE_OPTIONS: `--import=${LOOPBACK_ONLY}` },
      url: `http://127.0.0.1:${supergatewayPort}`,
      ready: async () => (await fetch(`http://127.0.0.1:${supergatewayPort}/mcp`, { method: 'GET' })).status > 0,
    }),
    start(BIN('mcp-proxy'), ['--port', String(mcpProxyPort), '--host', '127.0.0.1', '--', process.execPath, UPSTREAM, 'stdio'], {
      url: `http://127.0.0.1:${mcpProxyPort}`,
      ready: async () => (await fetch(`http://127.0.0.1:${mcpProxyPort}/mcp`, { method: 'GET' })).status > 0,
    }),
  ]);
  running.push(bastionHttp, bastionStdio, supergateway, mcpProxy);
  const targets = [
    await target('direct', upstream),
    await target('bastion-http', bastionHttp),
    await target('bastion-http-2026', bastionHttp, '/mcp', true),
    await target('bastion-stdio', bastionStdio),
    await target('supergateway', supergateway),
    await target('mcp-proxy', mcpProxy),
  ];
  log('warming up');
  for (const subject of targets) await measure(subject, 8, 1);

  const results: Measurement[] = [];
  for (const connections of LEVELS) {
    const rounds = new Map<string, Measurement[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, index) => targets[(index + round + connections) % targets.length]!);
      for (const subject of order) {
        const measured = await measure(subject, connections, DURATION);
        rounds.set(subject.name, [...(rounds.get(subject.name) ?? []), measured]);
        log(`c=${connections} round ${round + 1} ${subject.name}: ${measured.rps.toFixed(0)} calls/s, p50 ${measured.p50.toFixed(2)} ms${measured.failures ? `, ${measured.failures} failures` : ''}`);
      }
    }
    for (const subject of targets) {
      const all = rounds.get(subject.name) ?? [];
      const middle = [...all].sort((a, b) => a.rps - b.rps)[Math.floor(all.length / 2)] as Measurement;
      results.push({ ...middle, p50: median(all.map((m) => m.p50)), p90: median(all.map((m) => m.p90)), p99: median(all.map((m) => m.p99)) });
    }
  }
  const peaks = Object.fromEntries(targets.map((subject) => [subject.name, memory(subject.process.child.pid as number).peakMiB]));
  for (const process of running) await process.stop();
  running.length = 0;

  log(`${IDLE_SESSIONS} idle sessions`);
  const idle = await idleSessions(httpConfig);
  log('startup time');
  const startup = await startupMs(httpConfig);
  log('sandbox startup');
  const sandbox = await sandboxStartup(UPSTREAM);
  log('stage microbenchmarks');
  const stages: StageFigure[] = await stageFigures();

  const direct = new Map(results.filter((row) => row.target === 'direct').map((row) => [row.connections, row]));
  const at = (name: string, connections: number) => results.find((row) => row.target === name && row.connections === connections);
  const top = Math.max(...LEVELS);
  const low = Math.min(...LEVELS);
  const ratio = (a?: Measurement, b?: Measurement) => (a && b ? a.rps / b.rps : Number.NaN);
  const summary = {
    'bastion-stdio vs supergateway at saturation (target ≥ 3x)': ratio(at('bastion-stdio', top), at('supergateway', top)),
    'bastion-stdio vs mcp-proxy at saturation (target ≥ 3x)': ratio(at('bastion-stdio', top), at('mcp-proxy', top)),
    'bastion-http vs direct at saturation (target ≥ 0.6)': ratio(at('bastion-http', top), at('direct', top)),
    [`added p50 at ${low} connection, ms (target ≤ 0.5)`]: (at('bastion-http', low)?.p50 ?? Number.NaN) - (at('direct', low)?.p50 ?? Number.NaN),
    'bastion-http CPU per call at saturation, µs (target < 150)': at('bastion-http', top)?.serverCpuUsPerCall ?? Number.NaN,
    'load generator CPU per call, µs': median(results.map((row) => row.loadCpuUsPerRequest)),
  };
  const markdown = [
    `# Bastion benchmark, ${new Date().toISOString()}`,
    '',
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}); ${DURATION} s per measurement, median of ${ROUNDS} interleaved rounds; ${SESSIONS} sessions per target.`,
    '',
    table(results, direct),
    '',
    '| figure | value |',
    '| --- | ---: |',
    ...Object.entries(summary).map(([key, value]) => `| ${key} | ${value.toFixed(2)} |`),
    ...Object.entries(peaks).map(([name, mib]) => `| peak RSS of ${name}, MiB | ${mib.toFixed(0)} |`),
    `| Bastion RSS idle, then with ${IDLE_SESSIONS} idle sessions, MiB | ${idle.before.toFixed(0)} → ${idle.after.toFixed(0)} (${idle.perSessionKiB.toFixed(0)} KiB per session) |`,
    `| Bastion startup to listening, ms | ${startup.toFixed(0)} |`,
    `| a stdio server's start to its initialize answer, unsandboxed → sandboxed (bubblewrap), ms | ${sandbox.unsandboxedMs.toFixed(0)} → ${sandbox.sandboxedMs.toFixed(0)} (+${(sandbox.sandboxedMs - sandbox.unsandboxedMs).toFixed(0)}) |`,
    '',
    '| stage (in-process) | µs per call over the floor | CPU µs per call |',
    '| --- | ---: | ---: |',
    ...stages.map((figure) => `| ${figure.stage} | ${figure.us.toFixed(2)} | ${figure.cpuUs.toFixed(2)} |`),
    '',
  ].join('\n');
  const results_dir = join(REPO, 'bench', 'results');
  mkdirSync(results_dir, { recursive: true });
  const stamp = new Date().toISOString().slice(0, 10);
  writeFileSync(join(results_dir, `${stamp}.json`), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, duration: DURATION, rounds: ROUNDS, results, summary, peaks, idle, startupMs: startup, sandbox, stages }, null, 2)}\n`);
  writeFileSync(join(results_dir, `${stamp}.md`), markdown);
  process.stdout.write(`${markdown}\n`);
} finally {
  for (const process of running) await process.stop();
}
