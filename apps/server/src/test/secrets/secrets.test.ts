import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { chainAllPendingAudit, queries } from '@bulwark/db';
import {
  assertLogsClean,
  createClient,
  inOneDay,
  rootSecrets,
  secretHistory,
  secretName,
  secretValue,
  secretsWithScopes,
  startTestPlatform,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let root: any;
before(async () => {
  platform = await startTestPlatform();
  root = rootSecrets(platform);
});
after(() => platform.close());

test('set, get, list and remove a secret whose name contains slashes', async () => {
  const name = secretName(platform, 'project/<id>/deploy/key');
  const value = secretValue(platform, { unicode: 'h\u00e9llo \u2603', empty: {}, n: 1.5 });
  const expires = inOneDay();
  assert.deepEqual(await root.set(name, { secret: value, expires }), {});

  const read = await root.get(name);
  assert.deepEqual(read, { secret: value, expires: expires.toJSON() });

  const { secrets } = await root.list();
  assert.ok(secrets.includes(name));

  assert.deepEqual(await root.remove(name), {});
  await assert.rejects(root.get(name), { statusCode: 404, code: 'ResourceNotFound' });
  assert.ok(!(await root.list()).secrets.includes(name));
});

test('the client sends the slashes of a name as %2F', async () => {
  const name = secretName(platform, 'a/<id>/b');
  const url: string = root.buildUrl(root.get, name);
  assert.ok(url.endsWith(`/api/secrets/v1/secret/a%2F${name.split('/')[1]}%2Fb`), url);
});

test('set replaces the value and the expiry', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  const second = secretValue(platform);
  const later = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
  await root.set(name, { secret: second, expires: later });
  assert.deepEqual(await root.get(name), { secret: second, expires: later.toJSON() });
});

test('remove succeeds whether or not the secret exists', async () => {
  const name = secretName(platform);
  assert.deepEqual(await root.remove(name), {});
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  assert.deepEqual(await root.remove(name), {});
  assert.deepEqual(await root.remove(name), {});
});

test('get of a secret that never existed is 404 ResourceNotFound', async () => {
  await assert.rejects(root.get(secretName(platform)), {
    statusCode: 404,
    code: 'ResourceNotFound',
  });
});

test('list pages through names with continuationToken and limit', async () => {
  const names = Array.from({ length: 7 }, (_, i) => secretName(platform, `page/${i}/<id>`));
  for (const name of names) {
    await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  }
  const seen: string[] = [];
  let continuationToken: string | undefined;
  let pages = 0;
  do {
    const query: Record<string, unknown> = { limit: 3 };
    if (continuationToken) query.continuationToken = continuationToken;
    const page = await root.list(query);
    assert.ok(page.secrets.length <= 3);
    seen.push(...page.secrets);
    continuationToken = page.continuationToken;
    pages += 1;
  } while (continuationToken);
  for (const name of names) assert.ok(seen.includes(name), name);
  assert.deepEqual(seen, [...seen].sort(), 'byte order');
  assert.equal(new Set(seen).size, seen.length, 'no name twice');
  assert.equal(pages, Math.ceil(seen.length / 3), 'no empty last page');
});

test('list refuses a continuationToken it did not issue', async () => {
  await assert.rejects(root.list({ continuationToken: 'AA' }), {
    statusCode: 400,
    code: 'InvalidRequestArguments',
  });
});

test('permanent credentials: each endpoint needs its own scope', async () => {
  const name = secretName(platform, 'team/<id>/api');
  const value = secretValue(platform);
  const writerCreds = await createClient(platform, 'secrets-writer', [`secrets:set:team/*`]);
  const readerCreds = await createClient(platform, 'secrets-reader', [`secrets:get:${name}`]);
  const listerCreds = await createClient(platform, 'secrets-lister', ['secrets:list-secrets']);
  const as = (credentials: object): any =>
    new taskcluster.Secrets({ rootUrl: platform.rootUrl, credentials, retries: 0 });
  const writer = as(writerCreds);
  const reader = as(readerCreds);
  const lister = as(listerCreds);

  await writer.set(name, { secret: value, expires: inOneDay() });
  assert.deepEqual((await reader.get(name)).secret, value);
  assert.ok((await lister.list()).secrets.includes(name));

  const denied = { statusCode: 403, code: 'InsufficientScopes' };
  await assert.rejects(writer.get(name), denied);
  await assert.rejects(writer.list(), denied);
  await assert.rejects(reader.set(name, { secret: {}, expires: inOneDay() }), denied);
  await assert.rejects(reader.remove(name), denied);
  await assert.rejects(reader.list(), denied);
  await assert.rejects(lister.get(name), denied);
  await assert.rejects(writer.set('other/thing', { secret: {}, expires: inOneDay() }), denied);

  await writer.remove(name);
  await assert.rejects(reader.get(name), { statusCode: 404 });
});

