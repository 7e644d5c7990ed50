import type { Migration } from '../migrate.js';

export const artifactTables: Migration = {
  version: 5,
  name: 'artifacts',
  up: 'SELECT 1',
};
