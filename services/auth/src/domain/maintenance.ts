import { queries, withTransaction } from '@bulwark/db';
import type { AuthContext } from './context.js';
import { AUTH_CHANNEL } from './credential-store.js';

/**
 * Deletes expired clients marked deleteOnExpiration, with an audit record each.
 * Safe on every replica at once: each row is deleted by exactly one of them.
 */
export async function purgeExpiredClients(ctx: AuthContext): Promise<number> {
  const deleted = await withTransaction(ctx.pool, async (db) => {
    const ids = await queries.clients.deleteExpiredClients(db, ctx.now());
    for (const clientId of ids) {
      await queries.audit.appendAudit(
        db,
        {
          entityType: 'client',
          entityId: clientId,
          action: 'expired',
          clientId: 'system',
          details: {},
        },
        ctx.now(),
      );
      await queries.notify(db, AUTH_CHANNEL, `client:${clientId}`);
    }
    return ids;
  });
  for (const clientId of deleted) await ctx.store.reloadClient(clientId);
  return deleted.length;
}
