import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import type { RawPolicy } from '../../src/config/policySchema.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { CompiledPolicy } from '../../src/policy/policy.js';

const call = (tool: string, args: Record<string, unknown>, server = 'fs') => ({ server, tool, arguments: args, principal: 'anonymous' });

describe('path rules', () => {
  const root = mkdtempSync(join(tmpdir(), 'bastion-root-'));
  const outside = mkdtempSync(join(tmpdir(), 'bastion-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  mkdirSync(join(root, 'notes'));
  symlinkSync(outside, join(root, 'escape'));
  const policy = new CompiledPolicy({
    rules: [{ id: 'fs-roots', server: 'fs', arguments: [{ pointer: ['/path', '/paths'], within: [root], not: true }], decision: 'deny' }],
  });

  it('allows paths inside the root, existing or not', async () => {
    for (const path of [join(root, 'notes'), join(root, 'notes', 'new.txt'), 'notes/a.txt', join(root, 'notes', '..', 'notes')]) {
      assert.equal((await policy.decide(call('read_file', { path }))).decision, 'allow', path);
    }
  });

  it('blocks .., absolute paths outside, symlinks that lead outside, encoded escapes and arrays with one bad path', async () => {
    const escapes = [
      '../../etc/passwd',
      join(root, '..', '..', 'etc', 'passwd'),
      '/etc/passwd',
      join(root, 'escape', 'secret.txt'),
      join(root, 'escape', 'new-file.txt'),
      `${root}/%2e%2e/%2e%2e/etc/passwd`,
      `file://${outside}/secret.txt`,
      `${root}/notes\0/x`,
    ];
    for (const path of escapes) {
      const decision = await policy.decide(call('read_file', { path }));
      assert.equal(decision.decision, 'deny', path);
      assert.equal(decision.rule, 'fs-roots');
    }
    assert.equal((await policy.decide(call('read_multiple_files', { paths: [join(root, 'notes'), '/etc/hosts'] }))).decision, 'deny');
  });
});

describe('URL rules', () => {
  const lookups: string[] = [];
  const policy = new CompiledPolicy(
    {
      defaults: { execute: 'allow', unknown: 'allow' },
      rules: [
        { id: 'egress', tool: 'fetch', arguments: [{ pointer: '/url', url: { allowRanges: ['10.20.0.0/16'] }, not: true }], decision: 'deny' },
        { id: 'only-example', tool: 'fetch_docs', arguments: [{ pointer: '/url', url: { hosts: ['*.example.com'] }, not: true }], decision: 'deny' },
      ],
    },
    {
      lookup: async (hostname) => {
        lookups.push(hostname);
        const table: Record<string, string[]> = {
          'localhost': ['127.0.0.1', '::1'],
          'internal.example.net': ['127.0.0.1'],
          'public.example.com': ['93.184.215.14'],
          'docs.example.com': ['93.184.215.14'],
          'mixed.example.net': ['93.184.215.14', '10.0.0.7'],
          'office.example.net': ['10.20.1.5'],
        };
        const found = table[hostname];
        if (!found) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        return found;
      },
    },
  );
  const decide = async (tool: string, url: string) => (await policy.decide(call(tool, { url }, 'web'))).decision;

  it('blocks metadata, loopback, private and link-local addresses, by address or by name', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://localhost:22/',
      'http://internal.example.net/',
      'http://127.1/',
      'http://0x7f.0.0.1/',
      'http://2130706433/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00:ec2::254]/',
      'http://192.168.1.1/',
      'http://100.100.100.200/',
      'http://mixed.example.net/',
      'gopher://public.example.com/',
      'not a url',
      'http://does-not-resolve.invalid/',
    ]) {
      assert.equal(await decide('fetch', url), 'deny', url);
    }
    assert.ok(lookups.includes('internal.example.net'), 'names are resolved');
  });

  it('allows public addresses, allowed ranges, and checks host allowlists', async () => {
    assert.equal(await decide('fetch', 'https://public.example.com/page'), 'allow');
    assert.equal(await decide('fetch', 'http://office.example.net/'), 'allow', 'an allowed range');
    assert.equal(await decide('fetch_docs', 'https://docs.example.com/x'), 'allow');
    assert.equal(await decide('fetch_docs', 'https://public.example.org/x'), 'deny');
  });
});

