/**
 * Pinned packages against a local npm registry (verdaccio, run by the test): `bastion lock`
 * installs the exact version without running its postinstall script, and Bastion starts the
 * installed entry point (sandboxed, with no npx). A new version on the registry, or a swapped
 * tarball, stops the server from starting; `bastion lock --update` shows the difference and pins
 * the new version.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { ALLOW_ALL, startBastion, writeConfig } from '../helpers/bastion.js';
import { BASTION_BIN, REPO_ROOT } from '../helpers/paths.js';
import { publish, publishEchoServer, startRegistry, type LocalRegistry } from '../helpers/registry.js';

describe('pinned packages', () => {
  let registry: LocalRegistry;
  const marker = join(mkdtempSync(join(tmpdir(), 'bastion-marker-')), 'postinstall-ran');
  // A private data folder (0700): when the tests run as root, Bastion opens its search bits to the sandbox's user.
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-lock-data-'));
  let config: string;

  const cli = (...args: string[]) => spawnSync(process.execPath, [BASTION_BIN, ...args, '--config', config], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, BASTION_DATA_DIR: dataDir }, timeout: 120_000 });
  const echo = async () => {
    const bastion = await startBastion(config, { env: { BASTION_DATA_DIR: dataDir } });
    try {
      const tools = (await bastion.client.listTools()).tools.map((tool) => tool.name);
      const result = tools.includes('echo') ? ((await bastion.client.callTool({ name: 'echo', arguments: { text: 'hi' } })) as CallToolResult) : undefined;
      return { tools, text: result ? (result.content as Array<{ text: string }>)[0]!.text : undefined, stderr: bastion.stderr() };
    } finally {
      await bastion.close();
    }
  };

  before(async () => {
    registry = await startRegistry();
    publishEchoServer(registry, '1.0.0', { scripts: { postinstall: `node -e "require('fs').writeFileSync('${marker}', 'ran')"` } });
    config = writeConfig({ mcpServers: { echo: { command: 'npx', args: ['-y', '@bastion-test/echo-server'] } }, trust: { registry: registry.url }, policy: ALLOW_ALL });
  });
  after(() => registry?.stop());

  it('locks and installs the exact version without running its install script', () => {
    const locked = cli('lock');
    assert.equal(locked.status, 0, locked.stderr);
    assert.match(locked.stderr, /echo: locked @bastion-test\/echo-server@1\.0\.0 \(sha512-[A-Za-z0-9+/=]+\), installed; install scripts postinstall were not run/);
    assert.ok(!existsSync(marker), 'the postinstall script did not run');
    assert.match(locked.stderr, /echo: registry signature absent: the registry gives no signature for this version; provenance none published/);
    const lock = JSON.parse(readFileSync(join(config, '..', 'bastion.lock'), 'utf8')) as { servers: Record<string, { version: string; integrity: string }> };
    assert.equal(lock.servers.echo?.version, '1.0.0');
  });

  it('starts the locked install, sandboxed, with no npx', async () => {
    const run = await echo();
    assert.deepEqual(run.tools, ['echo']);
    assert.equal(run.text, 'echo 1.0.0: hi');
  });

  it('refuses to start the server when the registry serves a new version, until lock --update shows the change and pins it', async () => {
    const helper = mkdtempSync(join(tmpdir(), 'bastion-helper-'));
    writeFileSync(join(helper, 'package.json'), JSON.stringify({ name: '@bastion-test/helper', version: '1.0.0', license: 'MIT' }));
    writeFileSync(join(helper, 'index.js'), 'module.exports = 1;\n');
    publish(registry, helper);
    publishEchoServer(registry, '1.0.1', { dependencies: { '@bastion-test/helper': '^1.0.0' } });

    const refused = await echo();
    assert.deepEqual(refused.tools, []);
    assert.match(refused.stderr, /the registry now serves @bastion-test\/echo-server as version 1\.0\.1, locked 1\.0\.0\. Review the change with bastion lock --update echo/);

    const updated = cli('lock', '--update', 'echo');
    assert.equal(updated.status, 0, updated.stderr);
    assert.match(updated.stderr, /echo: changes since the lock:\n {2}version: 1\.0\.0 -> 1\.0\.1\n {2}integrity: .*\n {2}install script removed: postinstall .*\n {2}dependency added: @bastion-test\/helper \^1\.0\.0\n/);
    assert.match(updated.stderr, /echo: locked @bastion-test\/echo-server@1\.0\.1/);
    assert.equal((await echo()).text, 'echo 1.0.1: hi');
  });

  it('with trust.require, starts only a package signed by a trusted key', async () => {
    const keys = mkdtempSync(join(tmpdir(), 'bastion-keys-'));
    const pair = (name: string) => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(join(keys, `${name}.pub.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
      writeFileSync(join(keys, `${name}.pem`), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return join(keys, `${name}.pem`);
    };
    const trusted = pair('publisher');
    const stranger = pair('stranger');
    const lockFile = join(config, '..', 'bastion.lock');
    const signedConfig = join(config, '..', 'signed.yaml');
    writeFileSync(signedConfig, readFileSync(config, 'utf8').replace(/^trust:\n/m, `trust:\n  keys: [${join(keys, 'publisher.pub.pem')}]\n  require: true\n`));
    const run = async () => {
      const bastion = await startBastion(signedConfig, { env: { BASTION_DATA_DIR: dataDir } });
      try {
        return { tools: (await bastion.client.listTools()).tools.map((tool) => tool.name), stderr: bastion.stderr() };
      } finally {
        await bastion.close();
      }
    };
    const signedCli = (...args: string[]) => spawnSync(process.execPath, [BASTION_BIN, ...args, '--config', signedConfig], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, BASTION_DATA_DIR: dataDir } });
    assert.ok(existsSync(lockFile));

    const unsigned = await run();
    assert.deepEqual(unsigned.tools, []);
    assert.match(unsigned.stderr, /trust\.require needs a signature from a key in trust\.keys, and @bastion-test\/echo-server@1\.0\.1 carries no signature/);
    assert.equal(signedCli('verify').status, 1);

    assert.equal(signedCli('sign', 'echo', '--key', stranger).status, 0);
    const strangers = await run();
    assert.deepEqual(strangers.tools, []);
    assert.match(strangers.stderr, /is signed only by keys that trust\.keys does not list/);

    const signed = signedCli('sign', 'echo', '--key', trusted);
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /echo: signed @bastion-test\/echo-server@1\.0\.1 \(sha512-.*\) with key [0-9a-f]{16}/);
    assert.deepEqual((await run()).tools, ['echo']);
    const verified = signedCli('verify');
    assert.equal(verified.status, 0, verified.stdout);
    assert.match(verified.stdout, /^echo: @bastion-test\/echo-server@1\.0\.1 signed by trusted key [0-9a-f]{16}$/m);
  });

  it('refuses a swapped tarball: the same version with other contents', async () => {
    // Someone with access to the registry's storage replaces the published tarball.
    const folder = join(registry.storage, '@bastion-test', 'echo-server');
    const tarball = readdirSync(folder).find((name) => name.endsWith('1.0.1.tgz'));
    assert.ok(tarball, `no 1.0.1 tarball in ${folder}`);
    const other = readdirSync(folder).find((name) => name.endsWith('1.0.0.tgz'))!;
    writeFileSync(join(folder, tarball), readFileSync(join(folder, other)));
    // A new machine: nothing installed or cached yet.
    rmSync(join(dataDir, 'packages'), { recursive: true, force: true });
    rmSync(join(dataDir, 'npm-cache'), { recursive: true, force: true });
    const run = await echo();
    assert.deepEqual(run.tools, []);
    assert.match(run.stderr, /Server 'echo' was not started: @bastion-test\/echo-server@1\.0\.1 cannot be installed intact/);
  });
});
