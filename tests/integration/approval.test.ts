/**
 * Human approval with the official SDK client: through elicitation to the calling client, through
 * the admin endpoint and the CLI for a client without elicitation; timeouts deny; approvals are
 * bound to the exact arguments and to the session; shell commands show what needs approval.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type CallToolResult, type ClientCapabilities } from '@modelcontextprotocol/client';
import type { ApprovalRequest } from '../../src/approval/manager.js';
import { startBastion, writeConfig, type Started } from '../helpers/bastion.js';
import { realServers, startBastionHttp, type Listening } from '../helpers/fixtures.js';
import { BASTION_BIN, BIN } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';

const textOf = (result: CallToolResult) => (result.content as Array<{ text?: string }>).map((item) => item.text ?? '').join('\n');

interface Admin {
  url: string;
  token: string;
}

function adminOf(stderr: string, dataDir: string): Admin {
  const url = /admin API at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
  assert.ok(url, `the admin API did not start:\n${stderr}`);
  return { url, token: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim() };
}

async function pending(admin: Admin): Promise<ApprovalRequest[]> {
  const response = await fetch(`${admin.url}/admin/approvals`, { headers: { authorization: `Bearer ${admin.token}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { approvals: ApprovalRequest[] }).approvals;
}

async function nextPending(admin: Admin, known: Set<string> = new Set()): Promise<ApprovalRequest> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = (await pending(admin)).find((request) => !known.has(request.id));
    if (found) {
      known.add(found.id);
      return found;
    }
    assert.ok(Date.now() < deadline, 'no pending approval appeared within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function answer(admin: Admin, id: string, decision: 'approve' | 'deny', scope: 'once' | 'session' = 'once') {
  const response = await fetch(`${admin.url}/admin/approvals/${id}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ decision, scope }),
  });
  assert.equal(response.status, 200, await response.text());
}

function setup(extra: Record<string, unknown> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'bastion-approve-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-approve-data-'));
  const config = writeConfig({ mcpServers: { fs: realServers(root).servers.fs }, admin: { port: 0 }, ...extra });
  return { root, dataDir, config };
}

const write = (client: Client, path: string, content = 'written') =>
  client.callTool({ name: 'write_file', arguments: { path, content } }) as Promise<CallToolResult>;

describe('approval through elicitation', () => {
  let answerWith: 'approve_once' | 'deny' | 'decline' = 'decline';
  const messages: string[] = [];
  let bastion: Started;
  const { root, dataDir, config } = setup();

  before(async () => {
    bastion = await startBastion(config, {
      env: { BASTION_DATA_DIR: dataDir },
      capabilities: { elicitation: { form: {} } },
      setup: (client) =>
        client.setRequestHandler('elicitation/create', async (request) => {
          messages.push(String(request.params.message));
          return answerWith === 'decline' ? { action: 'decline' } : { action: 'accept', content: { decision: answerWith } };
        }),
    });
  });
  after(async () => {
    await bastion?.close();
  });

  it('a client that declines: write_file does not run; one that accepts: the file is written', async () => {
    const declined = await write(bastion.client, join(root, 'declined.txt'));
    assert.equal(declined.isError, true);
    assert.match(textOf(declined), /needs a human's approval .*a human denied it through the client.*Rule: default:write\./);
    assert.ok(!existsSync(join(root, 'declined.txt')));
    assert.match(messages[0] ?? '', /Tool: write_file \(server fs, write, destructive\)[\s\S]*"content": "written"/);

    answerWith = 'approve_once';
    const accepted = await write(bastion.client, join(root, 'accepted.txt'));
    assert.notEqual(accepted.isError, true, textOf(accepted));
    assert.equal(readFileSync(join(root, 'accepted.txt'), 'utf8'), 'written');
  });
});

describe('approval through the admin endpoint and the CLI', () => {
  let bastion: Started;
  let admin: Admin;
  const known = new Set<string>();
  const root = mkdtempSync(join(tmpdir(), 'bastion-approve-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-approve-data-'));
  const home = mkdtempSync(join(tmpdir(), 'bastion-approve-home-'));
  const config = writeConfig({
    mcpServers: { fs: realServers(root).servers.fs, term: { command: BIN('desktop-commander'), env: { HOME: home } } },
    admin: { port: 0 },
  });

  before(async () => {
    bastion = await startBastion(config, { env: { BASTION_DATA_DIR: dataDir } });
    await waitFor(() => /admin API at/.test(bastion.stderr()), 10_000, 'the admin API');
    admin = adminOf(bastion.stderr(), dataDir);
  });
  after(async () => {
    await bastion?.close();
  });

  it('refuses requests without the token', async () => {
    assert.equal((await fetch(`${admin.url}/admin/approvals`)).status, 401);
    assert.equal((await fetch(`${admin.url}/admin/approvals`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  });

  it('approves and denies through the endpoint, for a client without elicitation', async () => {
    const approved = bastion.client.callTool({ name: 'fs__write_file', arguments: { path: join(root, 'a.txt'), content: 'a' } }) as Promise<CallToolResult>;
    const request = await nextPending(admin, known);
    assert.equal(request.tool, 'write_file');
    assert.deepEqual(request.arguments, { path: join(root, 'a.txt'), content: 'a' });
    await answer(admin, request.id, 'approve');
    assert.notEqual((await approved).isError, true);
    assert.ok(existsSync(join(root, 'a.txt')));

    const denied = bastion.client.callTool({ name: 'fs__write_file', arguments: { path: join(root, 'b.txt'), content: 'b' } }) as Promise<CallToolResult>;
    await answer(admin, (await nextPending(admin, known)).id, 'deny');
    assert.equal((await denied).isError, true);
    assert.ok(!existsSync(join(root, 'b.txt')));
  });

  it('approves and denies through the CLI', async () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [BASTION_BIN, ...args, '--config', config, '--url', admin.url], { env: { ...process.env, BASTION_DATA_DIR: dataDir }, encoding: 'utf8' });
    const created = bastion.client.callTool({ name: 'fs__create_directory', arguments: { path: join(root, 'by-cli') } }) as Promise<CallToolResult>;
    const request = await nextPending(admin, known);
    const list = cli('approvals');
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${request.id}\\s+fs/create_directory\\s+write`));
    assert.equal(cli('approve', request.id).status, 0);
    assert.notEqual((await created).isError, true);
    assert.ok(existsSync(join(root, 'by-cli')));

    const refused = bastion.client.callTool({ name: 'fs__create_directory', arguments: { path: join(root, 'refused') } }) as Promise<CallToolResult>;
    const second = await nextPending(admin, known);
    // Without --config, the token comes from $BASTION_DATA_DIR.
    const bare = spawnSync(process.execPath, [BASTION_BIN, 'deny', second.id, '--url', admin.url], { env: { ...process.env, BASTION_DATA_DIR: dataDir }, encoding: 'utf8' });
    assert.equal(bare.status, 0, bare.stderr);
    assert.equal((await refused).isError, true);
    assert.ok(!existsSync(join(root, 'refused')));
    const gone = cli('approve', second.id);
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /no pending approval/);
  });

  it('bastion approvals --watch shows a held call as it arrives and takes y', async () => {
    const watcher = spawn(process.execPath, [BASTION_BIN, 'approvals', '--watch', '--config', config, '--url', admin.url], {
      env: { ...process.env, BASTION_DATA_DIR: dataDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let shown = '';
    watcher.stdout.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    try {
      const created = bastion.client.callTool({ name: 'fs__create_directory', arguments: { path: join(root, 'by-watch') } }) as Promise<CallToolResult>;
      await waitFor(() => /approve\? \[y\/s\/N\]/.test(shown), 10_000, 'the watcher showed the call');
      assert.match(shown, /fs\/create_directory\s+write/);
      assert.match(shown, /by-watch/);
      watcher.stdin.write('y\n');
      assert.notEqual((await created).isError, true);
      assert.ok(existsSync(join(root, 'by-watch')));
      for (const request of await pending(admin)) known.add(request.id);
    } finally {
      watcher.kill();
    }
  });

  it('a pattern granted for the session covers later matching commands of that tool, and nothing else', async () => {
    const run = (command: string) => bastion.client.callTool({ name: 'term__start_process', arguments: { command, timeout_ms: 3000 } }) as Promise<CallToolResult>;
    const first = run('seq 2');
    const request = await nextPending(admin, known);
    assert.deepEqual(request.grantableCommands, [['seq', '2']]);
    const cli = spawnSync(process.execPath, [BASTION_BIN, 'approve', request.id, '--pattern', 'seq *', '--for', '1h', '--config', config, '--url', admin.url], {
      env: { ...process.env, BASTION_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(textOf(await first), /1\n2/);
    assert.match(textOf(await run('seq 3')), /1\n2\n3/, 'a matching command runs without asking');
    assert.equal((await pending(admin)).length, 0);
    const other = run('seq 4 | tac');
    const asked = await nextPending(admin, known);
    assert.deepEqual(asked.grantableCommands, [['seq', '4'], ['tac']], 'a command outside the pattern makes the call ask again');
    await answer(admin, asked.id, 'deny');
    assert.equal((await other).isError, true);
  });

  it('withdraws the request when the client cancels the call', async () => {
    const controller = new AbortController();
    const call = bastion.client.callTool({ name: 'fs__write_file', arguments: { path: join(root, 'cancelled.txt'), content: 'c' } }, { signal: controller.signal });
    const request = await nextPending(admin, known);
    controller.abort();
    await assert.rejects(call);
    const deadline = Date.now() + 5000;
    while ((await pending(admin)).some((each) => each.id === request.id)) {
      assert.ok(Date.now() < deadline, 'the request was not withdrawn');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const late = await fetch(`${admin.url}/admin/approvals/${request.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    assert.equal(late.status, 404, 'a withdrawn request cannot be approved');
    assert.ok(!existsSync(join(root, 'cancelled.txt')));
  });

  it('shows each shell command that needs approval in the request', async () => {
    const call = bastion.client.callTool({ name: 'term__start_process', arguments: { command: 'git status && npm publish', timeout_ms: 1000 } }) as Promise<CallToolResult>;
    const request = await nextPending(admin, known);
    assert.equal(request.rule, 'shell-default');
    assert.ok(request.reasons.some((reason) => /`npm publish` matches no pattern: ask/.test(reason)), request.reasons.join('\n'));
    assert.equal(request.sessionScopeAllowed, false, 'an execute tool is approved once at a time');
    await answer(admin, request.id, 'deny');
    assert.equal((await call).isError, true);
  });
});

describe('approval expiry and binding', () => {
  it('denies when nobody answers in time', async () => {
    const { root, dataDir, config } = setup({ approval: { timeout: '1s' } });
    const bastion = await startBastion(config, { env: { BASTION_DATA_DIR: dataDir } });
    try {
      const result = await write(bastion.client, join(root, 'late.txt'));
      assert.equal(result.isError, true);
      assert.match(textOf(result), /the approval timed out after 1 s with no answer/);
      assert.ok(!existsSync(join(root, 'late.txt')));
    } finally {
      await bastion.close();
    }
  });
});

describe('approvals across sessions (bastion serve)', () => {
  let bastion: Listening;
  let admin: Admin;
  const clients: Client[] = [];
  const { root, dataDir, config } = setup();

  before(async () => {
    bastion = await startBastionHttp(config);
    await waitFor(() => /admin API at/.test(bastion.stderr()), 10_000, 'the admin API');
    // startBastionHttp gives the process its own data directory; the token is read from there.
    const data = /token in ([^)]+)\/admin-token/.exec(bastion.stderr())?.[1] as string;
    admin = adminOf(bastion.stderr(), data ?? dataDir);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    bastion?.stop();
  });

  async function connect(capabilities: ClientCapabilities = {}, setupClient?: (client: Client) => void) {
    const client = new Client({ name: 'approval-test', version: '1.0.0' }, { capabilities });
    setupClient?.(client);
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', bastion.url)));
    clients.push(client);
    return client;
  }

  it('two sessions asking at once each get their own answer', async () => {
    const elicit = (decision: string) => (client: Client) =>
      client.setRequestHandler('elicitation/create', async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return decision === 'decline' ? { action: 'decline' } : { action: 'accept', content: { decision } };
      });
    const a = await connect({ elicitation: { form: {} } }, elicit('approve_once'));
    const b = await connect({ elicitation: { form: {} } }, elicit('decline'));
    const [fromA, fromB] = await Promise.all([write(a, join(root, 'from-a.txt')), write(b, join(root, 'from-b.txt'))]);
    assert.notEqual(fromA.isError, true, textOf(fromA));
    assert.equal(fromB.isError, true);
    assert.ok(existsSync(join(root, 'from-a.txt')));
    assert.ok(!existsSync(join(root, 'from-b.txt')));
  });

  it('approve for session covers the next identical call, not other arguments, not another session', async () => {
    const known = new Set<string>();
    const a = await connect();
    const b = await connect();
    const path = join(root, 'session.txt');
    const first = write(a, path, 'same');
    await answer(admin, (await nextPending(admin, known)).id, 'approve', 'session');
    assert.notEqual((await first).isError, true);

    assert.notEqual((await write(a, path, 'same')).isError, true, 'the identical call runs without asking');
    assert.equal((await pending(admin)).length, 0);

    const other = write(a, path, 'samf');
    const asked = await nextPending(admin, known);
    assert.deepEqual(asked.arguments, { path, content: 'samf' }, 'one byte more is another approval');
    await answer(admin, asked.id, 'deny');
    assert.equal((await other).isError, true);

    const fromB = write(b, path, 'same');
    const askedB = await nextPending(admin, known);
    assert.notEqual(askedB.session, asked.session, 'another session is asked again');
    await answer(admin, askedB.id, 'deny');
    assert.equal((await fromB).isError, true);
    assert.equal(readFileSync(path, 'utf8'), 'same');
  });
});
