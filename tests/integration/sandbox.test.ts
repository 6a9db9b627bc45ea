/**
 * The OS sandbox, with a deliberately hostile server (tests/fixture/hostile.ts) behind Bastion:
 * every attempt to read credentials or /etc/shadow, write outside its workspace, read Bastion's
 * secrets, reach the network, fork without bound or gain privileges through setuid fails at the
 * operating system, while its legitimate work succeeds. Also: the egress proxy of a server with
 * allowedDomains, `sandbox: false` warned about and marked, and a sandbox that cannot be made
 * keeps the server from starting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { ALLOW_ALL, startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { realServers, sandboxWritable } from '../helpers/fixtures.js';
import { BASTION_BIN, HOSTILE_BIN, REPO_ROOT } from '../helpers/paths.js';

interface Outcome {
  ok: boolean;
  value?: unknown;
  error?: string;
}

function requireBubblewrap(): void {
  const found = ['/usr/bin/bwrap', '/usr/local/bin/bwrap'].some((path) => existsSync(path));
  assert.ok(found, 'these tests need bubblewrap (Debian: apt install bubblewrap; .ci/run installs it)');
}

describe('the sandbox against a hostile server', () => {
  const home = mkdtempSync(join(tmpdir(), 'bastion-home-'));
  const workspace = sandboxWritable(mkdtempSync(join(tmpdir(), 'bastion-workspace-')));
  const outside = mkdtempSync(join(tmpdir(), 'bastion-outside-'));
  const bins = mkdtempSync(join(tmpdir(), 'bastion-bins-'));
  let bastion: Started;
  let listener: Server;
  let port = 0;
  let connections = 0;

  const call = async (tool: string, args: Record<string, unknown> = {}): Promise<Outcome> => {
    const result = (await bastion.client.callTool({ name: `hostile__${tool}`, arguments: args })) as CallToolResult;
    return JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as Outcome;
  };

  before(async () => {
    requireBubblewrap();
    assert.equal(process.getuid?.(), 0, 'the setuid check needs the tests to run as root, as CI does, to make a setuid-root binary');
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\ncanary\n');
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_secret_access_key = canary\n');
    writeFileSync(join(home, '.bashrc'), '# the user\'s shell setup\n');
    // Folders the sandbox reads must be readable by nobody, whom the sandbox runs as when the tests run as root.
    chmodSync(home, 0o755);
    chmodSync(bins, 0o755);
    copyFileSync('/usr/bin/id', join(bins, 'id'));
    chmodSync(join(bins, 'id'), 0o4755);
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as { port: number }).port;
    const config = writeConfig({
      mcpServers: {
        hostile: {
          command: process.execPath,
          args: [HOSTILE_BIN],
          sandbox: { filesystem: { allowWrite: [workspace], allowRead: ['~', bins] }, env: ['PASSED_ON'], limits: { processes: 40 } },
        },
        net: { command: process.execPath, args: [HOSTILE_BIN], sandbox: { network: { allowedDomains: ['localhost', 'blocked-by-resolution.invalid'] } } },
        open: { command: process.execPath, args: [HOSTILE_BIN], sandbox: false },
      },
      policy: ALLOW_ALL,
    });
    bastion = await startBastion(config, { env: { HOME: home, BASTION_CANARY_SECRET: 'canary-secret-value', PASSED_ON: 'declared' } });
  });
  after(async () => {
    await bastion?.close();
    listener?.close();
  });

  it('does its legitimate work in its workspace', async () => {
    assert.deepEqual(await call('work', { dir: workspace }), { ok: true, value: 'legitimate work\n' });
    assert.equal(readFileSync(join(workspace, 'notes.txt'), 'utf8'), 'legitimate work\n');
  });

  it('cannot read credential stores, even with the home folder readable, nor /etc/shadow', async () => {
    assert.deepEqual(await call('read', { path: join(home, '.bashrc') }), { ok: true, value: "# the user's shell setup\n" }, 'the home folder is readable, as configured');
    for (const path of [join(home, '.ssh', 'id_rsa'), join(home, '.aws', 'credentials'), '/etc/shadow']) {
      const outcome = await call('read', { path });
      assert.equal(outcome.ok, false, `${path} was read: ${JSON.stringify(outcome.value)}`);
      assert.match(String(outcome.error), /^(ENOENT|EACCES|EPERM)$/);
    }
  });

  it('cannot write outside its workspace, nor into ~/.bashrc', async () => {
    for (const path of [join(outside, 'planted.txt'), join(home, '.bashrc'), join(REPO_ROOT, 'planted.txt'), '/usr/local/bin/planted']) {
      const outcome = await call('write', { path });
      assert.equal(outcome.ok, false, `${path} was written`);
      assert.match(String(outcome.error), /^(EROFS|ENOENT|EACCES|EPERM)$/);
    }
    assert.equal(readFileSync(join(home, '.bashrc'), 'utf8'), "# the user's shell setup\n");
    assert.ok(!existsSync(join(outside, 'planted.txt')));
  });

  it("sees none of Bastion's environment, only the allowlist and what its config passes on", async () => {
    const env = (await call('env')).value as Record<string, string>;
    assert.equal(env.BASTION_CANARY_SECRET, undefined);
    assert.equal(env.PASSED_ON, 'declared');
    assert.equal(env.HOME, '/tmp/home');
    assert.ok(!Object.values(env).some((value) => value.includes('canary-secret-value')));
    assert.ok(!Object.keys(env).some((name) => name.startsWith('BASTION_')), Object.keys(env).join(', '));
  });

  it('has no network: 127.0.0.1 on the host is not reachable, nor any outside address', async () => {
    const local = await call('connect', { host: '127.0.0.1', port });
    assert.equal(local.ok, false);
    assert.equal(connections, 0, 'the host listener saw no connection');
    const outsideAddress = await call('connect', { host: '1.1.1.1', port: 443 });
    assert.equal(outsideAddress.ok, false);
    assert.match(String(outsideAddress.error), /^(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|ETIMEDOUT)$/);
  });

  it('cannot fork without bound: the process limit stops it', async () => {
    const outcome = await call('fork_bomb');
    assert.equal(outcome.ok, true);
    const { started, stoppedBy } = outcome.value as { started: number; stoppedBy: string | null };
    assert.ok(started < 41, `started ${started} processes`);
    assert.equal(stoppedBy, 'EAGAIN');
  });

  it('gains nothing from a setuid-root binary, and is not root', async () => {
    const identity = (await call('identity')).value as { uid: number; euid: number };
    assert.notEqual(identity.uid, 0);
    const outcome = await call('run', { path: join(bins, 'id'), args: '-u' });
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.notEqual(outcome.value, '0', 'the setuid bit must be inert');
    const unsandboxed = JSON.parse(
      ((await bastion.client.callTool({ name: 'open__run', arguments: { path: join(bins, 'id'), args: '-u' } })) as CallToolResult).content
        .map((item) => (item as { text: string }).text)
        .join(''),
    ) as Outcome;
    assert.equal(unsandboxed.value, '0', 'outside the sandbox the same binary does run as root: the check is real');
  });

  it('reaches listed hosts only through the egress proxy, which refuses unlisted hosts and internal addresses', async () => {
    const direct = await bastion.client.callTool({ name: 'net__connect', arguments: { host: '127.0.0.1', port } });
    assert.equal((JSON.parse((direct.content as Array<{ text: string }>)[0]!.text) as Outcome).ok, false);
    const through = async (host: string) =>
      JSON.parse(((await bastion.client.callTool({ name: 'net__proxy', arguments: { host } })) as CallToolResult).content.map((item) => (item as { text: string }).text).join('')) as Outcome;
    assert.deepEqual(await through('evil.example.com'), { ok: true, value: 403 }, 'an unlisted host is refused');
    assert.deepEqual(await through('localhost'), { ok: true, value: 403 }, 'a listed host that resolves to loopback is refused');
    assert.deepEqual(await through('blocked-by-resolution.invalid'), { ok: true, value: 502 }, 'a listed host is let through the policy (here it does not resolve)');
    assert.equal(connections, 0);
    assert.match(bastion.stderr(), /"host":"evil\.example\.com"[^\n]*sandbox egress refused/);
  });

  it('warns at startup about a server with sandbox: false', () => {
    assert.match(bastion.stderr(), /mcpServers\.open: sandbox is false, so this server runs unsandboxed/);
  });
});

describe('real servers in the default sandbox', () => {
  it('server-filesystem works on its workspace and server-memory keeps its graph, both sandboxed', async () => {
    requireBubblewrap();
    const { dir, servers } = realServers();
    const config = writeConfig({ mcpServers: { fs: servers.fs, memory: servers.memory }, policy: ALLOW_ALL });
    const bastion = await startBastion(config);
    try {
      const text = (result: unknown) => ((result as CallToolResult).content as Array<{ text?: string }>).map((item) => item.text ?? '').join('');
      const written = (await bastion.client.callTool({ name: 'fs__write_file', arguments: { path: join(dir, 'hello.txt'), content: 'from the sandbox' } })) as CallToolResult;
      assert.notEqual(written.isError, true, text(written));
      assert.equal(readFileSync(join(dir, 'hello.txt'), 'utf8'), 'from the sandbox');
      assert.match(text(await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path: join(dir, 'hello.txt') } })), /from the sandbox/);
      const outside = (await bastion.client.callTool({ name: 'fs__read_text_file', arguments: { path: '/etc/shadow' } })) as CallToolResult;
      assert.equal(outside.isError, true);
      await bastion.client.callTool({ name: 'memory__create_entities', arguments: { entities: [{ name: 'Bastion', entityType: 'gateway', observations: ['runs servers sandboxed'] }] } });
      assert.match(text(await bastion.client.callTool({ name: 'memory__read_graph', arguments: {} })), /runs servers sandboxed/);
      assert.match(readFileSync(join(dir, 'memory.jsonl'), 'utf8'), /runs servers sandboxed/);
    } finally {
      await bastion.close();
    }
  });
});

describe('sandbox settings', () => {
  it('bastion tools marks unsandboxed servers, and a sandbox that cannot be made keeps its server from starting', () => {
    requireBubblewrap();
    const config = writeConfig({
      mcpServers: {
        boxed: { command: process.execPath, args: [HOSTILE_BIN] },
        open: { command: process.execPath, args: [HOSTILE_BIN], sandbox: false },
        mac: { command: process.execPath, args: [HOSTILE_BIN], sandbox: { runtime: 'sandbox-exec' } },
      },
      policy: ALLOW_ALL,
    });
    const result = spawnSync(process.execPath, [BASTION_BIN, 'tools', '--config', config, '--json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Array<{ server: string; sandbox: string; error?: string }>;
    assert.ok(rows.some((row) => row.server === 'boxed' && row.sandbox === 'sandboxed' && !row.error));
    assert.ok(rows.some((row) => row.server === 'open' && row.sandbox === 'UNSANDBOXED' && !row.error));
    const mac = rows.find((row) => row.server === 'mac');
    assert.match(mac?.error ?? '', /Server 'mac' was not started: sandbox-exec runs on macOS only.*set sandbox: false/);
    const table = spawnSync(process.execPath, [BASTION_BIN, 'tools', '--config', config], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.match(table.stdout, /^open: UNSANDBOXED \(sandbox: false\)/m);
    assert.doesNotMatch(table.stdout, /^boxed: UNSANDBOXED/m);
  });
});
