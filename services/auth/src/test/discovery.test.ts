// test-tier: unit
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { ProviderDirectory } from '../domain/identity/discovery.js';
import { verifyIdToken } from '../domain/identity/id-token.js';

// A provider's discovery document and keys on loopback, changeable by each test.
let server: Server;
let issuer: string;
let document: Record<string, unknown> = {};
let keys: JWK[] = [];
let jwksFetches = 0;

before(async () => {
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/jwks') {
      jwksFetches += 1;
      res.end(JSON.stringify({ keys }));
    } else if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify(document));
    } else {
      res.writeHead(404).end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const documentFor = (overrides: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/auth`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  ...overrides,
});

async function signingKey(kid: string): Promise<{ key: CryptoKey; jwk: JWK }> {
  const pair = await generateKeyPair('ES256');
  return { key: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256' } };
}

const token = (key: CryptoKey, kid: string) => {
  const t = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, aud: 'c', sub: 'alice', iat: t, exp: t + 600 })
    .setProtectedHeader({ alg: 'ES256', kid })
    .sign(key);
};

test('discovery must name the configured issuer, and endpoints https or loopback', async () => {
  document = documentFor({ issuer: 'https://someone-else.example' });
  await assert.rejects(new ProviderDirectory().metadata('corp', issuer), {
    code: 'ServiceUnavailable',
    message: /names another issuer/,
  });
  document = documentFor({ token_endpoint: 'http://tokens.example.com/token' });
  await assert.rejects(new ProviderDirectory().metadata('corp', issuer), /token_endpoint/);
  document = documentFor();
  const metadata = await new ProviderDirectory().metadata('corp', issuer);
  assert.equal(metadata.tokenEndpoint, `${issuer}/token`);
  assert.equal(metadata.deviceAuthorizationEndpoint, undefined);
});

test("a rotated key is fetched when a token names it; the old key's tokens then fail", async () => {
  document = documentFor();
  const first = await signingKey('k1');
  keys = [first.jwk];
  const directory = new ProviderDirectory(Date.now, { cooldownMs: 0, cacheMaxAgeMs: 600_000 });
  const { keys: keySet } = await directory.metadata('corp', issuer);
  const expect = { issuer, clientId: 'c', otherAudiences: [], keys: keySet, now: new Date() };
  await verifyIdToken(await token(first.key, 'k1'), expect);
  const fetchesBefore = jwksFetches;
  await verifyIdToken(await token(first.key, 'k1'), expect);
  assert.equal(jwksFetches, fetchesBefore, 'known keys come from the cache');

  const second = await signingKey('k2');
  keys = [second.jwk];
  await verifyIdToken(await token(second.key, 'k2'), expect);
  assert.equal(jwksFetches, fetchesBefore + 1, 'the unknown key id made it fetch once');
  await assert.rejects(verifyIdToken(await token(first.key, 'k1'), expect), /refused/);
});
