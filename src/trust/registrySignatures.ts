/**
 * The npm registry's signing keys (/-/npm/v1/keys), in the form pacote takes them, so that pacote
 * checks the registry's ECDSA signatures (`dist.signatures`, over `name@version:integrity`) and
 * the sigstore provenance attestations (`dist.attestations`) of what it resolves. A registry that
 * publishes no keys (private registries and mirrors often do not) gets neither check, and the
 * lock says so.
 */

export interface RegistryKey {
  readonly keyid: string;
  /** base64 SPKI DER. */
  readonly key: string;
  readonly expires?: string | null;
}

/** The registry's signing keys, or undefined when it publishes none. */
export async function fetchRegistryKeys(registry: string): Promise<RegistryKey[] | undefined> {
  const response = await fetch(new URL('-/npm/v1/keys', registry.endsWith('/') ? registry : `${registry}/`), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { keys?: RegistryKey[] };
  return Array.isArray(body.keys) && body.keys.length > 0 ? body.keys : undefined;
}

/** The pacote options that turn its signature and attestation checks on, with the registry's keys. */
export function verificationOptions(registry: string, keys: readonly RegistryKey[] | undefined): Record<string, unknown> {
  if (!keys) return {};
  const host = new URL(registry).host;
  const pemkeys = keys.map((key) => ({ ...key, pemkey: `-----BEGIN PUBLIC KEY-----\n${key.key}\n-----END PUBLIC KEY-----` }));
  return { verifySignatures: true, verifyAttestations: true, [`//${host}/:_keys`]: pemkeys };
}
