/** Package signatures: the registry's ECDSA signatures over name@version:integrity, and Ed25519 signatures from keys the user trusts. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import type { LockedPackage } from '../../src/trust/lock.js';
import { verifyRegistrySignatures } from '../../src/trust/registrySignatures.js';
import { keyId, signPackage, verifyPackage } from '../../src/trust/signatures.js';

const identity = { name: '@scope/server', version: '1.2.3', integrity: 'sha512-abc' };
const locked: LockedPackage = { ...identity, resolved: '', bin: 'index.js', installScripts: {}, dependencies: {}, maintainers: [], lockedAt: '' };

describe('registry signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { keyid: 'SHA256:test', key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), expires: null };
  const sig = sign('sha256', Buffer.from(`${identity.name}@${identity.version}:${identity.integrity}`), privateKey).toString('base64');

  it('verifies a signature made with a published key, and refuses one that does not match', () => {
    assert.deepEqual(verifyRegistrySignatures(identity, [{ keyid: 'SHA256:test', sig }], [key]), { status: 'verified', keyid: 'SHA256:test' });
    assert.equal(verifyRegistrySignatures({ ...identity, integrity: 'sha512-other' }, [{ keyid: 'SHA256:test', sig }], [key]).status, 'invalid');
    assert.equal(verifyRegistrySignatures(identity, [{ keyid: 'SHA256:unknown', sig }], [key]).status, 'invalid');
  });

  it('reports absence, and an expired key', () => {
    assert.equal(verifyRegistrySignatures(identity, undefined, [key]).status, 'absent');
    assert.equal(verifyRegistrySignatures(identity, [{ keyid: 'SHA256:test', sig }], undefined).status, 'absent');
    const expired = verifyRegistrySignatures(identity, [{ keyid: 'SHA256:test', sig }], [{ ...key, expires: '2020-01-01T00:00:00Z' }], new Date('2024-01-01'));
    assert.equal(expired.status, 'invalid');
  });
});

describe('trusted-MCP signatures (Ed25519)', () => {
  const publisher = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const pem = (key: typeof publisher.privateKey) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('trusts a signature by a listed key over name, version and integrity, and nothing else', () => {
    const signature = signPackage(locked, pem(publisher.privateKey));
    assert.equal(signature.keyId, keyId(publisher.publicKey));
    assert.deepEqual(verifyPackage({ ...locked, signatures: [signature] }, [publisher.publicKey]), { trusted: true, keyId: signature.keyId });
    assert.match((verifyPackage({ ...locked, signatures: [signature] }, [stranger.publicKey]) as { reason: string }).reason, /signed only by keys that trust\.keys does not list/);
    assert.match((verifyPackage({ ...locked, integrity: 'sha512-swapped', signatures: [signature] }, [publisher.publicKey]) as { reason: string }).reason, /does not match/);
    assert.match((verifyPackage(locked, [publisher.publicKey]) as { reason: string }).reason, /carries no signature/);
  });
});
