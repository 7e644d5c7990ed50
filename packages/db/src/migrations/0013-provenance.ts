import type { Migration } from '../migrate.js';

/**
 * The version of this migration, in one place: migrations are numbered contiguously
 * and the runner checks the numbering.
 */
export const PROVENANCE_MIGRATION_VERSION = 13;

/**
 * Provenance the control plane writes and signs for every completed task (S17,
 * docs/provenance.md).
 *
 * - provenance_keys holds the control plane's Ed25519 signing keys: the public key as
 *   served to verifiers, the private key sealed under the keyring (S11) and bound to
 *   its key id, so a sealed key copied to another row does not open. Exactly one key
 *   is current (retired IS NULL, held by a unique index, so two replicas generating
 *   the first key at once keep one); retired keys stay for verifiers.
 * - provenance_pending is the durable queue of provenance still to write: a trigger
 *   adds the task when one of its runs becomes completed (a quorum task: when its
 *   quorum is decided completed), inside the transaction that completes it, so a
 *   crash between completion and signing loses nothing. The writer
 *   deletes the row in the transaction that stores the provenance, so it is written
 *   exactly once. A trigger rather than a statement in each resolution path, as for the
 *   task events (0007): any path that completes a run, now or later, enqueues it.
 * - signing_keys holds the signing service's release keys (minisign, Ed25519), each
 *   with the policy a task's provenance must meet before the key signs its artifact;
 *   the private key sealed under the keyring, bound to the key's name.
 */
export const provenance: Migration = {
  version: PROVENANCE_MIGRATION_VERSION,
  name: 'provenance',
  up: `
    CREATE TABLE provenance_keys (
      key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{64}$'),
      public_key_pem text NOT NULL CHECK (length(public_key_pem) <= 1024),
      sealed_private_key jsonb NOT NULL,
      created timestamptz NOT NULL,
      retired timestamptz
    );
    CREATE UNIQUE INDEX provenance_keys_one_current ON provenance_keys ((true))
      WHERE retired IS NULL;

    CREATE TABLE provenance_pending (
      task_id text PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
      run_id smallint NOT NULL CHECK (run_id BETWEEN 0 AND 1000),
      enqueued timestamptz NOT NULL
    );
    CREATE INDEX provenance_pending_enqueued_idx ON provenance_pending (enqueued);

    CREATE FUNCTION enqueue_provenance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- A replica's completion is not the task's: a quorum task waits for its decision.
      IF EXISTS (SELECT 1 FROM tasks WHERE task_id = NEW.task_id AND verification IS NOT NULL)
      THEN
        RETURN NULL;
      END IF;
      INSERT INTO provenance_pending (task_id, run_id, enqueued)
        VALUES (NEW.task_id, NEW.run_id, now())
        ON CONFLICT (task_id) DO NOTHING;
      RETURN NULL;
    END
    $$;

    -- A quorum decided completed: every replica's latest run completed, so the task's
    -- latest run is one of them, where getLatestArtifact finds the provenance.
    CREATE FUNCTION enqueue_quorum_provenance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO provenance_pending (task_id, run_id, enqueued)
        SELECT NEW.task_id, max(run_id), now() FROM task_runs WHERE task_id = NEW.task_id
        ON CONFLICT (task_id) DO NOTHING;
      RETURN NULL;
    END
    $$;

    CREATE TABLE signing_keys (
      key_id text PRIMARY KEY CHECK (key_id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
      description text NOT NULL CHECK (length(description) <= 1000),
      minisign_key_id text NOT NULL UNIQUE CHECK (minisign_key_id ~ '^[0-9a-f]{16}$'),
      public_key text NOT NULL CHECK (length(public_key) <= 100),
      sealed_private_key jsonb NOT NULL,
      policy jsonb NOT NULL,
      created timestamptz NOT NULL
    );

    CREATE TRIGGER task_runs_enqueue_provenance AFTER UPDATE OF state ON task_runs
      FOR EACH ROW WHEN (NEW.state = 'completed' AND OLD.state IS DISTINCT FROM 'completed')
      EXECUTE FUNCTION enqueue_provenance();
    CREATE TRIGGER tasks_enqueue_quorum_provenance AFTER UPDATE OF quorum ON tasks
      FOR EACH ROW WHEN (OLD.quorum IS NULL AND NEW.quorum->>'state' = 'completed')
      EXECUTE FUNCTION enqueue_quorum_provenance();
  `,
};
