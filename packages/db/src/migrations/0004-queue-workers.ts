import type { Migration } from '../migrate.js';

export const queueWorkers: Migration = {
  version: 4,
  name: 'queue workers and quarantine',
  up: 'SELECT 1',
};
