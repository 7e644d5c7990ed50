import { queries } from '@bulwark/db';
import { withAudit } from './audited.js';
import type { SecretsContext } from './context.js';

/** Rows deleted per transaction, so one sweep never holds the audit lock for long. */
const BATCH = 200;

/**
 * Deletes every expired secret, each with an `expired` audit entry in the same
 * transaction (S14, S15). Safe on every replica at once: rows another sweep holds
 * are skipped, so each is deleted and audited exactly once. Returns how many this
 * call deleted.
 */
export async function sweepExpiredSecrets(ctx: SecretsContext): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await withAudit(ctx, async (db) => {
      const names = await queries.secrets.deleteExpiredSecrets(db, {
        limit: BATCH,
        now: ctx.now?.(),
      });
      return {
        result: names.length,
        audit: names.map((name) => ({
          entityId: name,
          action: 'expired',
          clientId: 'system',
          details: {},
        })),
      };
    });
    total += deleted;
    if (deleted < BATCH) return total;
  }
}
