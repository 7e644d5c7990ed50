import type pg from 'pg';
import { queries } from '@bulwark/db';
import { FingerprintSet, PairFingerprinter } from './fingerprint-set.js';

/**
 * Remembers each (client, timestamp, nonce) a verified Hawk request used, so the
 * same signed request is accepted once (S13). Only timestamps inside the skew
 * window can pass authentication, so entries older than the window are forgotten.
 */
export interface ReplayGuard {
  /**
   * True the first time a triple is seen; false for a replay. The in-memory guard
   * answers synchronously, which keeps the common path free of extra ticks.
   */
  firstUse(clientId: string, ts: number, nonce: string): boolean | Promise<boolean>;
  /** Forgets triples with timestamps before `oldestValidTs`. */
  prune(oldestValidTs: number): Promise<void>;
}

/**
 * For a single replica: triples bucketed by timestamp so pruning drops whole
 * buckets, keeping memory proportional to the traffic inside the window. Within a
 * bucket each timestamp (second) has its own set of (client, nonce) fingerprints:
 * small sets keep inserts cheap however long the window, and fingerprints in typed
 * arrays cost the garbage collector nothing (see FingerprintSet).
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly buckets = new Map<number, Map<number, FingerprintSet>>();
  private readonly fingerprinter = new PairFingerprinter();

  constructor(private readonly bucketSeconds: number) {}

  firstUse(clientId: string, ts: number, nonce: string): boolean {
    const bucketId = Math.floor(ts / this.bucketSeconds);
    let bucket = this.buckets.get(bucketId);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(bucketId, bucket);
    }
    let second = bucket.get(ts);
    if (!second) {
      second = new FingerprintSet();
      bucket.set(ts, second);
    }
    this.fingerprinter.fingerprint(clientId, nonce);
    return second.add(this.fingerprinter.high, this.fingerprinter.low);
  }

  prune(oldestValidTs: number): Promise<void> {
    for (const bucketId of this.buckets.keys()) {
      if ((bucketId + 1) * this.bucketSeconds <= oldestValidTs) this.buckets.delete(bucketId);
    }
    return Promise.resolve();
  }

  get size(): number {
    let n = 0;
    for (const bucket of this.buckets.values()) {
      for (const second of bucket.values()) n += second.size;
    }
    return n;
  }
}

/** For several replicas: the triples live in an UNLOGGED table every replica shares. */
export class DatabaseReplayGuard implements ReplayGuard {
  constructor(private readonly pool: pg.Pool) {}

  firstUse(clientId: string, ts: number, nonce: string): Promise<boolean> {
    return queries.nonces.recordNonce(this.pool, ts, clientId, nonce);
  }

  async prune(oldestValidTs: number): Promise<void> {
    await queries.nonces.pruneNonces(this.pool, oldestValidTs);
  }
}
