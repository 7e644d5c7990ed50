import type { Migration } from '../migrate.js';

/**
 * Audit entries wait here, committed with the change they record, until a chainer
 * links them into audit_log. Before this, every audited transaction took the chain's
 * lock and held it through its remaining round trips and its commit, so all audited
 * changes of the platform ran one at a time; now a writer only inserts, and one
 * chainer at a time (an advisory lock) moves committed entries into the chain in
 * batches. Entries are never changed here, only moved.
 */
export const auditPending: Migration = {
  version: 9,
  name: 'audit-pending',
  up: `
    CREATE TABLE audit_pending (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL,
      entity_type text NOT NULL,
      entity_id text NOT NULL,
      action text NOT NULL,
      client_id text NOT NULL,
      details jsonb NOT NULL
    );
    CREATE FUNCTION audit_pending_forbid_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit entries are never changed'; END $$;
    CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
      FOR EACH ROW EXECUTE FUNCTION audit_pending_forbid_update();
  `,
};