describe('decisions', () => {
  it('take deny over ask over allow, rules over defaults, and fail closed when a rule cannot be evaluated', async () => {
    const policy = new CompiledPolicy({
      defaults: { read: 'allow', write: 'ask', execute: 'deny', unknown: 'deny' },
      rules: [
        { id: 'allow-notes', server: 'fs', tool: 'write_file', decision: 'allow' },
        { id: 'ask-big', tool: 'write_file', arguments: [{ pointer: '/size', range: { min: 1000 } }], decision: 'ask' },
        { id: 'no-env', tool: 'write_file', arguments: [{ pointer: '/path', glob: '**/.env' }], decision: 'deny' },
        { id: 'regex', tool: 'echo', arguments: [{ pointer: '/message', regex: '^(a+)+$' }], decision: 'deny' },
        { id: 'exact', tool: 'mode', arguments: [{ pointer: '/mode', equals: { a: [1] } }], decision: 'deny' },
        { id: 'prefix', tool: 'mode', arguments: [{ pointer: '/name', prefix: 'sys' }], decision: 'deny' },
        { id: 'broken', tool: 'broken', arguments: [{ pointer: '/x', url: {} }], decision: 'allow' },
      ],
    }, { lookup: async () => { throw new Error('resolver down'); } });
    assert.equal((await policy.decide(call('write_file', { path: 'a.txt', size: 10 }))).rule, 'allow-notes');
    assert.equal((await policy.decide(call('write_file', { path: 'a.txt', size: 5000 }))).decision, 'ask');
    assert.equal((await policy.decide(call('write_file', { path: 'x/.env', size: 5000 }))).rule, 'no-env');
    assert.equal((await policy.decide(call('run_command', {}))).decision, 'deny', 'default for execute');
    // RE2 runs in linear time: no catastrophic backtracking on a hostile input.
    assert.equal((await policy.decide(call('echo', { message: `${'a'.repeat(50_000)}!` }))).decision, 'allow');
    assert.equal((await policy.decide(call('mode', { mode: { a: [1] } }))).rule, 'exact');
    assert.equal((await policy.decide(call('mode', { name: 'system' }))).rule, 'prefix');
    const broken = await policy.decide(call('broken', { x: 'http://somewhere.example/' }));
    assert.equal(broken.decision, 'deny', 'an evaluation error denies');
    assert.deepEqual(broken.errors, ['broken']);
    assert.equal(policy.evaluationErrors, 1);
  });

  it('record shadow rules without enforcing them, and hide tools that are always denied', async () => {
    const policy = new CompiledPolicy({
      rules: [
        { id: 'watch-writes', tier: 'write', decision: 'deny', mode: 'shadow' },
        { id: 'no-delete', tool: 'delete_*', decision: 'deny' },
        { id: 'maybe', tool: 'drop_table', arguments: [{ pointer: '/t', equals: 'x' }], decision: 'deny' },
      ],
    });
    const shadowed = await policy.decide(call('write_file', {}));
    assert.equal(shadowed.decision, 'ask');
    assert.deepEqual(shadowed.shadow, [{ rule: 'watch-writes', decision: 'deny' }]);
    assert.ok(policy.hides('memory', 'delete_entities'));
    assert.ok(!policy.hides('db', 'drop_table'), 'a deny that depends on arguments does not hide');
    assert.ok(!policy.hides('fs', 'read_file'));
  });
});

describe('policy config', () => {
  const problems = (policy: unknown) => {
    try {
      parseConfig('/etc/bastion.yaml', stringify({ mcpServers: {}, policy }), { env: {} });
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems.join('\n');
    }
    assert.fail('expected a ConfigError');
  };

  it('stops on a bad rule and names it', () => {
    assert.match(problems({ rules: [{ id: 'r1', tool: 'x', arguments: [{ pointer: '/a', regex: '(?<=x)y' }], decision: 'deny' }] }), /policy\.rules\[0\]\.arguments\[0\]\.regex \(rule "r1"\): the regex does not compile/);
    assert.match(problems({ rules: [{ id: 'r2', tier: 'admin', decision: 'deny' }] }), /policy\.rules\[0\]\.tier \(rule "r2"\): /);
    assert.match(problems({ rules: [{ id: 'r3', decision: 'deny' }] }), /policy\.rules\[0\] \(rule "r3"\): the rule matches nothing/);
    assert.match(problems({ rules: [{ id: 'r4', tool: 'x', arguments: [{ pointer: '/a' }], decision: 'deny' }] }), /policy\.rules\[0\]\.arguments\[0\] \(rule "r4"\): expected exactly one matcher/);
    assert.match(problems({ rules: [{ id: 'dup', tool: 'a', decision: 'deny' }, { id: 'dup', tool: 'b', decision: 'allow' }] }), /policy\.rules\[1\]\.id: duplicate rule id "dup"/);
    assert.match(problems({ defaults: { write: 'maybe' } }), /policy\.defaults\.write/);
  });

  it('accepts a full policy', () => {
    const policy: RawPolicy = {
      defaults: { read: 'allow', write: 'ask', execute: 'deny', unknown: 'deny' },
      tiers: { 'shell/*': 'execute' },
      hideDenied: false,
      rules: [{ id: 'ok', server: 'fs', tier: ['write', 'execute'], arguments: [{ pointer: '/path', within: ['/tmp'], not: true }], decision: 'deny', reason: 'stay in /tmp' }],
    };
    assert.equal(parseConfig('/etc/bastion.yaml', stringify({ mcpServers: {}, policy }), { env: {} }).policy.hideDenied, false);
  });
});
