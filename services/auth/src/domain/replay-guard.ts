import type pg from 'pg';
import { queries } from '@bulwark/db';

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
 * bucket each timestamp (second) has its own set: a set per second stays small
 * however long the window, which keeps inserts cheap (a set holding the whole
 * window's traffic made each insert cost several times more, and could reach the
 * engine's limit on a set's size under sustained load).
 */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly buckets = new Map<number, Map<number, Set<string>>>();

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
      second = new Set();
      bucket.set(ts, second);
    }
    // Length-prefixing the client id makes the key unambiguous whatever it contains.
    const key = `${clientId.length}:${clientId}:${nonce}`;
    // One hash lookup instead of has() then add(): the set grew iff the key was new.
    const before = second.size;
    return second.add(key).size !== before;
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
