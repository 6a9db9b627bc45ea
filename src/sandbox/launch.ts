/**
 * How a local (stdio) server is launched. This folder is the only place that decides what a
 * child process gets: its command, arguments, working directory, environment and sandbox. The
 * environment is built from an allowlist plus what the server's config declares, never the
 * gateway's own environment wholesale, so that Bastion's secrets do not leak into servers.
 *
 * Every server runs in the OS sandbox unless its config says `sandbox: false` (src/sandbox/
 * profile.ts). Where no sandbox can be made, the server does not start, and the error says why
 * and how to opt out.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { StdioServerSpec } from '../config/compile.js';
import { egressSocketFor } from '../edges/egress/proxy.js';
import { BastionError } from '../errors/bastionError.js';
import { createLogger, type Logger } from '../log/logger.js';
import { bubblewrap, bubblewrapArgs, SANDBOX_HOME } from './bubblewrap.js';
import { containerArgs } from './container.js';
import { seatbeltProfile } from './seatbelt.js';
import { packageRoots } from './packageRoots.js';
import { AS_UNPRIVILEGED, type SandboxProfile } from './profile.js';

/** Variables a typical server needs to find its runtime and locale, beyond the SDK's default set. */
const EXTRA_INHERITED = ['LANG', 'LC_ALL', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SystemRoot', 'APPDATA', 'LOCALAPPDATA'];

/** What a sandboxed server inherits: locale and terminal only; HOME, TMPDIR, USER and PATH are the sandbox's own. */
const SANDBOX_INHERITED = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TERM', 'TZ', 'NODE_EXTRA_CA_CERTS'];

export function launchEnvironment(spec: StdioServerSpec, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (spec.sandbox) return sandboxEnvironment(spec, spec.sandbox, parent);
  const env: Record<string, string> = { ...getDefaultEnvironment() };
  for (const name of EXTRA_INHERITED) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env };
}

function sandboxEnvironment(spec: StdioServerSpec, profile: SandboxProfile, parent: NodeJS.ProcessEnv): Record<string, string> {
  const paths = ['/usr/local/bin', '/usr/bin', '/bin', dirname(process.execPath)];
  const env: Record<string, string> = { PATH: [...new Set(paths)].join(':'), HOME: SANDBOX_HOME, TMPDIR: '/tmp', USER: 'sandbox', LOGNAME: 'sandbox' };
  for (const name of [...SANDBOX_INHERITED, ...profile.env]) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env };
}

/**
 * The limits, as a prlimit(1) prefix run inside the sandbox: in its own user namespace the
 * process count starts from nothing, so the server's limit is its own. Two more cover the
 * sandbox's init and prlimit itself.
 */
function limitsPrefix(profile: SandboxProfile): string[] {
  const limits = [`--nproc=${profile.limits.processes + 2}`];
  if (profile.limits.memoryBytes !== undefined) limits.push(`--data=${profile.limits.memoryBytes}`);
  if (profile.limits.cpuSeconds !== undefined) limits.push(`--cpu=${profile.limits.cpuSeconds}`);
  return ['/usr/bin/prlimit', ...limits, '--'];
}

const SETPRIV = '/usr/bin/setpriv';
const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

const BRIDGE = fileURLToPath(new URL('./bridge.js', import.meta.url));
const EGRESS_SOCKET = '/run/bastion/egress.sock';
const EGRESS_PORT = 3128;

let egressLogger: Logger | undefined;
const egressLog = () => (egressLogger ??= createLogger(process.env.BASTION_LOG_LEVEL ?? 'info').child({ component: 'egress' }));

export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string | undefined;
  /** The mechanism, or "none" when the config turned the sandbox off. */
  readonly sandbox: 'bubblewrap' | 'sandbox-exec' | 'docker' | 'podman' | 'none';
}

