import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, test } from 'node:test';
import { migrate, MigrationError, type Migration } from './migrate.js';
import { createPool } from './pool.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const synthetic: readonly Migration[] = [
  { version: 1, name: 'widgets', up: 'CREATE TABLE widgets (id int PRIMARY KEY, label text)' },
  {
    version: 2,
    name: 'widget log',
    // Many statements, and a side effect that would show a second application.
    up: `CREATE TABLE widget_log (entry text NOT NULL);
         INSERT INTO widget_log VALUES ('migration 2 ran');`,
  },
  { version: 3, name: 'widget color', up: 'ALTER TABLE widgets ADD COLUMN color text' },
];

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase({ empty: true });
});
afterEach(async () => {
  await db.drop();
});

async function appliedVersions(): Promise<number[]> {
  const { rows } = await db.pool.query<{ version: number }>(
    'SELECT version FROM schema_migrations ORDER BY version',
  );
  return rows.map((row) => row.version);
}

void test('applies migrations in order, then has nothing to do', async () => {
  assert.deepEqual(await migrate(db.pool, synthetic.slice(0, 2)), { applied: [1, 2] });
  assert.deepEqual(await migrate(db.pool, synthetic), { applied: [3] });
  assert.deepEqual(await migrate(db.pool, synthetic), { applied: [] });
  assert.deepEqual(await appliedVersions(), [1, 2, 3]);
  const { rows } = await db.pool.query('SELECT name, checksum, applied_at FROM schema_migrations');
  assert.equal(rows[0].name, 'widgets');
  assert.match(rows[0].checksum, /^[0-9a-f]{64}$/);
  assert.ok(rows[0].applied_at instanceof Date);
});

void test('two migrators at once apply each migration exactly once', async () => {
  const [a, b] = await Promise.all([migrate(db.pool, synthetic), migrate(db.pool, synthetic)]);
  // The advisory lock makes one wait for the other, which then finds nothing to do.
  assert.deepEqual([...a.applied, ...b.applied], [1, 2, 3]);
  assert.ok(a.applied.length === 0 || b.applied.length === 0);
  const { rows } = await db.pool.query('SELECT entry FROM widget_log');
  assert.equal(rows.length, 1);
  assert.deepEqual(await appliedVersions(), [1, 2, 3]);
});

void test('an edited migration that was already applied is refused', async () => {
  await migrate(db.pool, synthetic);
  const edited = synthetic.map((m) => (m.version === 2 ? { ...m, up: `${m.up} SELECT 1;` } : m));
  await assert.rejects(migrate(db.pool, edited), (err: Error) => {
    assert.ok(err instanceof MigrationError);
    assert.match(err.message, /migration 2 \(widget log\) differs.*immutable/);
    return true;
  });
});

void test('a gap or a misnumbered list is refused before the database is touched', async () => {
  const gap = [synthetic[0]!, synthetic[2]!];
  await assert.rejects(migrate(db.pool, gap), /found 3 \(widget color\) where 2 was expected/);
  await assert.rejects(migrate(db.pool, synthetic.slice(1)), /found 2 .* where 1 was expected/);
  const blank = [{ version: 1, name: 'blank', up: '  ' }];
  await assert.rejects(migrate(db.pool, blank), MigrationError);
  const { rows } = await db.pool.query("SELECT to_regclass('schema_migrations') AS t");
  assert.equal(rows[0].t, null, 'nothing was created');
});

void test('a database migrated by a newer release is left alone', async () => {
  await migrate(db.pool, synthetic);
  await assert.rejects(migrate(db.pool, synthetic.slice(0, 2)), (err: Error) => {
    assert.ok(err instanceof MigrationError);
    assert.match(err.message, /schema is at version 3, newer than this Bulwark knows \(2\)/);
    return true;
  });
  assert.deepEqual(await appliedVersions(), [1, 2, 3]);
});

void test('a failing migration is rolled back whole and not recorded', async () => {
  const broken: Migration = {
    version: 2,
    name: 'half done',
    up: 'CREATE TABLE half (id int); SELECT * FROM no_such_table;',
  };
  await assert.rejects(
    migrate(db.pool, [synthetic[0]!, broken]),
    /migration 2 \(half done\) failed/,
  );
  assert.deepEqual(await appliedVersions(), [1]);
  const { rows } = await db.pool.query("SELECT to_regclass('half') AS t");
  assert.equal(rows[0].t, null);
  // The lock went with the failed session: the next run is not blocked.
  assert.deepEqual(await migrate(db.pool, synthetic), { applied: [2, 3] });
});

void test('migrations may run longer than the pool statement timeout', async () => {
  const impatient = createPool(db.connectionString, { statementTimeoutMs: 100 });
  try {
    const slow: Migration = { version: 1, name: 'slow', up: 'SELECT pg_sleep(0.3)' };
    assert.deepEqual(await migrate(impatient, [slow]), { applied: [1] });
    // The connection went back to the pool with the pool's limit restored.
    const { rows } = await impatient.query('SHOW statement_timeout');
    assert.equal(rows[0].statement_timeout, '100ms');
  } finally {
    await impatient.end();
  }
});
