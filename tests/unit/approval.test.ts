import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argumentsHash, canonicalJson, type Binding } from '../../src/approval/binding.js';
import { SessionGrants } from '../../src/approval/grants.js';

const binding = (over: Partial<Binding> = {}): Binding => ({
  principal: 'anonymous',
  session: 's1',
  server: 'fs',
  tool: 'write_file',
  argumentsHash: argumentsHash({ path: '/a', content: 'x' }),
  policyVersion: 'v1',
  ...over,
});

describe('approval binding', () => {
  it('hashes canonical arguments: key order does not matter, one byte does', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    assert.equal(argumentsHash({ a: 1, b: 2 }), argumentsHash({ b: 2, a: 1 }));
    assert.notEqual(argumentsHash({ content: 'x' }), argumentsHash({ content: 'y' }));
  });
});

describe('session grants', () => {
  it('cover identical calls of the same session only, never execute tools, until they expire', async () => {
    const grants = new SessionGrants();
    grants.grant(binding());
    assert.ok(grants.covers(binding(), 'write'));
    assert.ok(!grants.covers(binding({ session: 's2' }), 'write'), 'another session');
    assert.ok(!grants.covers(binding({ argumentsHash: argumentsHash({ path: '/a', content: 'y' }) }), 'write'), 'other arguments');
    assert.ok(!grants.covers(binding({ policyVersion: 'v2' }), 'write'), 'an edited policy');
    assert.ok(!grants.covers(binding(), 'execute'), 'execute tools are never covered');
    grants.grant(binding({ tool: 'short' }), 20);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.ok(!grants.covers(binding({ tool: 'short' }), 'write'), 'expired');
    grants.endSession('s1');
    assert.ok(!grants.covers(binding(), 'write'), 'gone with the session');
  });

  it('cover shell commands by a granted pattern, for that tool and session', () => {
    const grants = new SessionGrants();
    grants.grantPattern(binding({ tool: 'run' }), 'git diff *');
    assert.equal(grants.coveringPattern(binding({ tool: 'run' }), [['git', 'diff', 'HEAD']]), 'git diff *');
    assert.equal(grants.coveringPattern(binding({ tool: 'run' }), [['git', 'diff'], ['git', 'push']]), undefined);
    assert.equal(grants.coveringPattern(binding({ tool: 'other' }), [['git', 'diff']]), undefined);
    assert.equal(grants.coveringPattern(binding({ tool: 'run', session: 's2' }), [['git', 'diff']]), undefined);
  });
});
