/**
 * The project's conformance fixture, served directly over Streamable HTTP, passes every server
 * scenario of the official conformance suite. The suite needs Node 22, fetched with npx.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startFixtureHttp } from '../helpers/fixtures.js';

const SUITE = '@modelcontextprotocol/conformance@0.1.16';

function runSuite(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['-y', '-p', 'node@22', '-p', SUITE, '-c', `conformance server --url ${url} --suite all`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('conformance fixture', { timeout: 300_000 }, () => {
  let fixture: Awaited<ReturnType<typeof startFixtureHttp>>;
  before(async () => {
    fixture = await startFixtureHttp('http');
  });
  after(() => fixture?.stop());

  it(`passes every server scenario of ${SUITE} (--suite all)`, async () => {
    const { code, output } = await runSuite(`${fixture.url}/mcp`);
    const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
    assert.ok(total, `the suite printed no total (exit ${code}); is npx able to fetch node@22 and ${SUITE}?\n${output.slice(-3000)}`);
    assert.equal(Number(total[2]), 0, output.slice(-3000));
    assert.equal(Number(total[1]), 44, 'all 44 checks ran and passed');
  });
});
