/**
 * The part of Node's `crypto` that Hawk's client (inside taskcluster-client-web) calls,
 * on crypto-js (which that client already bundles) and the browser's random source.
 * Taskcluster's UI polyfills all of `crypto` instead; that costs some 250 KB gzipped, more
 * than this whole UI may weigh. Hawk needs HMAC-SHA256, SHA-256 and random bytes, and
 * every signature made with them is checked by the real server in the UI's tests.
 */
import CryptoJS from 'crypto-js';
import { Buffer } from 'buffer';

type Encoding = 'base64' | 'hex';

interface Digestible {
  update(data: string | Uint8Array): Digestible;
  digest(encoding: Encoding): string;
}

const wordsOf = (data: string | Uint8Array): CryptoJS.lib.WordArray =>
  typeof data === 'string'
    ? CryptoJS.enc.Utf8.parse(data)
    : CryptoJS.lib.WordArray.create(data, data.length);

const encode = (words: CryptoJS.lib.WordArray, encoding: Encoding): string =>
  encoding === 'hex' ? words.toString(CryptoJS.enc.Hex) : words.toString(CryptoJS.enc.Base64);

function requireSha256(algorithm: string): void {
  if (algorithm !== 'sha256') throw new Error(`Unsupported algorithm in the browser: ${algorithm}`);
}

export function createHmac(algorithm: string, key: string): Digestible {
  requireSha256(algorithm);
  const hmac = CryptoJS.algo.HMAC.create(CryptoJS.algo.SHA256, key);
  const self: Digestible = {
    update(data) {
      hmac.update(wordsOf(data));
      return self;
    },
    digest: (encoding) => encode(hmac.finalize(), encoding),
  };
  return self;
}

export function createHash(algorithm: string): Digestible {
  requireSha256(algorithm);
  const hash = CryptoJS.algo.SHA256.create();
  const self: Digestible = {
    update(data) {
      hash.update(wordsOf(data));
      return self;
    },
    digest: (encoding) => encode(hash.finalize(), encoding),
  };
  return self;
}

export function randomBytes(size: number): Buffer {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(size)));
}

export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export default { createHmac, createHash, randomBytes, timingSafeEqual };
