import { conflict, notFound } from '@bulwark/api';
import { queries, withTransaction } from '@bulwark/db';
import type { AuthContext } from '../domain/context.js';
import {
  PROVIDER_NAME,
  providerToJson,
  settingsFromInput,
  settingsFromRow,
  settingsToRowConfig,
} from '../domain/identity/provider-settings.js';
import * as schemas from '../schemas/identity.js';
import { authApi } from './definition.js';

const nameParam = { pattern: PROVIDER_NAME, maxLength: 32 };
const CATEGORY = 'Identity providers';

/** The settings an audit entry records: everything but the secret, which is never audited. */
async function audited(
  ctx: AuthContext,
  name: string,
  action: string,
  caller: string,
  details: Record<string, unknown>,
  work: (db: Parameters<Parameters<typeof withTransaction>[1]>[0]) => Promise<boolean>,
): Promise<boolean> {
  return withTransaction(ctx.pool, async (db) => {
    const done = await work(db);
    if (done) {
      await queries.audit.appendAudit(
        db,
        { entityType: 'identity-provider', entityId: name, action, clientId: caller, details },
        ctx.now(),
      );
    }
    return done;
  });
}

authApi.declare({
  name: 'listIdentityProviders',
  method: 'GET',
  route: '/identity-providers/',
  scopes: null,
  category: CATEGORY,
  stability: 'experimental',
  output: schemas.listIdentityProvidersResponse,
  title: 'List Identity Providers',
  description:
    'The identity providers people can sign in with, for a sign-in page: names and display names only. Public.',
  async handler(ctx) {
    const rows = await queries.identity.listProviders(ctx.pool);
    return {
      providers: rows.map((row) => ({
        name: row.name,
        displayName: settingsFromRow(row).displayName,
      })),
    };
  },
});

authApi.declare({
  name: 'identityProvider',
  method: 'GET',
  route: '/identity-providers/<name>',
  params: { name: nameParam },
  scopes: 'auth:get-identity-provider:<name>',
  category: CATEGORY,
  stability: 'experimental',
  output: schemas.identityProviderResponse,
  title: 'Get Identity Provider',
  description: "An identity provider's settings; never its client secret.",
  async handler(ctx, req) {
    const row = await queries.identity.getProvider(ctx.pool, req.params.name);
    if (!row) throw notFound(`Identity provider ${req.params.name}`);
    return providerToJson(row);
  },
});

authApi.declare({
  name: 'createIdentityProvider',
  method: 'PUT',
  route: '/identity-providers/<name>',
  params: { name: nameParam },
  input: schemas.createIdentityProviderRequest,
  output: schemas.identityProviderResponse,
  sensitiveInputFields: ['clientSecret'],
  scopes: 'auth:manage-identity-provider:<name>',
  category: CATEGORY,
  stability: 'experimental',
  title: 'Create Identity Provider',
  description: [
    'Configures an OpenID Connect provider people can sign in with. The client secret is',
    'sealed under the keyring and never answered or logged.',
  ].join(' '),
  async handler(ctx, req) {
    const { name } = req.params;
    const settings = settingsFromInput(req.body, name);
    const now = ctx.now();
    const row = {
      name,
      config: settingsToRowConfig(settings),
      sealedClientSecret: ctx.keyring.seal(req.body.clientSecret, `identity-provider:${name}`),
      created: now,
      lastModified: now,
    };
    const created = await audited(
      ctx,
      name,
      'created',
      req.caller.clientId,
      { ...settings },
      (db) => queries.identity.insertProvider(db, row),
    );
    if (!created) throw conflict(`Identity provider ${name} already exists`);
    return providerToJson(row);
  },
});

authApi.declare({
  name: 'updateIdentityProvider',
  method: 'POST',
  route: '/identity-providers/<name>',
  params: { name: nameParam },
  input: schemas.updateIdentityProviderRequest,
  output: schemas.identityProviderResponse,
  sensitiveInputFields: ['clientSecret'],
  scopes: 'auth:manage-identity-provider:<name>',
  category: CATEGORY,
  stability: 'experimental',
  title: 'Update Identity Provider',
  description:
    "Replaces an identity provider's settings; without `clientSecret`, the stored secret is kept.",
  async handler(ctx, req) {
    const { name } = req.params;
    const settings = settingsFromInput(req.body, name);
    const secret = req.body.clientSecret;
    const details = { ...settings, clientSecretChanged: secret !== undefined };
    const updated = await audited(ctx, name, 'updated', req.caller.clientId, details, (db) =>
      queries.identity.updateProvider(db, name, {
        config: settingsToRowConfig(settings),
        ...(secret !== undefined && {
          sealedClientSecret: ctx.keyring.seal(secret, `identity-provider:${name}`),
        }),
        lastModified: ctx.now(),
      }),
    );
    if (!updated) throw notFound(`Identity provider ${name}`);
    ctx.identityProviders.forget(settings.issuer);
    const row = await queries.identity.getProvider(ctx.pool, name);
    if (!row) throw notFound(`Identity provider ${name}`);
    return providerToJson(row);
  },
});

authApi.declare({
  name: 'deleteIdentityProvider',
  method: 'DELETE',
  route: '/identity-providers/<name>',
  params: { name: nameParam },
  scopes: 'auth:manage-identity-provider:<name>',
  category: CATEGORY,
  stability: 'experimental',
  title: 'Delete Identity Provider',
  description: [
    'Removes an identity provider, its sign-ins in progress, and ends every sign-in it',
    'gave: their credentials stop working at once.',
  ].join(' '),
  async handler(ctx, req) {
    const { name } = req.params;
    const details: Record<string, unknown> = {};
    const deleted = await audited(
      ctx,
      name,
      'deleted',
      req.caller.clientId,
      details,
      async (db) => {
        if (!(await queries.identity.deleteProvider(db, name))) return false;
        details.sessionsEnded = await queries.identity.revokeProviderSessions(db, name, ctx.now());
        return true;
      },
    );
    if (!deleted) throw notFound(`Identity provider ${name}`);
    return {};
  },
});
