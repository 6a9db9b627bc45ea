/**
 * Pinned packages: resolving a runner's package against the registry (pacote), and installing the
 * locked version into Bastion's own cache with its dependencies (npm's Arborist), checking the
 * sha512 integrity and running no install script unless the server is allowed to. Servers then
 * start from the installed entry point, with no npx at run time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Arborist from '@npmcli/arborist';
import pacote from 'pacote';
import type { LockedPackage } from './lock.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

/** What the registry serves now for a spec (`pkg`, `pkg@1.2.3`, `pkg@latest`). */
/** A resolved package, with what the registry says of it beyond its identity. */
export type ResolvedPackage = LockedPackage & {
  readonly dist?: { readonly signatures?: Array<{ keyid: string; sig: string }>; readonly attestations?: { url?: string; predicateType?: string } };
  readonly publishedAt?: Date;
};

export async function resolvePackage(spec: string, registry: string, cache: string, verification: Record<string, unknown> = {}): Promise<ResolvedPackage> {
  // preferOnline: the registry's answer of now, not a cached one.
  const manifest = (await pacote.manifest(spec, { registry, fullMetadata: true, preferOnline: true, cache, ...verification })) as unknown as Record<string, unknown> & {
    name: string;
    version: string;
    _integrity?: string;
    _resolved?: string;
  };
  if (!manifest._integrity) throw new Error(`${spec}: the registry gives no integrity for ${manifest.name}@${manifest.version}`);
  const scripts = (manifest.scripts ?? {}) as Record<string, string>;
  return {
    name: manifest.name,
    version: manifest.version,
    integrity: manifest._integrity,
    resolved: manifest._resolved ?? '',
    bin: binOf(manifest.name, manifest.bin),
    installScripts: Object.fromEntries(Object.entries(scripts).filter(([name]) => INSTALL_SCRIPTS.includes(name))),
    dependencies: { ...((manifest.dependencies ?? {}) as Record<string, string>) },
    maintainers: ((manifest.maintainers ?? []) as Array<{ name?: string; email?: string } | string>).map((entry) => (typeof entry === 'string' ? entry : `${entry.name ?? ''}${entry.email ? ` <${entry.email}>` : ''}`)).sort(),
    lockedAt: new Date().toISOString(),
    dist: manifest.dist as ResolvedPackage['dist'],
    ...(typeof manifest._time === 'string' ? { publishedAt: new Date(manifest._time) } : {}),
  };
}

/** The entry point a runner would start: the bin named like the package, or its only bin. */
function binOf(name: string, bin: unknown): string {
  if (typeof bin === 'string') return bin;
  if (bin && typeof bin === 'object') {
    const entries = Object.entries(bin as Record<string, string>);
    const unscoped = name.split('/').pop();
    const found = entries.find(([binName]) => binName === unscoped) ?? (entries.length === 1 ? entries[0] : undefined);
    if (found) return found[1];
  }
  throw new Error(`${name} declares no single command (bin) to start`);
}

/** Bastion's own npm cache: content-addressed by integrity, apart from the user's ~/.npm. */
export function npmCache(dataDir: string): string {
  return join(dataDir, 'npm-cache');
}

export function cacheFolder(dataDir: string, locked: Pick<LockedPackage, 'name' | 'version'>): string {
  return join(dataDir, 'packages', `${locked.name.replace('/', '+')}@${locked.version}`);
}

/** The installed package's entry point, when the cache holds exactly the locked package. */
export function installedEntry(dataDir: string, locked: LockedPackage): string | undefined {
  const folder = cacheFolder(dataDir, locked);
  try {
    const lockfile = JSON.parse(readFileSync(join(folder, 'node_modules', '.package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string; integrity?: string }> };
    const installed = lockfile.packages?.[`node_modules/${locked.name}`];
    if (installed?.version !== locked.version || installed.integrity !== locked.integrity) return undefined;
  } catch {
    return undefined;
  }
  const entry = join(folder, 'node_modules', locked.name, locked.bin);
  return existsSync(entry) ? entry : undefined;
}

/** Installs the locked package into the cache, verifying its integrity; install scripts run only when allowed. */
export async function installLocked(dataDir: string, locked: LockedPackage, registry: string, allowScripts: boolean): Promise<string> {
  const folder = cacheFolder(dataDir, locked);
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify({ private: true, description: `Bastion's pinned install of ${locked.name}@${locked.version}` })}\n`);
  const arborist = new Arborist({ path: folder, registry, cache: npmCache(dataDir), ignoreScripts: !allowScripts, audit: false, fund: false, save: false } as ConstructorParameters<typeof Arborist>[0]);
  const tree = await arborist.reify({ add: [`${locked.name}@${locked.version}`] } as Parameters<typeof arborist.reify>[0]);
  const node = tree.children.get(locked.name);
  if (!node || node.version !== locked.version || node.integrity !== locked.integrity) {
    throw new Error(`${locked.name}@${locked.version} installed with integrity ${node?.integrity ?? 'unknown'}, not the locked ${locked.integrity}`);
  }
  const entry = installedEntry(dataDir, locked);
  if (!entry) throw new Error(`${locked.name}@${locked.version} was installed, but its entry point ${locked.bin} is missing`);
  return entry;
}
