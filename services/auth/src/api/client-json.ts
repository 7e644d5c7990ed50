import type { FromJsonSchema } from '@bulwark/api';
import type { ClientRow } from '@bulwark/db';
import type { getClientResponse } from '../schemas/clients.js';
import type { AuthContext } from '../domain/context.js';

/** The wire form of a client; the access token is added only by create and reset. */
export function clientToJson(
  ctx: AuthContext,
  row: ClientRow,
): FromJsonSchema<typeof getClientResponse> {
  return {
    clientId: row.clientId,
    description: row.description,
    expires: row.expires.toISOString(),
    created: row.created.toISOString(),
    lastModified: row.lastModified.toISOString(),
    lastDateUsed: row.lastDateUsed.toISOString(),
    lastRotated: row.lastRotated.toISOString(),
    scopes: row.scopes,
    expandedScopes: ctx.store.expand(row.scopes),
    disabled: row.disabled,
    deleteOnExpiration: row.deleteOnExpiration,
  };
}
