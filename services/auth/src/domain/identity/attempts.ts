import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError, inputError } from '@bulwark/api';
import { queries } from '@bulwark/db';
import type { AuthContext } from '../context.js';

/**
 * The pieces of a sign-in attempt. The state (and the device flow's request handle) is
 * 32 random bytes the caller holds; the database keeps only its SHA-256. The caller
 * also proves at the finish that it is the one that started: it sent the SHA-256 of a
 * secret of its own (`finishChallenge`, as PKCE's S256) and shows the secret
 * (`finishVerifier`), so a code and state seen on their way (browser history, a
 * referrer, another local program watching the loopback port) are worth nothing alone.
 */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const stateHash = (state: string): string =>
  createHash('sha256').update(state).digest('hex');

export const s256 = (verifier: string): string =>
  createHash('sha256').update(verifier).digest('base64url');

/** RFC 7636's verifier alphabet and length; the challenge is its S256. */
export const VERIFIER_PATTERN = '^[A-Za-z0-9._~-]{43,128}$';
export const CHALLENGE_PATTERN = '^[A-Za-z0-9_-]{43}$';

/** Refuses a finish whose verifier is not the one whose challenge started the attempt. */
export function checkFinishVerifier(challenge: string, verifier: string): void {
  const expected = Buffer.from(challenge);
  const given = Buffer.from(s256(verifier));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new ApiError(
      'AuthenticationFailed',
      'finishVerifier does not match the finishChallenge this sign-in started with',
    );
  }
}

export const unknownAttempt = (): ApiError =>
  inputError(
    'no such sign-in in progress: it is unknown, already finished, or expired; start again',
  );

export const expiredAttempt = (): ApiError =>
  new ApiError('ResourceExpired', 'this sign-in expired before it was finished; start again');

/** The secrets of an attempt, sealed together under `signin:<state hash>`. */
export interface AttemptSecrets {
  nonce?: string;
  codeVerifier?: string;
  deviceCode?: string;
}

/** Loopback redirect URIs of native applications (RFC 8252, sections 7.3 and 8.3). */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\]):[0-9]{1,5}\/[A-Za-z0-9._~\/-]*$/;

/**
 * The redirect URI a sign-in may send the code to: one of the provider's configured
 * UI callbacks exactly, or a loopback address of this machine's CLI with any port. The
 * provider checks it against its own registration too; Bulwark never relies on that.
 */
export function checkRedirectUri(uri: string, configured: readonly string[]): void {
  if (configured.includes(uri) || LOOPBACK_REDIRECT.test(uri)) return;
  throw inputError(
    "redirectUri must be one of the provider's configured redirectUris, or a loopback " +
      'address http://127.0.0.1:<port>/<path>',
  );
}

/**
 * Sign-ins start without credentials, so their number in progress is bounded per
 * provider: beyond it, starts are refused with 429 until attempts finish or expire
 * (ten minutes), and the table and the provider's device endpoint stay bounded.
 */
export const MAX_ATTEMPTS_IN_PROGRESS = 10_000;

export async function refuseWhenTooMany(ctx: AuthContext, provider: string): Promise<void> {
  const live = await queries.identity.countLiveAttempts(
    ctx.pool,
    provider,
    ctx.now(),
    MAX_ATTEMPTS_IN_PROGRESS,
  );
  if (live >= MAX_ATTEMPTS_IN_PROGRESS) {
    throw new ApiError(
      'TooManyRequests',
      `too many sign-ins in progress with ${provider}; try again in a few minutes`,
    );
  }
}
