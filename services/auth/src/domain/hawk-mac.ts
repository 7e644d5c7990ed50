import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import hawk from 'hawk';

/** What a Hawk header's MAC covers, besides the key. */
export interface HeaderMacInput {
  /** Upper-case HTTP verb. */
  method: string;
  resource: string;
  host: string;
  port: number;
  ts: string;
  nonce: string;
  hash: string | undefined;
  ext: string | undefined;
  app: string | undefined;
  dlg: string | undefined;
}

/**
 * An HMAC-SHA256 key, kept as a KeyObject and computed with Node's `createHmac`: the
 * plain, well-kept way (decision D28). The class exists so the key is never serialized:
 * no JSON.stringify, util.inspect or log serializer reaches it (S1).
 */
export class MacKey {
  readonly #key: KeyObject;

  constructor(secret: string) {
    this.#key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  toJSON(): string {
    return '[MacKey]';
  }

  [inspect.custom](): string {
    return '[MacKey]';
  }

  /** HMAC-SHA256 of the UTF-8 encoding of `message`, base64. */
  macBase64(message: string): string {
    return createHmac('sha256', this.#key).update(message, 'utf8').digest('base64');
  }
}

/**
 * The MAC of a Hawk `header` request, exactly as the `hawk` package computes it
 * (its normalized string, HMAC-SHA256, base64), so signatures made by any Hawk
 * client, taskcluster-client included, verify. Undefined when the resource is
 * neither a path nor a URL hawk can parse (hawk throws on those): no MAC matches it.
 */
export function headerMac(key: MacKey, input: HeaderMacInput): string | undefined {
  let normalized: string;
  try {
    normalized = hawk.crypto.generateNormalizedString('header', input);
  } catch {
    return undefined;
  }
  return key.macBase64(normalized);
}

/**
 * Compares a MAC received with the one computed in constant time (S13), so the time
 * taken says nothing about how many leading bytes matched. Lengths are not secret:
 * every MAC of the algorithm has the same length.
 */
export function macsEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
