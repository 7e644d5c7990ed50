import type { Queryable } from './queryable.js';

/**
 * Records a Hawk (client, ts, nonce) triple; false means it was seen before, i.e.
 * the request is a replay (S13). One statement, atomic across replicas.
 */
export async function recordNonce(
  db: Queryable,
  ts: number,
  clientId: string,
  nonce: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO hawk_nonces (ts, client_id, nonce) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [ts, clientId, nonce],
  );
  return rowCount === 1;
}

/** Forgets nonces whose timestamps can no longer pass the skew check. */
export async function pruneNonces(db: Queryable, olderThanTs: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM hawk_nonces WHERE ts < $1`, [olderThanTs]);
  return rowCount ?? 0;
}
