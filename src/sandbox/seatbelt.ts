/**
 * The macOS sandbox: a sandbox-exec (Seatbelt) profile generated per server. It denies by
 * default, then allows what a server needs to run (its runtime, the system libraries, its own
 * package, the allowRead paths) to be read, its private temporary folder and the allowWrite paths
 * to be written, and no network (network.allowedDomains is not offered on macOS yet). Credential stores and denyRead paths are denied last, which wins in Seatbelt. It cannot
 * run on Linux: tests/unit/sandbox.test.ts checks the generated text.
 */
import type { SandboxProfile } from './profile.js';

/** A path as an SBPL string literal. */
function literal(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const SYSTEM_READ = ['/usr', '/bin', '/sbin', '/System', '/Library/Frameworks', '/Library/Apple', '/private/etc', '/private/var/db/timezone', '/opt/homebrew', '/dev'];

export interface SeatbeltLaunch {
  readonly profile: SandboxProfile;
  readonly packageRoots: readonly string[];
  /** The server's private temporary folder (its HOME and TMPDIR). */
  readonly tmpDir: string;
  readonly cwd: string | undefined;
}

export function seatbeltProfile(launch: SeatbeltLaunch): string {
  const { profile } = launch;
  const read = [...SYSTEM_READ, ...launch.packageRoots, ...profile.allowRead, ...(launch.cwd ? [launch.cwd] : [])];
  const write = [launch.tmpDir, ...profile.allowWrite];
  const lines = [
    '(version 1)',
    '(deny default)',
    '(allow process-fork)',
    '(allow process-exec)',
    '(allow signal (target same-sandbox))',
    '(allow sysctl-read)',
    '(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo") (global-name "com.apple.trustd.agent"))',
    '(allow file-read-metadata)',
    `(allow file-read* ${read.map((path) => `(subpath ${literal(path)})`).join(' ')} (literal "/"))`,
    `(allow file-read* file-write* ${write.map((path) => `(subpath ${literal(path)})`).join(' ')} (literal "/dev/null") (literal "/dev/tty"))`,
    '(deny network*)',
    `(deny file-read* file-write* ${profile.denyRead.map((path) => `(subpath ${literal(path)})`).join(' ')})`,
  ];
  return `${lines.join('\n')}\n`;
}
