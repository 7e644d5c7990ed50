import type pg from 'pg';
import { queries } from '@bulwark/db';

/** A request waiting for its triple to be recorded. */
interface Waiting {
  triple: queries.nonces.NonceTriple;
  resolve: (first: boolean) => void;
  reject: (err: unknown) => void;
}

/** The most triples one statement records; more wait for the next. */
const MAX_BATCH = 512;

/**
 * Remembers each (client, timestamp, nonce) a verified Hawk request used, so that
 * the same signed request is accepted once (S13), whichever process receives it
 * and whenever: before or after a restart of that process, of another one, or of
 * the database.
 *
 * The triples live in one table every process shares (`hawk_nonces`), and a triple
 * is committed, durably, before the request it belongs to is answered. Nothing is
 * kept in the process, so there is nothing to lose when it stops or is killed, and
 * no replica can hold a triple the others do not see. (An in-process set, the
 * earlier design for a single process, was emptied by every restart: a request
 * captured before it could be replayed after it. Decision D24.)
 *
 * Requests that arrive while a commit is under way are recorded together by the next
 * one, in one statement (group commit, decision D32): the guarantee is the same, each
 * request still waits for the commit of its own triple, but a busy process pays one
 * commit for many requests instead of one each. Nothing waits on a timer: a lone
 * request is recorded at once.
 */
export class ReplayGuard {
  private waiting: Waiting[] = [];
  private recording = false;

  /**
   * @param skewSeconds the allowed clock skew: a request's timestamp is at most
   *   this far from the receiving process's clock.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly skewSeconds: number,
  ) {}

  /** True the first time a triple is seen; false for a replay. */
  firstUse(clientId: string, ts: number, nonce: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ triple: { ts, clientId, nonce }, resolve, reject });
      if (!this.recording) void this.recordWaiting();
    });
  }

  /** Records what waits, a statement at a time, until nothing does. */
  private async recordWaiting(): Promise<void> {
    this.recording = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        // The same triple twice in one batch: the later one is a replay of the first.
        const byKey = new Map<string, Waiting>();
        const repeats: Waiting[] = [];
        for (const entry of batch) {
          const key = queries.nonces.nonceKey(entry.triple);
          if (byKey.has(key)) repeats.push(entry);
          else byKey.set(key, entry);
        }
        try {
          const fresh = await queries.nonces.recordNonces(
            this.pool,
            [...byKey.values()].map((entry) => entry.triple),
          );
          for (const [key, entry] of byKey) entry.resolve(fresh.has(key));
          for (const entry of repeats) entry.resolve(false);
        } catch (err) {
          // Not recorded, so not accepted: each request of the batch fails (S13).
          for (const entry of batch) entry.reject(err);
        }
      }
    } finally {
      this.recording = false;
    }
  }

  /**
   * Forgets triples that no process can accept any more. A triple can pass the skew
   * check only while its timestamp is within `skewSeconds` of the receiving process's
   * clock; it is kept for twice that, so that a process whose clock runs ahead of
   * another's (by up to `skewSeconds`) never forgets a triple the other would still
   * accept.
   */
  async prune(nowSeconds: number): Promise<void> {
    await queries.nonces.pruneNonces(this.pool, nowSeconds - 2 * this.skewSeconds);
  }
}
