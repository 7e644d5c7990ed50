import { notFound } from '@bulwark/api';
import { generateAccessToken } from '@bulwark/crypto';
import { queries, type ClientRow, type Queryable } from '@bulwark/db';
import type { AuthContext } from '../domain/context.js';
import { clientIdParam } from '../schemas/common.js';
import * as schemas from '../schemas/clients.js';
import { clientToJson } from './client-json.js';
import { authApi } from './definition.js';
import { mutate } from './mutation.js';
import { rejectStaticClient } from './scope-input.js';

/** Locks and returns the client, or answers 404. */
async function lockedClient(db: Queryable, clientId: string): Promise<ClientRow> {
  return (
    (await queries.clients.getClientForUpdate(db, clientId)) ?? Promise.reject(notFound('Client'))
  );
}

function changeClient(
  ctx: AuthContext,
  clientId: string,
  callerId: string,
  action: string,
  change: (db: Queryable, row: ClientRow) => Promise<ClientRow>,
): Promise<ClientRow> {
  rejectStaticClient(clientId);
  return mutate(
    ctx,
    { kind: 'client', clientId },
    () => ({ entityType: 'client', entityId: clientId, action, clientId: callerId, details: {} }),
    async (db) => change(db, await lockedClient(db, clientId)),
  );
}

authApi.declare({
  name: 'resetAccessToken',
  method: 'POST',
  route: '/clients/<clientId>/reset',
  params: { clientId: clientIdParam },
  scopes: 'auth:reset-access-token:<clientId>',
  output: schemas.createClientResponse,
  title: 'Reset Client Access Token',
  description: [
    'Replaces the client’s access token; the new one is returned only here.',
    'Temporary credentials issued from the old token stop working.',
  ].join(' '),
  async handler(ctx, req) {
    const accessToken = generateAccessToken();
    const row = await changeClient(
      ctx,
      req.params.clientId,
      req.caller.clientId,
      'access token reset',
      async (db, row) => {
        const now = ctx.now();
        const sealed = ctx.keyring.seal(accessToken, `client:${row.clientId}`);
        await queries.clients.setClientAccessToken(db, row.clientId, sealed, now);
        return { ...row, sealedAccessToken: sealed, lastRotated: now, lastModified: now };
      },
    );
    return { ...clientToJson(ctx, row), accessToken };
  },
});

for (const [name, route, disabled, action] of [
  ['enableClient', 'enable', false, 'client enabled'],
  ['disableClient', 'disable', true, 'client disabled'],
] as const) {
  authApi.declare({
    name,
    method: 'POST',
    route: `/clients/<clientId>/${route}`,
    params: { clientId: clientIdParam },
    scopes: `auth:${route}-client:<clientId>`,
    output: schemas.getClientResponse,
    title: disabled ? 'Disable Client' : 'Enable Client',
    description: disabled
      ? 'Disables a client: it and every temporary credential it issued fail to authenticate.'
      : 'Enables a disabled client.',
    async handler(ctx, req) {
      const row = await changeClient(
        ctx,
        req.params.clientId,
        req.caller.clientId,
        action,
        async (db, row) => {
          const now = ctx.now();
          await queries.clients.setClientDisabled(db, row.clientId, disabled, now);
          return { ...row, disabled, lastModified: now };
        },
      );
      return clientToJson(ctx, row);
    },
  });
}

authApi.declare({
  name: 'deleteClient',
  method: 'DELETE',
  route: '/clients/<clientId>',
  params: { clientId: clientIdParam },
  scopes: 'auth:delete-client:<clientId>',
  title: 'Delete Client',
  description: 'Deletes a client. Deleting a client that does not exist succeeds (idempotent).',
  async handler(ctx, req) {
    const { clientId } = req.params;
    rejectStaticClient(clientId);
    await mutate(
      ctx,
      { kind: 'client', clientId },
      (deleted: boolean) =>
        deleted
          ? {
              entityType: 'client',
              entityId: clientId,
              action: 'deleted',
              clientId: req.caller.clientId,
              details: {},
            }
          : undefined,
      (db) => queries.clients.deleteClient(db, clientId),
    );
    return {};
  },
});
