import { assertUnchangedSince } from '../domain/unchanged-since.js';
import { conflict, decodeContinuationToken, encodeContinuationToken, notFound } from '@bulwark/api';
import { generateAccessToken } from '@bulwark/crypto';
import { queries, type ClientRow } from '@bulwark/db';
import {
  clientIdParam,
  continuationQuery,
  pageLimit,
  prefixQuery,
  limitQuery,
} from '../schemas/common.js';
import * as schemas from '../schemas/clients.js';
import { clientToJson } from './client-json.js';
import { authApi } from './definition.js';
import { mutate } from './mutation.js';
import { rejectDoubleStars, rejectStaticClient } from './scope-input.js';

authApi.declare({
  name: 'listClients',
  method: 'GET',
  route: '/clients/',
  query: { prefix: prefixQuery, continuationToken: continuationQuery, limit: limitQuery },
  scopes: 'auth:list-clients',
  title: 'List Clients',
  description: 'Lists clients, optionally those whose id starts with `prefix`, a page at a time.',
  output: schemas.listClientResponse,
  async handler(ctx, req) {
    const limit = pageLimit(req.query.limit, 1000);
    const rows = await queries.clients.listClients(ctx.pool, {
      prefix: req.query.prefix,
      after: decodeContinuationToken(req.query.continuationToken),
      limit,
    });
    const last = rows.at(-1);
    return {
      clients: rows.map((row) => clientToJson(ctx, row)),
      ...(rows.length === limit && last
        ? { continuationToken: encodeContinuationToken(last.clientId) }
        : {}),
    };
  },
});

authApi.declare({
  name: 'client',
  method: 'GET',
  route: '/clients/<clientId>',
  params: { clientId: clientIdParam },
  scopes: 'auth:get-client:<clientId>',
  title: 'Get Client',
  description: 'Gets a client; never its access token.',
  output: schemas.getClientResponse,
  async handler(ctx, req) {
    const row = await queries.clients.getClient(ctx.pool, req.params.clientId);
    if (!row) throw notFound('Client');
    return clientToJson(ctx, row);
  },
});

authApi.declare({
  name: 'createClient',
  method: 'PUT',
  route: '/clients/<clientId>',
  params: { clientId: clientIdParam },
  input: schemas.createClientRequest,
  output: schemas.createClientResponse,
  scopes: {
    AllOf: ['auth:create-client:<clientId>', { for: 'scope', in: 'scopes', each: '<scope>' }],
  },
  title: 'Create Client',
  description: [
    'Creates a client with a fresh access token, returned only in this response.',
    'The caller must hold every scope it gives the client (no escalation).',
  ].join(' '),
  async handler(ctx, req) {
    const { clientId } = req.params;
    const scopes = req.body.scopes ?? [];
    rejectStaticClient(clientId);
    rejectDoubleStars(scopes);
    req.authorize({ clientId, scopes });
    const accessToken = generateAccessToken();
    const now = ctx.now();
    const row: ClientRow = {
      clientId,
      description: req.body.description,
      scopes,
      sealedAccessToken: ctx.keyring.seal(accessToken, `client:${clientId}`),
      expires: new Date(req.body.expires),
      disabled: false,
      deleteOnExpiration: req.body.deleteOnExpiration ?? false,
      created: now,
      lastModified: now,
      lastDateUsed: now,
      lastRotated: now,
    };
    const created = await mutate(
      ctx,
      { kind: 'client', clientId },
      (ok: boolean) =>
        ok
          ? {
              entityType: 'client',
              entityId: clientId,
              action: 'created',
              clientId: req.caller.clientId,
              details: { scopes, expires: req.body.expires },
            }
          : undefined,
      (db) => queries.clients.insertClient(db, row),
    );
    if (!created) throw conflict(`Client with clientId \`${clientId}\` already exists`);
    return { ...clientToJson(ctx, row), accessToken };
  },
});

authApi.declare({
  name: 'updateClient',
  method: 'POST',
  route: '/clients/<clientId>',
  params: { clientId: clientIdParam },
  input: schemas.updateClientRequest,
  output: schemas.getClientResponse,
  scopes: {
    AllOf: ['auth:update-client:<clientId>', { for: 'scope', in: 'scopesAdded', each: '<scope>' }],
  },
  title: 'Update Client',
  description: 'Updates a client. The caller must hold every scope it adds.',
  async handler(ctx, req) {
    const { clientId } = req.params;
    const scopes = req.body.scopes ?? [];
    rejectStaticClient(clientId);
    rejectDoubleStars(scopes);
    // The plain permission first, so the lookup below reveals nothing to others.
    req.authorize({ clientId, scopesAdded: [] });
    const updated = await mutate<ClientRow>(
      ctx,
      { kind: 'client', clientId },
      () => ({
        entityType: 'client',
        entityId: clientId,
        action: 'updated',
        clientId: req.caller.clientId,
        details: { scopes, expires: req.body.expires },
      }),
      async (db) => {
        const existing = await queries.clients.getClientForUpdate(db, clientId);
        if (!existing) throw notFound('Client');
        assertUnchangedSince(`client ${clientId}`, existing.lastModified, req.body.lastModified);
        const scopesAdded = scopes.filter((s) => !existing.scopes.includes(s));
        req.authorize({ clientId, scopesAdded });
        const fields = {
          description: req.body.description,
          scopes,
          expires: new Date(req.body.expires),
          deleteOnExpiration: req.body.deleteOnExpiration ?? existing.deleteOnExpiration,
          lastModified: ctx.now(),
        };
        await queries.clients.updateClient(db, clientId, fields);
        return { ...existing, ...fields };
      },
    );
    return clientToJson(ctx, updated);
  },
});
