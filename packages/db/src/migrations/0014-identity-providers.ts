import type { Migration } from '../migrate.js';

/**
 * Sign-in through an organization's OpenID provider (decision D37).
 *
 * - identity_providers: one row per configured provider; the client secret is sealed
 *   under the keyring with `identity-provider:<name>` as associated data (S11).
 * - signin_attempts: a sign-in between its start and its finish. The key is the SHA-256
 *   of the state the caller holds, never the state itself; the PKCE verifier, the nonce
 *   and the device code are sealed. A finish deletes the row in the statement that reads
 *   it, so an attempt is used once whichever replica is asked.
 * - login_sessions: the credentials a sign-in issued, by session id, so that sign-out can
 *   end them before they expire: authentication looks the session up by primary key.
 *
 * The migration's number is only here (`version`); the version step and the test refer
 * to it through this object.
 */
export const identityProviderTables: Migration = {
  version: 14,
  name: 'identity-providers',
  up: `
    CREATE TABLE identity_providers (
      name text COLLATE "C" PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
      config jsonb NOT NULL,
      sealed_client_secret jsonb NOT NULL,
      created timestamptz NOT NULL,
      last_modified timestamptz NOT NULL
    );
    CREATE TABLE signin_attempts (
      state_hash text PRIMARY KEY CHECK (state_hash ~ '^[0-9a-f]{64}$'),
      provider text NOT NULL REFERENCES identity_providers (name) ON DELETE CASCADE,
      flow text NOT NULL CHECK (flow IN ('code', 'device')),
      redirect_uri text,
      finish_challenge text NOT NULL,
      sealed_secrets jsonb NOT NULL,
      poll_interval integer NOT NULL DEFAULT 5,
      next_poll timestamptz NOT NULL,
      expires timestamptz NOT NULL,
      created timestamptz NOT NULL
    );
    CREATE INDEX signin_attempts_expires_idx ON signin_attempts (expires);
    CREATE TABLE login_sessions (
      session_id text PRIMARY KEY CHECK (session_id ~ '^[A-Za-z0-9_-]{22}$'),
      client_id text NOT NULL,
      provider text NOT NULL,
      subject text NOT NULL,
      expires timestamptz NOT NULL,
      revoked timestamptz,
      created timestamptz NOT NULL
    );
    CREATE INDEX login_sessions_subject_idx ON login_sessions (provider, subject);
    CREATE INDEX login_sessions_expires_idx ON login_sessions (expires);
  `,
};
