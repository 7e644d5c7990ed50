import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  assertNothingLeaked,
  beginCodeSignIn,
  codeSignIn,
  currentScopes,
  finishPair,
  PROVIDER,
  startIdentityHarness,
  UI_CALLBACK,
  type IdentityHarness,
} from './harness.js';

let h: IdentityHarness;
before(async () => {
  h = await startIdentityHarness();
  const root = await h.auth(h.root);
  const role = (roleId: string, scopes: string[]) =>
    root.createRole(roleId, { description: 'test', scopes });
  await role('login:corp/alice', ['auth:current-scopes', 'secrets:get:alice/*']);
  await role('login-group:corp/builders', ['queue:create-task:highest:builders/*']);
  await role('login-group:corp/admins', ['auth:*']);
});
after(() => h.stop());

test('S4: a sign-in yields exactly the scopes of the identity’s and its groups’ roles', async () => {
  h.idp.setGroups('alice', ['builders']);
  const signedIn = await codeSignIn(h, 'alice');
  assert.equal(signedIn.identity, 'login:corp/alice');
  assert.match(signedIn.credentials.clientId, /^login:corp\/alice\/[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(signedIn.roles, ['login:corp/alice', 'login-group:corp/builders']);
  assert.deepEqual(
    (await currentScopes(h, signedIn.credentials)).sort(),
    [
      'assume:anonymous',
      'assume:login-group:corp/builders',
      'assume:login:corp/alice',
      'auth:current-scopes',
      'queue:create-task:highest:builders/*',
      'secrets:get:alice/*',
    ].sort(),
  );
  // Never beyond the configured maximum (12 hours by default) nor the ID token (1 hour).
  const expires = new Date(signedIn.expires).getTime();
  assert.ok(expires <= Date.now() + 3600 * 1000 + 60_000, signedIn.expires);
});

test('S14: the sign-in is audited with its identity and the roles that applied', async () => {
  const root = await h.auth(h.root);
  const history = (await root.getEntityHistory('login', 'login:corp/alice')) as {
    auditHistory: { action: string; details: Record<string, unknown>; clientId: string }[];
  };
  const signedIn = history.auditHistory.find((e) => e.action === 'signed in');
  assert.ok(signedIn, JSON.stringify(history));
  assert.equal(signedIn.details.provider, 'corp');
  assert.deepEqual(signedIn.details.roles, ['login:corp/alice', 'login-group:corp/builders']);
  assert.ok((signedIn.details.scopes as string[]).includes('secrets:get:alice/*'));
});

test('a group removed at the provider takes effect at the next sign-in', async () => {
  h.idp.setGroups('alice', ['builders', 'admins']);
  const before = await codeSignIn(h, 'alice');
  assert.ok((await currentScopes(h, before.credentials)).includes('auth:*'));
  h.idp.setGroups('alice', ['builders']);
  const afterRemoval = await codeSignIn(h, 'alice');
  assert.deepEqual(afterRemoval.groups, ['builders']);
  assert.ok(!(await currentScopes(h, afterRemoval.credentials)).includes('auth:*'));
});

test('S13: a state, and the code with it, finishes one sign-in only', async () => {
  const { state, code, verifier } = await beginCodeSignIn(h, 'alice');
  const finish = () => h.post('/signin/finish', { state, code, finishVerifier: verifier });
  const [first, second] = await Promise.all([finish(), finish()]);
  assert.deepEqual([first.status, second.status].sort(), [200, 400]);
  // Refused by Bulwark itself, before the provider is asked (which would refuse too).
  const loser = first.status === 400 ? first : second;
  assert.match(loser.body.message, /no such sign-in in progress/);
  const replay = await finish();
  assert.equal(replay.status, 400);
  assert.equal(replay.body.code, 'InputError');
  assert.match(replay.body.message, /no such sign-in in progress/);
  // The used code under a fresh state: the provider refuses it, and so does Bulwark.
  const fresh = finishPair();
  const started = await h.post(`/signin/${PROVIDER}/start`, {
    redirectUri: 'http://127.0.0.1:9/callback',
    finishChallenge: fresh.challenge,
  });
  h.sensitive.add(started.body.state);
  const reused = await h.post('/signin/finish', {
    state: started.body.state,
    code,
    finishVerifier: fresh.verifier,
  });
  assert.equal(reused.status, 400, JSON.stringify(reused.body));
  assert.match(reused.body.message, /invalid_grant/);
  // S14: the refusal is audited on the provider, with its reason and no code.
  const root = await h.auth(h.root);
  const history = (await root.getEntityHistory('identity-provider', PROVIDER)) as {
    auditHistory: { action: string; details: { reason?: string; flow?: string } }[];
  };
  const refusal = history.auditHistory.find((e) => e.action === 'sign-in refused');
  assert.ok(refusal, JSON.stringify(history));
  assert.equal(refusal.details.flow, 'code');
  assert.match(refusal.details.reason ?? '', /invalid_grant/);
});

test('S13: a code and state without the finishVerifier are worth nothing', async () => {
  const { state, code } = await beginCodeSignIn(h, 'alice');
  const other = finishPair();
  const stolen = await h.post('/signin/finish', { state, code, finishVerifier: other.verifier });
  assert.equal(stolen.status, 401);
  assert.equal(stolen.body.code, 'AuthenticationFailed');
  // The attempt is gone with the failed try: no second guess.
  const again = await h.post('/signin/finish', { state, code, finishVerifier: other.verifier });
  assert.equal(again.status, 400);
});

test('redirect URIs: configured UI callbacks and loopback only', async () => {
  const { challenge } = finishPair();
  for (const redirectUri of [
    'https://attacker.example/callback',
    'http://127.0.0.1.attacker.example/callback',
    'http://localhost:8000/callback',
    `${UI_CALLBACK}?x=1`,
  ]) {
    const answer = await h.post(`/signin/${PROVIDER}/start`, {
      redirectUri,
      finishChallenge: challenge,
    });
    assert.equal(answer.status, 400, redirectUri);
  }
  const ui = await h.post(`/signin/${PROVIDER}/start`, {
    redirectUri: UI_CALLBACK,
    finishChallenge: challenge,
  });
  assert.equal(ui.status, 200);
  h.sensitive.add(ui.body.state);
  const url = new URL(ui.body.authorizationUrl);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(url.searchParams.get('nonce'));
  const unknown = await h.post('/signin/nobody/start', {
    redirectUri: UI_CALLBACK,
    finishChallenge: challenge,
  });
  assert.equal(unknown.status, 404);
});

test('sign-out ends the credentials at once; revokeLogins ends every session', async () => {
  const signedIn = await codeSignIn(h, 'alice');
  const auth = await h.auth(signedIn.credentials);
  await auth.currentScopes();
  const out = (await auth.signOut()) as { signedOut: boolean };
  assert.equal(out.signedOut, true);
  await assert.rejects(auth.currentScopes(), { statusCode: 401 });

  const one = await codeSignIn(h, 'alice');
  const two = await codeSignIn(h, 'alice');
  const root = await h.auth(h.root);
  const revoked = (await root.revokeLogins(PROVIDER, 'alice')) as { revoked: number };
  assert.ok(revoked.revoked >= 2);
  for (const s of [one, two]) {
    await assert.rejects((await h.auth(s.credentials)).currentScopes(), { statusCode: 401 });
  }
  // Sign-out is for sign-in credentials only.
  await assert.rejects(root.signOut(), { statusCode: 400 });
});

test('S10: bad provider settings are 400s; an unreachable provider is a 503 naming it', async () => {
  const root = await h.auth(h.root);
  const settings = (issuer: string) => ({
    description: 'x',
    issuer,
    clientId: 'c',
    clientSecret: 's',
  });
  for (const issuer of ['http://idp.example.com', 'ftp://127.0.0.1/x', 'https://u:p@idp.example']) {
    await assert.rejects(root.createIdentityProvider('bad', settings(issuer)), {
      statusCode: 400,
    });
  }
  await assert.rejects(root.createIdentityProvider('Bad_Name', settings('https://idp.example')), {
    statusCode: 400,
  });
  // Port 1 on loopback: nothing listens there.
  await root.createIdentityProvider('down', settings('http://127.0.0.1:1'));
  const { challenge } = finishPair();
  const answer = await h.post('/signin/down/start', {
    redirectUri: 'http://127.0.0.1:9/callback',
    finishChallenge: challenge,
  });
  assert.equal(answer.status, 503, JSON.stringify(answer.body));
  assert.match(answer.body.message, /identity provider down/);
});

test('sign-ins in progress are bounded per provider: beyond 10,000, starts get 429', async () => {
  const root = await h.auth(h.root);
  await root.createIdentityProvider('busy', {
    description: 'x',
    issuer: h.idp.issuer,
    clientId: h.idp.clientId,
    clientSecret: h.idp.clientSecret,
  });
  const pool = h.platform.db.pool;
  await pool.query(
    `INSERT INTO signin_attempts (state_hash, provider, flow, finish_challenge, sealed_secrets,
       next_poll, expires, created)
     SELECT md5(i::text) || md5(i::text), 'busy', 'code', 'c', '{}', now(),
            now() + interval '10 minutes', now()
       FROM generate_series(1, 10000) i`,
  );
  const { challenge } = finishPair();
  const start = () =>
    h.post('/signin/busy/start', {
      redirectUri: 'http://127.0.0.1:9/callback',
      finishChallenge: challenge,
    });
  const refused = await start();
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'TooManyRequests');
  await pool.query(`DELETE FROM signin_attempts WHERE provider = 'busy'`);
  const accepted = await start();
  assert.equal(accepted.status, 200);
  h.sensitive.add(accepted.body.state);
});

test('deleting a provider ends every sign-in it gave, at once', async () => {
  const root = await h.auth(h.root);
  await root.createIdentityProvider('leaving', {
    description: 'a provider about to be removed',
    issuer: h.idp.issuer,
    clientId: h.idp.clientId,
    clientSecret: h.idp.clientSecret,
  });
  await root.createRole('login:leaving/alice', {
    description: 't',
    scopes: ['auth:current-scopes'],
  });
  const signedIn = await codeSignIn(h, 'alice', 'leaving');
  const auth = await h.auth(signedIn.credentials);
  await auth.currentScopes();
  await root.deleteIdentityProvider('leaving');
  await assert.rejects(auth.currentScopes(), { statusCode: 401 });
});

test('the provider list is public and names no secret; the provider answers no secret', async () => {
  const list = await fetch(`${h.rootUrl}/api/auth/v1/identity-providers/`);
  const body = await list.text();
  h.answers.push(body);
  const { providers } = JSON.parse(body) as { providers: Record<string, unknown>[] };
  assert.deepEqual(
    providers.find((p) => p.name === 'corp'),
    { name: 'corp', displayName: 'Corp SSO' },
  );
  const root = await h.auth(h.root);
  const provider = await root.identityProvider(PROVIDER);
  h.answers.push(JSON.stringify(provider));
  assert.equal(provider.clientSecretSet, true);
  assert.ok(!JSON.stringify(provider).includes(h.idp.clientSecret));
});

test('S1: no provider token, code, secret or access token in any log, audit entry or answer', async () => {
  await assertNothingLeaked(h);
});
