/**
 * Secret redaction: by key name, by shape inside strings, with the operator's own patterns.
 * Ordinary text (commands, paths, prose, hashes) must come through unchanged. The public secret
 * corpora are measured by `npm run eval:redact`. Every secret below is made up, in a real format.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, Redactor } from '../../src/audit/redact.js';

const redactor = new Redactor();

describe('redaction', () => {
  it('replaces the values of keys that name secrets, whatever their shape, and leaves the input untouched', () => {
    const input = {
      path: '/tmp/a.txt',
      password: 'hunter2',
      apiKey: 'abc',
      GITHUB_TOKEN: 'x',
      'client-secret': 'y',
      headers: { Authorization: 'whatever', Accept: 'text/plain' },
      credentials: { user: 'me', pass: 'p' },
      max_tokens: 100,
      author: 'Ada',
      tokenizer: 'bpe',
    };
    const out = redactor.value(input);
    assert.deepEqual(out, {
      path: '/tmp/a.txt',
      password: REDACTED,
      apiKey: REDACTED,
      GITHUB_TOKEN: REDACTED,
      'client-secret': REDACTED,
      headers: { Authorization: REDACTED, Accept: 'text/plain' },
      credentials: REDACTED,
      max_tokens: 100,
      author: 'Ada',
      tokenizer: 'bpe',
    });
    assert.equal(input.password, 'hunter2');
    const clean = { a: ['x', { b: 'y' }] };
    assert.equal(redactor.value(clean), clean, 'a value without secrets is returned as is, not copied');
  });

  it('masks credential shapes inside text and keeps the text around them', () => {
    const cases: Array<[string, string]> = [
      ['export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789 && gh pr list', `export GITHUB_TOKEN=${REDACTED} && gh pr list`],
      ['curl -H "Authorization: Bearer sk-live-abcdefghij1234567890" https://api', `curl -H "Authorization: Bearer ${REDACTED}" https://api`],
      ['psql postgres://admin:s3cr3t@db.internal/prod', `psql postgres://admin:${REDACTED}@db.internal/prod`],
      ['mysql --password=hunter2 -u root', `mysql --password=${REDACTED} -u root`],
      ['aws key AKIAIOSFODNN7EXAMPLE in text', `aws key ${REDACTED} in text`],
      ['DB_PASSWORD: "correct horse"', `DB_PASSWORD: ${REDACTED}`],
      ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', REDACTED],
      ['slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx ok', `slack ${REDACTED} ok`],
      ['stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc', `stripe ${REDACTED}`],
      ['google AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY', `google ${REDACTED}`],
      ['ANTHROPIC sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH', `ANTHROPIC ${REDACTED}`],
      ['npm npm_abcdefghijklmnopqrstuvwxyz0123456789', `npm ${REDACTED}`],
      ['name no_such_tool_ghp_abcdefghijklmnopqrstuvwxyz0123456789', `name no_such_tool_${REDACTED}`],
      ['curl -u admin:hunter2 https://x', `curl -u admin:${REDACTED} https://x`],
      ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', `token ${REDACTED}`],
    ];
    for (const [input, expected] of cases) assert.equal(redactor.text(input), expected, input);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'git log --oneline -n 20 -- src/audit/chain.ts',
      'commit 5275618a9c0e4b7d2f3e1a6b8c9d0e1f2a3b4c5d',
      'The token limit is 4096; see docs/config.md for the password policy.',
      'ls -la ~/projects && cat README.md | head -20',
      'id 3f2b1c9e-4d5a-4b6c-8d7e-9f0a1b2c3d4e',
      'https://example.com/path?q=1&page=2',
      'SELECT * FROM users WHERE id = 42',
    ]) {
      assert.equal(redactor.text(text), text);
    }
  });

  it('adds the operator\'s key and value patterns (RE2)', () => {
    const custom = new Redactor({ keys: ['^x-internal-'], patterns: ['ACME-[0-9]{6}'] });
    assert.deepEqual(custom.value({ 'X-Internal-Id': 'abc', note: 'ticket ACME-123456 filed' }), { 'X-Internal-Id': REDACTED, note: `ticket ${REDACTED} filed` });
  });

  it('does not recurse without bound on a hostile, deeply nested value', () => {
    let deep: unknown = 'AKIAIOSFODNN7EXAMPLE';
    for (let level = 0; level < 10_000; level++) deep = { next: deep };
    assert.doesNotThrow(() => redactor.value(deep));
  });

});
