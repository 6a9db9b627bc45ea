/**
 * `npm run conformance`: the official MCP conformance suites against the project's fixture
 * directly, and against `bastion serve` with that fixture as its only upstream, over stdio and
 * over Streamable HTTP. For each suite and target it prints a labelled copy of the suite's
 * "Total: N passed, M failed" line, and exits 1 when Bastion passes fewer checks than the fixture
 * does directly, or fails any. The suites need Node 22, which npx fetches.
 *
 * The 2026-07-28 requirements (the stateless revision) are run against Bastion and against
 * mcp-proxy, each in front of the fixture speaking the session era over stdio. Bastion must pass
 * every check mcp-proxy passes, and every check of the input-required (MRTR) scenarios: it
 * translates the fixture's requests to the client into input-required rounds.
 *
 * With a stdio upstream, nothing upstream can close an HTTP stream to make the client poll
 * (SEP-1699), so that target turns on Bastion's own SSE polling (serve.pollAfter): the suite's
 * polling scenario then exercises Bastion's resumability instead of the fixture's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ALLOW_ALL, writeConfig } from '../tests/helpers/bastion.js';
import { fixtureStdio, startBastionHttp, startFixtureHttp, type Listening } from '../tests/helpers/fixtures.js';
import { BIN, FIXTURE_BIN } from '../tests/helpers/paths.js';

export interface Suite {
  readonly label: string;
  readonly pkg: string;
  readonly args: readonly string[];
}

export const SUITES: readonly Suite[] = [
  { label: 'conformance 0.1.16 --suite all', pkg: '@modelcontextprotocol/conformance@0.1.16', args: ['--suite', 'all'] },
  {
    label: 'conformance 0.2.0-alpha.12 --requirements 2025-11-25',
    pkg: '@modelcontextprotocol/conformance@0.2.0-alpha.12',
    args: ['--requirements', '2025-11-25'],
  },
];

export type TargetName = 'fixture direct' | 'bastion, stdio upstream' | 'bastion, Streamable HTTP upstream';

export interface Outcome {
  readonly suite: string;
  readonly target: TargetName;
  /** Undefined when the suite printed no total (it could not run). */
  readonly passed: number | undefined;
  readonly failed: number | undefined;
  readonly output: string;
}

export function runSuite(suite: Suite, url: string, outputDir?: string): Promise<{ passed?: number; failed?: number; output: string }> {
  const command = ['conformance', 'server', '--url', url, ...suite.args, ...(outputDir ? ['-o', outputDir] : [])].join(' ');
  return new Promise((resolve) => {
    const child = spawn('npx', ['-y', '-p', 'node@22', '-p', suite.pkg, '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
      if (!total) output += `\n(the suite printed no total; exit ${code}; can npx fetch node@22 and ${suite.pkg}?)`;
      resolve(total ? { passed: Number(total[1]), failed: Number(total[2]), output } : { output });
    });
  });
}

/** Starts the three targets, runs every suite against each (targets in parallel), and stops them. */
export async function runConformance(report: (line: string) => void = () => undefined): Promise<Outcome[]> {
  const started: Listening[] = [];
  try {
    const fixture = await startFixtureHttp('http');
    started.push(fixture);
    const overStdio = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fixture: fixtureStdio() }, serve: { pollAfter: '50ms' } }));
    started.push(overStdio);
    const overHttp = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fixture: { type: 'streamable-http', url: `${fixture.url}/mcp` } } }));
    started.push(overHttp);
    const targets: Array<[TargetName, string]> = [
      ['fixture direct', `${fixture.url}/mcp`],
      ['bastion, stdio upstream', `${overStdio.url}/mcp`],
      ['bastion, Streamable HTTP upstream', `${overHttp.url}/mcp`],
    ];
    const outcomes: Outcome[] = [];
    for (const suite of SUITES) {
      const results = await Promise.all(targets.map(async ([target, url]) => ({ target, ...(await runSuite(suite, url)) })));
      for (const { target, passed, failed, output } of results) {
        report(`[${suite.label}] ${target}: ${passed === undefined ? 'no total printed' : `Total: ${passed} passed, ${failed} failed`}`);
        outcomes.push({ suite: suite.label, target, passed, failed, output });
      }
    }
    return outcomes;
  } finally {
    for (const process of started) process.stop();
  }
}

export const STATELESS_SUITE: Suite = {
  label: 'conformance 0.2.0-alpha.12 --requirements 2026-07-28',
  pkg: '@modelcontextprotocol/conformance@0.2.0-alpha.12',
  args: ['--requirements', '2026-07-28'],
};

export type StatelessTarget = 'bastion, stdio upstream' | 'mcp-proxy, stdio upstream';

export interface StatelessOutcome extends Outcome {
  readonly statelessTarget: StatelessTarget;
  /** Every check the suite ran, as "scenario/check-id", with its status. */
  readonly checks: ReadonlyMap<string, string>;
}

