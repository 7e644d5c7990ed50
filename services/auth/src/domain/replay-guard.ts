import type pg from 'pg';
import { queries } from '@bulwark/db';

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
 */
export class ReplayGuard {
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
    return queries.nonces.recordNonce(this.pool, ts, clientId, nonce);
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
