import type { Queryable } from './queryable.js';

/** One Hawk request's (client, timestamp, nonce). */
export interface NonceTriple {
  ts: number;
  clientId: string;
  nonce: string;
}

/** How a triple is named in the answer of recordNonces: the same for the same triple. */
export function nonceKey(triple: { ts: number | string; clientId: string; nonce: string }): string {
  return JSON.stringify([String(triple.ts), triple.clientId, triple.nonce]);
}

/**
 * Records Hawk (client, ts, nonce) triples in one statement and answers the keys
 * (nonceKey) of those that were new: a triple missing from the answer was seen before,
 * i.e. its request is a replay (S13). Atomic across replicas: of two concurrent inserts
 * of one triple, the second waits for the first to commit and then finds it. It commits
 * before it returns (a durable commit in a logged table, migration 0011), so no request
 * is answered before its nonce would survive a crash. Named, so each pooled connection
 * parses and plans it once. The triples must be distinct.
 */
export async function recordNonces(
  db: Queryable,
  triples: readonly NonceTriple[],
): Promise<Set<string>> {
  const { rows } = await db.query<{ ts: string; client_id: string; nonce: string }>({
    name: 'auth-record-nonces',
    text: `INSERT INTO hawk_nonces (ts, client_id, nonce)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])
           ON CONFLICT DO NOTHING
           RETURNING ts, client_id, nonce`,
    values: [triples.map((t) => t.ts), triples.map((t) => t.clientId), triples.map((t) => t.nonce)],
  });
  return new Set(rows.map((r) => nonceKey({ ts: r.ts, clientId: r.client_id, nonce: r.nonce })));
}

/** Forgets nonces with timestamps before `olderThanTs`. */
export async function pruneNonces(db: Queryable, olderThanTs: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM hawk_nonces WHERE ts < $1`, [olderThanTs]);
  return rowCount ?? 0;
}
