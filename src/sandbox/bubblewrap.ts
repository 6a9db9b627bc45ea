/**
 * The Linux sandbox: bubblewrap. A server gets new user, PID, network, IPC, UTS and cgroup
 * namespaces, runs as an unprivileged user with no capabilities and no way to gain any (setuid is
 * inert), in its own session, and dies with Bastion. Its filesystem is an empty root with:
 *   - the system directories and a few files of /etc (certificates, resolver, passwd), read-only;
 *   - its own package and the allowRead paths, read-only;
 *   - a private /tmp (its HOME is /tmp/home) and the allowWrite paths, writable;
 *   - denyRead paths and the credential stores hidden (an empty read-only folder, or /dev/null),
 *     wherever they would otherwise show.
 * Without allowedDomains it has no network at all: its namespace holds only a loopback device.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { AS_UNPRIVILEGED, type SandboxProfile } from './profile.js';

export const SANDBOX_HOME = '/tmp/home';
export const SANDBOX_UID = 1000;

/** Files of /etc that programs need to run: TLS roots, name resolution, users, time zone, the loader. */
const ETC_FILES = [
  '/etc/ssl', '/etc/ca-certificates', '/etc/pki', '/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/host.conf', '/etc/gai.conf',
  '/etc/localtime', '/etc/timezone', '/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/passwd',
  '/etc/group', '/etc/os-release', '/etc/mime.types', '/etc/protocols', '/etc/services',
];

const ROOT_ENTRIES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export interface BubblewrapLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly profile: SandboxProfile;
  /** Folders of the server's own code, bound read-only. */
  readonly packageRoots: readonly string[];
  /** Extra binds the launcher adds (the egress proxy's socket), host path to sandbox path. */
  readonly extraBinds?: ReadonlyArray<readonly [string, string]>;
}

const within = (path: string, root: string) => path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);

/** The bwrap arguments, up to and including "--" and the server's own command line. */
export function bubblewrapArgs(launch: BubblewrapLaunch): string[] {
  const { profile } = launch;
  const args = [
    '--die-with-parent', '--new-session', '--unshare-all', '--unshare-user', '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--cap-drop', 'ALL', '--hostname', 'sandbox', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', SANDBOX_HOME,
  ];
  for (const entry of ROOT_ENTRIES) {
    if (!existsSync(entry)) continue;
    if (lstatSync(entry).isSymbolicLink()) args.push('--symlink', readlinkSync(entry), entry);
    else args.push('--ro-bind', entry, entry);
  }
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  // /tmp inside is private, and /etc shows only the files above: neither shows the host's.
  const visible: string[] = [...ROOT_ENTRIES];
  const readOnly = [...launch.packageRoots, ...profile.allowRead, ...(launch.cwd ? [launch.cwd] : [])];
  for (const path of readOnly) {
    args.push('--ro-bind-try', path, path);
    visible.push(path);
  }
  for (const path of profile.allowWrite) {
    args.push('--bind-try', path, path);
    visible.push(path);
  }
  for (const [host, inside] of launch.extraBinds ?? []) args.push('--bind', host, inside);
  // Hidden paths are covered after every bind, so that no allowed folder shows them.
  for (const path of profile.denyRead) {
    if (!existsSync(path) || !visible.some((root) => within(path, root))) continue;
    if (statSync(path).isDirectory()) args.push('--tmpfs', path, '--remount-ro', path);
    else args.push('--ro-bind', '/dev/null', path);
  }
  if (launch.cwd) args.push('--chdir', launch.cwd);
  args.push('--', launch.command, ...launch.args);
  return args;
}

/** The path of bwrap, when it is installed and can create its namespaces here (checked once). */
let probed: { path: string | undefined; problem: string | undefined } | undefined;
export function bubblewrap(): { path: string | undefined; problem: string | undefined } {
  if (probed) return probed;
  const path = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'].find((candidate) => existsSync(candidate));
  if (!path) return (probed = { path: undefined, problem: 'bubblewrap is not installed (Debian and Ubuntu: apt install bubblewrap)' });
  const probe = [path, '--ro-bind', '/', '/', '--unshare-all', '--unshare-user', '--die-with-parent', '--', '/bin/true'];
  const asRoot = process.geteuid?.() === 0;
  const check = spawnSync(asRoot ? '/usr/bin/setpriv' : path, asRoot ? [...AS_UNPRIVILEGED, ...probe] : probe.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (check.status !== 0) {
    return (probed = { path: undefined, problem: `bubblewrap cannot create a sandbox here: ${(check.stderr || check.error?.message || `exit ${check.status}`).trim()} (user namespaces may be disabled)` });
  }
  return (probed = { path, problem: undefined });
}
