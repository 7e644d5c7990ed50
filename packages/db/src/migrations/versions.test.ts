import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { migrate } from '../migrate.js';
import { createTestDatabase } from '../testing.js';
import { migrations } from './index.js';
import { steps } from './version-steps.js';

// Taskcluster's dbVersionTest, for Bulwark's migrations: see version-steps.ts.

test('every migration has a step here', () => {
  assert.deepEqual(
    steps.map((step) => step.version),
    migrations.map((migration) => migration.version),
    'add a step for the new migration: rows written at its version, checked at every later one',
  );
});

test('migrated one version at a time, every earlier row survives every later migration', async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    for (const step of steps) {
      const at = step.version;
      assert.deepEqual(await migrate(db.pool, migrations.slice(0, at)), { applied: [at] });
      for (const earlier of steps.slice(0, at - 1)) {
        await earlier.check(db.pool, at).catch((err: Error) => {
          err.message = `rows written at version ${earlier.version}, read at version ${at}: ${err.message}`;
          throw err;
        });
      }
      await db.pool.query(step.insert);
      await step.check(db.pool, at);
    }
  } finally {
    await db.drop();
  }
});
