// test-tier: unit
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { IdTokenRefused, verifyIdToken } from '../domain/identity/id-token.js';
import { loginGrant } from '../domain/identity/login-grant.js';
import { settingsFromInput } from '../domain/identity/provider-settings.js';

// A provider's published keys on loopback, fetched by jose exactly as in production.
let server: Server;
let issuer: string;
let providerKey: CryptoKey;
const kid = 'provider-key-1';
const clientId = 'bulwark-client';
const clientSecret = 'the-client-secret-known-to-bulwark';
const nonce = 'nonce-sent-with-the-request';

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  providerKey = pair.privateKey;
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const now = (): Date => new Date();
const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  const t = seconds(now());
  return {
    iss: issuer,
    aud: clientId,
    sub: 'alice',
    iat: t,
    exp: t + 3600,
    nonce,
    groups: ['builders'],
    ...overrides,
  };
}

const sign = (payload: JWTPayload, key: CryptoKey | Uint8Array = providerKey, alg = 'RS256') =>
  new SignJWT(payload).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);

const expectations = () => ({
  issuer,
  clientId,
  otherAudiences: [],
  nonce,
  keys: createRemoteJWKSet(new URL(`${issuer}/jwks`)),
  now: now(),
});

const settings = () =>
  settingsFromInput(
    { description: 't', issuer, clientId, groupsClaim: 'groups', maxSessionSeconds: 8 * 3600 },
    'corp',
  );

/**
 * The control, switched off: the same token decoded without verification goes through
 * the very claim mapping a verified one does, and would have signed in as alice.
 */
function wouldHavePassedUnverified(token: string): void {
  const grant = loginGrant('corp', settings(), decodeJwt(token), now());
  assert.equal(grant.identity, 'login:corp/alice');
}

async function refused(token: string, reason: RegExp): Promise<void> {
  await assert.rejects(verifyIdToken(token, expectations()), (err: unknown) => {
    assert.ok(err instanceof IdTokenRefused, String(err));
    assert.match(err.message, reason);
    assert.ok(!err.message.includes(token), 'the token is never part of the message');
    return true;
  });
}

test('a token signed by the provider, for us, fresh, with our nonce, verifies', async () => {
  const verified = await verifyIdToken(await sign(claims()), expectations());
  assert.equal(verified.sub, 'alice');
  const grant = loginGrant('corp', settings(), verified, now());
  assert.deepEqual(grant.scopes, ['assume:login:corp/alice', 'assume:login-group:corp/builders']);
});

test('S4: an ID token with a forged signature is refused', async () => {
  const { privateKey: attackerKey } = await generateKeyPair('RS256');
  const forged = await sign(claims(), attackerKey);
  await refused(forged, /signature does not verify/);
  wouldHavePassedUnverified(forged);
});

test('S4: an ID token with alg none is refused', async () => {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
  await refused(unsigned, /algorithm is not accepted|malformed/);
  wouldHavePassedUnverified(unsigned);
});

test('S4: an ID token "signed" HS256 with the client secret is refused', async () => {
  const hs = await sign(claims(), new TextEncoder().encode(clientSecret), 'HS256');
  await refused(hs, /algorithm is not accepted/);
  wouldHavePassedUnverified(hs);
});

test('S4: an ID token from another issuer is refused', async () => {
  const other = await sign(claims({ iss: 'https://other-issuer.example' }));
  await refused(other, /iss claim/);
  wouldHavePassedUnverified(other);
});

test('S4: an ID token for another audience is refused, alone or beside ours', async () => {
  const otherAud = await sign(claims({ aud: 'another-client' }));
  await refused(otherAud, /aud claim/);
  wouldHavePassedUnverified(otherAud);
  const both = await sign(claims({ aud: [clientId, 'another-client'], azp: clientId }));
  await refused(both, /audience not accepted/);
  const noAzp = await sign(claims({ aud: [clientId, 'another-client'] }));
  await assert.rejects(
    verifyIdToken(noAzp, { ...expectations(), otherAudiences: ['another-client'] }),
    /azp/,
  );
  const accepted = await sign(claims({ aud: [clientId, 'another-client'], azp: clientId }));
  await verifyIdToken(accepted, { ...expectations(), otherAudiences: ['another-client'] });
});

test('S4: an expired ID token is refused, as is one issued long ago or in the future', async () => {
  const t = seconds(now());
  const expired = await sign(claims({ iat: t - 7200, exp: t - 3600 }));
  await refused(expired, /expired/);
  const old = await sign(claims({ iat: t - 3600, exp: t + 3600 }));
  await refused(old, /iat claim/);
  const future = await sign(claims({ iat: t + 3600, exp: t + 7200 }));
  await refused(future, /future|iat claim/);
});

test('S4: an ID token with another nonce, or none, is refused (a replayed token)', async () => {
  const wrong = await sign(claims({ nonce: 'nonce-of-another-sign-in' }));
  await refused(wrong, /nonce/);
  wouldHavePassedUnverified(wrong);
  const none = await sign(claims({ nonce: undefined }));
  await refused(none, /nonce/);
});

test('credentials never outlive the ID token, the authentication, or the maximum', () => {
  const t = now();
  const s = seconds(t);
  const short = loginGrant('corp', settings(), claims({ exp: s + 600 }), t);
  assert.equal(short.expires.getTime(), (s + 600) * 1000);
  const long = loginGrant('corp', settings(), claims({ exp: s + 30 * 86400 }), t);
  assert.equal(long.expires.getTime(), t.getTime() + 8 * 3600 * 1000);
  const authTime = loginGrant(
    'corp',
    settings(),
    claims({ exp: s + 30 * 86400, auth_time: s - 7 * 3600 }),
    t,
  );
  assert.equal(authTime.expires.getTime(), (s + 3600) * 1000);
  assert.throws(
    () => loginGrant('corp', settings(), claims({ exp: s + 86400, auth_time: s - 9 * 3600 }), t),
    /already ended/,
  );
});

test('subjects that cannot name an identity are refused; odd groups are left out', () => {
  const t = now();
  for (const sub of ['a/b', '', 'x'.repeat(129), 'caf\u00e9']) {
    assert.throws(() => loginGrant('corp', settings(), claims({ sub }), t), /names the user/);
  }
  const grant = loginGrant('corp', settings(), claims({ groups: ['ok', 'tab\there', 7, 'ok'] }), t);
  assert.deepEqual(grant.groups, ['ok']);
});
