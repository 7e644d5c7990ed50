import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { diffLines } from '../line-diff.js';
import { migrate } from '../migrate.js';
import { describeSchema } from '../schema-snapshot.js';
import { createTestDatabase, type TestDatabase } from '../testing.js';
import { migrations } from './index.js';

// From packages/db/dist/migrations/ to packages/db/schema-snapshot.txt.
const SNAPSHOT = new URL('../../schema-snapshot.txt', import.meta.url);

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ empty: true });
  await migrate(db.pool, migrations);
});
after(() => db.drop());

/** Fails with the changed lines, and the command that accepts them. */
function assertSameSchema(expected: string, actual: string): void {
  if (actual === expected) return;
  assert.fail(
    'the migrated schema differs from packages/db/schema-snapshot.txt ' +
      '(- snapshot, + migrated). If the change is intended, run `npm run db:snapshot` ' +
      `and commit the file with the migration:\n${diffLines(expected, actual)}`,
  );
}

test('an empty database migrated to the newest version matches the committed snapshot', async () => {
  assertSameSchema(await readFile(SNAPSHOT, 'utf8'), await describeSchema(db.pool));
});

test('the template every test database is copied from has that same schema', async () => {
  const copy = await createTestDatabase();
  try {
    assertSameSchema(await describeSchema(db.pool), await describeSchema(copy.pool));
  } finally {
    await copy.drop();
  }
});

test('a schema change shows as a failure naming the changed lines', async () => {
  const changed = await createTestDatabase({ empty: true });
  try {
    const extra = {
      version: migrations.length + 1,
      name: 'a change nobody snapshotted',
      up: `ALTER TABLE secrets ADD COLUMN note text;
           CREATE INDEX secrets_note_idx ON secrets (note);
           ALTER TABLE hawk_nonces SET UNLOGGED;`,
    };
    await migrate(changed.pool, [...migrations, extra]);
    const snapshot = await readFile(SNAPSHOT, 'utf8');
    assert.throws(
      () => assertSameSchema(snapshot, '') /* sanity: an empty description differs */,
      /npm run db:snapshot/,
    );
    const described = await describeSchema(changed.pool);
    assert.throws(
      () => assertSameSchema(snapshot, described),
      (err: Error) => {
        for (const line of [
          `+   ${migrations.length + 1} a change nobody snapshotted`,
          '- TABLE hawk_nonces',
          '+ TABLE hawk_nonces (UNLOGGED)',
          '+   note text',
          '+   CREATE INDEX secrets_note_idx ON public.secrets USING btree (note)',
        ]) {
          assert.ok(
            err.message.includes(`\n${line}\n`),
            `the diff shows "${line}":\n${err.message}`,
          );
        }
        return true;
      },
    );
  } finally {
    await changed.drop();
  }
});

test('diffLines shows removed, added and surrounding lines only', () => {
  const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].join('\n');
  const after = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i'].join('\n');
  assert.equal(
    diffLines(before, after, 1),
    ['@@ line 3', '  c', '- d', '+ D', '  e', '@@ line 8', '  h', '+ i'].join('\n'),
  );
  assert.equal(diffLines(before, before), '');
});
