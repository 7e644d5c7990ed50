import type { Queryable } from './queryable.js';

/**
 * Identity providers, sign-in attempts and login sessions (migration 0012, D37).
 * Nothing here is a token in clear: secrets arrive sealed and leave sealed.
 */
export interface IdentityProviderRow {
  name: string;
  /** The provider's non-secret settings, as the auth service defines them. */
  config: Record<string, unknown>;
  sealedClientSecret: unknown;
  created: Date;
  lastModified: Date;
}

interface DbProviderRow {
  name: string;
  config: Record<string, unknown>;
  sealed_client_secret: unknown;
  created: Date;
  last_modified: Date;
}

const providerFromDb = (r: DbProviderRow): IdentityProviderRow => ({
  name: r.name,
  config: r.config,
  sealedClientSecret: r.sealed_client_secret,
  created: r.created,
  lastModified: r.last_modified,
});

/** Inserts a provider; false when one of that name exists. */
export async function insertProvider(db: Queryable, row: IdentityProviderRow): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO identity_providers (name, config, sealed_client_secret, created, last_modified)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
    [row.name, row.config, row.sealedClientSecret, row.created, row.lastModified],
  );
  return rowCount === 1;
}

/** Replaces a provider's settings (and its secret, when given); false when it does not exist. */
export async function updateProvider(
  db: Queryable,
  name: string,
  fields: { config: Record<string, unknown>; sealedClientSecret?: unknown; lastModified: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE identity_providers
        SET config = $2, sealed_client_secret = COALESCE($3, sealed_client_secret),
            last_modified = $4
      WHERE name = $1`,
    [name, fields.config, fields.sealedClientSecret ?? null, fields.lastModified],
  );
  return rowCount === 1;
}

export async function getProvider(
  db: Queryable,
  name: string,
): Promise<IdentityProviderRow | undefined> {
  const { rows } = await db.query<DbProviderRow>(
    `SELECT * FROM identity_providers WHERE name = $1`,
    [name],
  );
  return rows[0] && providerFromDb(rows[0]);
}

/** Every provider, by name; there are a handful per deployment. */
export async function listProviders(db: Queryable): Promise<IdentityProviderRow[]> {
  const { rows } = await db.query<DbProviderRow>(
    `SELECT * FROM identity_providers ORDER BY name LIMIT 1000`,
  );
  return rows.map(providerFromDb);
}

/** Deletes a provider and its attempts in progress; false when it did not exist. */
export async function deleteProvider(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM identity_providers WHERE name = $1`, [name]);
  return rowCount === 1;
}

export interface SigninAttemptRow {
  stateHash: string;
  provider: string;
  flow: 'code' | 'device';
  redirectUri: string | null;
  finishChallenge: string;
  /** The nonce, the PKCE verifier or the device code, sealed together. */
  sealedSecrets: unknown;
  pollInterval: number;
  nextPoll: Date;
  expires: Date;
  created: Date;
}

interface DbAttemptRow {
  state_hash: string;
  provider: string;
  flow: 'code' | 'device';
  redirect_uri: string | null;
  finish_challenge: string;
  sealed_secrets: unknown;
  poll_interval: number;
  next_poll: Date;
  expires: Date;
  created: Date;
}

const attemptFromDb = (r: DbAttemptRow): SigninAttemptRow => ({
  stateHash: r.state_hash,
  provider: r.provider,
  flow: r.flow,
  redirectUri: r.redirect_uri,
  finishChallenge: r.finish_challenge,
  sealedSecrets: r.sealed_secrets,
  pollInterval: r.poll_interval,
  nextPoll: r.next_poll,
  expires: r.expires,
  created: r.created,
});

