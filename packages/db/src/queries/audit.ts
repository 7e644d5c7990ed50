import { createHash } from 'node:crypto';
import type { Queryable } from './queryable.js';

export interface AuditEntry {
  entityType: string;
  entityId: string;
  action: string;
  /** Who did it: the authenticated client id, or `system` for background jobs. */
  clientId: string;
  /** Non-secret facts about the change (never a token or secret value, S1). */
  details: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  seq: bigint;
  at: Date;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

// Any constant works; it only has to be the same for every writer.
const AUDIT_LOCK_KEY = 0x6275_6c77; // "bulw"

/** JSON with object keys sorted, so the hash does not depend on jsonb's key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function auditHash(prevHash: string, seq: bigint, at: Date, entry: AuditEntry): string {
  const material = canonicalJson([
    prevHash,
    seq.toString(),
    at.toISOString(),
    entry.entityType,
    entry.entityId,
    entry.action,
    entry.clientId,
    entry.details,
  ]);
  return createHash('sha256').update(material).digest('hex');
}

/**
 * Appends one entry to the hash chain (S14). Must run inside the transaction of
 * the change it records, so the record and the change commit or vanish together;
 * the transaction-scoped advisory lock orders writers so the chain has no forks.
 */
export async function appendAudit(
  db: Queryable,
  entry: AuditEntry,
  at = new Date(),
): Promise<void> {
  await appendAuditEntries(db, [entry], at);
}

/**
 * Appends several entries in three round trips, however many there are. The lock is
 * held from here until the transaction commits and every audited change in the
 * platform waits for it, so callers append as the last step of their transaction.
 */
export async function appendAuditEntries(
  db: Queryable,
  entries: readonly AuditEntry[],
  at = new Date(),
): Promise<void> {
  if (entries.length === 0) return;
  // A statement of its own: the read below must see every chain row committed by the
  // writer this one waited for, so it needs a snapshot taken after the lock.
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
  const { rows } = await db.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  const last = rows[0];
  let seq = last ? BigInt(last.seq) : 0n;
  let prevHash = last ? last.hash : GENESIS_HASH;
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (const entry of entries) {
    seq += 1n;
    const hash = auditHash(prevHash, seq, at, entry);
    const base = values.length;
    tuples.push(`(${Array.from({ length: 9 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
    values.push(
      seq.toString(),
      at,
      entry.entityType,
      entry.entityId,
      entry.action,
      entry.clientId,
      JSON.stringify(entry.details),
      prevHash,
      hash,
    );
    prevHash = hash;
  }
  await db.query(
    `INSERT INTO audit_log (seq, at, entity_type, entity_id, action, client_id, details, prev_hash, hash)
     VALUES ${tuples.join(', ')}`,
    values,
  );
}

interface DbAuditRow {
  seq: string;
  at: Date;
  entity_type: string;
  entity_id: string;
  action: string;
  client_id: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const fromDb = (r: DbAuditRow): AuditRecord => ({
  seq: BigInt(r.seq),
  at: r.at,
  entityType: r.entity_type,
  entityId: r.entity_id,
  action: r.action,
  clientId: r.client_id,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

const SELECT = `SELECT seq, at, entity_type, entity_id, action, client_id, details, prev_hash, hash
  FROM audit_log`;

export async function listAuditForEntity(
  db: Queryable,
  entityType: string,
  entityId: string,
  options: { afterSeq?: bigint; limit: number },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<DbAuditRow>(
    `${SELECT} WHERE entity_type = $1 AND entity_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [entityType, entityId, (options.afterSeq ?? 0n).toString(), options.limit],
  );
  return rows.map(fromDb);
}

export async function listAuditForClient(
  db: Queryable,
  clientId: string,
  options: { afterSeq?: bigint; limit: number },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<DbAuditRow>(
    `${SELECT} WHERE client_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [clientId, (options.afterSeq ?? 0n).toString(), options.limit],
  );
  return rows.map(fromDb);
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  /** The first row whose link or hash does not match, when not ok. */
  brokenAt?: bigint;
  lastHash: string;
}

/**
 * Walks the whole chain in pages and recomputes every hash. Any edit, deletion or
 * insertion in the middle breaks a link (S14).
 */
export async function verifyAuditChain(db: Queryable, pageSize = 1000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1n;
  let checked = 0;
  for (;;) {
    const { rows } = await db.query<DbAuditRow>(`${SELECT} WHERE seq >= $1 ORDER BY seq LIMIT $2`, [
      expectedSeq.toString(),
      pageSize,
    ]);
    for (const row of rows.map(fromDb)) {
      const valid =
        row.seq === expectedSeq &&
        row.prevHash === prevHash &&
        row.hash === auditHash(prevHash, row.seq, row.at, row);
      if (!valid) return { ok: false, checked, brokenAt: expectedSeq, lastHash: prevHash };
      prevHash = row.hash;
      expectedSeq += 1n;
      checked += 1;
    }
    if (rows.length < pageSize) return { ok: true, checked, lastHash: prevHash };
  }
}
