import {
  ApiError,
  hawkRequestInfo,
  type AuthenticationResult,
  type FromJsonSchema,
  type HawkRequestInfo,
} from '@bulwark/api';
import { satisfiesExpression } from '@bulwark/scopes';
import type { AuthContext } from '../domain/context.js';
import type { CachedClient } from '../domain/credential-store.js';
import { MacKey } from '../domain/hawk-mac.js';
import { SignatureValidator, type CredentialSource } from '../domain/signature-validator.js';
import * as schemas from '../schemas/scopes.js';
import { authApi } from './definition.js';

authApi.declare({
  name: 'authenticateHawk',
  method: 'POST',
  route: '/authenticate-hawk',
  input: schemas.authenticateHawkRequest,
  output: schemas.authenticateHawkResponse,
  scopes: null,
  title: 'Validate Hawk Request',
  description: [
    'Verifies a Hawk-signed request on behalf of another service and returns the',
    'caller’s client id and expanded scopes. Each signed request verifies once (S13).',
  ].join(' '),
  async handler(ctx, req) {
    return resultToJson(await ctx.validator.authenticate(req.body));
  },
});

function resultToJson(
  result: AuthenticationResult,
): FromJsonSchema<typeof schemas.authenticateHawkResponse> {
  return result.status === 'auth-failed'
    ? result
    : { ...result, expires: result.expires.toISOString() };
}

/** The fixed test client Taskcluster documents: id `tester`, access token `no-secret`. */
class TesterCredentials implements CredentialSource {
  private readonly client: CachedClient;

  constructor(
    private readonly ctx: AuthContext,
    scopes: readonly string[],
  ) {
    this.client = {
      clientId: 'tester',
      accessToken: 'no-secret',
      macKey: new MacKey('no-secret'),
      expires: new Date(ctx.now().getTime() + 60 * 60 * 1000),
      disabled: false,
      scopes,
      lastDateUsed: ctx.now().getTime(),
    };
  }
  getClient(clientId: string): CachedClient | undefined {
    return clientId === 'tester' ? this.client : undefined;
  }
  expandedClientScopes(client: CachedClient): string[] {
    return this.ctx.store.expand(client.scopes);
  }
  effectiveClientScopes(client: CachedClient): string[] {
    return this.ctx.store.expandWithAnonymous(client.scopes);
  }
  expandWithAnonymous(scopes: readonly string[]): string[] {
    return this.ctx.store.expandWithAnonymous(scopes);
  }
  get anonymousScopes(): readonly string[] {
    return this.ctx.store.anonymousScopes;
  }
}

async function authenticateAsTester(
  ctx: AuthContext,
  info: HawkRequestInfo | undefined,
  clientScopes: readonly string[],
  requiredScopes: readonly string[],
): Promise<{ clientId: string; scopes: string[] }> {
  if (!info) throw new ApiError('AuthenticationFailed', 'Bad Request: missing Host header');
  const validator = new SignatureValidator({
    store: new TesterCredentials(ctx, clientScopes),
    replayGuard: ctx.validator.replayGuard,
    skewSeconds: ctx.skewSeconds,
  });
  const result = await validator.authenticate(info);
  if (result.status === 'auth-failed') throw new ApiError('AuthenticationFailed', result.message);
  const clientId = result.status === 'auth-success' ? result.clientId : 'anonymous';
  if (!satisfiesExpression(result.scopes, { AllOf: [...requiredScopes] })) {
    throw new ApiError('InsufficientScopes', 'The test client does not satisfy requiredScopes', {
      required: { AllOf: requiredScopes },
    });
  }
  return { clientId, scopes: result.scopes };
}

authApi.declare({
  name: 'testAuthenticate',
  method: 'POST',
  route: '/test-authenticate',
  input: schemas.testAuthenticateRequest,
  output: schemas.testAuthenticateResponse,
  scopes: null,
  title: 'Test Authentication',
  description: [
    'Authenticates the request as the fake client `tester` (access token `no-secret`)',
    'holding `clientScopes`, and checks it satisfies `requiredScopes`.',
    'For testing client libraries; it grants nothing.',
  ].join(' '),
  async handler(ctx, req) {
    return authenticateAsTester(
      ctx,
      hawkRequestInfo(req.raw),
      req.body.clientScopes ?? [],
      req.body.requiredScopes ?? [],
    );
  },
});

authApi.declare({
  name: 'testAuthenticateGet',
  method: 'GET',
  route: '/test-authenticate-get/',
  output: schemas.testAuthenticateResponse,
  scopes: null,
  title: 'Test Authentication (GET)',
  description: 'As testAuthenticate, for GET requests and bewits: `tester` holds `test:*`.',
  async handler(ctx, req) {
    return authenticateAsTester(
      ctx,
      hawkRequestInfo(req.raw),
      ['test:*', 'auth:create-client:test:*'],
      ['test:authenticate-get'],
    );
  },
});
