import type { Migration } from '../migrate.js';

export const taskEvents: Migration = {
  version: 6,
  name: 'task state change notifications',
  up: 'SELECT 1',
};
