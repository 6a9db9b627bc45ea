/**
 * The npm registry's own signatures: each version's `dist.signatures` holds ECDSA P-256
 * signatures over `<name>@<version>:<integrity>`, made with keys the registry publishes at
 * /-/npm/v1/keys. Bastion checks them when both are there, and says which: verified, absent (the
 * registry signs nothing, as private registries and mirrors often do), or invalid, which refuses
 * the package. Provenance attestations (`dist.attestations`, sigstore) are reported when present.
 */
import { createPublicKey, verify } from 'node:crypto';

export interface RegistryKey {
  readonly keyid: string;
  /** base64 SPKI DER. */
  readonly key: string;
  readonly expires?: string | null;
}

export interface RegistrySignature {
  readonly keyid: string;
  readonly sig: string;
}

export type RegistryVerdict =
  | { readonly status: 'verified'; readonly keyid: string }
  | { readonly status: 'absent'; readonly why: string }
  | { readonly status: 'invalid'; readonly why: string };

export function verifyRegistrySignatures(
  identity: { readonly name: string; readonly version: string; readonly integrity: string },
  signatures: readonly RegistrySignature[] | undefined,
  keys: readonly RegistryKey[] | undefined,
  publishedAt?: Date,
): RegistryVerdict {
  if (!signatures || signatures.length === 0) return { status: 'absent', why: 'the registry gives no signature for this version' };
  if (!keys || keys.length === 0) return { status: 'absent', why: 'the registry publishes no signing keys (/-/npm/v1/keys)' };
  const message = Buffer.from(`${identity.name}@${identity.version}:${identity.integrity}`);
  for (const signature of signatures) {
    const key = keys.find((candidate) => candidate.keyid === signature.keyid);
    if (!key) continue;
    if (key.expires && publishedAt && publishedAt > new Date(key.expires)) return { status: 'invalid', why: `signed with key ${key.keyid}, which expired on ${key.expires} before the version was published` };
    const publicKey = createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' });
    if (verify('sha256', message, publicKey, Buffer.from(signature.sig, 'base64'))) return { status: 'verified', keyid: key.keyid };
    return { status: 'invalid', why: `the signature by ${key.keyid} does not match ${identity.name}@${identity.version} and its integrity` };
  }
  return { status: 'invalid', why: `signed only with keys the registry does not publish (${signatures.map((signature) => signature.keyid).join(', ')})` };
}

/** The registry's signing keys, or undefined when it publishes none. */
export async function fetchRegistryKeys(registry: string): Promise<RegistryKey[] | undefined> {
  const response = await fetch(new URL('-/npm/v1/keys', registry.endsWith('/') ? registry : `${registry}/`), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { keys?: RegistryKey[] };
  return Array.isArray(body.keys) ? body.keys : undefined;
}
