import { queries, withTransaction, type AuditEntry, type Queryable } from '@bulwark/db';
import type { SecretsContext } from './context.js';

/** Every audit entry of this service is about one secret, named by entityId. */
export type SecretAudit = Omit<AuditEntry, 'entityType'>;

/**
 * Runs `work` and appends the audit entries it asks for in one transaction (S14),
 * so an action and its record commit or vanish together. `work` returns its
 * result and the entries; an empty list records nothing (e.g. removing a secret
 * that did not exist).
 */
export async function withAudit<T>(
  ctx: SecretsContext,
  work: (db: Queryable) => Promise<{ result: T; audit: readonly SecretAudit[] }>,
): Promise<T> {
  return withTransaction(ctx.pool, async (db) => {
    const { result, audit } = await work(db);
    for (const entry of audit) {
      await queries.audit.appendAudit(
        db,
        { entityType: 'secret', ...entry },
        ctx.now?.() ?? new Date(),
      );
    }
    return result;
  });
}
