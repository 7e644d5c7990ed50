import type { Queryable } from './queryable.js';

/** A release signing key of the signing service, its private half sealed (S11). */
export interface SigningKeyRow {
  keyId: string;
  description: string;
  minisignKeyId: string;
  publicKey: string;
  sealedPrivateKey: unknown;
  policy: Record<string, unknown>;
  created: Date;
}

interface DbRow {
  key_id: string;
  description: string;
  minisign_key_id: string;
  public_key: string;
  sealed_private_key: unknown;
  policy: Record<string, unknown>;
  created: Date;
}

const fromDb = (r: DbRow): SigningKeyRow => ({
  keyId: r.key_id,
  description: r.description,
  minisignKeyId: r.minisign_key_id,
  publicKey: r.public_key,
  sealedPrivateKey: r.sealed_private_key,
  policy: r.policy,
  created: r.created,
});

export async function getSigningKey(
  db: Queryable,
  keyId: string,
): Promise<SigningKeyRow | undefined> {
  const { rows } = await db.query<DbRow>(`SELECT * FROM signing_keys WHERE key_id = $1`, [keyId]);
  return rows[0] ? fromDb(rows[0]) : undefined;
}

export async function listSigningKeys(db: Queryable): Promise<SigningKeyRow[]> {
  const { rows } = await db.query<DbRow>(`SELECT * FROM signing_keys ORDER BY key_id LIMIT 1000`);
  return rows.map(fromDb);
}

/** Inserts the key unless one of that name exists; true when it was inserted. */
export async function insertSigningKey(db: Queryable, key: SigningKeyRow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO signing_keys VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key_id) DO NOTHING`,
    [
      key.keyId,
      key.description,
      key.minisignKeyId,
      key.publicKey,
      JSON.stringify(key.sealedPrivateKey),
      JSON.stringify(key.policy),
      key.created,
    ],
  );
  return rowCount === 1;
}