/** How the server is started: its own command line, or wrapped in the sandbox. */
export function launchPlan(spec: StdioServerSpec, parent: NodeJS.ProcessEnv = process.env): LaunchPlan {
  if (spec.pinned?.refusal) throw new BastionError('BASTION_PACKAGE_REFUSED', spec.pinned.refusal, { server: spec.name, package: spec.pinned.package });
  const env = launchEnvironment(spec, parent);
  if (!spec.sandbox) return { command: spec.command, args: spec.args, env, cwd: spec.cwd, sandbox: 'none' };
  const profile = spec.sandbox;
  const runtime = profile.runtime === 'auto' ? (process.platform === 'linux' ? 'bubblewrap' : process.platform === 'darwin' ? 'sandbox-exec' : 'none') : profile.runtime;
  const unavailable = (why: string) =>
    new BastionError('BASTION_SANDBOX_UNAVAILABLE', `Server '${spec.name}' was not started: ${why}. Use a sandbox this machine has, or set sandbox: false for this server to run it unsandboxed.`, {
      server: spec.name,
      runtime,
    });
  if (runtime === 'docker' || runtime === 'podman') return containerPlan(spec, profile, runtime, env, unavailable);
  if (runtime === 'sandbox-exec') return seatbeltPlan(spec, profile, env, parent, unavailable);
  if (runtime !== 'bubblewrap') throw unavailable(`no sandbox is known for ${process.platform}`);
  const bwrap = bubblewrap();
  if (!bwrap.path) throw unavailable(bwrap.problem ?? 'bubblewrap is not available');
  const cwd = spec.cwd ?? process.cwd();
  const roots = packageRoots(spec.command, spec.args, cwd, parent.PATH);
  let inner = { command: spec.command, args: [...spec.args] };
  const extraBinds: Array<[string, string]> = [];
  if (profile.allowedDomains.length > 0) {
    // The sandbox has no network; a bridge inside relays a local port to the egress proxy outside.
    extraBinds.push([egressSocketFor(spec.name, profile.allowedDomains, egressLog()), EGRESS_SOCKET]);
    inner = { command: process.execPath, args: [BRIDGE, EGRESS_SOCKET, String(EGRESS_PORT), '--', spec.command, ...spec.args] };
    roots.push(...packageRoots(BRIDGE, [], cwd));
    const proxyUrl = `http://127.0.0.1:${EGRESS_PORT}`;
    Object.assign(env, { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl, NO_PROXY: '', no_proxy: '' });
  }
  const [prlimit, ...limitArgs] = limitsPrefix(profile);
  const limited = { command: prlimit as string, args: [...limitArgs, inner.command, ...inner.args] };
  const wrapped = bubblewrapArgs({ ...limited, cwd: spec.cwd, profile, packageRoots: [...new Set(roots)], extraBinds });
  if (process.geteuid?.() === 0) {
    // Never root, even outside the namespace: the kernel exempts root from the process limit, and root-owned files stay closed.
    return { command: SETPRIV, args: [...AS_UNPRIVILEGED, bwrap.path, ...wrapped], env, cwd: spec.cwd, sandbox: 'bubblewrap' };
  }
  return { command: bwrap.path, args: wrapped, env, cwd: spec.cwd, sandbox: 'bubblewrap' };
}

function containerPlan(spec: StdioServerSpec, profile: SandboxProfile, engine: 'docker' | 'podman', env: Record<string, string>, unavailable: (why: string) => Error): LaunchPlan {
  if (!profile.image) throw unavailable(`the ${engine} runtime needs sandbox.image`);
  if (profile.allowedDomains.length > 0) throw unavailable(`network.allowedDomains is not offered with the ${engine} runtime; use bubblewrap`);
  const found = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin'].map((dir) => `${dir}/${engine}`).find((path) => existsSync(path));
  if (!found) throw unavailable(`${engine} is not installed`);
  const args = containerArgs({ engine, image: profile.image, command: spec.command, args: spec.args, cwd: spec.cwd, env: { ...env, HOME: '/tmp' }, profile });
  return { command: found, args, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: undefined, sandbox: engine };
}

function seatbeltPlan(spec: StdioServerSpec, profile: SandboxProfile, env: Record<string, string>, parent: NodeJS.ProcessEnv, unavailable: (why: string) => Error): LaunchPlan {
  if (process.platform !== 'darwin' || !existsSync(SANDBOX_EXEC)) throw unavailable(`sandbox-exec runs on macOS only (this is ${process.platform})`);
  if (profile.allowedDomains.length > 0) throw unavailable('network.allowedDomains is not offered on macOS yet');
  const tmpDir = mkdtempSync(join(tmpdir(), `bastion-${spec.name}-`));
  const roots = packageRoots(spec.command, spec.args, spec.cwd ?? process.cwd(), parent.PATH);
  const profileFile = join(tmpDir, 'sandbox.sb');
  writeFileSync(profileFile, seatbeltProfile({ profile, packageRoots: roots, tmpDir, cwd: spec.cwd }), { mode: 0o600 });
  return { command: SANDBOX_EXEC, args: ['-f', profileFile, spec.command, ...spec.args], env: { ...env, HOME: tmpDir, TMPDIR: tmpDir }, cwd: spec.cwd, sandbox: 'sandbox-exec' };
}

/** Creates the transport that starts the server; its stderr is piped so the gateway can log it. */
export function createStdioTransport(spec: StdioServerSpec): StdioClientTransport {
  const plan = launchPlan(spec);
  return new StdioClientTransport({
    command: plan.command,
    args: [...plan.args],
    env: plan.env,
    ...(plan.cwd ? { cwd: plan.cwd } : {}),
    stderr: 'pipe',
  });
}