/** The checks of one run, read from the suite's output folder (one checks.json per scenario). */
function readChecks(outputDir: string): Map<string, string> {
  const checks = new Map<string, string>();
  for (const entry of readdirSync(outputDir)) {
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
    const file = join(outputDir, entry, 'checks.json');
    for (const check of JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string; status: string }>) checks.set(`${scenario}/${check.id}`, check.status);
  }
  return checks;
}

/** mcp-proxy serving the fixture over stdio, on a free loopback port; resolves once it answers HTTP. */
async function startMcpProxy(): Promise<Listening> {
  const port = await freePort();
  const child = spawn(BIN('mcp-proxy'), ['--port', String(port), '--host', '127.0.0.1', '--', process.execPath, FIXTURE_BIN, 'stdio'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let seen = '';
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`${url}/mcp`, { method: 'GET' }).then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`mcp-proxy did not answer on ${url} within 15 s:\n${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, stderr: () => seen, stop: () => void child.kill() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs the 2026-07-28 requirements against Bastion and mcp-proxy, each in front of the stdio fixture. */
export async function runStatelessConformance(report: (line: string) => void = () => undefined): Promise<StatelessOutcome[]> {
  const started: Listening[] = [];
  try {
    const bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { fixture: fixtureStdio() } }));
    started.push(bastion);
    const proxy = await startMcpProxy();
    started.push(proxy);
    const targets: Array<[StatelessTarget, string]> = [
      ['bastion, stdio upstream', `${bastion.url}/mcp`],
      ['mcp-proxy, stdio upstream', `${proxy.url}/mcp`],
    ];
    return await Promise.all(
      targets.map(async ([target, url]) => {
        const outputDir = mkdtempSync(join(tmpdir(), 'bastion-conformance-'));
        const { passed, failed, output } = await runSuite(STATELESS_SUITE, url, outputDir);
        report(`[${STATELESS_SUITE.label}] ${target}: ${passed === undefined ? 'no total printed' : `Total: ${passed} passed, ${failed} failed`}`);
        const checks = passed === undefined ? new Map<string, string>() : readChecks(outputDir);
        return { suite: STATELESS_SUITE.label, target: 'bastion, stdio upstream' as const, statelessTarget: target, passed, failed, output, checks };
      }),
    );
  } finally {
    for (const process of started) process.stop();
  }
}

/** What Bastion misses in the 2026-07-28 run: a check mcp-proxy passes, or any input-required check. */
export function statelessShortfalls(outcomes: readonly StatelessOutcome[]): string[] {
  const bastion = outcomes.find((outcome) => outcome.statelessTarget === 'bastion, stdio upstream');
  const proxy = outcomes.find((outcome) => outcome.statelessTarget === 'mcp-proxy, stdio upstream');
  if (!bastion || bastion.passed === undefined) return [`[${STATELESS_SUITE.label}] bastion: the suite did not run\n${bastion?.output.slice(-2000) ?? ''}`];
  if (!proxy || proxy.passed === undefined) return [`[${STATELESS_SUITE.label}] mcp-proxy: the suite did not run\n${proxy?.output.slice(-2000) ?? ''}`];
  const problems: string[] = [];
  for (const [check, status] of proxy.checks) {
    if (status === 'SUCCESS' && bastion.checks.get(check) !== 'SUCCESS') problems.push(`${check}: mcp-proxy passes it, Bastion ${bastion.checks.get(check) ?? 'did not run it'}`);
  }
  const mrtr = [...bastion.checks].filter(([check]) => check.startsWith('input-required-result-'));
  if (mrtr.length === 0) problems.push('no input-required-result scenario ran');
  for (const [check, status] of mrtr) if (status !== 'SUCCESS') problems.push(`${check}: ${status}`);
  return problems.map((problem) => `[${STATELESS_SUITE.label}] ${problem}`);
}

/** What is wrong with a set of outcomes: a suite that did not run, a failed check, Bastion behind the fixture. */
export function shortfalls(outcomes: readonly Outcome[]): string[] {
  const problems: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.passed === undefined) problems.push(`[${outcome.suite}] ${outcome.target}: the suite did not run\n${outcome.output.slice(-2000)}`);
    else if (outcome.failed !== 0) problems.push(`[${outcome.suite}] ${outcome.target}: ${outcome.failed} failed\n${outcome.output.slice(-4000)}`);
  }
  for (const suite of SUITES) {
    const direct = outcomes.find((outcome) => outcome.suite === suite.label && outcome.target === 'fixture direct')?.passed ?? 0;
    for (const outcome of outcomes.filter((each) => each.suite === suite.label && each.target !== 'fixture direct')) {
      if ((outcome.passed ?? 0) < direct) problems.push(`[${suite.label}] ${outcome.target} passes ${outcome.passed ?? 0} checks, the fixture directly ${direct}`);
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outcomes = await runConformance((line) => console.log(line));
  const stateless = await runStatelessConformance((line) => console.log(line));
  const problems = [...shortfalls(outcomes), ...statelessShortfalls(stateless)];
  for (const problem of problems) process.stderr.write(`\n${problem}\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
