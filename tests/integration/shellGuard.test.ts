/**
 * The shell guard in front of a real terminal server, @wonderwhy-er/desktop-commander: an allowed
 * command runs; bypass attempts are refused before they reach it (the marker file they would
 * create never appears).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { BASTION_BIN, BIN } from '../helpers/paths.js';

const textOf = (result: CallToolResult) => (result.content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');

describe('shell guard in front of desktop-commander', () => {
  const home = mkdtempSync(join(tmpdir(), 'bastion-dc-home-'));
  const marker = join(home, 'pwned');
  let bastion: Started;

  before(async () => {
    const config = writeConfig({
      mcpServers: { term: { command: BIN('desktop-commander'), env: { HOME: home }, startupTimeout: '60s' } },
      policy: {
        rules: [
          {
            id: 'term-commands',
            server: 'term',
            tool: 'start_process',
            shell: { argument: 'command', allow: ['echo *', 'ls *'], deny: ['rm *', 'touch *'], otherwise: 'deny' },
          },
        ],
      },
    });
    bastion = await startBastion(config, { env: { HOME: home } });
  });
  after(async () => {
    await bastion?.close();
  });

  const run = (command: string, extra: Record<string, unknown> = {}) =>
    bastion.client.callTool({ name: 'start_process', arguments: { command, timeout_ms: 5000, ...extra } }) as Promise<CallToolResult>;

  it('runs an allowed command', async () => {
    const result = await run('echo hello-through-bastion');
    assert.notEqual(result.isError, true, textOf(result));
    assert.match(textOf(result), /hello-through-bastion/);
  });

  it('refuses bypass attempts before they reach the server', async () => {
    for (const attempt of [
      `echo ok; touch ${marker}`,
      `echo $(touch ${marker})`,
      `echo ok && bash -c "touch ${marker}"`,
      `echo ok > ${marker}`,
      `env touch ${marker}`,
      `'t''ouch' ${marker}`,
      `echo ok\ntouch ${marker}`,
      `cat <<EOF\n$(touch ${marker})\nEOF`,
    ]) {
      const result = await run(attempt);
      assert.equal(result.isError, true, attempt);
      assert.match(textOf(result), /Rule: term-commands\./, attempt);
    }
    const interpreter = await run('echo ok', { shell: 'python3' });
    assert.equal(interpreter.isError, true, 'another interpreter is refused');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(!existsSync(marker), 'no bypass reached the terminal server');
  });
});

describe('bastion check applies shell rules', () => {
  it('decides command lines from stdin and names each offending command', () => {
    const config = writeConfig({
      mcpServers: { term: { command: 'unused' } },
      policy: {
        rules: [
          {
            id: 'term-commands',
            server: 'term',
            tool: 'run_command',
            shell: { argument: 'command', allow: ['git status', 'git diff *', 'ls *', 'npm test'], ask: ['npm install *'], deny: ['rm *', 'curl *'], otherwise: 'deny' },
          },
        ],
      },
    });
    const lines = ['git status', 'git status; rm -rf ~', 'npm install left-pad', 'git diff --output=/tmp/x', 'ls $(curl x)', 'lsof']
      .map((command) => JSON.stringify({ server: 'term', tool: 'run_command', arguments: { command } }))
      .join('\n');
    const result = spawnSync(process.execPath, [BASTION_BIN, 'check', '--config', config], { input: lines, encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    const out = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { decision: string; rule: string; reasons: string[] });
    assert.deepEqual(out.map((line) => line.decision), ['allow', 'deny', 'ask', 'ask', 'deny', 'deny']);
    assert.ok(out.every((line) => line.rule === 'term-commands'));
    assert.ok(out[1]?.reasons.some((reason) => /`rm -rf ~` matches deny pattern "rm \*"/.test(reason)));
    assert.ok(out[3]?.reasons.some((reason) => /--output can run programs or write files/.test(reason)));
    assert.ok(out[5]?.reasons.some((reason) => /`lsof` matches no pattern: deny/.test(reason)));
  });
});
