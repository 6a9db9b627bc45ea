/** Package signatures: pacote's checks of the registry's signatures turned on with its keys, and Ed25519 signatures from keys the user trusts. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import type { LockedPackage } from '../../src/trust/lock.js';
import { verificationOptions } from '../../src/trust/registrySignatures.js';
import { keyId, signPackage, verifyPackage } from '../../src/trust/signatures.js';

const locked: LockedPackage = { name: '@scope/server', version: '1.2.3', integrity: 'sha512-abc', resolved: '', bin: 'index.js', installScripts: {}, dependencies: {}, maintainers: [], lockedAt: '' };

describe('registry signatures', () => {
  it('turn on pacote\'s signature and attestation checks with the registry\'s keys, scoped to its host', () => {
    assert.deepEqual(verificationOptions('https://registry.npmjs.org/', undefined), {});
    const options = verificationOptions('https://registry.example.com/npm/', [{ keyid: 'SHA256:k', key: 'MFkw', expires: null }]);
    assert.equal(options.verifySignatures, true);
    assert.equal(options.verifyAttestations, true);
    assert.deepEqual(options['//registry.example.com/:_keys'], [{ keyid: 'SHA256:k', key: 'MFkw', expires: null, pemkey: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----' }]);
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
