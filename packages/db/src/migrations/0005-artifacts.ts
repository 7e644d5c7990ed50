import type { Migration } from '../migrate.js';

/**
 * Artifacts and the blobs that hold their data.
 *
 * - blobs registers every content-addressed blob the store holds, by the sha256 the
 *   store computed. A blob row exists before any artifact points at it (foreign key),
 *   and the garbage collector only deletes rows no artifact references, so a blob in
 *   use cannot be collected.
 * - artifacts has one row per (task, run, name). Object and s3 artifacts carry their
 *   upload state beside them: the uploadId the queue chose, the hash of the one-time
 *   upload capability (never the capability itself), what the uploader announced, and
 *   once stored, the blob. `content_length` is what the store measured once the data
 *   is present; before that it is the uploader's informational claim.
 *   Rows go with their task (ON DELETE CASCADE) or on their own `expires`.
 */
export const artifactTables: Migration = {
  version: 5,
  name: 'artifacts',
  up: `
    CREATE TABLE blobs (
      sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size bigint NOT NULL CHECK (size >= 0),
      created timestamptz NOT NULL
    );

    CREATE TABLE artifacts (
      task_id text NOT NULL REFERENCES tasks (task_id) ON DELETE CASCADE,
      run_id smallint NOT NULL CHECK (run_id BETWEEN 0 AND 1000),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 1024),
      storage_type text NOT NULL
        CHECK (storage_type IN ('object', 's3', 'reference', 'link', 'error')),
      content_type text NOT NULL CHECK (length(content_type) <= 255),
      details jsonb NOT NULL,
      present boolean NOT NULL,
      expires timestamptz NOT NULL,
      content_length bigint CHECK (content_length >= 0),
      created timestamptz NOT NULL,
      upload_id text,
      upload_token_hash bytea UNIQUE,
      upload_token_expires timestamptz,
      upload_length bigint CHECK (upload_length >= 0),
      upload_sha256 text CHECK (upload_sha256 ~ '^[0-9a-f]{64}$'),
      upload_finished boolean NOT NULL DEFAULT false,
      blob_sha256 text REFERENCES blobs (sha256),
      PRIMARY KEY (task_id, run_id, name),
      -- Only artifacts whose data the queue stores have upload state or a blob.
      CHECK (storage_type IN ('object', 's3') OR
        (upload_id IS NULL AND upload_token_hash IS NULL AND blob_sha256 IS NULL)),
      -- Stored data is visible only once it is there.
      CHECK (NOT present OR storage_type NOT IN ('object', 's3') OR blob_sha256 IS NOT NULL),
      CHECK ((upload_token_hash IS NULL) = (upload_token_expires IS NULL))
    );
    CREATE INDEX artifacts_expires_idx ON artifacts (expires);
    -- The garbage collector asks, per blob, whether any artifact still points at it.
    CREATE INDEX artifacts_blob_idx ON artifacts (blob_sha256) WHERE blob_sha256 IS NOT NULL;
  `,
};
