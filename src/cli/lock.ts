/**
 * `bastion lock [--update SERVER]`: pins each server launched by a package runner to the exact
 * package the registry serves now (version and sha512 integrity), installs it into Bastion's own
 * cache without running its install scripts (unless trust.allowScripts names the server), and
 * records it in bastion.lock. A server already locked keeps its pin; `--update SERVER` shows what
 * changed in the package (version, integrity, install scripts, dependencies, maintainers) and
 * records the new pin.
 */
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { CompiledConfig } from '../config/compile.js';
import { lockPath, packageDiff, readLock, writeLock } from '../trust/lock.js';
import { launchedPackage } from '../trust/npmPackage.js';
import { installLocked, npmCache, resolvePackage } from '../trust/packages.js';
import { fetchRegistryKeys, verificationOptions } from '../trust/registrySignatures.js';
import { loadPublicKey, signPackage, verifyPackage } from '../trust/signatures.js';
import { typosquatOf } from '../trust/typosquat.js';
import { UsageError } from './usageError.js';

export async function runLock(config: CompiledConfig, update: string | undefined, out: Writable): Promise<void> {
  const lock = readLock(config.file);
  const runnable = config.servers.flatMap((spec) => {
    if (spec.transport !== 'stdio') return [];
    const launched = launchedPackage(spec.command, spec.args);
    return launched ? [{ spec, launched }] : [];
  });
  if (update !== undefined && !runnable.some(({ spec }) => spec.name === update)) {
    throw new UsageError(`--update ${update}: no server of that name is launched by a package runner in ${config.file}`);
  }
  let registryKeys: Awaited<ReturnType<typeof fetchRegistryKeys>>;
  for (const { spec, launched } of runnable) {
    if (launched.ecosystem === 'python') {
      out.write(`${spec.name}: ${launched.runner} ${launched.name} cannot be pinned by Bastion (not an npm package); it runs whatever the index serves\n`);
      continue;
    }
    const squat = typosquatOf(launched.name);
    if (squat) out.write(`${spec.name}: WARNING: ${squat.name} looks like ${squat.resembles} (${squat.how})\n`);
    const before = lock.servers[spec.name];
    if (before && update !== spec.name) {
      out.write(`${spec.name}: ${before.name}@${before.version} locked (${before.integrity})\n`);
      continue;
    }
    registryKeys ??= await fetchRegistryKeys(config.trust.registry).catch(() => undefined);
    let resolved;
    try {
      // With the registry's keys, pacote refuses a signature or a provenance attestation that does not verify.
      resolved = await resolvePackage(launched.spec, config.trust.registry, npmCache(config.dataDir), verificationOptions(config.trust.registry, registryKeys));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && /SIGNATURE|ATTESTATION/.test(code)) throw new UsageError(`${spec.name}: ${launched.spec} refused: ${(error as Error).message}`);
      throw error;
    }
    const { dist, publishedAt: _published, ...identity } = resolved;
    const signed = (dist?.signatures?.length ?? 0) > 0;
    const now = {
      ...identity,
      registrySignature: !signed ? 'absent: the registry gives no signature for this version' : registryKeys ? 'verified' : 'present, not verified: the registry publishes no keys',
      provenance: !dist?.attestations?.url ? 'none published' : registryKeys ? `verified (${dist.attestations.predicateType ?? 'attestation'})` : 'present, not verified: the registry publishes no keys',
    };
    if (before) {
      const changes = packageDiff(before, now);
      out.write(changes.length ? `${spec.name}: changes since the lock:\n${changes.map((line) => `  ${line}\n`).join('')}` : `${spec.name}: nothing changed since the lock\n`);
    }
    const allowScripts = config.trust.allowScripts.includes(spec.name);
    await installLocked(config.dataDir, now, config.trust.registry, allowScripts);
    lock.servers[spec.name] = now;
    const scripts = Object.keys(now.installScripts);
    out.write(`${spec.name}: registry signature ${now.registrySignature}; provenance ${now.provenance}\n`);
    out.write(
      `${spec.name}: locked ${now.name}@${now.version} (${now.integrity}), installed${scripts.length ? `; install scripts ${scripts.join(', ')} ${allowScripts ? 'were run (trust.allowScripts)' : 'were not run'}` : ''}\n`,
    );
  }
  writeLock(config.file, lock);
  out.write(`wrote ${lockPath(config.file)}\n`);
}

/** `bastion sign --key FILE SERVER`: adds an Ed25519 signature over the locked package of SERVER to bastion.lock. */
export function runSign(config: CompiledConfig, server: string, keyFile: string, out: Writable): void {
  const lock = readLock(config.file);
  const locked = lock.servers[server];
  if (!locked) throw new UsageError(`${server} has no entry in ${lockPath(config.file)}: run bastion lock first`);
  let pem: string;
  try {
    pem = readFileSync(keyFile, 'utf8');
  } catch (error) {
    throw new UsageError(`--key ${keyFile}: ${(error as Error).message}`);
  }
  const signature = signPackage(locked, pem);
  lock.servers[server] = { ...locked, signatures: [...(locked.signatures ?? []).filter((entry) => entry.keyId !== signature.keyId), signature] };
  writeLock(config.file, lock);
  out.write(`${server}: signed ${locked.name}@${locked.version} (${locked.integrity}) with key ${signature.keyId}\n`);
}

/** `bastion verify`: for each locked server, whether a key of trust.keys signed it. False when one is not. */
export function runVerify(config: CompiledConfig, out: Writable): boolean {
  const keys = config.trust.keys.map((key) => loadPublicKey(key));
  const lock = readLock(config.file);
  let allTrusted = true;
  for (const [server, locked] of Object.entries(lock.servers)) {
    const verdict = verifyPackage(locked, keys);
    if (verdict.trusted) out.write(`${server}: ${locked.name}@${locked.version} signed by trusted key ${verdict.keyId}\n`);
    else {
      allTrusted = false;
      out.write(`${server}: NOT TRUSTED: ${verdict.reason}\n`);
    }
  }
  if (Object.keys(lock.servers).length === 0) out.write(`${lockPath(config.file)} locks no package\n`);
  return allTrusted;
}
