import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import taskcluster from 'taskcluster-client';
import type { RootCredentials } from '@bulwark/auth-service';
import { startTestPlatform, type TestPlatform } from '../../testing.js';
import {
  startTestIdentityProvider,
  TestBrowser,
  type TestIdentityProvider,
} from '../../testing-oidc.js';

export interface Credentials {
  clientId: string;
  accessToken: string;
  certificate?: string;
}

export interface SignedIn {
  provider: string;
  identity: string;
  credentials: Credentials;
  expires: string;
  groups: string[];
  roles: string[];
  scopes: string[];
}

type Method = (...args: unknown[]) => Promise<any>;
/** The auth endpoints these tests call, through taskcluster-client. */
export type AuthClient = Record<
  | 'createRole'
  | 'currentScopes'
  | 'getEntityHistory'
  | 'signOut'
  | 'revokeLogins'
  | 'identityProvider'
  | 'createIdentityProvider'
  | 'updateIdentityProvider'
  | 'deleteIdentityProvider',
  Method
>;

/** The platform, a real OpenID provider beside it, and the provider configured as `corp`. */
export interface IdentityHarness {
  platform: TestPlatform;
  rootUrl: string;
  root: RootCredentials;
  idp: TestIdentityProvider;
  /** Strings that may appear in no log line, audit entry or other answer (S1). */
  sensitive: Set<string>;
  /** Every body the API answered in these tests, as text. */
  answers: string[];
  /** An auth client (taskcluster-client, built from the served reference). */
  auth(credentials: Credentials): Promise<AuthClient>;
  /** POSTs JSON to `/api/auth/v1<path>` without credentials. */
  post(path: string, body: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export const PROVIDER = 'corp';
export const UI_CALLBACK = 'http://127.0.0.1/ui/callback';

export async function startIdentityHarness(): Promise<IdentityHarness> {
  const platform = await startTestPlatform({ logLevel: 'debug' });
  const idp = await startTestIdentityProvider();
  const rootUrl = platform.platform.rootUrl;
  const reference = await (await fetch(`${rootUrl}/api/auth/v1/reference`)).json();
  const AuthClass = taskcluster.createClient(reference);
  const sensitive = new Set<string>([idp.clientSecret]);
  const answers: string[] = [];
  const harness: IdentityHarness = {
    platform,
    rootUrl,
    root: platform.root,
    idp,
    sensitive,
    answers,
    async auth(credentials) {
      return new AuthClass({ rootUrl, credentials, retries: 0 }) as AuthClient;
    },
    async post(path, body) {
      const response = await fetch(`${rootUrl}/api/auth/v1${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      answers.push(withoutIssued(path, text));
      return { status: response.status, body: JSON.parse(text) };
    },
    async stop() {
      await platform.stop();
      await idp.stop();
    },
  };
  const root = await harness.auth(platform.root);
  await root.createIdentityProvider(PROVIDER, {
    description: 'the test organization',
    displayName: 'Corp SSO',
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    groupsClaim: 'groups',
    scopes: ['openid', 'groups'],
    redirectUris: [UI_CALLBACK],
  });
  return harness;
}

/**
 * An answer as the S1 check reads it: without the one value it exists to hand over
 * (a start's state and the URL carrying it, a device request's handle, a finish's access
 * token), so a value anywhere else is caught.
 */
function withoutIssued(path: string, text: string): string {
  const body = JSON.parse(text) as Record<string, unknown>;
  if (path.endsWith('/start')) {
    delete body.state;
    delete body.authorizationUrl;
  }
  if (path.endsWith('/device')) delete body.deviceRequest;
  if (typeof body.credentials === 'object' && body.credentials !== null) {
    delete (body.credentials as Record<string, unknown>).accessToken;
  }
  return `${path} ${JSON.stringify(body)}`;
}

/** A finishVerifier and its finishChallenge, as a UI or the CLI makes them. */
export function finishPair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A whole web sign-in as `user`: start, the browser at the provider, the callback's code. */
export async function beginCodeSignIn(
  h: IdentityHarness,
  user: string,
  provider = PROVIDER,
): Promise<{ state: string; code: string; verifier: string }> {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const { verifier, challenge } = finishPair();
  const started = await h.post(`/signin/${provider}/start`, {
    redirectUri,
    finishChallenge: challenge,
  });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const callback = await new TestBrowser().signInAs(
    started.body.authorizationUrl,
    user,
    redirectUri,
  );
  const code = callback.searchParams.get('code');
  const state = callback.searchParams.get('state');
  assert.ok(code && state, `no code in ${callback.href}`);
  assert.equal(state, started.body.state);
  for (const s of [code, state, verifier]) h.sensitive.add(s);
  return { state, code, verifier };
}

export async function codeSignIn(
  h: IdentityHarness,
  user: string,
  provider = PROVIDER,
): Promise<SignedIn> {
  const { state, code, verifier } = await beginCodeSignIn(h, user, provider);
  const finished = await h.post('/signin/finish', { state, code, finishVerifier: verifier });
  assert.equal(finished.status, 200, JSON.stringify(finished.body));
  const signedIn = finished.body as SignedIn;
  h.sensitive.add(signedIn.credentials.accessToken);
  return signedIn;
}

/** The credentials' effective scopes, as currentScopes answers them. */
export async function currentScopes(
  h: IdentityHarness,
  credentials: Credentials,
): Promise<string[]> {
  const auth = await h.auth(credentials);
  return ((await auth.currentScopes()) as { scopes: string[] }).scopes;
}

/**
 * S1: no provider token (ID token, access token, code, device code), client secret,
 * state, verifier or Bulwark access token appears in a log line, the audit log or an
 * answer (beyond the one value each answer hands over), and no JWT at all.
 */
export async function assertNothingLeaked(h: IdentityHarness): Promise<void> {
  const jwt = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;
  const audit = await h.platform.db.pool.query<{ text: string }>(
    `SELECT row_to_json(a)::text AS text FROM audit_log a
     UNION ALL SELECT row_to_json(p)::text FROM audit_pending p`,
  );
  const places: [string, string[]][] = [
    ['log', h.platform.logLines],
    ['audit', audit.rows.map((r) => r.text)],
    ['answers', h.answers],
  ];
  assert.ok(h.platform.logLines.length > 0, 'logs were captured');
  // The provider's access tokens, codes and device codes, as it issued them.
  assert.ok(h.idp.issuedTokens.size > 0, 'the provider issued tokens');
  for (const token of h.idp.issuedTokens) h.sensitive.add(token);
  for (const [where, lines] of places) {
    for (const line of lines) {
      assert.doesNotMatch(line, jwt, `a JWT in the ${where}`);
      for (const secret of h.sensitive) {
        assert.ok(
          !line.includes(secret),
          `${where} carries a sensitive string: ${line.slice(0, 200)}`,
        );
      }
    }
  }
}
