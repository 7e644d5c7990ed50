import type { Migration } from '../migrate.js';

/**
 * The secrets service's one table. Values are stored sealed (AES-256-GCM, see
 * @bulwark/crypto) with the name as associated data, never in clear (S11).
 *
 * Names use the "C" collation so that the primary key's order is byte order: list
 * pages are keyset-paginated on it, and every replica agrees on that order whatever
 * the server's locale. The CHECKs repeat the API's bounds so that no other writer
 * can store a name the API could never address.
 */
export const secretsTables: Migration = {
  version: 2,
  name: 'secrets table',
  up: `
    CREATE TABLE secrets (
      name text COLLATE "C" PRIMARY KEY
        CHECK (length(name) BETWEEN 1 AND 1024 AND name ~ '^[\\x20-\\x7e]+$'),
      sealed_value jsonb NOT NULL,
      expires timestamptz NOT NULL,
      created timestamptz NOT NULL,
      last_modified timestamptz NOT NULL
    );
    -- The expiry sweep and the "not expired" filter of reads both range over expires.
    CREATE INDEX secrets_expires_idx ON secrets (expires);
  `,
};
