import { hash } from 'node:crypto';
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

const BLOCK = 64;
const DIGEST = 32;

/**
 * An HMAC-SHA256 key with its two padded blocks prepared once (RFC 2104), so a MAC
 * costs two one-shot hashes. The keyed `createHmac` object costs more than the
 * hashing itself: a native object with a weak handle, OpenSSL contexts allocated and
 * freed, all per request (docs/decisions.md D22). Proven equal to `createHmac` by a
 * property test over keys and messages of every length.
 */
export class MacKey {
  // Truly private (#): the pads give the key away, so no JSON.stringify, util.inspect
  // or log serializer may reach them (S1).
  readonly #innerPad: Buffer;
  /** The outer pad followed by room for the inner digest. */
  readonly #outerInput: Buffer;

  constructor(secret: string) {
    let key = Buffer.from(secret, 'utf8');
    if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
    this.#innerPad = Buffer.alloc(BLOCK, 0x36);
    this.#outerInput = Buffer.alloc(BLOCK + DIGEST, 0x5c);
    for (let i = 0; i < key.length; i++) {
      const byte = key[i] ?? 0;
      this.#innerPad[i] = byte ^ 0x36;
      this.#outerInput[i] = byte ^ 0x5c;
    }
    key.fill(0);
  }

  toJSON(): string {
    return '[MacKey]';
  }

  [inspect.custom](): string {
    return '[MacKey]';
  }

  /** HMAC-SHA256 of the UTF-8 encoding of `message`, base64. */
  macBase64(message: string): string {
    // The inner hash reads a view of exactly the message's length; `hex` is the
    // output form Node hands back with the least work, and written back as bytes.
    const innerDigest = hash('sha256', this.#innerInput(message), 'hex');
    // Synchronous from here to the return, so sharing the outer buffer is safe.
    this.#outerInput.write(innerDigest, BLOCK, 'hex');
    return hash('sha256', this.#outerInput, 'base64');
  }

  /** The inner pad followed by the message, in the shared scratch buffer when it fits. */
  #innerInput(message: string): Buffer {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    if (message.length * 3 <= SCRATCH_ROOM) {
      this.#innerPad.copy(scratch, 0);
      return scratchView(BLOCK + scratch.write(message, BLOCK, 'utf8'));
    }
    const input = Buffer.allocUnsafe(BLOCK + Buffer.byteLength(message, 'utf8'));
    this.#innerPad.copy(input, 0);
    input.write(message, BLOCK, 'utf8');
    return input;
  }
}

/** Reused for the inner hash of ordinary requests; requests are verified one at a time. */
const scratch = Buffer.alloc(8192);
const SCRATCH_ROOM = scratch.length - BLOCK;
/** Views of the scratch buffer's first N bytes, by N: request lengths repeat. */
const scratchViews = new Map<number, Buffer>();

function scratchView(length: number): Buffer {
  let view = scratchViews.get(length);
  if (view === undefined) {
    view = scratch.subarray(0, length);
    scratchViews.set(length, view);
  }
  return view;
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
 * Compares a MAC received with the one computed without an early exit, so the time
 * taken says nothing about how many leading characters matched. Lengths are not
 * secret (every MAC of the algorithm has the same length). Strings, not Buffers:
 * two Buffer copies per request cost more than the comparison itself.
 */
export function macsEqual(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  }
  return difference === 0;
}
