import type { Migration } from '../migrate.js';

/**
 * A signing key can be disabled (decision D42): `disabled` is when, and `disabled_by` the
 * client that did it. A disabled key signs nothing again; its row stays, so its public key
 * is still served and what it signed before still verifies. Disabling is one-way: a key
 * that should sign again is a new key, under a new name.
 *
 * The migration's number is only here (`version`); the version step and the test refer
 * to it through this object.
 */
export const signingKeyDisable: Migration = {
  version: 15,
  name: 'signing-key-disable',
  up: `
    ALTER TABLE signing_keys
      ADD COLUMN disabled timestamptz,
      ADD COLUMN disabled_by text CHECK (length(disabled_by) <= 256),
      ADD CONSTRAINT signing_keys_disabled_with_who
        CHECK ((disabled IS NULL) = (disabled_by IS NULL));
  `,
};
