import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
let rootAuth: any;
let issuer: { clientId: string; accessToken: string };
const authAs = (credentials: object, extra: object = {}): any =>
  new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0, ...extra });

before(async () => {
  platform = await startTestPlatform();
  rootAuth = authAs({ clientId: platform.root.clientId, accessToken: platform.root.accessToken });
  const created = await rootAuth.createClient('issuer', {
    description: 'issues temporary credentials',
    expires: inOneHour(),
    scopes: ['auth:current-scopes', 'auth:create-client:temp/*', 'work:*', 'auth:list-clients'],
  });
  issuer = { clientId: 'issuer', accessToken: created.accessToken };
});
after(() => platform.close());

const temp = (options: object): any =>
  taskcluster.createTemporaryCredentials({
    start: new Date(),
    expiry: inOneHour(),
    credentials: issuer,
    ...options,
  });

test('unnamed temporary credentials carry the issuer id and only the certificate scopes', async () => {
  const creds = temp({ scopes: ['auth:current-scopes', 'work:build'] });
  assert.equal(creds.clientId, 'issuer');
  const { scopes } = await authAs(creds).currentScopes();
  // Taskcluster merges the anonymous role into every caller's scopes.
  assert.deepEqual(scopes, ['assume:anonymous', 'auth:current-scopes', 'work:build']);
  await assert.rejects(authAs(creds).listClients(), { statusCode: 403 });
});

test('named temporary credentials authenticate under their name', async () => {
  const creds = temp({ clientId: 'temp/job-1', scopes: ['auth:current-scopes'] });
  assert.equal(creds.clientId, 'temp/job-1');
  const { scopes } = await authAs(creds).currentScopes();
  assert.deepEqual(scopes, ['assume:anonymous', 'auth:current-scopes']);
});

test('S4: named temporary credentials need auth:create-client:<name> from the issuer', async () => {
  const creds = temp({ clientId: 'other/job', scopes: ['auth:current-scopes'] });
  await assert.rejects(authAs(creds).currentScopes(), {
    statusCode: 401,
    code: 'AuthenticationFailed',
  });
});

test('S4: temporary credentials cannot exceed their issuer', async () => {
  const creds = temp({ scopes: ['auth:current-scopes', 'secrets:get:*'] });
  await assert.rejects(authAs(creds).currentScopes(), { statusCode: 401 });
});

test('S4: a certificate may carry what the issuer holds through the anonymous role, and nothing beyond', async () => {
  // currentScopes reports the anonymous role's scopes too; `bulwark signin` mints from it.
  const { scopes } = await authAs(issuer).currentScopes();
  assert.ok(scopes.includes('assume:anonymous'));
  const creds = temp({ scopes });
  assert.deepEqual((await authAs(creds).currentScopes()).scopes, scopes);
  const wider = temp({ scopes: [...scopes, 'assume:not-anonymous'] });
  await assert.rejects(authAs(wider).currentScopes(), { statusCode: 401 });
});

test('S4: a tampered certificate fails (scopes widened after signing)', async () => {
  const creds = temp({ scopes: ['auth:current-scopes'] });
  const cert = JSON.parse(creds.certificate);
  cert.scopes.push('work:*');
  await assert.rejects(authAs({ ...creds, certificate: JSON.stringify(cert) }).currentScopes(), {
    statusCode: 401,
  });
});

test('S4: a forged certificate signed with a guessed key fails', async () => {
  const forged = taskcluster.createTemporaryCredentials({
    start: new Date(),
    expiry: inOneHour(),
    scopes: ['*'],
    credentials: { clientId: platform.root.clientId, accessToken: 'A'.repeat(44) },
  });
  await assert.rejects(authAs(forged).currentScopes(), { statusCode: 401 });
});

