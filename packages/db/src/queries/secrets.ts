import type { Queryable } from './queryable.js';

/**
 * The secrets table. Every read filters out expired rows, so an expired secret is
 * gone as far as callers can tell even before the sweep deletes it (S15).
 *
 * Expiry is compared with `now` when given, otherwise with the database's clock:
 * one clock for every replica, so they agree on whether a secret has expired.
 * A secret is live while `expires >= now`, as in Taskcluster.
 */
export interface SecretRow {
  name: string;
  /** AES-256-GCM sealed JSON of the value, bound to the name (see @bulwark/crypto). */
  sealedValue: unknown;
  expires: Date;
  created: Date;
  lastModified: Date;
}

interface DbSecretRow {
  name: string;
  sealed_value: unknown;
  expires: Date;
  created: Date;
  last_modified: Date;
}

const fromDb = (r: DbSecretRow): SecretRow => ({
  name: r.name,
  sealedValue: r.sealed_value,
  expires: r.expires,
  created: r.created,
  lastModified: r.last_modified,
});

// $n is the caller's clock, or NULL for the database's.
const clock = (n: number): string => `COALESCE($${n}::timestamptz, now())`;

/**
 * Creates or replaces a secret. Reports `created` when no live secret had the name
 * (an expired row the sweep has not reached yet counts as gone) and `updated`
 * otherwise, for the audit log.
 */
export async function upsertSecret(
  db: Queryable,
  secret: { name: string; sealedValue: unknown; expires: Date },
  now?: Date,
): Promise<'created' | 'updated'> {
  // `previous` reads the row as it was when the statement started; `xmax = 0` marks
  // a fresh insert.
  const { rows } = await db.query<{ inserted: boolean; previous_live: boolean | null }>(
    `WITH previous AS (
       SELECT expires >= ${clock(4)} AS live FROM secrets WHERE name = $1
     )
     INSERT INTO secrets AS s (name, sealed_value, expires, created, last_modified)
     VALUES ($1, $2, $3, ${clock(4)}, ${clock(4)})
     ON CONFLICT (name) DO UPDATE SET
       sealed_value = EXCLUDED.sealed_value,
       expires = EXCLUDED.expires,
       last_modified = EXCLUDED.last_modified,
       created = CASE WHEN s.expires >= ${clock(4)} THEN s.created ELSE EXCLUDED.created END
     RETURNING s.xmax = 0 AS inserted, (SELECT live FROM previous) AS previous_live`,
    [secret.name, JSON.stringify(secret.sealedValue), secret.expires, now ?? null],
  );
  const row = rows[0];
  // A conflicting row the statement could not see was just written by a concurrent
  // set, so it was live and this one replaced it.
  const replacedLive = row !== undefined && !row.inserted && row.previous_live !== false;
  return replacedLive ? 'updated' : 'created';
}

/** The secret, unless it does not exist or has expired. */
export async function getSecret(
  db: Queryable,
  name: string,
  now?: Date,
): Promise<SecretRow | undefined> {
  const { rows } = await db.query<DbSecretRow>(
    `SELECT name, sealed_value, expires, created, last_modified FROM secrets
      WHERE name = $1 AND expires >= ${clock(2)}`,
    [name, now ?? null],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** Deletes the secret, expired or not; false when there was none. */
export async function removeSecret(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM secrets WHERE name = $1`, [name]);
  return rowCount === 1;
}

/**
 * Names of live secrets in byte order, after `after` (keyset pagination: stable
 * under concurrent inserts and deletes, and cheap on any page).
 */
export async function listSecretNames(
  db: Queryable,
  options: { after?: string; limit: number; now?: Date },
): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT name FROM secrets
      WHERE ($1::text IS NULL OR name > $1) AND expires >= ${clock(3)}
      ORDER BY name LIMIT $2`,
    [options.after ?? null, options.limit, options.now ?? null],
  );
  return rows.map((r) => r.name);
}

/**
 * Deletes up to `limit` expired secrets and returns their names. Rows another
 * replica's sweep has locked are skipped, so sweeps running everywhere at once
 * neither wait for each other nor delete (and audit) a row twice.
 */
export async function deleteExpiredSecrets(
  db: Queryable,
  options: { limit: number; now?: Date },
): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `DELETE FROM secrets WHERE name IN (
       SELECT name FROM secrets WHERE expires < ${clock(2)}
        ORDER BY expires LIMIT $1 FOR UPDATE SKIP LOCKED
     ) RETURNING name`,
    [options.limit, options.now ?? null],
  );
  return rows.map((r) => r.name);
}