export async function insertAttempt(db: Queryable, row: SigninAttemptRow): Promise<void> {
  await db.query(
    `INSERT INTO signin_attempts (state_hash, provider, flow, redirect_uri, finish_challenge,
       sealed_secrets, poll_interval, next_poll, expires, created)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      row.stateHash,
      row.provider,
      row.flow,
      row.redirectUri,
      row.finishChallenge,
      row.sealedSecrets,
      row.pollInterval,
      row.nextPoll,
      row.expires,
      row.created,
    ],
  );
}

/** Attempts of a provider not yet expired, counted up to `limit` (no more is read). */
export async function countLiveAttempts(
  db: Queryable,
  provider: string,
  now: Date,
  limit: number,
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (
       SELECT 1 FROM signin_attempts WHERE provider = $1 AND expires > $2 LIMIT $3) live`,
    [provider, now, limit],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Takes an attempt of the given flow: deletes it and answers it, in one statement, so
 * of two finishes of one state exactly one gets it (the other finds nothing).
 * Expired attempts are answered too, so the caller can say that they expired.
 */
export async function takeAttempt(
  db: Queryable,
  stateHash: string,
  flow: 'code' | 'device',
): Promise<SigninAttemptRow | undefined> {
  const { rows } = await db.query<DbAttemptRow>(
    `DELETE FROM signin_attempts WHERE state_hash = $1 AND flow = $2 RETURNING *`,
    [stateHash, flow],
  );
  return rows[0] && attemptFromDb(rows[0]);
}

/** Reads a device attempt without taking it (a poll that may find it still pending). */
export async function getAttempt(
  db: Queryable,
  stateHash: string,
  flow: 'code' | 'device',
): Promise<SigninAttemptRow | undefined> {
  const { rows } = await db.query<DbAttemptRow>(
    `SELECT * FROM signin_attempts WHERE state_hash = $1 AND flow = $2`,
    [stateHash, flow],
  );
  return rows[0] && attemptFromDb(rows[0]);
}

/**
 * Moves a pending device attempt's next permitted poll; false when the attempt is gone
 * or another poll is already under way (its next_poll moved past `notBefore`).
 */
export async function claimPoll(
  db: Queryable,
  stateHash: string,
  notBefore: Date,
  nextPoll: Date,
  pollInterval: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE signin_attempts SET next_poll = $3, poll_interval = $4
      WHERE state_hash = $1 AND flow = 'device' AND next_poll <= $2`,
    [stateHash, notBefore, nextPoll, pollInterval],
  );
  return rowCount === 1;
}

export interface LoginSessionRow {
  sessionId: string;
  clientId: string;
  provider: string;
  subject: string;
  expires: Date;
  revoked: Date | null;
  created: Date;
}

export async function insertSession(db: Queryable, row: LoginSessionRow): Promise<void> {
  await db.query(
    `INSERT INTO login_sessions (session_id, client_id, provider, subject, expires, revoked, created)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [row.sessionId, row.clientId, row.provider, row.subject, row.expires, row.revoked, row.created],
  );
}

/**
 * Whether the session may still be used by that client id: one primary-key read,
 * prepared once per connection, made for login credentials only.
 */
export async function sessionUsable(
  db: Queryable,
  sessionId: string,
  clientId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ usable: boolean }>({
    name: 'auth-login-session-usable',
    text: `SELECT revoked IS NULL AND client_id = $2 AS usable
             FROM login_sessions WHERE session_id = $1`,
    values: [sessionId, clientId],
  });
  return rows[0]?.usable === true;
}

/** Ends one session; false when it is unknown or already ended. */
export async function revokeSession(db: Queryable, sessionId: string, at: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE login_sessions SET revoked = $2 WHERE session_id = $1 AND revoked IS NULL`,
    [sessionId, at],
  );
  return rowCount === 1;
}

/** Ends every live session of one identity; answers how many. */
export async function revokeSubjectSessions(
  db: Queryable,
  provider: string,
  subject: string,
  at: Date,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE login_sessions SET revoked = $3
      WHERE provider = $1 AND subject = $2 AND revoked IS NULL AND expires > $3`,
    [provider, subject, at],
  );
  return rowCount ?? 0;
}

/** Ends every live session of one provider (it was removed); answers how many. */
export async function revokeProviderSessions(
  db: Queryable,
  provider: string,
  at: Date,
): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE login_sessions SET revoked = $2
      WHERE provider = $1 AND revoked IS NULL AND expires > $2`,
    [provider, at],
  );
  return rowCount ?? 0;
}

/**
 * Forgets attempts past their expiry and sessions expired for a day (their credentials
 * expired with them, so nothing can use them); answers how many rows went.
 */
export async function pruneIdentityRows(db: Queryable, now: Date): Promise<number> {
  const attempts = await db.query(`DELETE FROM signin_attempts WHERE expires < $1`, [now]);
  const sessions = await db.query(
    `DELETE FROM login_sessions WHERE expires < $1::timestamptz - interval '1 day'`,
    [now],
  );
  return (attempts.rowCount ?? 0) + (sessions.rowCount ?? 0);
}
