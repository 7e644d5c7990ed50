import { createHash, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { generateKeyPairSync, createPublicKey, createPrivateKey } from 'node:crypto';

/**
 * Minisign signatures (https://jedisct1.github.io/minisign/), so that users verify what
 * Bulwark signs with a tool they already have (`minisign -V`), not only with Bulwark.
 * Only the current format is produced: the file pre-hashed with BLAKE2b-512 ("ED"),
 * signed with Ed25519, plus a global signature over the signature and the trusted
 * comment, which minisign checks too.
 */
export interface MinisignKey {
  /** 8 random bytes naming the key in both files, as minisign stores them (little-endian). */
  readonly keyIdBytes: Buffer;
  /** The key id as minisign prints it: upper-case hex of the 64-bit little-endian number. */
  readonly keyId: string;
  /** The public key file's text (`minisign.pub`), as `minisign -p` reads it. */
  readonly publicKeyFile: string;
  /** The base64 line alone, as `minisign -P` takes it. */
  readonly publicKeyBase64: string;
  signFile(content: Buffer, trustedComment: string): string;
  /** As signFile, given the content's BLAKE2b-512 digest (computed while streaming it). */
  signBlake2b512(digest: Buffer, trustedComment: string): string;
  /** The PKCS#8 PEM of the Ed25519 key: only ever sealed before it leaves memory. */
  exportPrivatePem(): string;
}

const SIGNATURE_ALGORITHM = Buffer.from('Ed');
const PREHASHED_ALGORITHM = Buffer.from('ED');

function rawPublic(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url');
}

/** One line of a minisign comment: no line breaks can sneak into the file format. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function minisignKey(privateKey: KeyObject, keyIdBytes: Buffer): MinisignKey {
  const publicKey = createPublicKey(privateKey);
  const keyId = Buffer.from(keyIdBytes).reverse().toString('hex').toUpperCase();
  const publicKeyBase64 = Buffer.concat([
    SIGNATURE_ALGORITHM,
    keyIdBytes,
    rawPublic(publicKey),
  ]).toString('base64');
  return {
    keyIdBytes,
    keyId,
    publicKeyBase64,
    publicKeyFile: `untrusted comment: minisign public key ${keyId}\n${publicKeyBase64}\n`,
    exportPrivatePem: () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    signFile(content: Buffer, trustedComment: string): string {
      return this.signBlake2b512(createHash('blake2b512').update(content).digest(), trustedComment);
    },
    signBlake2b512(digest: Buffer, trustedComment: string): string {
      if (digest.length !== 64) throw new Error('a BLAKE2b-512 digest is 64 bytes');
      const signature = sign(null, digest, privateKey);
      const comment = oneLine(trustedComment);
      const global = sign(
        null,
        Buffer.concat([signature, Buffer.from(comment, 'utf8')]),
        privateKey,
      );
      return [
        `untrusted comment: signature from bulwark secret key ${keyId}`,
        Buffer.concat([PREHASHED_ALGORITHM, keyIdBytes, signature]).toString('base64'),
        `trusted comment: ${comment}`,
        global.toString('base64'),
        '',
      ].join('\n');
    },
  };
}

export function generateMinisignKey(): MinisignKey {
  return minisignKey(generateKeyPairSync('ed25519').privateKey, randomBytes(8));
}

/** A key from its sealed parts: the Ed25519 PKCS#8 PEM and the minisign key id bytes (hex). */
export function minisignKeyFromPem(privatePem: string, keyIdHex: string): MinisignKey {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  const keyIdBytes = Buffer.from(keyIdHex, 'hex');
  if (keyIdBytes.length !== 8) throw new Error('a minisign key id is 8 bytes');
  return minisignKey(privateKey, keyIdBytes);
}

/**
 * Verifies a minisign signature file against content and a public key (base64 line), as
 * `minisign -V` does: key id, pre-hashed signature, and the trusted comment's global
 * signature. Answers the trusted comment, or undefined when anything fails.
 */
export function verifyMinisign(
  content: Buffer,
  signatureFile: string,
  publicKeyBase64: string,
): string | undefined {
  const lines = signatureFile.split('\n');
  const sigLine = Buffer.from(lines[1] ?? '', 'base64');
  const trusted = lines[2] ?? '';
  const global = Buffer.from(lines[3] ?? '', 'base64');
  const pub = Buffer.from(publicKeyBase64, 'base64');
  if (sigLine.length !== 74 || pub.length !== 42 || !trusted.startsWith('trusted comment: ')) {
    return undefined;
  }
  if (!sigLine.subarray(0, 2).equals(PREHASHED_ALGORITHM)) return undefined;
  if (!sigLine.subarray(2, 10).equals(pub.subarray(2, 10))) return undefined;
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: pub.subarray(10).toString('base64url') },
    format: 'jwk',
  });
  const signature = sigLine.subarray(10);
  const digest = createHash('blake2b512').update(content).digest();
  if (!verify(null, digest, key, signature)) return undefined;
  const comment = trusted.slice('trusted comment: '.length);
  const signed = Buffer.concat([signature, Buffer.from(comment, 'utf8')]);
  return global.length === 64 && verify(null, signed, key, global) ? comment : undefined;
}
