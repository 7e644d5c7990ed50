import type { Migration } from '../migrate.js';

/**
 * Clients, roles, the hash-chained audit log and the shared replay guard.
 * Access tokens are stored sealed (AES-256-GCM, see @bulwark/crypto), never in clear.
 */
export const authTables: Migration = {
  version: 1,
  name: 'auth tables',
  up: `
    CREATE TABLE clients (
      client_id text PRIMARY KEY,
      description text NOT NULL,
      scopes jsonb NOT NULL,
      sealed_access_token jsonb NOT NULL,
      expires timestamptz NOT NULL,
      disabled boolean NOT NULL DEFAULT false,
      delete_on_expiration boolean NOT NULL DEFAULT false,
      created timestamptz NOT NULL,
      last_modified timestamptz NOT NULL,
      last_date_used timestamptz NOT NULL,
      last_rotated timestamptz NOT NULL
    );
    CREATE INDEX clients_expires_idx ON clients (expires) WHERE delete_on_expiration;

    CREATE TABLE roles (
      role_id text PRIMARY KEY,
      description text NOT NULL,
      scopes jsonb NOT NULL,
      created timestamptz NOT NULL,
      last_modified timestamptz NOT NULL
    );

    -- One row: every role change locks it, so concurrent changes are validated
    -- (acyclicity, escalation) against the same complete role set.
    CREATE TABLE roles_version (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version bigint NOT NULL
    );
    INSERT INTO roles_version (version) VALUES (0);

    -- Append-only: each row carries the hash of the previous one (S14).
    CREATE TABLE audit_log (
      seq bigint PRIMARY KEY,
      at timestamptz NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      action text NOT NULL,
      client_id text NOT NULL,
      details jsonb NOT NULL,
      prev_hash text NOT NULL,
      hash text NOT NULL
    );
    CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, seq);
    CREATE INDEX audit_log_client_idx ON audit_log (client_id, seq);
    CREATE FUNCTION audit_log_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_forbid_change();

    -- Seen Hawk nonces, shared by every replica (S13). UNLOGGED: losing it in a
    -- crash only reopens the replay window of requests signed before the crash.
    CREATE UNLOGGED TABLE hawk_nonces (
      ts bigint NOT NULL,
      client_id text NOT NULL,
      nonce text NOT NULL,
      PRIMARY KEY (ts, client_id, nonce)
    );
  `,
};
