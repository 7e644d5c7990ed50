import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { createPool } from '@bulwark/db';
import { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
import { ReplayGuard } from './replay-guard.js';

const SKEW = 300;
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

test('S13: a triple is accepted once; any other triple is new', async () => {
  const guard = new ReplayGuard(db.pool, SKEW);
  const ts = 1_800_000_000;
  assert.equal(await guard.firstUse('alice', ts, 'n1'), true);
  assert.equal(await guard.firstUse('alice', ts, 'n1'), false);
  assert.equal(await guard.firstUse('alice', ts, 'n1'), false);
  assert.equal(await guard.firstUse('bob', ts, 'n1'), true);
  assert.equal(await guard.firstUse('alice', ts + 1, 'n1'), true);
  assert.equal(await guard.firstUse('alice', ts, 'n2'), true);
  // Client ids and nonces are stored apart: they cannot be shifted into one another.
  assert.equal(await guard.firstUse('a:b', ts, 'c'), true);
  assert.equal(await guard.firstUse('a', ts, 'b:c'), true);
});

test('S13: a guard of another process, or of a restarted one, knows every triple', async () => {
  const ts = 1_800_000_100;
  assert.equal(await new ReplayGuard(db.pool, SKEW).firstUse('carol', ts, 'n'), true);
  // A new guard on its own connections holds nothing in memory: what it knows, it
  // reads from the database.
  const otherPool = createPool(db.connectionString, { max: 2, allowExitOnIdle: true });
  try {
    assert.equal(await new ReplayGuard(otherPool, SKEW).firstUse('carol', ts, 'n'), false);
  } finally {
    await otherPool.end();
  }
});

test('S13: replicas racing one triple: exactly one of them accepts it', async () => {
  const pools = [0, 1].map(() =>
    createPool(db.connectionString, { max: 4, allowExitOnIdle: true }),
  );
  try {
    const guards = pools.map((pool) => new ReplayGuard(pool, SKEW));
    for (let round = 0; round < 20; round++) {
      const attempts = await Promise.all(
        [0, 1, 2, 3].map((i) => guards[i % 2]!.firstUse('dave', 1_800_000_200, `race-${round}`)),
      );
      assert.equal(attempts.filter(Boolean).length, 1, `round ${round}: ${attempts.join(',')}`);
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
});

test('S13: requests recorded together: each triple accepted exactly once, repeats inside one statement included', async () => {
  const guard = new ReplayGuard(db.pool, SKEW);
  const ts = 1_800_000_300;
  // 300 requests at once, 100 distinct triples each sent three times: they go to the
  // database in a few statements, repeats of a triple inside the same one among them.
  const sent = Array.from({ length: 300 }, (_, i) => ({ client: `erin-${i % 100}`, nonce: 'n' }));
  const answers = await Promise.all(sent.map((r) => guard.firstUse(r.client, ts, r.nonce)));
  for (let triple = 0; triple < 100; triple++) {
    const accepted = answers.filter((ok, i) => ok && i % 100 === triple).length;
    assert.equal(accepted, 1, `triple ${triple} accepted ${accepted} times`);
  }
  // And afterwards every one of them is a replay, one at a time or together.
  assert.deepEqual(
    await Promise.all(sent.slice(0, 100).map((r) => guard.firstUse(r.client, ts, r.nonce))),
    new Array(100).fill(false),
  );
});

test('S13: a triple that cannot be recorded is never accepted', async () => {
  const pool = createPool(db.connectionString, { max: 1, allowExitOnIdle: true });
  const guard = new ReplayGuard(pool, SKEW);
  await pool.end();
  const attempts = await Promise.allSettled([
    guard.firstUse('frank', 1_800_000_400, 'a'),
    guard.firstUse('frank', 1_800_000_400, 'b'),
  ]);
  assert.deepEqual(
    attempts.map((a) => a.status),
    ['rejected', 'rejected'],
  );
});

test('S13: pruning forgets only triples older than twice the skew', async () => {
  const guard = new ReplayGuard(db.pool, SKEW);
  const now = 1_800_001_000;
  for (const ts of [now - 2 * SKEW - 1, now - 2 * SKEW, now - SKEW, now]) {
    assert.equal(await guard.firstUse('erin', ts, 'n'), true);
  }
  await guard.prune(now);
  // Kept: still acceptable by a process whose clock is up to one skew behind ours.
  assert.equal(await guard.firstUse('erin', now - 2 * SKEW, 'n'), false);
  assert.equal(await guard.firstUse('erin', now - SKEW, 'n'), false);
  assert.equal(await guard.firstUse('erin', now, 'n'), false);
  // Forgotten: no process within the allowed skew of ours can accept it any more.
  assert.equal(await guard.firstUse('erin', now - 2 * SKEW - 1, 'n'), true);
});
