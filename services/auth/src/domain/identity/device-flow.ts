import { ApiError, inputError } from '@bulwark/api';
import { queries } from '@bulwark/db';
import type { AuthContext } from '../context.js';
import {
  checkFinishVerifier,
  expiredAttempt,
  randomToken,
  refuseWhenTooMany,
  stateHash,
  unknownAttempt,
  type AttemptSecrets,
} from './attempts.js';
import { auditRefusal, issueLogin, type SignedIn } from './login-session.js';
import { providerJson, providerUnavailable, ProviderRefusal } from './provider-http.js';
import { openProvider, redeem, refusedByProvider } from './provider-access.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** Bounds on what a provider may ask for: a device code lives at most 30 minutes. */
const MAX_DEVICE_TTL_SECONDS = 30 * 60;
const MIN_INTERVAL = 1;
const MAX_INTERVAL = 60;

export interface StartedDeviceSignIn {
  deviceRequest: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  interval: number;
  expires: string;
}

export type DevicePoll =
  { status: 'pending'; interval: number } | ({ status: 'signed-in' } & SignedIn);

const clampInterval = (n: unknown, fallback: number): number =>
  typeof n === 'number' && Number.isFinite(n)
    ? Math.min(Math.max(Math.ceil(n), MIN_INTERVAL), MAX_INTERVAL)
    : fallback;

const isUrlOfProvider = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length > 2048) return false;
  try {
    return ['https:', 'http:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

/**
 * Starts the device authorization flow (RFC 8628) for a person without a browser at
 * hand: the control plane asks the provider's device endpoint, keeps the device code
 * sealed, and answers the user code and the address to enter it at. The caller polls
 * with the request handle answered here and the verifier of its finishChallenge.
 */
export async function startDeviceSignIn(
  ctx: AuthContext,
  name: string,
  input: { finishChallenge: string },
): Promise<StartedDeviceSignIn> {
  const provider = await openProvider(ctx, name);
  const endpoint = provider.metadata.deviceAuthorizationEndpoint;
  if (!endpoint) throw inputError(`identity provider ${name} offers no device authorization`);
  await refuseWhenTooMany(ctx, name);
  let answer: Record<string, unknown>;
  try {
    answer = await providerJson(name, endpoint, {
      method: 'POST',
      form: { client_id: provider.settings.clientId, scope: provider.settings.scopes.join(' ') },
      basic: provider.basic,
    });
  } catch (err) {
    if (err instanceof ProviderRefusal) throw await refusedByProvider(ctx, name, 'device', err);
    throw err;
  }
  const { device_code: deviceCode, user_code: userCode } = answer;
  if (
    typeof deviceCode !== 'string' ||
    deviceCode.length > 4096 ||
    typeof userCode !== 'string' ||
    !/^[\x20-\x7e]{1,64}$/.test(userCode) ||
    !isUrlOfProvider(answer.verification_uri)
  ) {
    throw providerUnavailable(name, 'its device authorization answer is incomplete');
  }
  const ttl = Math.min(
    typeof answer.expires_in === 'number' ? answer.expires_in : 600,
    MAX_DEVICE_TTL_SECONDS,
  );
  const interval = clampInterval(answer.interval, 5);
  const now = ctx.now();
  const expires = new Date(now.getTime() + ttl * 1000);
  const deviceRequest = randomToken();
  const hash = stateHash(deviceRequest);
  const secrets: AttemptSecrets = { deviceCode };
  await queries.identity.insertAttempt(ctx.pool, {
    stateHash: hash,
    provider: name,
    flow: 'device',
    redirectUri: null,
    finishChallenge: input.finishChallenge,
    sealedSecrets: ctx.keyring.seal(JSON.stringify(secrets), `signin:${hash}`),
    pollInterval: interval,
    nextPoll: now,
    expires,
    created: now,
  });
  return {
    deviceRequest,
    userCode,
    // As parsed: a URL's serialization has no control characters for a terminal to obey.
    verificationUri: new URL(answer.verification_uri).href,
    ...(isUrlOfProvider(answer.verification_uri_complete) && {
      verificationUriComplete: new URL(answer.verification_uri_complete).href,
    }),
    interval,
    expires: expires.toISOString(),
  };
}

/**
 * One poll of a device sign-in. Polls faster than the provider's interval are
 * answered `pending` without asking it, as are polls racing another; once the provider
 * answers tokens, the attempt is taken (deleted), so exactly one poll issues credentials.
 */
export async function pollDeviceSignIn(
  ctx: AuthContext,
  input: { deviceRequest: string; finishVerifier: string },
): Promise<DevicePoll> {
  const hash = stateHash(input.deviceRequest);
  const attempt = await queries.identity.getAttempt(ctx.pool, hash, 'device');
  if (!attempt) throw unknownAttempt();
  checkFinishVerifier(attempt.finishChallenge, input.finishVerifier);
  const now = ctx.now();
  if (attempt.expires.getTime() < now.getTime()) {
    await queries.identity.takeAttempt(ctx.pool, hash, 'device');
    throw expiredAttempt();
  }
  const interval = attempt.pollInterval;
  const next = (seconds: number): Date => new Date(now.getTime() + seconds * 1000);
  if (!(await queries.identity.claimPoll(ctx.pool, hash, now, next(interval), interval))) {
    return { status: 'pending', interval };
  }
  const secrets = JSON.parse(
    ctx.keyring.openString(attempt.sealedSecrets, `signin:${hash}`),
  ) as AttemptSecrets;
  const provider = await openProvider(ctx, attempt.provider);
  let claims;
  try {
    claims = await redeem(
      ctx,
      provider,
      'device',
      {
        grant_type: DEVICE_GRANT,
        device_code: secrets.deviceCode ?? '',
        client_id: provider.settings.clientId,
      },
      undefined,
    );
  } catch (err) {
    if (!(err instanceof ProviderRefusal)) {
      if (err instanceof ApiError && err.code === 'AuthenticationFailed') {
        await queries.identity.takeAttempt(ctx.pool, hash, 'device');
      }
      throw err;
    }
    if (err.error === 'authorization_pending') return { status: 'pending', interval };
    if (err.error === 'slow_down') {
      const slower = clampInterval(interval + 5, MAX_INTERVAL);
      await queries.identity.claimPoll(ctx.pool, hash, next(interval), next(slower), slower);
      return { status: 'pending', interval: slower };
    }
    await queries.identity.takeAttempt(ctx.pool, hash, 'device');
    throw await refusedByProvider(ctx, provider.name, 'device', err);
  }
  if (!(await queries.identity.takeAttempt(ctx.pool, hash, 'device'))) {
    await auditRefusal(ctx, provider.name, 'device', 'the sign-in was finished by another poll');
    throw unknownAttempt();
  }
  return {
    status: 'signed-in',
    ...(await issueLogin(ctx, provider.name, provider.settings, claims, 'device')),
  };
}
