import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { EnvelopeSigner } from './dsse.js';

/**
 * Ed25519 keys for DSSE signatures. A key is named by its key id: the sha256 of the
 * raw 32-byte public key, hex. It depends on nothing but the key, so every verifier
 * computes the same id from the published public key.
 */
export interface PublicSigningKey {
  readonly keyId: string;
  /** The SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), as served. */
  readonly publicKeyPem: string;
  /** The raw 32-byte public key, hex: the form securesystemslib and others take. */
  readonly publicKeyHex: string;
}

export interface SigningKeyPair extends PublicSigningKey, EnvelopeSigner {
  /** The PKCS#8 PEM of the private key: only ever sealed before it leaves memory. */
  exportPrivatePem(): string;
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error('not an Ed25519 public key');
  }
  return Buffer.from(jwk.x, 'base64url');
}

export function keyIdOfRawPublicKey(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function describePublicKey(publicKey: KeyObject): PublicSigningKey {
  const raw = rawPublicKey(publicKey);
  return {
    keyId: keyIdOfRawPublicKey(raw),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicKeyHex: raw.toString('hex'),
  };
}

function keyPair(privateKey: KeyObject): SigningKeyPair {
  const described = describePublicKey(createPublicKey(privateKey));
  return {
    ...described,
    sign: (message: Buffer) => sign(null, message, privateKey),
    exportPrivatePem: () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** A fresh Ed25519 key pair. */
export function generateSigningKey(): SigningKeyPair {
  return keyPair(generateKeyPairSync('ed25519').privateKey);
}

/** A key pair from its PKCS#8 PEM; refuses any key that is not Ed25519. */
export function signingKeyFromPem(privatePem: string): SigningKeyPair {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return keyPair(privateKey);
}

/** A verifier's view of a published key (SPKI PEM); refuses any key that is not Ed25519. */
export function publicKeyFromPem(pem: string): PublicSigningKey {
  const publicKey = createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return describePublicKey(publicKey);
}

/** True when `signature` is the key's Ed25519 signature of `message`. */
export function verifyEd25519(key: PublicSigningKey, message: Buffer, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  return verify(null, message, createPublicKey(key.publicKeyPem), signature);
}
