import type { Migration } from '../migrate.js';

/**
 * Seen Hawk nonces become crash-safe (S13). As an UNLOGGED table, hawk_nonces was
 * emptied by every crash recovery (a PostgreSQL process killed by the OOM killer,
 * an immediate shutdown, the embedded server killed with its control plane) and
 * never reached a standby, so after any of these a request captured in the last
 * minutes could be replayed once more. Logged, a recorded nonce is on disk before
 * the request it belongs to is answered, and it follows the cluster to its standbys.
 * The table holds minutes of traffic, so the rewrite this takes is short.
 */
export const durableNonces: Migration = {
  version: 11,
  name: 'durable-nonces',
  up: `
    ALTER TABLE hawk_nonces SET LOGGED;
  `,
};
