/**
 * The shell guard in front of a real terminal server, @wonderwhy-er/desktop-commander: an allowed
 * command runs; bypass attempts are refused before they reach it (the marker file they would
 * create never appears).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { BIN } from '../helpers/paths.js';

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
