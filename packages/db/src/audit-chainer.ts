import type pg from 'pg';
import { withTransaction } from './pool.js';
import { chainPendingAudit, hasPendingAudit } from './queries/audit.js';

/** Entries linked per transaction. */
export const AUDIT_CHAIN_BATCH = 1000;

/** One batch: links up to AUDIT_CHAIN_BATCH pending entries; answers how many. */
export async function chainAuditBatch(pool: pg.Pool): Promise<number> {
  if (!(await hasPendingAudit(pool))) return 0;
  return withTransaction(pool, (db) => chainPendingAudit(db, AUDIT_CHAIN_BATCH));
}

/** For repeatJob: true while batches come back full, so it runs again at once. */
export async function chainAuditJob(pool: pg.Pool): Promise<boolean> {
  return (await chainAuditBatch(pool)) >= AUDIT_CHAIN_BATCH;
}

/**
 * Links everything committed so far. Readers of the log call it first, so what they
 * read includes every change that committed before they asked.
 */
export async function chainAllPendingAudit(pool: pg.Pool): Promise<void> {
  while ((await chainAuditBatch(pool)) >= AUDIT_CHAIN_BATCH);
}
