import { queries } from '@bulwark/db';
import type { AuthContext } from '../context.js';
import {
  checkFinishVerifier,
  checkRedirectUri,
  expiredAttempt,
  randomToken,
  refuseWhenTooMany,
  s256,
  stateHash,
  unknownAttempt,
  type AttemptSecrets,
} from './attempts.js';
import { issueLogin, type SignedIn } from './login-session.js';
import { ProviderRefusal } from './provider-http.js';
import { openProvider, redeem, refusedByProvider } from './provider-access.js';

/** How long a user has between starting a sign-in and its finish. */
export const CODE_ATTEMPT_TTL_MS = 10 * 60 * 1000;

export interface StartedCodeSignIn {
  state: string;
  authorizationUrl: string;
  expires: string;
}

/**
 * Starts the authorization code flow with PKCE, the control plane being the
 * confidential client: keeps the state (hashed), the nonce and the PKCE verifier
 * (sealed) for ten minutes, and answers the provider's authorization URL.
 */
export async function startCodeSignIn(
  ctx: AuthContext,
  name: string,
  input: { redirectUri: string; finishChallenge: string },
): Promise<StartedCodeSignIn> {
  const provider = await openProvider(ctx, name);
  checkRedirectUri(input.redirectUri, provider.settings.redirectUris);
  await refuseWhenTooMany(ctx, name);
  const state = randomToken();
  const secrets: AttemptSecrets = { nonce: randomToken(), codeVerifier: randomToken(48) };
  const now = ctx.now();
  const expires = new Date(now.getTime() + CODE_ATTEMPT_TTL_MS);
  const hash = stateHash(state);
  await queries.identity.insertAttempt(ctx.pool, {
    stateHash: hash,
    provider: name,
    flow: 'code',
    redirectUri: input.redirectUri,
    finishChallenge: input.finishChallenge,
    sealedSecrets: ctx.keyring.seal(JSON.stringify(secrets), `signin:${hash}`),
    pollInterval: 0,
    nextPoll: now,
    expires,
    created: now,
  });
  const url = new URL(provider.metadata.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.settings.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('scope', provider.settings.scopes.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', secrets.nonce!);
  url.searchParams.set('code_challenge', s256(secrets.codeVerifier!));
  url.searchParams.set('code_challenge_method', 'S256');
  return { state, authorizationUrl: url.href, expires: expires.toISOString() };
}

/**
 * Finishes a sign-in from the state and code the provider sent to the redirect URI.
 * The attempt is taken (deleted) first, so a state, and the code with it, is used once
 * whatever happens next.
 */
export async function finishCodeSignIn(
  ctx: AuthContext,
  input: { state: string; code: string; finishVerifier: string },
): Promise<SignedIn> {
  const hash = stateHash(input.state);
  const attempt = await queries.identity.takeAttempt(ctx.pool, hash, 'code');
  if (!attempt) throw unknownAttempt();
  if (attempt.expires.getTime() < ctx.now().getTime()) throw expiredAttempt();
  checkFinishVerifier(attempt.finishChallenge, input.finishVerifier);
  const secrets = JSON.parse(
    ctx.keyring.openString(attempt.sealedSecrets, `signin:${hash}`),
  ) as AttemptSecrets;
  const provider = await openProvider(ctx, attempt.provider);
  let claims;
  try {
    claims = await redeem(
      ctx,
      provider,
      'code',
      {
        grant_type: 'authorization_code',
        code: input.code,
        redirect_uri: attempt.redirectUri ?? '',
        code_verifier: secrets.codeVerifier ?? '',
      },
      secrets.nonce ?? '',
    );
  } catch (err) {
    if (err instanceof ProviderRefusal) {
      throw await refusedByProvider(ctx, provider.name, 'code', err);
    }
    throw err;
  }
  return issueLogin(ctx, provider.name, provider.settings, claims, 'code');
}
