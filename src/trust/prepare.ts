/**
 * Before Bastion starts its servers: each server launched by a package runner (npx and the like)
 * runs the package locked in bastion.lock, from Bastion's own install, and not whatever the
 * registry serves today. A server that has no lock entry runs as configured, with a warning. A
 * server whose package the registry now serves differently (a new version, or the same version
 * with other contents), or whose locked package cannot be installed intact, does not start: the
 * message says what changed and how to review it.
 */
import { chmodSync, statSync } from 'node:fs';
import type { CompiledConfig, ServerSpec, StdioServerSpec } from '../config/compile.js';
import { withTimeout } from '../abort.js';
import type { Logger } from '../log/logger.js';
import { readLock, type LockedPackage } from './lock.js';
import { launchedPackage } from './npmPackage.js';
import { installedEntry, installLocked, npmCache, resolvePackage } from './packages.js';
import { loadPublicKey, verifyPackage } from './signatures.js';

const REGISTRY_TIMEOUT_MS = 15_000;

async function prepareServer(config: CompiledConfig, spec: StdioServerSpec, locked: LockedPackage | undefined, log: Logger): Promise<StdioServerSpec> {
  const launched = launchedPackage(spec.command, spec.args);
  if (!launched || launched.ecosystem !== 'npm') return spec;
  const refuse = (refusal: string): StdioServerSpec => {
    log.error({ server: spec.name, package: launched.name }, refusal);
    return { ...spec, pinned: { package: locked ? `${locked.name}@${locked.version}` : launched.spec, refusal, configured: { command: spec.command, args: spec.args } } };
  };
  if (!locked) {
    if (config.trust.require) return refuse(`Server '${spec.name}' was not started: trust.require needs a locked, signed package (bastion lock, then bastion sign)`);
    log.warn({ server: spec.name, package: launched.spec }, 'this server runs whatever the registry serves at each start: pin it with bastion lock');
    return spec;
  }
  if (config.trust.require) {
    const verdict = verifyPackage(locked, config.trust.keys.map((key) => loadPublicKey(key)));
    if (!verdict.trusted) return refuse(`Server '${spec.name}' was not started: trust.require needs a signature from a key in trust.keys, and ${verdict.reason}`);
  }
  if (launched.name !== locked.name) return refuse(`Server '${spec.name}' runs ${launched.name} now, but bastion.lock holds ${locked.name}: review it with bastion lock --update ${spec.name}`);
  try {
    const now = await withTimeout(resolvePackage(launched.spec, config.trust.registry, npmCache(config.dataDir)), REGISTRY_TIMEOUT_MS, `no answer within ${REGISTRY_TIMEOUT_MS} ms`);
    if (now.version !== locked.version || now.integrity !== locked.integrity) {
      const what = now.version !== locked.version ? `version ${now.version}, locked ${locked.version}` : `${now.version} with other contents (integrity ${now.integrity}, locked ${locked.integrity})`;
      return refuse(`Server '${spec.name}' was not started: the registry now serves ${launched.spec} as ${what}. Review the change with bastion lock --update ${spec.name}`);
    }
  } catch (error) {
    log.warn({ server: spec.name, registry: config.trust.registry, error: (error as Error).message }, 'the registry cannot be asked; starting the locked package');
  }
  let entry = installedEntry(config.dataDir, locked);
  if (!entry) {
    try {
      entry = await installLocked(config.dataDir, locked, config.trust.registry, config.trust.allowScripts.includes(spec.name));
    } catch (error) {
      return refuse(`Server '${spec.name}' was not started: ${locked.name}@${locked.version} cannot be installed intact: ${(error as Error).message}`);
    }
  }
  return {
    ...spec,
    command: process.execPath,
    args: Object.freeze([entry, ...launched.serverArgs]),
    pinned: { package: `${locked.name}@${locked.version}`, configured: { command: spec.command, args: spec.args } },
  };
}

/**
 * When Bastion runs as root, its sandboxes run as nobody (src/sandbox/launch.ts), who must reach
 * the pinned installs under dataDir: the folder gets its search bits, so that a path through it can
 * be followed, while its listing and its files (admin token, audit log: mode 0600) stay closed.
 */
function openInstallsToSandboxes(dataDir: string): void {
  if (process.geteuid?.() !== 0) return;
  try {
    chmodSync(dataDir, statSync(dataDir).mode & 0o7777 | 0o111);
  } catch {
    // no data folder yet: nothing is installed in it
  }
}

/** The config with each pinned server's command line replaced by its locked install (or its refusal). */
export async function preparePinned(config: CompiledConfig, log: Logger): Promise<CompiledConfig> {
  const lock = readLock(config.file);
  if (Object.keys(lock.servers).length > 0) openInstallsToSandboxes(config.dataDir);
  const servers: ServerSpec[] = await Promise.all(
    config.servers.map((spec) => (spec.transport === 'stdio' ? prepareServer(config, spec, lock.servers[spec.name], log) : Promise.resolve(spec))),
  );
  return Object.freeze({ ...config, servers: Object.freeze(servers.map((spec) => Object.freeze(spec))) });
}
