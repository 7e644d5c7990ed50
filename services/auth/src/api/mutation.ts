import { withTransaction, queries, type AuditEntry, type Queryable } from '@bulwark/db';
import type { AuthContext } from '../domain/context.js';
import { AUTH_CHANNEL } from '../domain/credential-store.js';

export type Change = { kind: 'client'; clientId: string } | { kind: 'roles' };

/**
 * Runs a change, its audit record (S14) and its cache notification in one
 * transaction, then refreshes this replica's cache so the caller reads its own write.
 */
export async function mutate<T>(
  ctx: AuthContext,
  change: Change,
  audit: (result: T) => AuditEntry | undefined,
  work: (db: Queryable) => Promise<T>,
): Promise<T> {
  const result = await withTransaction(ctx.pool, async (db) => {
    const value = await work(db);
    const entry = audit(value);
    if (entry) {
      await queries.audit.appendAudit(db, entry, ctx.now());
      await queries.notify(
        db,
        AUTH_CHANNEL,
        change.kind === 'roles' ? 'roles' : `client:${change.clientId}`,
      );
    }
    return value;
  });
  if (change.kind === 'roles') await ctx.store.reloadRoles();
  else await ctx.store.reloadClient(change.clientId);
  return result;
}
