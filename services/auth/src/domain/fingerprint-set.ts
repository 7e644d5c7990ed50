import { randomBytes } from 'node:crypto';

/**
 * A set of 64-bit fingerprints held in typed arrays (open addressing, linear
 * probing). It exists for the replay guard, which records every authenticated
 * request: as strings in a Set, each entry was a string and a table slot for the
 * garbage collector to copy and trace, and each insert hashed a freshly built string.
 * Here an entry is two 32-bit words the collector never looks at.
 */
export class FingerprintSet {
  /** Slot i holds its high word at 2i and its low word at 2i + 1: one cache line per probe. */
  private words: Uint32Array;
  private used = 0;
  /** (0, 0) marks an empty slot, so that one fingerprint is kept aside. */
  private holdsZero = false;

  constructor(initialCapacity = 64) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.words = new Uint32Array(capacity * 2);
  }

  private get capacity(): number {
    return this.words.length / 2;
  }

  get size(): number {
    return this.used;
  }

  /** Adds the fingerprint; true if it was not there yet. */
  add(high: number, low: number): boolean {
    const h = high >>> 0;
    const l = low >>> 0;
    if (h === 0 && l === 0) {
      if (this.holdsZero) return false;
      this.holdsZero = true;
      this.used++;
      return true;
    }
    // At most half full, so probes stay short and an empty slot always exists.
    if ((this.used + 1) * 2 > this.capacity) this.grow();
    const mask = this.capacity - 1;
    for (let slot = slotOf(h, l) & mask; ; slot = (slot + 1) & mask) {
      const storedHigh = this.words[2 * slot] ?? 0;
      const storedLow = this.words[2 * slot + 1] ?? 0;
      if (storedHigh === h && storedLow === l) return false;
      if (storedHigh === 0 && storedLow === 0) {
        this.words[2 * slot] = h;
        this.words[2 * slot + 1] = l;
        this.used++;
        return true;
      }
    }
  }

  /** Places a fingerprint known to be absent (while growing). */
  private insertNew(high: number, low: number): void {
    const mask = this.capacity - 1;
    let slot = slotOf(high, low) & mask;
    while ((this.words[2 * slot] ?? 0) !== 0 || (this.words[2 * slot + 1] ?? 0) !== 0) {
      slot = (slot + 1) & mask;
    }
    this.words[2 * slot] = high;
    this.words[2 * slot + 1] = low;
  }

  private grow(): void {
    const old = this.words;
    this.words = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i] ?? 0;
      const l = old[i + 1] ?? 0;
      if (h !== 0 || l !== 0) this.insertNew(h, l);
    }
  }
}

/**
 * The slot depends on both words, so only fingerprints equal as a whole (one entry)
 * share a starting slot by construction: inputs that collide in one half cannot be
 * stacked up into one long probe sequence.
 */
function slotOf(high: number, low: number): number {
  let x = high ^ Math.imul(low, 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * 64-bit fingerprints of (client, nonce) pairs, keyed with random seeds drawn when
 * the process starts, so nobody outside it can aim two pairs at one fingerprint or
 * one slot. Two independently seeded 32-bit multiply-rotate hashes over the UTF-16
 * code units of both strings; the client's length goes in first, so the boundary
 * between the two strings is unambiguous. A fresh request is wrongly taken for a
 * replay only if its fingerprint equals that of another request in the same second:
 * about one chance in 2^64 per pair.
 */
export class PairFingerprinter {
  private readonly seedHigh: number;
  private readonly seedLow: number;
  /** The last result, read right after `fingerprint` (saves an allocation per call). */
  high = 0;
  low = 0;

  constructor(seed: Buffer = randomBytes(8)) {
    this.seedHigh = seed.readUInt32LE(0);
    this.seedLow = seed.readUInt32LE(4);
  }

  fingerprint(first: string, second: string): void {
    let a = this.seedHigh ^ Math.imul(first.length, 0x9e3779b1);
    let b = this.seedLow ^ Math.imul(first.length, 0x85ebca77);
    for (let i = 0; i < first.length; i++) {
      const c = first.charCodeAt(i);
      a = step(a, c, 0xcc9e2d51);
      b = step(b, c, 0x1b873593);
    }
    for (let i = 0; i < second.length; i++) {
      const c = second.charCodeAt(i);
      a = step(a, c, 0xcc9e2d51);
      b = step(b, c, 0x1b873593);
    }
    const total = first.length + second.length;
    this.high = finish(a ^ total, 0x85ebca6b);
    this.low = finish(b ^ total, 0xc2b2ae35);
  }
}

function step(state: number, unit: number, multiplier: number): number {
  let k = Math.imul(unit, multiplier);
  k = (k << 15) | (k >>> 17);
  const h = state ^ Math.imul(k, 0x1b873593);
  return Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
}

function finish(state: number, multiplier: number): number {
  let h = state;
  h = Math.imul(h ^ (h >>> 16), multiplier);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
