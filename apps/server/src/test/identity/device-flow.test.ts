import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { TestBrowser } from '../../testing-oidc.js';
import {
  assertNothingLeaked,
  currentScopes,
  finishPair,
  PROVIDER,
  startIdentityHarness,
  type IdentityHarness,
  type SignedIn,
} from './harness.js';

let h: IdentityHarness;
before(async () => {
  h = await startIdentityHarness();
  const root = await h.auth(h.root);
  await root.createRole('login:corp/bob', { description: 't', scopes: ['auth:current-scopes'] });
  await root.createRole('login-group:corp/ops', {
    description: 't',
    scopes: ['secrets:get:ops/*'],
  });
});
after(() => h.stop());

interface Started {
  deviceRequest: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  interval: number;
}

async function startDevice(): Promise<{ started: Started; verifier: string }> {
  const { verifier, challenge } = finishPair();
  const answer = await h.post(`/signin/${PROVIDER}/device`, { finishChallenge: challenge });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const started = answer.body as Started;
  h.sensitive.add(started.deviceRequest);
  h.sensitive.add(verifier);
  return { started, verifier };
}

const poll = (deviceRequest: string, finishVerifier: string) =>
  h.post('/signin/device/poll', { deviceRequest, finishVerifier });

test('device sign-in: pending until approved at the provider, then credentials once', async () => {
  h.idp.setGroups('bob', ['ops']);
  const { started, verifier } = await startDevice();
  assert.match(started.userCode, /\S/);
  assert.ok(started.verificationUri.startsWith(h.idp.issuer));
  const pending = await poll(started.deviceRequest, verifier);
  assert.equal(pending.status, 200, JSON.stringify(pending.body));
  assert.equal(pending.body.status, 'pending');
  // Polled again at once: answered pending without asking the provider (its interval).
  assert.equal((await poll(started.deviceRequest, verifier)).body.status, 'pending');

  await new TestBrowser().approveDevice(started.verificationUri, started.userCode, 'bob');
  let signedIn: SignedIn | undefined;
  // Bounded: the provider's interval is seconds; a minute is plenty.
  for (let i = 0; i < 60 && !signedIn; i++) {
    const answer = await poll(started.deviceRequest, verifier);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    if (answer.body.status === 'signed-in') signedIn = answer.body as SignedIn;
    else await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.ok(signedIn, 'the device sign-in finished');
  h.sensitive.add(signedIn.credentials.accessToken);
  assert.equal(signedIn.identity, 'login:corp/bob');
  assert.deepEqual(signedIn.groups, ['ops']);
  assert.deepEqual(
    (await currentScopes(h, signedIn.credentials)).sort(),
    [
      'assume:anonymous',
      'assume:login-group:corp/ops',
      'assume:login:corp/bob',
      'auth:current-scopes',
      'secrets:get:ops/*',
    ].sort(),
  );
  // S13: once finished, the request is gone.
  const again = await poll(started.deviceRequest, verifier);
  assert.equal(again.status, 400);
});

test('S13: a device request polled without its verifier is refused', async () => {
  const { started } = await startDevice();
  const other = finishPair();
  const answer = await poll(started.deviceRequest, other.verifier);
  assert.equal(answer.status, 401);
  assert.equal(answer.body.code, 'AuthenticationFailed');
});

test('S1: the device flow leaves no token, code or secret in logs, audit or answers', async () => {
  await assertNothingLeaked(h);
});
