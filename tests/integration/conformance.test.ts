/**
 * The official conformance suites pass against Bastion as they pass against the project's fixture
 * directly: the fixture alone, then Bastion in front of it over stdio and over Streamable HTTP
 * (scripts/conformance.ts, also `npm run conformance`); and the 2026-07-28 requirements against
 * Bastion and mcp-proxy, each in front of the session-era fixture over stdio. The suites need
 * Node 22, fetched with npx.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConformance, runStatelessConformance, shortfalls, statelessShortfalls, STATELESS_SUITE, SUITES } from '../../scripts/conformance.js';

describe('conformance through the gateway', { timeout: 600_000 }, () => {
  it(`passes every check the fixture passes directly (${SUITES.map((suite) => suite.label).join('; ')})`, async () => {
    const lines: string[] = [];
    const outcomes = await runConformance((line) => lines.push(line));
    assert.deepEqual(shortfalls(outcomes), [], lines.join('\n'));
    const direct = outcomes.filter((outcome) => outcome.target === 'fixture direct').map((outcome) => outcome.passed);
    assert.deepEqual(direct, [44, 81], `the fixture itself passes all 44 checks of 0.1.16 and 81 of 0.2.0-alpha.12:\n${lines.join('\n')}`);
  });

  it(`passes every check of ${STATELESS_SUITE.label} that mcp-proxy passes, and every input-required check`, async () => {
    const lines: string[] = [];
    const outcomes = await runStatelessConformance((line) => lines.push(line));
    assert.deepEqual(statelessShortfalls(outcomes), [], lines.join('\n'));
    const bastion = outcomes.find((outcome) => outcome.statelessTarget === 'bastion, stdio upstream');
    const proxy = outcomes.find((outcome) => outcome.statelessTarget === 'mcp-proxy, stdio upstream');
    assert.ok((bastion?.passed ?? 0) > (proxy?.passed ?? 0), `Bastion passes more checks than mcp-proxy, since it translates:\n${lines.join('\n')}`);
  });
});
