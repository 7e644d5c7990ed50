import type { Queryable } from './queryable.js';

export interface ClientRow {
  clientId: string;
  description: string;
  scopes: string[];
  /** AES-256-GCM sealed access token (see @bulwark/crypto). */
  sealedAccessToken: unknown;
  expires: Date;
  disabled: boolean;
  deleteOnExpiration: boolean;
  created: Date;
  lastModified: Date;
  lastDateUsed: Date;
  lastRotated: Date;
}

const COLUMNS = `client_id, description, scopes, sealed_access_token, expires, disabled,
  delete_on_expiration, created, last_modified, last_date_used, last_rotated`;

interface DbClientRow {
  client_id: string;
  description: string;
  scopes: string[];
  sealed_access_token: unknown;
  expires: Date;
  disabled: boolean;
  delete_on_expiration: boolean;
  created: Date;
  last_modified: Date;
  last_date_used: Date;
  last_rotated: Date;
}

function fromDb(r: DbClientRow): ClientRow {
  return {
    clientId: r.client_id,
    description: r.description,
    scopes: r.scopes,
    sealedAccessToken: r.sealed_access_token,
    expires: r.expires,
    disabled: r.disabled,
    deleteOnExpiration: r.delete_on_expiration,
    created: r.created,
    lastModified: r.last_modified,
    lastDateUsed: r.last_date_used,
    lastRotated: r.last_rotated,
  };
}

export async function getClient(db: Queryable, clientId: string): Promise<ClientRow | undefined> {
  const { rows } = await db.query<DbClientRow>(
    `SELECT ${COLUMNS} FROM clients WHERE client_id = $1`,
    [clientId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** Locks the row for the rest of the transaction (read-modify-write updates). */
export async function getClientForUpdate(
  db: Queryable,
  clientId: string,
): Promise<ClientRow | undefined> {
  const { rows } = await db.query<DbClientRow>(
    `SELECT ${COLUMNS} FROM clients WHERE client_id = $1 FOR UPDATE`,
    [clientId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

/** Keyset pagination by client id: stable under concurrent inserts. */
export async function listClients(
  db: Queryable,
  options: { prefix?: string; after?: string; limit: number },
): Promise<ClientRow[]> {
  const { rows } = await db.query<DbClientRow>(
    `SELECT ${COLUMNS} FROM clients
      WHERE ($1::text IS NULL OR starts_with(client_id, $1))
        AND ($2::text IS NULL OR client_id COLLATE "C" > $2)
      ORDER BY client_id COLLATE "C" LIMIT $3`,
    [options.prefix ?? null, options.after ?? null, options.limit],
  );
  return rows.map(fromDb);
}

export async function allClients(db: Queryable): Promise<ClientRow[]> {
  const { rows } = await db.query<DbClientRow>(`SELECT ${COLUMNS} FROM clients`);
  return rows.map(fromDb);
}

/** Inserts the client; returns false (and changes nothing) when the id is taken. */
export async function insertClient(db: Queryable, c: ClientRow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO clients (${COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
     ON CONFLICT (client_id) DO NOTHING`,
    [
      c.clientId,
      c.description,
      JSON.stringify(c.scopes),
      JSON.stringify(c.sealedAccessToken),
      c.expires,
      c.disabled,
      c.deleteOnExpiration,
      c.created,
      c.lastModified,
      c.lastDateUsed,
      c.lastRotated,
    ],
  );
  return rowCount === 1;
}

export async function updateClient(
  db: Queryable,
  clientId: string,
  fields: Pick<
    ClientRow,
    'description' | 'scopes' | 'expires' | 'deleteOnExpiration' | 'lastModified'
  >,
): Promise<void> {
  await db.query(
    `UPDATE clients SET description = $2, scopes = $3, expires = $4,
       delete_on_expiration = $5, last_modified = $6 WHERE client_id = $1`,
    [
      clientId,
      fields.description,
      JSON.stringify(fields.scopes),
      fields.expires,
      fields.deleteOnExpiration,
      fields.lastModified,
    ],
  );
}

export async function setClientDisabled(
  db: Queryable,
  clientId: string,
  disabled: boolean,
  now: Date,
): Promise<void> {
  await db.query(`UPDATE clients SET disabled = $2, last_modified = $3 WHERE client_id = $1`, [
    clientId,
    disabled,
    now,
  ]);
}

export async function setClientAccessToken(
  db: Queryable,
  clientId: string,
  sealedAccessToken: unknown,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE clients SET sealed_access_token = $2, last_rotated = $3, last_modified = $3
      WHERE client_id = $1`,
    [clientId, JSON.stringify(sealedAccessToken), now],
  );
}

export async function deleteClient(db: Queryable, clientId: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM clients WHERE client_id = $1`, [clientId]);
  return rowCount === 1;
}

/** Deletes expired clients marked deleteOnExpiration; returns their ids. */
export async function deleteExpiredClients(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ client_id: string }>(
    `DELETE FROM clients WHERE delete_on_expiration AND expires < $1 RETURNING client_id`,
    [now],
  );
  return rows.map((r) => r.client_id);
}

/** Records use at most once per `granularityMs`, so authentication rarely writes. */
export async function touchClientLastUsed(
  db: Queryable,
  clientId: string,
  now: Date,
  granularityMs: number,
): Promise<void> {
  await db.query(
    `UPDATE clients SET last_date_used = $2 WHERE client_id = $1 AND last_date_used < $3`,
    [clientId, now, new Date(now.getTime() - granularityMs)],
  );
}
