/**
 * The sandbox's compiled profile and the command lines and profiles made from it: bubblewrap's
 * arguments, the macOS Seatbelt profile (which cannot run here) and the container arguments.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { StdioServerSpec } from '../../src/config/compile.js';
import { bubblewrapArgs } from '../../src/sandbox/bubblewrap.js';
import { containerArgs } from '../../src/sandbox/container.js';
import { launchPlan } from '../../src/sandbox/launch.js';
import { packageRoot } from '../../src/sandbox/packageRoots.js';
import { compileSandbox, DEFAULT_PROCESS_LIMIT, type SandboxProfile } from '../../src/sandbox/profile.js';
import { seatbeltProfile } from '../../src/sandbox/seatbelt.js';

const home = mkdtempSync(join(tmpdir(), 'bastion-unit-home-'));
mkdirSync(join(home, '.ssh'));
writeFileSync(join(home, '.npmrc'), '//registry/:_authToken=x\n');

function profile(entry: Parameters<typeof compileSandbox>[0] = {}): SandboxProfile {
  const compiled = compileSandbox(entry, '/srv/config', home);
  assert.ok(compiled);
  return compiled;
}

describe('sandbox profile', () => {
  it('resolves paths from the config folder and ~, and always denies the credential stores', () => {
    const compiled = profile({ filesystem: { allowWrite: ['./workspace'], allowRead: ['~/notes', '/opt/data'], denyRead: ['~/secrets'] }, limits: { memory: '512m' } });
    assert.deepEqual(compiled.allowWrite, ['/srv/config/workspace']);
    assert.deepEqual(compiled.allowRead, [join(home, 'notes'), '/opt/data']);
    for (const store of ['.ssh', '.aws', '.config/gcloud', '.azure', '.gnupg', '.kube', '.docker', '.npmrc', '.netrc']) {
      assert.ok(compiled.denyRead.includes(join(home, store)), store);
    }
    assert.ok(compiled.denyRead.includes(join(home, 'secrets')));
    assert.deepEqual(compiled.limits, { memoryBytes: 512 * 1024 * 1024, processes: DEFAULT_PROCESS_LIMIT, cpuSeconds: undefined });
    assert.equal(compileSandbox(false, '/srv/config', home), false);
    assert.deepEqual(compileSandbox(true, '/srv/config', home), compileSandbox(undefined, '/srv/config', home));
  });

  it('finds a package by its outermost node_modules, else its package.json', () => {
    assert.equal(packageRoot('/repo/node_modules/@scope/server/dist/index.js'), '/repo/node_modules');
  });
});

describe('bubblewrap arguments', () => {
  const args = bubblewrapArgs({
    command: '/usr/bin/node',
    args: ['server.js', '--flag'],
    cwd: '/srv/app',
    profile: profile({ filesystem: { allowWrite: ['/srv/app/workspace'], allowRead: ['~'] } }),
    packageRoots: ['/srv/app'],
  });
  const joined = args.join(' ');

  it('isolates every namespace, drops capabilities and ties the server to Bastion', () => {
    for (const flag of ['--unshare-all', '--unshare-user', '--die-with-parent', '--new-session', '--cap-drop ALL', '--uid 1000']) assert.ok(joined.includes(flag), flag);
    assert.ok(!joined.includes('--share-net'));
  });

  it('binds system, package and allowRead read-only, allowWrite writable, and hides credentials inside them', () => {
    assert.ok(joined.includes('--ro-bind /usr /usr'));
    assert.ok(joined.includes('--ro-bind-try /srv/app /srv/app'));
    assert.ok(joined.includes(`--ro-bind-try ${home} ${home}`));
    assert.ok(joined.includes('--bind-try /srv/app/workspace /srv/app/workspace'));
    assert.ok(joined.includes(`--tmpfs ${join(home, '.ssh')} --remount-ro ${join(home, '.ssh')}`), 'a credential folder becomes an empty read-only one');
    assert.ok(joined.includes(`--ro-bind /dev/null ${join(home, '.npmrc')}`), 'a credential file becomes /dev/null');
    assert.ok(!joined.includes('/etc/shadow'));
    assert.ok(!/--ro-bind(-try)? \/etc \/etc/.test(joined), 'only chosen files of /etc are visible');
  });

  it('ends with the server\'s own command line, after the hides', () => {
    assert.deepEqual(args.slice(-4), ['--', '/usr/bin/node', 'server.js', '--flag']);
    assert.ok(args.indexOf('--chdir') > args.lastIndexOf('--remount-ro'));
  });

  it('hides nothing where nothing is visible', () => {
    const plain = bubblewrapArgs({ command: 'x', args: [], cwd: undefined, profile: profile(), packageRoots: [] });
    assert.ok(!plain.includes(join(home, '.ssh')));
  });
});

describe('the Seatbelt profile (macOS)', () => {
  const text = seatbeltProfile({ profile: profile({ filesystem: { allowWrite: ['/Users/me/work "x"'] } }), packageRoots: ['/Users/me/app'], tmpDir: '/private/tmp/bastion-x', cwd: undefined });

  it('denies by default and all network, allows reads of the runtime and writes only where listed', () => {
    assert.match(text, /^\(version 1\)\n\(deny default\)\n/);
    assert.match(text, /\(deny network\*\)/);
    assert.match(text, /\(allow file-read\* [^\n]*\(subpath "\/Users\/me\/app"\)/);
    assert.match(text, /\(allow file-read\* file-write\* \(subpath "\/private\/tmp\/bastion-x"\) \(subpath "\/Users\/me\/work \\"x\\""\)/);
  });

  it('denies the credential stores last, so that they win', () => {
    const last = text.trim().split('\n').pop() ?? '';
    assert.match(last, /^\(deny file-read\* file-write\* /);
    assert.ok(last.includes(`(subpath "${join(home, '.ssh')}")`));
  });
});

describe('container arguments', () => {
  it('run with no network, a read-only root, no privileges, an unprivileged user and the limits', () => {
    const args = containerArgs({
      engine: 'docker',
      image: 'ghcr.io/example/server:1.2.3',
      command: 'server',
      args: ['--stdio'],
      cwd: undefined,
      env: { PATH: '/usr/bin' },
      profile: profile({ filesystem: { allowWrite: ['/srv/work'], allowRead: ['/srv/data'] }, limits: { processes: 64, memory: '256m' } }),
    });
    const joined = args.join(' ');
    for (const part of ['--network none', '--read-only', '--cap-drop ALL', '--security-opt no-new-privileges', '--user 65534:65534', '--pids-limit 64', `--memory ${256 * 1024 * 1024}`]) {
      assert.ok(joined.includes(part), part);
    }
    assert.ok(joined.includes('--volume /srv/data:/srv/data:ro'));
    assert.ok(joined.includes('--volume /srv/work:/srv/work:rw'));
    assert.deepEqual(args.slice(-3), ['ghcr.io/example/server:1.2.3', 'server', '--stdio']);
  });
});

describe('launch plan', () => {
  const spec = (sandbox: SandboxProfile | false): StdioServerSpec => ({
    name: 'files', transport: 'stdio', command: process.execPath, args: ['server.js'], env: { DECLARED: 'yes' }, cwd: undefined, sandbox,
    timeoutMs: 1000, startupTimeoutMs: 1000, sharing: 'per-session', prefix: false, toolSnapshot: '/tmp/x',
  });

  it('passes an allowlisted environment into the sandbox, never Bastion\'s own', () => {
    const plan = launchPlan(spec(profile({ env: ['PASSED'] })), { PATH: '/usr/bin', HOME: '/root', BASTION_AUDIT_URL: 'postgres://secret', PASSED: 'p', LANG: 'C.UTF-8' });
    assert.equal(plan.sandbox, 'bubblewrap');
    assert.deepEqual(Object.keys(plan.env).sort(), ['DECLARED', 'HOME', 'LANG', 'LOGNAME', 'PASSED', 'PATH', 'TMPDIR', 'USER']);
    assert.equal(plan.env.HOME, '/tmp/home');
  });

  it('runs the server itself when the sandbox is off', () => {
    const plan = launchPlan(spec(false));
    assert.deepEqual([plan.sandbox, plan.command, plan.args], ['none', process.execPath, ['server.js']]);
  });

  it('refuses, saying how to opt out, where the chosen sandbox cannot run', () => {
    assert.throws(() => launchPlan(spec(profile({ runtime: 'sandbox-exec' }))), /sandbox-exec runs on macOS only .*set sandbox: false/);
  });
});
