import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * One schema change. Versions are 1, 2, 3, ... with no gaps. A migration is
 * immutable once released: a fix is a new migration, never an edit, and editing one
 * makes `migrate` refuse to run (its checksum no longer matches the database).
 */
export interface Migration {
  version: number;
  name: string;
  /** SQL, possibly many statements; runs in one transaction (so no CONCURRENTLY). */
  up: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** Stable across releases, unlike the message (docs/errors.md, Internal errors). */
  readonly code = 'BULWARK_MIGRATION';
}

/**
 * Serializes migrators across all replicas. Advisory locks are per database, so
 * databases on one server (tests) do not wait for each other. Any constant works;
 * this one spells "BWMIGRAT".
 */
const MIGRATION_LOCK_KEY = '4780374506601595220';

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.up).digest('hex');
}

/** Rejects a malformed list before anything touches the database. */
export function validateMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const expected = index + 1;
    if (migration.version !== expected) {
      throw new MigrationError(
        `migration versions must be 1, 2, 3, ... without gaps: found ${migration.version} ` +
          `(${migration.name}) where ${expected} was expected`,
      );
    }
    if (migration.name.trim() === '' || migration.up.trim() === '') {
      throw new MigrationError(`migration ${migration.version} needs a name and SQL`);
    }
  });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the schema up to date, one transaction per migration. Safe when several
 * replicas start at once: a session-level advisory lock makes them take turns, and
 * whoever comes second finds nothing left to do.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[],
): Promise<{ applied: number[] }> {
  validateMigrations(migrations);
  const client = await pool.connect();
  let failed: Error | undefined;
  try {
    // Waiting for the lock and running a migration may both outlast the pool's limit.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<AppliedRow>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    checkAppliedMigrations(rows, migrations);

    const applied: number[] = [];
    for (const migration of migrations.slice(rows.length)) {
      await applyMigration(client, migration);
      applied.push(migration.version);
    }
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    return { applied };
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    // After a failure the session may still hold the lock or a changed setting: a
    // discarded connection releases everything; a good one goes back with its
    // statement_timeout restored.
    if (!failed) await client.query('RESET statement_timeout').catch((e: Error) => (failed = e));
    client.release(failed);
  }
}

/** The database must hold exactly a prefix of our list, unchanged. */
function checkAppliedMigrations(rows: AppliedRow[], migrations: readonly Migration[]): void {
  const newest = rows.at(-1)?.version ?? 0;
  if (newest > migrations.length) {
    throw new MigrationError(
      `the database schema is at version ${newest}, newer than this Bulwark knows ` +
        `(${migrations.length}): it was migrated by a newer release, and an older one ` +
        `must not touch it; upgrade this replica`,
    );
  }
  rows.forEach((row, index) => {
    const known = migrations[index];
    if (row.version !== index + 1 || !known) {
      throw new MigrationError(
        `schema_migrations lacks version ${index + 1}: the schema was changed outside migrate()`,
      );
    }
    if (row.checksum !== migrationChecksum(known)) {
      throw new MigrationError(
        `migration ${row.version} (${known.name}) differs from the one applied to the ` +
          `database; released migrations are immutable: restore it and add a new migration`,
      );
    }
  });
}

async function applyMigration(client: pg.PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    // Without parameters, pg uses the simple protocol, which accepts many statements.
    await client.query(migration.up);
    await client.query(
      'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
      [migration.version, migration.name, migrationChecksum(migration)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new MigrationError(
      `migration ${migration.version} (${migration.name}) failed: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
