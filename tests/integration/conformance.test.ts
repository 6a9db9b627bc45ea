/**
 * The official conformance suites pass against Bastion as they pass against the project's fixture
 * directly: the fixture alone, then Bastion in front of it over stdio and over Streamable HTTP
 * (scripts/conformance.ts, also `npm run conformance`). The suites need Node 22, fetched with npx.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runConformance, shortfalls, SUITES } from '../../scripts/conformance.js';

describe('conformance through the gateway', { timeout: 600_000 }, () => {
  it(`passes every check the fixture passes directly (${SUITES.map((suite) => suite.label).join('; ')})`, async () => {
    const lines: string[] = [];
    const outcomes = await runConformance((line) => lines.push(line));
    assert.deepEqual(shortfalls(outcomes), [], lines.join('\n'));
    const direct = outcomes.filter((outcome) => outcome.target === 'fixture direct').map((outcome) => outcome.passed);
    assert.deepEqual(direct, [44, 81], `the fixture itself passes all 44 checks of 0.1.16 and 81 of 0.2.0-alpha.12:\n${lines.join('\n')}`);
  });
});
