import type { Queryable } from './queryable.js';

/**
 * Records a Hawk (client, ts, nonce) triple; false means it was seen before, i.e.
 * the request is a replay (S13). One statement, atomic across replicas: of two
 * concurrent inserts of one triple, the second waits for the first to commit and
 * then finds it. It commits before it returns (a durable commit in a logged table,
 * migration 0011), so a request is never answered before its nonce would survive a
 * crash. Named, so each pooled connection parses and plans it once.
 */
export async function recordNonce(
  db: Queryable,
  ts: number,
  clientId: string,
  nonce: string,
): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'auth-record-nonce',
    text: `INSERT INTO hawk_nonces (ts, client_id, nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    values: [ts, clientId, nonce],
  });
  return rowCount === 1;
}

/** Forgets nonces with timestamps before `olderThanTs`. */
export async function pruneNonces(db: Queryable, olderThanTs: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM hawk_nonces WHERE ts < $1`, [olderThanTs]);
  return rowCount ?? 0;
}
