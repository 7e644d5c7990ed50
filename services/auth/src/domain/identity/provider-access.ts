import { ApiError, notFound } from '@bulwark/api';
import { queries } from '@bulwark/db';
import type { AuthContext } from '../context.js';
import type { ProviderMetadata } from './discovery.js';
import { verifyIdToken, IdTokenRefused } from './id-token.js';
import { auditRefusal, type SigninFlow } from './login-session.js';
import type { ProviderRefusal } from './provider-http.js';
import { basicCredentials, providerJson } from './provider-http.js';
import { settingsFromRow, type ProviderSettings } from './provider-settings.js';
import type { JWTPayload } from 'jose';

/** A configured provider, ready to talk to: settings, secret opened, metadata discovered. */
export interface ProviderHandle {
  name: string;
  settings: ProviderSettings;
  metadata: ProviderMetadata;
  /** `client_secret_basic` credentials of the control plane at the provider. */
  basic: string;
}

export async function openProvider(ctx: AuthContext, name: string): Promise<ProviderHandle> {
  const row = await queries.identity.getProvider(ctx.pool, name);
  if (!row) throw notFound(`Identity provider ${name}`);
  const settings = settingsFromRow(row);
  const secret = ctx.keyring.openString(row.sealedClientSecret, `identity-provider:${name}`);
  const metadata = await ctx.identityProviders.metadata(name, settings.issuer);
  return { name, settings, metadata, basic: basicCredentials(settings.clientId, secret) };
}

/**
 * Asks the provider's token endpoint for tokens and verifies the ID token it answers.
 * Provider refusals, tokens that do not verify and a missing ID token are audited and
 * answered as 4xx; the provider's tokens themselves go nowhere (only the verified claims
 * leave this function).
 */
export async function redeem(
  ctx: AuthContext,
  provider: ProviderHandle,
  flow: SigninFlow,
  form: Record<string, string>,
  nonce: string | undefined,
): Promise<JWTPayload> {
  const answer = await providerJson(provider.name, provider.metadata.tokenEndpoint, {
    method: 'POST',
    form,
    basic: provider.basic,
  });
  if (typeof answer.id_token !== 'string') {
    await auditRefusal(ctx, provider.name, flow, 'the provider answered no ID token');
    throw new ApiError(
      'AuthenticationFailed',
      'the identity provider answered no ID token (is `openid` among its scopes?)',
    );
  }
  try {
    return await verifyIdToken(answer.id_token, {
      issuer: provider.settings.issuer,
      clientId: provider.settings.clientId,
      otherAudiences: provider.settings.audiences,
      ...(nonce !== undefined && { nonce }),
      keys: provider.metadata.keys,
      now: ctx.now(),
    });
  } catch (err) {
    if (!(err instanceof IdTokenRefused)) throw err;
    await auditRefusal(ctx, provider.name, flow, err.message);
    throw new ApiError('AuthenticationFailed', err.message);
  }
}

/** A provider's refusal of a code or device code, audited, as a 400 saying which. */
export async function refusedByProvider(
  ctx: AuthContext,
  provider: string,
  flow: SigninFlow,
  err: ProviderRefusal,
): Promise<ApiError> {
  await auditRefusal(ctx, provider, flow, err.message);
  return new ApiError('InputError', err.message);
}
