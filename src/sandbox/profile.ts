/**
 * The sandbox a local server runs in, compiled from its config: what it may read and write,
 * which hosts it may reach, which of Bastion's variables it gets, and its limits. Paths are
 * absolute; the credential stores of the user's home are always denied.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { SandboxEntry } from '../config/schema.js';

export type SandboxRuntime = 'auto' | 'bubblewrap' | 'sandbox-exec' | 'docker' | 'podman';

export interface SandboxProfile {
  readonly runtime: SandboxRuntime;
  readonly image: string | undefined;
  readonly allowWrite: readonly string[];
  readonly allowRead: readonly string[];
  /** The operator's denyRead, plus the credential stores. */
  readonly denyRead: readonly string[];
  readonly allowedDomains: readonly string[];
  /** Names of Bastion's environment variables passed in. */
  readonly env: readonly string[];
  readonly limits: { readonly memoryBytes: number | undefined; readonly processes: number; readonly cpuSeconds: number | undefined };
}

/** Credential stores under the home directory, never visible to a server. */
export const CREDENTIAL_STORES = Object.freeze([
  '.ssh', '.aws', '.azure', '.gnupg', '.kube', '.docker', '.npmrc', '.netrc', '.pgpass', '.git-credentials', '.password-store',
  '.config/gcloud', '.config/gh', '.config/hub', '.config/op', '.local/share/keyrings', '.config/google-chrome', '.config/chromium',
  '.config/BraveSoftware', '.config/microsoft-edge', '.mozilla', '.thunderbird', 'snap/firefox', 'Library/Keychains',
  'Library/Application Support/Google/Chrome', 'Library/Application Support/Firefox', 'Library/Application Support/BraveSoftware',
  'Library/Cookies', '.bash_history', '.zsh_history',
]);

export const DEFAULT_PROCESS_LIMIT = 256;

/** The user (nobody) a sandbox runs as when Bastion itself runs as root, and a container always. */
export const UNPRIVILEGED_UID = 65534;

/** setpriv(1) arguments that drop to that user before the sandbox is made. */
export const AS_UNPRIVILEGED = Object.freeze([`--reuid=${UNPRIVILEGED_UID}`, `--regid=${UNPRIVILEGED_UID}`, '--clear-groups']);

const SIZE_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function bytes(value: number | string | undefined): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([kKmMgG])/.exec(value);
  return match ? Math.round(Number(match[1]) * (SIZE_UNITS[match[2]!.toLowerCase()] ?? 1)) : undefined;
}

export function expandPath(path: string, configDir: string, home = homedir()): string {
  const expanded = path.replace(/^~(?=$|\/)/, home);
  return isAbsolute(expanded) ? resolve(expanded) : resolve(configDir, expanded);
}

/** The compiled sandbox of one server; `false` when the config turns it off. */
export function compileSandbox(entry: SandboxEntry | boolean | undefined, configDir: string, home = homedir()): SandboxProfile | false {
  if (entry === false) return false;
  const settings: SandboxEntry = entry === true || entry === undefined ? {} : entry;
  const paths = (list: readonly string[] | undefined) => Object.freeze((list ?? []).map((path) => expandPath(path, configDir, home)));
  return Object.freeze({
    runtime: settings.runtime ?? 'auto',
    image: settings.image,
    allowWrite: paths(settings.filesystem?.allowWrite),
    allowRead: paths(settings.filesystem?.allowRead),
    denyRead: Object.freeze([...paths(settings.filesystem?.denyRead), ...CREDENTIAL_STORES.map((store) => join(home, store))]),
    allowedDomains: Object.freeze([...(settings.network?.allowedDomains ?? [])].map((domain) => domain.toLowerCase())),
    env: Object.freeze([...(settings.env ?? [])]),
    limits: Object.freeze({ memoryBytes: bytes(settings.limits?.memory), processes: settings.limits?.processes ?? DEFAULT_PROCESS_LIMIT, cpuSeconds: settings.limits?.cpuSeconds }),
  });
}
