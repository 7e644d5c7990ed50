import { randomBytes } from 'node:crypto';
import { ApiError, type FromJsonSchema } from '@bulwark/api';
import { issueTemporaryCredentials } from '@bulwark/crypto';
import { queries, withTransaction } from '@bulwark/db';
import type { JWTPayload } from 'jose';
import type { AuthContext } from '../context.js';
import { ensureStaticClient } from '../bootstrap.js';
import { loginClientId, loginGrant, LoginRefused, type LoginGrant } from './login-grant.js';
import type { ProviderSettings } from './provider-settings.js';
import type { signedInResponse } from '../../schemas/identity.js';

/** The deployment's client that signs login credentials; its token never leaves the server. */
export const LOGIN_ISSUER = 'static/bulwark/login';
const ISSUER_SCOPES = ['assume:login:*', 'assume:login-group:*', 'auth:create-client:login:*'];

export type SigninFlow = 'code' | 'device';

/** What a completed sign-in answers, as its response schema defines it. */
export type SignedIn = FromJsonSchema<typeof signedInResponse>;

/** Records a refused sign-in (S14): which provider, which flow, why; never a token. */
export async function auditRefusal(
  ctx: AuthContext,
  provider: string,
  flow: SigninFlow,
  reason: string,
): Promise<void> {
  await queries.audit.appendAudit(
    ctx.pool,
    {
      entityType: 'identity-provider',
      entityId: provider,
      action: 'sign-in refused',
      clientId: 'anonymous',
      details: { flow, reason },
    },
    ctx.now(),
  );
}

/**
 * Issues the credentials of a verified sign-in: named temporary credentials
 * `login:<provider>/<subject>/<session>` signed by LOGIN_ISSUER, whose scopes assume the
 * identity's role and one role per group, so what they may do is whatever those roles
 * grant at each request. The session row (for sign-out) and the audit entry commit
 * together, before the credentials are answered.
 */
export async function issueLogin(
  ctx: AuthContext,
  provider: string,
  settings: ProviderSettings,
  claims: JWTPayload,
  flow: SigninFlow,
): Promise<SignedIn> {
  const now = ctx.now();
  let grant: LoginGrant;
  try {
    grant = loginGrant(provider, settings, claims, now);
  } catch (err) {
    if (!(err instanceof LoginRefused)) throw err;
    await auditRefusal(ctx, provider, flow, err.message);
    throw new ApiError('AuthenticationFailed', err.message);
  }
  const issuerToken = await ensureStaticClient(
    ctx,
    LOGIN_ISSUER,
    ISSUER_SCOPES,
    'Signs the credentials of people who sign in through an identity provider.',
  );
  const sessionId = randomBytes(16).toString('base64url');
  const clientId = loginClientId(grant.identity, sessionId);
  const credentials = issueTemporaryCredentials({
    issuerClientId: LOGIN_ISSUER,
    issuerAccessToken: issuerToken,
    scopes: grant.scopes,
    start: now,
    expiry: grant.expires,
    clientId,
  });
  await withTransaction(ctx.pool, async (db) => {
    await queries.identity.insertSession(db, {
      sessionId,
      clientId,
      provider,
      subject: grant.subject,
      expires: grant.expires,
      revoked: null,
      created: now,
    });
    await queries.audit.appendAudit(
      db,
      {
        entityType: 'login',
        entityId: grant.identity,
        action: 'signed in',
        clientId,
        details: {
          provider,
          flow,
          session: sessionId,
          groups: grant.groups,
          roles: grant.roles,
          scopes: ctx.store.expand(grant.scopes),
          expires: grant.expires.toISOString(),
        },
      },
      now,
    );
  });
  ctx.logger.info(
    { provider, identity: grant.identity, session: sessionId, flow },
    'signed in through an identity provider',
  );
  return {
    provider,
    identity: grant.identity,
    credentials,
    expires: grant.expires.toISOString(),
    groups: grant.groups,
    roles: grant.roles,
    scopes: grant.scopes,
  };
}
