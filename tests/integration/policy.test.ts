/**
 * The policy end to end through `bastion run` in front of real servers: tiers, the default policy
 * (writes need approval, denied until an approval channel exists), path and URL rules, shadow
 * rules, hidden tools, hot reload, and the `bastion check` and `bastion tools` commands.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { realServers } from '../helpers/fixtures.js';
import { BASTION_BIN, REPO_ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const textOf = (result: unknown) => ((result as CallToolResult).content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');

function policyConfig(root: string) {
  const { servers } = realServers(root);
  return {
    mcpServers: { fs: servers.fs, everything: servers.everything, memory: servers.memory },
    admin: { enabled: false },
    policy: {
      rules: [
        { id: 'fs-roots', server: 'fs', arguments: [{ pointer: ['/path', '/paths', '/source', '/destination'], within: [root], not: true }], decision: 'deny', reason: `paths must stay inside ${root}` },
        { id: 'egress', server: 'everything', tool: 'echo', arguments: [{ pointer: '/message', url: {}, not: true }], decision: 'deny', reason: 'only public URLs may be echoed' },
        { id: 'trial-no-reads', server: 'fs', tool: 'list_*', decision: 'deny', mode: 'shadow' },
        { id: 'no-delete', server: 'memory', tool: 'delete_*', decision: 'deny' },
      ],
    },
  };
}

describe('policy through bastion run', () => {
  const root = mkdtempSync(join(tmpdir(), 'bastion-policy-'));
  const outside = mkdtempSync(join(tmpdir(), 'bastion-outside-'));
  writeFileSync(join(root, 'hello.txt'), 'hello from inside');
  writeFileSync(join(outside, 'secret.txt'), 'a secret outside the root');
  mkdirSync(join(root, 'sub'));
  symlinkSync(outside, join(root, 'sub', 'link'));
  let configFile: string;
  let bastion: Started;

  before(async () => {
    configFile = writeConfig(policyConfig(root));
    bastion = await startBastion(configFile);
  });
  after(async () => {
    await bastion?.close();
  });

  it('lets reads through, and answers a write with a tool error saying approval was needed', async () => {
    assert.match(textOf(await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path: join(root, 'hello.txt') } })), /hello from inside/);
    const write = (await bastion.client.callTool({ name: 'fs__write_file', arguments: { path: join(root, 'new.txt'), content: 'x' } })) as CallToolResult;
    assert.equal(write.isError, true);
    assert.match(textOf(write), /fs__write_file \(a write tool\): it needs a human's approval .*it was not given: no approval channel is reachable.*Rule: default:write\./);
  });

  it('blocks paths that leave the root: .., absolute, and through a symlink', async () => {
    for (const path of ['../../etc/passwd', join(root, '..', '..', 'etc', 'passwd'), '/etc/passwd', join(root, 'sub', 'link', 'secret.txt')]) {
      const result = (await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path } })) as CallToolResult;
      assert.equal(result.isError, true, path);
      assert.match(textOf(result), /Rule: fs-roots\./, path);
      assert.doesNotMatch(textOf(result), /secret outside/);
    }
  });

  it('blocks URLs to metadata and loopback, by address or by a name that resolves there, and names that do not resolve', async () => {
    for (const message of ['http://169.254.169.254/latest/meta-data/', 'http://localhost:22/', 'http://does-not-resolve.invalid/', 'http://[::1]:8080/']) {
      const result = (await bastion.client.callTool({ name: 'everything__echo', arguments: { message } })) as CallToolResult;
      assert.equal(result.isError, true, message);
      assert.match(textOf(result), /Rule: egress\./);
    }
    assert.match(textOf(await bastion.client.callTool({ name: 'everything__echo', arguments: { message: 'http://93.184.215.14/' } })), /Echo: http:\/\/93/);
  });

  it('records shadow rules without enforcing them, and hides tools that are always denied', async () => {
    assert.match(textOf(await bastion.client.callTool({ name: 'fs__list_directory', arguments: { path: root } })), /hello\.txt/);
    await waitFor(() => /"shadow":\[\{"rule":"trial-no-reads","decision":"deny"\}\]/.test(bastion.stderr()), 5000, 'the shadow rule was recorded');
    const names = (await bastion.client.listTools()).tools.map((tool) => tool.name);
    assert.ok(names.includes('memory__create_entities'));
    assert.ok(!names.some((name) => name.startsWith('memory__delete_')), 'always-denied tools are hidden');
  });

  it('reloads the policy when the file changes, and keeps it when an edit is invalid', async () => {
    const locked = policyConfig(root);
    locked.policy.rules.push({ id: 'lockdown', server: 'fs', tool: 'read_*', decision: 'deny', reason: 'maintenance' } as never);
    writeFileSync(configFile, stringify(locked));
    await waitFor(() => /config reloaded/.test(bastion.stderr()), 10_000, 'the edit was picked up');
    const denied = (await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path: join(root, 'hello.txt') } })) as CallToolResult;
    assert.match(textOf(denied), /maintenance\. Rule: lockdown\./);

    writeFileSync(configFile, stringify({ ...locked, policy: { rules: [{ id: 'bad', tool: 'x', arguments: [{ pointer: '/a', regex: '(' }], decision: 'deny' }] } }));
    await waitFor(() => /config reload rejected/.test(bastion.stderr()), 10_000, 'the invalid edit was rejected');
    assert.match(bastion.stderr(), /regex \(rule \\"bad\\"\): the regex does not compile/);
    const still = (await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path: join(root, 'hello.txt') } })) as CallToolResult;
    assert.match(textOf(still), /Rule: lockdown\./, 'the previous policy stays in force');
  });
});

describe('bastion check and bastion tools', () => {
  const root = mkdtempSync(join(tmpdir(), 'bastion-check-'));
  const config = writeConfig(policyConfig(root));
  const env = { ...process.env, BASTION_DATA_DIR: mkdtempSync(join(tmpdir(), 'bastion-data-')), BASTION_LOG_LEVEL: 'error' };

  it('bastion tools lists every tool with its tier and decision', () => {
    const result = spawnSync(process.execPath, [BASTION_BIN, 'tools', '--config', config, '--json'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Array<{ server: string; tool: string; tier: string; decision: string }>;
    const tiers = (server: string, tier: string) => rows.filter((row) => row.server === server && row.tier === tier).map((row) => row.tool).sort();
    assert.deepEqual(tiers('fs', 'read'), ['directory_tree', 'get_file_info', 'list_allowed_directories', 'list_directory', 'list_directory_with_sizes', 'read_file', 'read_media_file', 'read_multiple_files', 'read_text_file', 'search_files']);
    assert.deepEqual(tiers('fs', 'write'), ['create_directory', 'edit_file', 'move_file', 'write_file']);
    assert.deepEqual(tiers('memory', 'read'), ['open_nodes', 'read_graph', 'search_nodes']);
    assert.ok(tiers('memory', 'write').includes('delete_entities'));
    assert.ok(tiers('everything', 'execute').includes('trigger-long-running-operation'));
    assert.equal(rows.find((row) => row.tool === 'delete_entities')?.decision, 'deny');
    const table = spawnSync(process.execPath, [BASTION_BIN, 'tools', '--config', config], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    assert.match(table.stdout, /^SERVER\s+TOOL\s+TIER\s+DECISION\s+REASON/m);
    assert.match(table.stdout, /fs\s+write_file\s+write!\s+ask/);
  });

  it('bastion check decides JSON lines from stdin, one line out per line in, using the saved tool snapshot', () => {
    const input = [
      { server: 'fs', tool: 'read_file', arguments: { path: join(root, 'a.txt') } },
      { server: 'fs', tool: 'read_file', arguments: { path: '../../etc/passwd' } },
      'this is not JSON',
      { server: 'fs', tool: 'write_file', arguments: { path: join(root, 'a.txt'), content: '' } },
      { server: 'fs' },
      { server: 'memory', tool: 'delete_entities', arguments: {} },
      { server: 'everything', tool: 'echo', arguments: { message: 'http://169.254.169.254/' } },
    ]
      .map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
      .join('\n');
    const result = spawnSync(process.execPath, [BASTION_BIN, 'check', '--config', config, '--principal', 'alice'], { env, input, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 7);
    assert.deepEqual(lines.map((line) => line.decision ?? 'error'), ['allow', 'deny', 'error', 'ask', 'error', 'deny', 'deny']);
    assert.deepEqual(lines.map((line) => line.rule ?? null), [null, 'fs-roots', null, null, null, 'no-delete', 'egress']);
    assert.equal(lines[3]?.tier, 'write');
    assert.ok((lines[3]?.reasons as string[]).some((reason) => /destructive/.test(reason)), 'the snapshot saved by bastion tools gave the annotations');
    assert.match(String(lines[2]?.error), /not JSON/);
    assert.match(String(lines[4]?.error), /"tool" must be a non-empty string/);
  });
});
