/**
 * Trusted-MCP signatures: an Ed25519 signature over a package's identity (RFC 8785 JSON of name,
 * version and integrity), kept in its bastion.lock entry. Publishers and administrators sign
 * with `bastion sign`; a config that says `trust: {keys: [...], require: true}` starts only
 * packages signed by one of its keys. A key is named by the first 16 hex digits of the SHA-256 of
 * its public key (SPKI DER).
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import type { LockedPackage } from './lock.js';

export interface PackageSignature {
  readonly keyId: string;
  /** base64 Ed25519 signature. */
  readonly signature: string;
  readonly signedAt: string;
}

/** The bytes that are signed: what identifies the package's contents. */
export function signedPayload(locked: Pick<LockedPackage, 'name' | 'version' | 'integrity'>): Buffer {
  return Buffer.from(canonicalize({ name: locked.name, version: locked.version, integrity: locked.integrity }) as string);
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** A public key from PEM text, or from a PEM file (relative to `baseDir`). */
export function loadPublicKey(value: string, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): KeyObject {
  const pem = value.includes('-----BEGIN') ? value : read(value);
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${value.includes('-----BEGIN') ? 'a key in trust.keys' : value} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function signPackage(locked: LockedPackage, privateKeyPem: string): PackageSignature {
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  return { keyId: keyId(createPublicKey(privateKey)), signature: sign(null, signedPayload(locked), privateKey).toString('base64'), signedAt: new Date().toISOString() };
}

export type SignatureVerdict = { readonly trusted: true; readonly keyId: string } | { readonly trusted: false; readonly reason: string };

/** Whether one of the trusted keys signed the package as locked. */
export function verifyPackage(locked: LockedPackage & { signatures?: readonly PackageSignature[] }, trustedKeys: readonly KeyObject[]): SignatureVerdict {
  const signatures = locked.signatures ?? [];
  if (signatures.length === 0) return { trusted: false, reason: `${locked.name}@${locked.version} carries no signature` };
  const byId = new Map(trustedKeys.map((key) => [keyId(key), key]));
  const payload = signedPayload(locked);
  let untrusted = 0;
  for (const entry of signatures) {
    const key = byId.get(entry.keyId);
    if (!key) {
      untrusted++;
      continue;
    }
    if (verify(null, payload, key, Buffer.from(entry.signature, 'base64'))) return { trusted: true, keyId: entry.keyId };
  }
  return {
    trusted: false,
    reason:
      untrusted === signatures.length
        ? `${locked.name}@${locked.version} is signed only by keys that trust.keys does not list (${signatures.map((entry) => entry.keyId).join(', ')})`
        : `${locked.name}@${locked.version} carries no valid signature from a trusted key: a signature does not match its name, version and integrity`,
  };
}
