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
  /** When and by whom the key was disabled: it signs nothing since, its public key stays served. */
  disabled?: { at: Date; by: string };
}

interface DbRow {
  key_id: string;
  description: string;
  minisign_key_id: string;
  public_key: string;
  sealed_private_key: unknown;
  policy: Record<string, unknown>;
  created: Date;
  disabled: Date | null;
  disabled_by: string | null;
}

const fromDb = (r: DbRow): SigningKeyRow => ({
  keyId: r.key_id,
  description: r.description,
  minisignKeyId: r.minisign_key_id,
  publicKey: r.public_key,
  sealedPrivateKey: r.sealed_private_key,
  policy: r.policy,
  created: r.created,
  ...(r.disabled && { disabled: { at: r.disabled, by: r.disabled_by ?? '' } }),
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
    `INSERT INTO signing_keys (key_id, description, minisign_key_id, public_key,
       sealed_private_key, policy, created) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (key_id) DO NOTHING`,
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

/** Disables the key unless it already is; true when this call disabled it. */
export async function disableSigningKey(
  db: Queryable,
  keyId: string,
  by: string,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE signing_keys SET disabled = $3, disabled_by = $2
      WHERE key_id = $1 AND disabled IS NULL`,
    [keyId, by, at],
  );
  return rowCount === 1;
}
