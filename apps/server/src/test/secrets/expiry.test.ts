import { chainAllPendingAudit } from '@bulwark/db';
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sweepExpiredSecrets } from '@bulwark/secrets-service';
import {
  assertLogsClean,
  inOneDay,
  rootSecrets,
  secretHistory,
  secretName,
  secretValue,
  startTestPlatform,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let root: any;
before(async () => {
  // A fast sweep, so the background job itself is what deletes expired secrets here.
  platform = await startTestPlatform({ sweepIntervalMs: 250 });
  root = rootSecrets(platform);
});
after(() => platform.close());

const until = (instant: number): Promise<void> => sleep(Math.max(0, instant - Date.now()));

async function rowExists(name: string): Promise<boolean> {
  const { rows } = await platform.db.pool.query(`SELECT 1 FROM secrets WHERE name = $1`, [name]);
  return rows.length > 0;
}

test('S15: expiry is honoured to the second: readable before, 404 after, unlisted, swept and audited', async () => {
  const name = secretName(platform, 'short/<id>');
  const value = secretValue(platform);
  const expires = new Date(Date.now() + 2000);
  await root.set(name, { secret: value, expires });

  assert.deepEqual((await root.get(name)).secret, value);
  await until(expires.getTime() - 1000);
  assert.deepEqual((await root.get(name)).secret, value, 'readable one second before expiry');
  assert.ok((await root.list()).secrets.includes(name));

  await until(expires.getTime() + 20);
  await assert.rejects(root.get(name), { statusCode: 404, code: 'ResourceNotFound' });
  assert.ok(!(await root.list()).secrets.includes(name), 'gone from the list');

  // The background sweep deletes the row and records why.
  const deadline = Date.now() + 10_000;
  while ((await rowExists(name)) && Date.now() < deadline) await sleep(50);
  assert.equal(await rowExists(name), false, 'swept');
  const history = await secretHistory(platform, name);
  assert.deepEqual(
    history.map((h) => [h.action, h.clientId]),
    [
      ['created', platform.root.clientId],
      ['read', platform.root.clientId],
      ['read', platform.root.clientId],
      ['expired', 'system'],
    ],
  );
});

test('S15: a secret set with an expiry in the past is never readable', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: new Date(Date.now() - 1000) });
  await assert.rejects(root.get(name), { statusCode: 404 });
  assert.ok(!(await root.list()).secrets.includes(name));
});

test('S15: setting an expired secret again starts a new secret', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: new Date(Date.now() - 1000) });
  const fresh = secretValue(platform);
  await root.set(name, { secret: fresh, expires: inOneDay() });
  assert.deepEqual((await root.get(name)).secret, fresh);
  const actions = (await secretHistory(platform, name)).map((h) => h.action);
  // Whether the sweep got there in between or not, the second set created it.
  assert.ok(
    JSON.stringify(actions) === '["created","created","read"]' ||
      JSON.stringify(actions) === '["created","expired","created","read"]',
    JSON.stringify(actions),
  );
});

test('S15: sweeps running on several replicas at once delete and audit each secret once', async () => {
  const names = Array.from({ length: 30 }, () => secretName(platform, 'many/<id>'));
  // Written behind the API's back so that the background sweep cannot race the insert.
  await platform.db.pool.query(
    `INSERT INTO secrets (name, sealed_value, expires, created, last_modified)
     SELECT n, '{}', now() - interval '1 minute', now(), now() FROM unnest($1::text[]) AS n`,
    [names],
  );
  const ctx = platform.secrets.context;
  await Promise.all([sweepExpiredSecrets(ctx), sweepExpiredSecrets(ctx), sweepExpiredSecrets(ctx)]);
  for (const name of names) assert.equal(await rowExists(name), false);
  await chainAllPendingAudit(platform.db.pool);
  const { rows } = await platform.db.pool.query<{ entity_id: string; n: string }>(
    `SELECT entity_id, count(*) AS n FROM audit_log
      WHERE entity_type = 'secret' AND action = 'expired' AND entity_id = ANY($1)
      GROUP BY entity_id`,
    [names],
  );
  assert.equal(rows.length, names.length, 'every secret has an expired entry');
  assert.ok(
    rows.every((r) => r.n === '1'),
    'and only one',
  );
});

test('S1: no secret name or value appears in any log line of this file', () => {
  assertLogsClean(platform);
});
