/**
 * The MCP Inspector v2 CLI, a client of both protocol eras, lists and calls the tools of
 * server-everything (a session-era stdio server) through `bastion serve`: with
 * `--protocol-era modern` as a 2026-07-28 client, which Bastion serves statelessly and
 * translates, and with `--protocol-era legacy` as a session client. The Inspector needs Node 22,
 * which npx fetches.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { ALLOW_ALL, writeConfig } from '../helpers/bastion.js';
import { realServers, startBastionHttp, type Listening } from '../helpers/fixtures.js';

const INSPECTOR = '@modelcontextprotocol/inspector@2.12.0';

type Json = Record<string, unknown>;

/** Runs one Inspector CLI command and parses the JSON it prints. */
function inspector(args: readonly string[]): Promise<Json> {
  const command = ['inspector', '--cli', ...args.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`)].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['-y', '-p', 'node@22', '-p', INSPECTOR, '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(stdout) as Json);
      } catch (error) {
        reject(new Error(`the Inspector (${command}) failed: ${(error as Error).message}; can npx fetch node@22 and ${INSPECTOR}?\n${stdout}\n${stderr.slice(-3000)}`));
      }
    });
  });
}

describe('MCP Inspector v2 CLI through Bastion', { timeout: 300_000 }, () => {
  let bastion: Listening;

  before(async () => {
    bastion = await startBastionHttp(writeConfig({ policy: ALLOW_ALL, mcpServers: { everything: realServers().servers.everything } }));
  });

  after(() => bastion?.stop());

  for (const era of ['modern', 'legacy'] as const) {
    it(`--protocol-era ${era}: lists and calls server-everything's tools`, async () => {
      const target = ['--server-url', `${bastion.url}/servers/everything/mcp`, '--transport', 'http', '--protocol-era', era, '--format', 'json'];
      const listed = await inspector([...target, '--method', 'tools/list']);
      const names = JSON.stringify(listed);
      assert.match(names, /"echo"/, names.slice(0, 2000));
      const called = await inspector([...target, '--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', `message=hello ${era}`]);
      assert.match(JSON.stringify(called), new RegExp(`Echo: hello ${era}`), JSON.stringify(called).slice(0, 2000));
      // Bastion starts a 2026-07-28 client's upstreams in a stateless scope, a session client's in its session.
      if (era === 'modern') assert.match(bastion.stderr(), /"session":"stateless-/);
    });
  }
});
