import { strict as assert } from 'node:assert';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
let rootAuth: any;
const secrets: string[] = [];

before(async () => {
  platform = await startTestPlatform();
  secrets.push(platform.root.accessToken);
  rootAuth = new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: { clientId: platform.root.clientId, accessToken: platform.root.accessToken },
    retries: 0,
  });
});
after(() => platform.close());

function signedGet(
  path: string,
  key = platform.root.accessToken,
): { url: string; authorization: string } {
  const url = `${platform.rootUrl}${path}`;
  const { header } = hawk.client.header(url, 'GET', {
    credentials: { id: platform.root.clientId, key, algorithm: 'sha256' },
  });
  return { url, authorization: header };
}

test('S13: a captured request replayed verbatim is rejected', async () => {
  const { url, authorization } = signedGet('/api/auth/v1/scopes/current');
  const first = await fetch(url, { headers: { authorization } });
  assert.equal(first.status, 200);
  const replay = await fetch(url, { headers: { authorization } });
  assert.equal(replay.status, 401);
  const body = (await replay.json()) as { code: string; message: string };
  assert.equal(body.code, 'AuthenticationFailed');
  assert.match(body.message, /replay/);
});

test('S13: a request signed outside the clock-skew window is rejected', async () => {
  const url = `${platform.rootUrl}/api/auth/v1/scopes/current`;
  const { header } = hawk.client.header(url, 'GET', {
    credentials: {
      id: platform.root.clientId,
      key: platform.root.accessToken,
      algorithm: 'sha256',
    },
    timestamp: Math.floor(Date.now() / 1000) - 10 * 60,
  });
  const res = await fetch(url, { headers: { authorization: header } });
  assert.equal(res.status, 401);
});

test('S13: a request signed for another host or port does not verify', async () => {
  const { authorization } = signedGet('/api/auth/v1/scopes/current');
  const res = await fetch(`${platform.rootUrl}/api/auth/v1/scopes/current`, {
    headers: { authorization, 'x-forwarded-port': '443' },
  });
  assert.equal(res.status, 401);
});

test('S13: an Authorization header and a bewit together are refused', async () => {
  const signed: string = rootAuth.buildSignedUrl(rootAuth.currentScopes, { expiration: 60 });
  const { authorization } = signedGet('/api/auth/v1/scopes/current');
  const res = await fetch(signed, { headers: { authorization } });
  assert.equal(res.status, 401);
});

// Replays across restarts and replicas: replay.test.ts.

test('S4: making a request as another client without its token fails', async () => {
  await rootAuth.createClient('victim', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  const { accessToken } = await rootAuth.createClient('attacker', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['auth:current-scopes'],
  });
  secrets.push(accessToken);
  // Attacker signs with its own key but claims the victim's id.
  const url = `${platform.rootUrl}/api/auth/v1/scopes/current`;
  const { header } = hawk.client.header(url, 'GET', {
    credentials: { id: 'victim', key: accessToken, algorithm: 'sha256' },
  });
  assert.equal((await fetch(url, { headers: { authorization: header } })).status, 401);
});

test('S4: a temporary credential cannot issue another (no nested certificates)', async () => {
  const first = taskcluster.createTemporaryCredentials({
    expiry: inOneHour(),
    scopes: ['auth:current-scopes'],
    credentials: { clientId: platform.root.clientId, accessToken: platform.root.accessToken },
  });
  // Sign a second certificate with the temporary token, claiming the root as issuer.
  const nested = taskcluster.createTemporaryCredentials({
    expiry: inOneHour(),
    scopes: ['*'],
    credentials: { clientId: platform.root.clientId, accessToken: first.accessToken },
  });
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials: nested, retries: 0 });
  await assert.rejects(auth.currentScopes(), { statusCode: 401 });
});

test('malformed Authorization headers and bewits are 401, never 5xx', async () => {
  const url = `${platform.rootUrl}/api/auth/v1/scopes/current`;
  for (const authorization of [
    'Hawk',
    'Hawk id="x"',
    'Basic abc',
    'Hawk id="a", ts="x", nonce="n", mac="m"',
    'Hawk ' + 'x'.repeat(5000),
  ]) {
    const res = await fetch(url, { headers: { authorization } });
    assert.ok(
      res.status === 401 || res.status === 400,
      `${authorization.slice(0, 30)} -> ${res.status}`,
    );
  }
  for (const bewit of [
    '!!',
    'abc',
    Buffer.from('a\\b\\c').toString('base64url'),
    Buffer.from('root\\99999999999\\mac\\notbase64').toString('base64url'),
  ]) {
    const res = await fetch(`${url}?bewit=${bewit}`);
    assert.equal(res.status, 401, bewit);
  }
});

test('S11: the root credentials file is 0600', async () => {
  const mode = (await stat(join(platform.dataDir, 'root-credentials.json'))).mode & 0o777;
  assert.equal(mode, 0o600);
});

test('S11: access tokens are stored sealed, never in clear', async () => {
  const { rows } = await platform.auth.context.pool.query<{ t: string }>(
    'SELECT sealed_access_token::text AS t FROM clients',
  );
  assert.ok(rows.length >= 3);
  for (const secret of secrets) {
    for (const row of rows) assert.ok(!row.t.includes(secret));
  }
});

test('S1: no token, signature or Authorization header appears in any log line', async () => {
  // Generate some failing and succeeding traffic first.
  await rootAuth.listClients();
  await new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: {
      clientId: 'attacker',
      accessToken: 'wrong-token-wrong-token-wrong-token-wrong1',
    },
    retries: 0,
  })
    .currentScopes()
    .catch(() => undefined);
  assert.ok(platform.logLines.length > 10);
  for (const line of platform.logLines) {
    for (const secret of secrets) assert.ok(!line.includes(secret), 'token in a log line');
    assert.ok(!/Hawk id=/.test(line), 'Authorization header in a log line');
    assert.ok(!/mac=/.test(line), 'MAC in a log line');
  }
  const access = platform.logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
  assert.ok(
    access.some(
      (l) =>
        l.clientId === platform.root.clientId && l.status === 200 && l.endpoint === 'listClients',
    ),
  );
});
