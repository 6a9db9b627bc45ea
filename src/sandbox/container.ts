/**
 * The container runtimes (docker, podman), for servers that ship as images or when an engine is
 * the sandbox of choice: `sandbox: {runtime: docker, image: ...}`. The container gets no network,
 * a read-only root, no capabilities and no new privileges, an unprivileged user, a private /tmp,
 * the allowRead paths read-only and the allowWrite paths writable at the same paths, the
 * allowlisted environment, and the process and memory limits. network.allowedDomains is not
 * offered here: such a server runs under bubblewrap or sandbox-exec.
 */
import { UNPRIVILEGED_UID, type SandboxProfile } from './profile.js';

export interface ContainerLaunch {
  readonly engine: 'docker' | 'podman';
  readonly image: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly profile: SandboxProfile;
}

export function containerArgs(launch: ContainerLaunch): string[] {
  const { profile } = launch;
  const args = [
    'run', '--rm', '-i', '--network', 'none', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    '--user', `${UNPRIVILEGED_UID}:${UNPRIVILEGED_UID}`, '--tmpfs', '/tmp:rw,nosuid,nodev', '--pids-limit', String(profile.limits.processes),
  ];
  if (profile.limits.memoryBytes !== undefined) args.push('--memory', String(profile.limits.memoryBytes));
  if (profile.limits.cpuSeconds !== undefined) args.push('--ulimit', `cpu=${profile.limits.cpuSeconds}`);
  for (const path of profile.allowRead) args.push('--volume', `${path}:${path}:ro`);
  for (const path of profile.allowWrite) args.push('--volume', `${path}:${path}:rw`);
  for (const [name, value] of Object.entries(launch.env)) args.push('--env', `${name}=${value}`);
  if (launch.cwd) args.push('--workdir', launch.cwd);
  args.push(launch.image, launch.command, ...launch.args);
  return args;
}