test('temporary credentials: scopes from the certificate, denial outside them', async () => {
  const name = secretName(platform, 'ci/<id>/signing');
  const value = secretValue(platform);
  const prefix = name.slice(0, name.lastIndexOf('/'));
  const rw = secretsWithScopes(platform, [`secrets:set:${prefix}/*`, `secrets:get:${prefix}/*`]);
  await rw.set(name, { secret: value, expires: inOneDay() });
  assert.deepEqual((await rw.get(name)).secret, value);
  await assert.rejects(rw.list(), { statusCode: 403, code: 'InsufficientScopes' });

  const readOnly = secretsWithScopes(platform, [`secrets:get:${name}`]);
  assert.deepEqual((await readOnly.get(name)).secret, value);
  await assert.rejects(readOnly.remove(name), { statusCode: 403, code: 'InsufficientScopes' });
  await assert.rejects(readOnly.get(`${name}x`), { statusCode: 403 });

  const lister = secretsWithScopes(platform, ['secrets:list-secrets']);
  assert.ok((await lister.list()).secrets.includes(name));

  await rw.remove(name);
  await assert.rejects(readOnly.get(name), { statusCode: 404 });
});

test('authorizedScopes narrows a powerful client to one secret', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  const narrowed = new taskcluster.Secrets({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
    authorizedScopes: [`secrets:get:${name}`],
    retries: 0,
  });
  assert.ok(await narrowed.get(name));
  await assert.rejects(narrowed.set(name, { secret: {}, expires: inOneDay() }), {
    statusCode: 403,
  });
});

test('anonymous callers and bad signatures are refused', async () => {
  const name = secretName(platform);
  await root.set(name, { secret: secretValue(platform), expires: inOneDay() });
  const anonymous = new taskcluster.Secrets({ rootUrl: platform.rootUrl, retries: 0 });
  await assert.rejects(anonymous.get(name), { statusCode: 403, code: 'InsufficientScopes' });
  await assert.rejects(anonymous.list(), { statusCode: 403 });
  const forged = new taskcluster.Secrets({
    rootUrl: platform.rootUrl,
    credentials: { clientId: platform.root.clientId, accessToken: 'not-the-token' },
    retries: 0,
  });
  await assert.rejects(forged.get(name), { statusCode: 401, code: 'AuthenticationFailed' });
});

test('S14: set, get and remove are audited with the caller; values never are', async () => {
  const name = secretName(platform);
  const value = secretValue(platform);
  const creds = await createClient(platform, 'secrets-auditee', [`secrets:*`]);
  const client = new taskcluster.Secrets({
    rootUrl: platform.rootUrl,
    credentials: creds,
    retries: 0,
  });
  const expires = inOneDay();
  await client.set(name, { secret: value, expires });
  await client.set(name, { secret: value, expires });
  await client.get(name);
  await client.remove(name);
  await client.remove(name);
  await assert.rejects(client.get(name), { statusCode: 404 });

  const history = await secretHistory(platform, name);
  assert.deepEqual(
    history.map((h) => [h.action, h.clientId]),
    [
      ['created', 'secrets-auditee'],
      ['updated', 'secrets-auditee'],
      ['read', 'secrets-auditee'],
      ['deleted', 'secrets-auditee'],
    ],
  );
  assert.deepEqual(history[0]!.details, { expires: expires.toJSON() });
  assert.ok(!JSON.stringify(history).includes(value.token as string), 'no value in the audit');
  await chainAllPendingAudit(platform.db.pool);
  assert.equal((await queries.audit.verifyAuditChain(platform.db.pool)).ok, true, 'chain holds');
});

test('S1: error bodies show the value as (OMITTED)', async () => {
  const name = secretName(platform);
  const value = secretValue(platform);
  const res = await fetch(`${platform.rootUrl}/api/secrets/v1/secret/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret: value, expires: 'not a date' }),
  });
  const text = await res.text();
  assert.equal(res.status, 400);
  assert.equal(JSON.parse(text).requestInfo.payload.secret, '(OMITTED)');
  assert.ok(!text.includes(value.token as string));
});

test('the API reference lists the four endpoints with their scopes, beside the standard ones', async () => {
  const res = await fetch(`${platform.rootUrl}/api/secrets/v1/reference`);
  const reference = (await res.json()) as { entries: { name: string; scopes?: unknown }[] };
  const scopes = Object.fromEntries(reference.entries.map((e) => [e.name, e.scopes]));
  assert.deepEqual(scopes, {
    ping: undefined,
    lbheartbeat: undefined,
    heartbeat: undefined,
    version: undefined,
    set: 'secrets:set:<name>',
    remove: 'secrets:set:<name>',
    get: 'secrets:get:<name>',
    list: 'secrets:list-secrets',
  });
});

test('S1: no secret name or value appears in any log line of this file', () => {
  assertLogsClean(platform);
});