test('S4: issuer spoofing: naming a different issuer than the signer fails', async () => {
  // Signed with issuer's key but claiming the root client issued it.
  const creds = temp({ clientId: 'temp/spoof', scopes: ['auth:current-scopes'] });
  const cert = JSON.parse(creds.certificate);
  cert.issuer = platform.root.clientId;
  await assert.rejects(authAs({ ...creds, certificate: JSON.stringify(cert) }).currentScopes(), {
    statusCode: 401,
  });
  // And a certificate naming itself as issuer is refused outright.
  cert.issuer = 'temp/spoof';
  await assert.rejects(authAs({ ...creds, certificate: JSON.stringify(cert) }).currentScopes(), {
    statusCode: 401,
  });
});

test('expired temporary credentials fail, past the 5-minute tolerance', async () => {
  const creds = temp({
    start: new Date(Date.now() - 60 * 60 * 1000),
    expiry: new Date(Date.now() - 6 * 60 * 1000),
    scopes: ['auth:current-scopes'],
  });
  await assert.rejects(authAs(creds).currentScopes(), { statusCode: 401 });
});

test('certificates longer than 31 days are refused', async () => {
  const creds = temp({ scopes: ['auth:current-scopes'] });
  const cert = JSON.parse(creds.certificate);
  cert.expiry = cert.start + 32 * 24 * 60 * 60 * 1000;
  await assert.rejects(authAs({ ...creds, certificate: JSON.stringify(cert) }).currentScopes(), {
    statusCode: 401,
  });
});

test('authorizedScopes narrows a request and can never widen it', async () => {
  const narrowed = authAs(issuer, { authorizedScopes: ['auth:current-scopes', 'work:test'] });
  assert.deepEqual((await narrowed.currentScopes()).scopes, [
    'assume:anonymous',
    'auth:current-scopes',
    'work:test',
  ]);
  await assert.rejects(
    authAs(issuer, { authorizedScopes: ['auth:list-clients'] }).currentScopes(),
    {
      statusCode: 403,
    },
  );
  await assert.rejects(
    authAs(issuer, { authorizedScopes: ['auth:current-scopes', 'admin:*'] }).currentScopes(),
    {
      statusCode: 401,
    },
  );
  const tempNarrowed = authAs(temp({ scopes: ['auth:current-scopes', 'work:*'] }), {
    authorizedScopes: ['auth:current-scopes', 'work:a'],
  });
  assert.deepEqual((await tempNarrowed.currentScopes()).scopes, [
    'assume:anonymous',
    'auth:current-scopes',
    'work:a',
  ]);
});

test('a signed URL (bewit) works for GET until it expires, and not when tampered', async () => {
  const root = authAs({ clientId: platform.root.clientId, accessToken: platform.root.accessToken });
  const url: string = root.buildSignedUrl(root.client, 'issuer', { expiration: 60 });
  const ok = await fetch(url);
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { clientId: string }).clientId, 'issuer');

  const expired: string = root.buildSignedUrl(root.client, 'issuer', { expiration: -1 });
  assert.equal((await fetch(expired)).status, 401);

  const tampered = url.replace('/clients/issuer', '/clients/root');
  assert.equal((await fetch(tampered)).status, 401);
});

test('testAuthenticate verifies the fixed tester client', async () => {
  const tester = authAs({ clientId: 'tester', accessToken: 'no-secret' });
  const result = await tester.testAuthenticate({
    clientScopes: ['test:a', 'x'],
    requiredScopes: ['test:a'],
  });
  assert.equal(result.clientId, 'tester');
  assert.ok(result.scopes.includes('test:a'));
  await assert.rejects(
    tester.testAuthenticate({ clientScopes: ['x'], requiredScopes: ['test:a'] }),
    {
      statusCode: 403,
    },
  );
  assert.equal((await tester.testAuthenticateGet()).clientId, 'tester');
  await assert.rejects(
    authAs({ clientId: 'tester', accessToken: 'wrong' }).testAuthenticate({
      clientScopes: [],
      requiredScopes: [],
    }),
    { statusCode: 401 },
  );
});
