import { inputError } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import { finishCodeSignIn, startCodeSignIn } from '../domain/identity/code-flow.js';
import { pollDeviceSignIn, startDeviceSignIn } from '../domain/identity/device-flow.js';
import { LOGIN_PREFIX, loginSessionId } from '../domain/identity/login-grant.js';
import { PROVIDER_NAME } from '../domain/identity/provider-settings.js';
import * as schemas from '../schemas/identity.js';
import { authApi } from './definition.js';

const providerParam = { pattern: PROVIDER_NAME, maxLength: 32 };
const CATEGORY = 'Sign-in';

authApi.declare({
  name: 'startSignIn',
  method: 'POST',
  route: '/signin/<provider>/start',
  params: { provider: providerParam },
  input: schemas.startSignInRequest,
  output: schemas.startSignInResponse,
  scopes: null,
  category: CATEGORY,
  stability: 'experimental',
  title: 'Start Sign-In',
  description: [
    'Starts an OpenID Connect sign-in (authorization code flow with PKCE) and answers the',
    "provider's authorization URL to send the person's browser to. `redirectUri` is a",
    'configured UI callback or a loopback address; `finishChallenge` is the base64url',
    'SHA-256 of a secret the caller keeps for finishSignIn. Valid ten minutes. Public.',
  ].join(' '),
  async handler(ctx, req) {
    return startCodeSignIn(ctx, req.params.provider, req.body);
  },
});

authApi.declare({
  name: 'finishSignIn',
  method: 'POST',
  route: '/signin/finish',
  input: schemas.finishSignInRequest,
  output: schemas.signedInResponse,
  sensitiveInputFields: ['state', 'code', 'finishVerifier'],
  scopes: null,
  category: CATEGORY,
  stability: 'experimental',
  title: 'Finish Sign-In',
  description: [
    'Finishes a sign-in with the `state` and `code` the provider sent to the redirect URI',
    'and the `finishVerifier` whose SHA-256 started it. Each state is used once. The ID',
    'token is verified (signature, issuer, audience, expiry, nonce), then Bulwark',
    'temporary credentials for `login:<provider>/<subject>` are answered in the body.',
  ].join(' '),
  async handler(ctx, req) {
    return finishCodeSignIn(ctx, req.body);
  },
});

authApi.declare({
  name: 'startDeviceSignIn',
  method: 'POST',
  route: '/signin/<provider>/device',
  params: { provider: providerParam },
  input: schemas.startDeviceSignInRequest,
  output: schemas.startDeviceSignInResponse,
  scopes: null,
  category: CATEGORY,
  stability: 'experimental',
  title: 'Start Device Sign-In',
  description: [
    'Starts a device authorization sign-in (RFC 8628) for a person without a browser at',
    'hand: answers the code to enter and where, and a `deviceRequest` to poll with. Public.',
  ].join(' '),
  async handler(ctx, req) {
    return startDeviceSignIn(ctx, req.params.provider, req.body);
  },
});

authApi.declare({
  name: 'pollDeviceSignIn',
  method: 'POST',
  route: '/signin/device/poll',
  input: schemas.pollDeviceSignInRequest,
  output: schemas.pollDeviceSignInResponse,
  sensitiveInputFields: ['deviceRequest', 'finishVerifier'],
  scopes: null,
  category: CATEGORY,
  stability: 'experimental',
  title: 'Poll Device Sign-In',
  description: [
    'Answers `pending` (with the seconds to wait) until the person approved the sign-in',
    'at the provider, then `signed-in` with the credentials, once.',
  ].join(' '),
  async handler(ctx, req) {
    return pollDeviceSignIn(ctx, req.body);
  },
});

authApi.declare({
  name: 'signOut',
  method: 'POST',
  route: '/signin/signout',
  output: schemas.signOutResponse,
  // Any caller may end its own sign-in; the handler refuses other credentials.
  scopes: { AllOf: [] },
  category: CATEGORY,
  stability: 'experimental',
  title: 'Sign Out',
  description:
    'Ends the sign-in whose credentials sign this request: they stop working at once, everywhere.',
  async handler(ctx, req) {
    req.authorize({});
    const { clientId } = req.caller;
    const sessionId = loginSessionId(clientId);
    if (!req.caller.authenticated || sessionId === undefined) {
      throw inputError('signOut ends the credentials of a sign-in; these are not such credentials');
    }
    const now = ctx.now();
    const signedOut = await withTransaction(ctx.pool, async (db) => {
      const ended = await queries.identity.revokeSession(db, sessionId, now);
      if (ended) {
        await queries.audit.appendAudit(
          db,
          {
            entityType: 'login',
            entityId: clientId.slice(0, clientId.lastIndexOf('/')),
            action: 'signed out',
            clientId,
            details: { session: sessionId },
          },
          now,
        );
      }
      return ended;
    });
    return { clientId, signedOut };
  },
});

authApi.declare({
  name: 'revokeLogins',
  method: 'POST',
  route: '/logins/<provider>/<subject>/revoke',
  params: {
    provider: providerParam,
    subject: { pattern: /^[A-Za-z0-9!@:.+|_-]{1,128}$/, maxLength: 128 },
  },
  output: schemas.revokeLoginsResponse,
  scopes: 'auth:revoke-login:<provider>/<subject>',
  category: CATEGORY,
  stability: 'experimental',
  title: 'Revoke Logins',
  description:
    'Ends every live sign-in of `login:<provider>/<subject>` at once (someone who left, a lost laptop).',
  async handler(ctx, req) {
    const { provider, subject } = req.params;
    const now = ctx.now();
    const revoked = await withTransaction(ctx.pool, async (db) => {
      const count = await queries.identity.revokeSubjectSessions(db, provider, subject, now);
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'login',
          entityId: `${LOGIN_PREFIX}${provider}/${subject}`,
          action: 'revoked',
          clientId: req.caller.clientId,
          details: { sessions: count },
        },
        now,
      );
      return count;
    });
    return { revoked };
  },
});
