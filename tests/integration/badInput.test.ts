/**
 * Bad input gets a clear error and never stops the gateway: malformed JSON lines, messages that
 * are not JSON-RPC, unknown tools, and bad config files (exit status 2, naming the path).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ProtocolError } from '@modelcontextprotocol/client';
import { startBastion, ALLOW_ALL, writeConfig, type Started } from '../helpers/bastion.js';
import { fixtureStdio } from '../helpers/fixtures.js';
import { BASTION_BIN, REPO_ROOT } from '../helpers/paths.js';

describe('bad input on stdin', () => {
  it('answers a malformed line with -32700, an invalid message with -32600, and keeps serving', async () => {
    const config = writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio() } });
    const child = spawn(process.execPath, [BASTION_BIN, 'run', '--config', config], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const replies: Array<Record<string, unknown>> = [];
    const stdoutLines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdoutLines.push(line);
      const message = JSON.parse(line) as Record<string, unknown>;
      if ('id' in message) replies.push(message);
    });
    const next = async (count: number) => {
      const deadline = Date.now() + 15_000;
      while (replies.length < count) {
        if (Date.now() > deadline) throw new Error(`no reply ${count}; got ${JSON.stringify(replies)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return replies[count - 1] as { id: unknown; error?: { code: number; message: string }; result?: Record<string, unknown> };
    };
    const send = (line: string) => child.stdin.write(`${line}\n`);
    try {
      send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      assert.ok((await next(1)).result);
      send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      send('{"jsonrpc": "2.0", "id": 2, "method": tools/list}');
      const parseError = await next(2);
      assert.equal(parseError.error?.code, -32700);
      assert.equal(parseError.id, null);
      send(JSON.stringify({ hello: 'world', id: 7 }));
      const invalid = await next(3);
      assert.equal(invalid.error?.code, -32600);
      assert.equal(invalid.id, 7);
      send(JSON.stringify([{ jsonrpc: '2.0', id: 8, method: 'ping' }]));
      assert.equal((await next(4)).error?.code, -32600);
      send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }));
      const listed = await next(5);
      assert.equal(listed.id, 3);
      assert.ok((listed.result?.tools as unknown[]).length > 0, 'the gateway keeps serving');
      for (const line of stdoutLines) assert.doesNotThrow(() => JSON.parse(line), 'stdout carries only JSON-RPC');
    } finally {
      child.kill();
    }
  });
});

describe('unknown names', () => {
  let bastion: Started;
  before(async () => {
    bastion = await startBastion(writeConfig({ policy: ALLOW_ALL, mcpServers: { fx: fixtureStdio() } }));
  });
  after(async () => {
    await bastion?.close();
  });

  it('an unknown tool gets a clear error with a stable code', async () => {
    for (const name of ['fx__no_such_tool', 'nosuchserver__test_simple_text', 'plainname']) {
      await assert.rejects(bastion.client.callTool({ name, arguments: {} }), (error: ProtocolError) => {
        assert.equal(error.code, -32602);
        assert.match(error.message, new RegExp(`Unknown tool: ${name}`));
        assert.equal((error.data as { code: string }).code, 'BASTION_UNKNOWN_TOOL');
        return true;
      });
    }
  });

  it('an unknown prompt, resource or method gets a clear error', async () => {
    await assert.rejects(bastion.client.getPrompt({ name: 'fx__nope' }), /Unknown prompt: fx__nope/);
    // With one resource server, an unlisted URI goes to it, and its own error comes back unchanged.
    await assert.rejects(bastion.client.readResource({ uri: 'nowhere://x' }), /nowhere:\/\/x/);
    await assert.rejects(bastion.client.listTools({ cursor: 'not-a-cursor' }), /Invalid cursor/);
  });
});

describe('bad config files', () => {
  const run = (file: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BASTION_BIN, 'run', '--config', file], { cwd: REPO_ROOT, input: '', encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });

  it('exits with status 2 and names the file, the path and what was expected', () => {
    const file = writeConfig({ mcpServers: { fs: { command: 'npx', args: ['-y', 42] } } });
    const result = run(file);
    assert.equal(result.status, 2);
    assert.match(result.stderr, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(result.stderr, /mcpServers\.fs\.args\[1\]: .*expected string/i);
  });

  it('rejects unknown keys, with the path of the typo', () => {
    const result = run(writeConfig({ mcpServers: { fs: { comand: 'npx' } } }, 'config.json'));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /mcpServers\.fs\.comand: unknown key/);
    const topLevel = run(writeConfig({ mcpServers: {}, polcy: {} }));
    assert.equal(topLevel.status, 2);
    assert.match(topLevel.stderr, /polcy: unknown key/);
  });

  it('names a missing environment variable and where it is used', () => {
    const result = run(writeConfig({ mcpServers: { api: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${BASTION_TEST_NO_SUCH_TOKEN}' } } } }));
    assert.equal(result.status, 2);
    assert.match(result.stderr, /mcpServers\.api\.headers\.Authorization: environment variable BASTION_TEST_NO_SUCH_TOKEN is not set/);
  });

  it('reports a missing file, invalid YAML and a bad URL or server name', () => {
    assert.equal(run('/nonexistent/bastion.yaml').status, 2);
    const yaml = writeConfig({}, 'bad.yaml');
    writeFileSync(yaml, 'mcpServers:\n  fs: [unclosed\n');
    const broken = run(yaml);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /line \d+/);
    const badUrl = run(writeConfig({ mcpServers: { remote: { url: 'ftp://example.com' } } }));
    assert.equal(badUrl.status, 2);
    assert.match(badUrl.stderr, /mcpServers\.remote\.url/);
    const badName = run(writeConfig({ mcpServers: { 'my__server': { command: 'x' } } }));
    assert.equal(badName.status, 2);
    assert.match(badName.stderr, /single "_"/);
  });

  it('accepts a claude_desktop_config.json unchanged', () => {
    const file = writeConfig(
      { mcpServers: { fx: { command: 'node', args: ['x.js'], env: { A: 'b' } } }, globalShortcut: 'Alt+Space' },
      'claude_desktop_config.json',
    );
    const result = spawnSync(process.execPath, [BASTION_BIN, 'check', '--config', file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });

  it('names what is wrong in the audit and telemetry sections', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ audit: { store: 'postgres' } }, /audit\.url: the postgres store needs a connection URL/],
      [{ audit: { store: 'mysql' } }, /audit\.store: .*"sqlite"/],
      [{ audit: { redact: { patterns: ['(unclosed'] } } }, /audit\.redact\.patterns\[0\]: the pattern does not compile as RE2/],
      [{ audit: { table: 'Audit; DROP TABLE x' } }, /audit\.table: expected a plain lower-case SQL name/],
      [{ telemetry: { traces: { endpoint: 'ftp://collector' } } }, /telemetry\.traces\.endpoint/],
    ];
    for (const [section, message] of cases) {
      const result = run(writeConfig({ mcpServers: { fx: { command: 'x' } }, ...section }));
      assert.equal(result.status, 2, JSON.stringify(section));
      assert.match(result.stderr, message);
    }
  });

  it('does not start when the audit store cannot be opened, and says why', () => {
    const result = run(writeConfig({ mcpServers: { fx: { command: 'x' } }, audit: { path: '/dev/null/audit.db' } }));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /bastion: cannot open the audit store \/dev\/null\/audit\.db: /);
  });
});
