/**
 * `npm run conformance`: the official MCP conformance suites against the project's fixture
 * directly, and against `bastion serve` with that fixture as its only upstream, over stdio and
 * over Streamable HTTP. For each suite and target it prints a labelled copy of the suite's
 * "Total: N passed, M failed" line, and exits 1 when Bastion passes fewer checks than the fixture
 * does directly, or fails any. The suites need Node 22, which npx fetches.
 *
 * With a stdio upstream, nothing upstream can close an HTTP stream to make the client poll
 * (SEP-1699), so that target turns on Bastion's own SSE polling (serve.pollAfter): the suite's
 * polling scenario then exercises Bastion's resumability instead of the fixture's.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { ALLOW_ALL, writeConfig } from '../tests/helpers/bastion.js';
import { fixtureStdio, startBastionHttp, startFixtureHttp, type Listening } from '../tests/helpers/fixtures.js';

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

export function runSuite(suite: Suite, url: string): Promise<{ passed?: number; failed?: number; output: string }> {
  const command = ['conformance', 'server', '--url', url, ...suite.args].join(' ');
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
  const problems = shortfalls(outcomes);
  for (const problem of problems) process.stderr.write(`\n${problem}\n`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
