import { strict as assert } from 'node:assert';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

// taskcluster-client-web writes `"issuer": null` into the certificates of unnamed
// temporary credentials, and Taskcluster reads that as unnamed. These tests build such
// certificates byte for byte as that client does (its key order included) and try to
// turn the null into a way around the rules that hold for every other certificate.

let platform: TestPlatform;
let issuer: { clientId: string; accessToken: string };
const authAs = (credentials: object): any =>
  new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials, retries: 0 });

before(async () => {
  platform = await startTestPlatform();
  const rootAuth = authAs({
    clientId: platform.root.clientId,
    accessToken: platform.root.accessToken,
  });
  const created = await rootAuth.createClient('web-issuer', {
    description: 'signs in from a browser',
    expires: inOneHour(),
    scopes: ['auth:current-scopes', 'auth:create-client:web/*', 'work:*'],
  });
  issuer = { clientId: 'web-issuer', accessToken: created.accessToken };
});
after(() => platform.close());

interface Minted {
  /** The Hawk id the request is signed under. */
  hawkId: string;
  /** The key that signs the certificate and from which the request's key derives. */
  signingToken?: string;
  scopes?: string[];
  /** Fields written into the certificate after `signature` (as the browser client does). */
  extra?: Record<string, unknown>;
  /** The clientId and issuer lines, when the signature is made in the named form. */
  namedLines?: { clientId: string; issuer: string };
}

/** Credentials whose certificate is built and signed here, field by field. */
function mint(options: Minted): { clientId: string; accessToken: string; certificate: string } {
  const token = options.signingToken ?? issuer.accessToken;
  const scopes = options.scopes ?? ['auth:current-scopes'];
  const start = Date.now();
  const expiry = start + 60 * 60 * 1000;
  const seed = randomBytes(33).toString('base64url');
  const lines = ['version:1'];
  if (options.namedLines) {
    lines.push(`clientId:${options.namedLines.clientId}`, `issuer:${options.namedLines.issuer}`);
  }
  lines.push(`seed:${seed}`, `start:${start}`, `expiry:${expiry}`, 'scopes:', ...scopes);
  const signature = createHmac('sha256', token).update(lines.join('\n')).digest('base64');
  const cert = { version: 1, scopes, start, expiry, seed, signature, ...options.extra };
  return {
    clientId: options.hawkId,
    accessToken: createHmac('sha256', token).update(seed).digest('base64url'),
    certificate: JSON.stringify(cert),
  };
}

test('an unnamed certificate with "issuer": null authenticates as its issuer, with only its scopes', async () => {
  const creds = mint({
    hawkId: issuer.clientId,
    scopes: ['auth:current-scopes', 'work:build'],
    extra: { issuer: null },
  });
  assert.deepEqual((await authAs(creds).currentScopes()).scopes, [
    'assume:anonymous',
    'auth:current-scopes',
    'work:build',
  ]);
});

test('S4: "issuer": null cannot name the credentials: a named-form signature under another id fails', async () => {
  // Signed as named credentials web/x issued by web-issuer (which may create web/*), but
  // with the issuer blanked: the Hawk id is then the issuer, and no client web/x exists.
  const creds = mint({
    hawkId: 'web/x',
    extra: { issuer: null },
    namedLines: { clientId: 'web/x', issuer: issuer.clientId },
  });
  await assert.rejects(authAs(creds).currentScopes(), {
    statusCode: 401,
    code: 'AuthenticationFailed',
  });
});

test('S4: "issuer": null cannot borrow another client: signed with one key, presented as root', async () => {
  const creds = mint({ hawkId: platform.root.clientId, extra: { issuer: null } });
  await assert.rejects(authAs(creds).currentScopes(), { statusCode: 401 });
  // Nor in the named form, signed with the caller's own key.
  const named = mint({
    hawkId: platform.root.clientId,
    extra: { issuer: null },
    namedLines: { clientId: platform.root.clientId, issuer: issuer.clientId },
  });
  await assert.rejects(authAs(named).currentScopes(), { statusCode: 401 });
});

test('S4: "issuer": null does not lift the issuer limit on the certificate scopes', async () => {
  const creds = mint({
    hawkId: issuer.clientId,
    scopes: ['auth:current-scopes', 'secrets:get:*'],
    extra: { issuer: null },
  });
  await assert.rejects(authAs(creds).currentScopes(), { statusCode: 401 });
});

test('S4: "issuer": null with a clientId field in the certificate is refused', async () => {
  const creds = mint({
    hawkId: issuer.clientId,
    extra: { issuer: null, clientId: 'web/x' },
  });
  await assert.rejects(authAs(creds).currentScopes(), { statusCode: 401 });
});

test('S4: other empty issuers stay refused: "", false, 0, an object, an array', async () => {
  for (const blank of ['', false, 0, {}, []]) {
    const creds = mint({ hawkId: issuer.clientId, extra: { issuer: blank } });
    await assert.rejects(
      authAs(creds).currentScopes(),
      { statusCode: 401 },
      `issuer ${JSON.stringify(blank)} must be refused`,
    );
  }
});
