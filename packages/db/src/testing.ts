import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { withDatabase } from './connection-string.js';
import { createPool } from './pool.js';

/** A private, migrated database for one test; drop() removes it. */
export interface TestDatabase {
  readonly connectionString: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/** Set by scripts/test.mjs: the test cluster's admin connection and the migrated template. */
const ADMIN_URL_VARIABLE = 'BULWARK_TEST_DATABASE_URL';
const TEMPLATE_VARIABLE = 'BULWARK_TEST_TEMPLATE';
const TEMPLATE_BUSY_RETRY_MS = 5_000;

let adminPool: pg.Pool | undefined;
let databaseCounter = 0;

function testEnvironment(): { adminUrl: string; template: string } {
  const adminUrl = process.env[ADMIN_URL_VARIABLE];
  const template = process.env[TEMPLATE_VARIABLE];
  if (!adminUrl || !template) {
    throw new Error(
      `${ADMIN_URL_VARIABLE} and ${TEMPLATE_VARIABLE} are not set: run the tests through ` +
        '`npm test` (optionally `npm test -- <path filter>`), which starts the test ' +
        'database server and prepares the migrated template',
    );
  }
  return { adminUrl, template };
}

function admin(adminUrl: string): pg.Pool {
  // allowExitOnIdle: a test file's process must be able to exit without closing it.
  adminPool ??= createPool(adminUrl, {
    max: 2,
    applicationName: 'bulwark-test-admin',
    allowExitOnIdle: true,
  });
  return adminPool;
}

export interface TestDatabaseOptions {
  /** A database without Bulwark's schema (not even schema_migrations), for migration tests. */
  empty?: boolean;
}

/**
 * Creates a database from the migrated template: cheap (a file copy on the server),
 * and isolated, so tests in parallel processes never see each other's rows.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const environment = testEnvironment();
  const { adminUrl } = environment;
  // template0 is PostgreSQL's pristine database, never connected to.
  const template = options.empty ? 'template0' : environment.template;
  const name = `bulwark_test_${process.pid}_${++databaseCounter}_${randomBytes(4).toString('hex')}`;
  await createFromTemplate(admin(adminUrl), name, template);
  const connectionString = withDatabase(adminUrl, name);
  let dropped: Promise<void> | undefined;
  const pool = createPool(connectionString, {
    max: 5,
    applicationName: 'bulwark-test',
    allowExitOnIdle: true,
    // pool.end() does not wait for the server to close the connections, so DROP
    // ... WITH (FORCE) may terminate some: expected then, worth a warning before.
    onIdleClientError: (err) => {
      if (!dropped) process.emitWarning(`idle test database connection failed: ${err.message}`);
    },
  });
  const drop = (): Promise<void> =>
    (dropped ??= (async () => {
      await pool.end();
      await admin(adminUrl).query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    })());
  return { connectionString, pool, drop };
}

async function createFromTemplate(pool: pg.Pool, name: string, template: string): Promise<void> {
  const deadline = Date.now() + TEMPLATE_BUSY_RETRY_MS;
  for (;;) {
    try {
      await pool.query(`CREATE DATABASE ${name} TEMPLATE ${quoteIdentifier(template)}`);
      return;
    } catch (err) {
      // 55006: "source database is being accessed by other users", e.g. a
      // connection to the template that is just closing.
      if ((err as { code?: unknown }).code !== '55006' || Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
