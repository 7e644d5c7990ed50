#!/usr/bin/env node
// `npm run db:snapshot`: migrates an empty database on a throwaway PostgreSQL server
// and writes packages/db/schema-snapshot.txt, the description of the schema that
// packages/db/src/migrations/schema-snapshot.test.ts holds every migrated database
// to. Run it after adding a migration, and review the file's diff with the migration.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SNAPSHOT = join(root, 'packages', 'db', 'schema-snapshot.txt');
const DATABASE = 'bulwark_schema_snapshot';

async function main() {
  const load = (path) => import(pathToFileURL(join(root, 'packages', 'db', 'dist', path)).href);
  const db = await load('index.js');
  const { describeSchema } = await load('schema-snapshot.js');
  const runDir = await mkdtemp(join(tmpdir(), 'bulwark-snapshot-'));
  let server;
  try {
    server = await db.startEmbeddedPostgres({ dataDir: join(runDir, 'db'), durable: false });
    const admin = db.createPool(server.connectionString, { max: 1 });
    try {
      await admin.query(`CREATE DATABASE ${DATABASE} TEMPLATE template0`);
    } finally {
      await admin.end();
    }
    const pool = db.createPool(db.withDatabase(server.connectionString, DATABASE), { max: 1 });
    try {
      await db.migrate(pool, db.migrations);
      await writeFile(SNAPSHOT, await describeSchema(pool));
    } finally {
      await pool.end();
    }
    console.log(`db:snapshot: wrote ${SNAPSHOT} (schema version ${db.migrations.length})`);
  } finally {
    await server?.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('db:snapshot:', err);
  process.exitCode = 1;
});
