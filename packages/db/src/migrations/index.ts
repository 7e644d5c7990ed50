import type { Migration } from '../migrate.js';
import { authTables } from './0001-auth.js';

/** Every migration, in version order; `migrate` checks the numbering. Never edit one that shipped. */
export const migrations: readonly Migration[] = [authTables];
