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

/**
 * audit_pending's columns in the order every writer fills them (details as JSON text),
 * for statements that record their entries themselves.
 */
export const AUDIT_PENDING_COLUMNS = 'at, entity_type, entity_id, action, client_id, details';

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
 * Records one entry for the hash chain (S14). Must run inside the transaction of the
 * change it records, so the record and the change commit or vanish together.
 */
export async function appendAudit(
  db: Queryable,
  entry: AuditEntry,
  at = new Date(),
): Promise<void> {
  await appendAuditEntries(db, [entry], at);
}

/**
 * Records several entries in one statement, inside the caller's transaction. They
 * join the chain when `chainPendingAudit` next runs (every replica runs it often,
 * and every reader of the log runs it first), so no writer waits for another.
 */
export async function appendAuditEntries(
  db: Queryable,
  entries: readonly AuditEntry[],
  at = new Date(),
): Promise<void> {
  if (entries.length === 0) return;
  const { text, values } = valuesList(
    entries.map((e) => [
      at,
      e.entityType,
      e.entityId,
      e.action,
      e.clientId,
      JSON.stringify(e.details),
    ]),
  );
  await db.query(`INSERT INTO audit_pending (${AUDIT_PENDING_COLUMNS}) VALUES ${text}`, values);
}

/** `($1, $2), ($3, $4)`-style VALUES for a multi-row INSERT, and the flat parameters. */
function valuesList(rows: readonly unknown[][]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const placeholders = row.map((value) => {
      values.push(value);
      return `$${values.length}`;
    });
    return `(${placeholders.join(', ')})`;
  });
  return { text: tuples.join(', '), values };
}

/**
 * Links up to `limit` committed pending entries into the chain, oldest first, and
 * answers how many. Run inside a transaction: the advisory lock makes chainers take
 * turns, so the chain has no forks, and the moved entries leave audit_pending in the
 * same commit that adds them to audit_log. An entry that commits while this runs is
 * not visible to it and is chained by the next run.
 */
export async function chainPendingAudit(db: Queryable, limit: number): Promise<number> {
  // A statement of its own: the reads below need a snapshot taken after the lock, to
  // see the chain rows of the chainer this one waited for.
  await db.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK_KEY]);
  const pending = await db.query<DbPendingRow>(
    `DELETE FROM audit_pending WHERE id IN (
       SELECT id FROM audit_pending ORDER BY id LIMIT $1)
     RETURNING id, at, entity_type, entity_id, action, client_id, details`,
    [limit],
  );
  if (pending.rows.length === 0) return 0;
  const { rows } = await db.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
  );
  const last = rows[0];
  let seq = last ? BigInt(last.seq) : 0n;
  let prevHash = last ? last.hash : GENESIS_HASH;
  const ordered = pending.rows.sort((x, y) => (BigInt(x.id) < BigInt(y.id) ? -1 : 1));
  const linked = ordered.map((row) => {
    const entry: AuditEntry = {
      entityType: row.entity_type,
      entityId: row.entity_id,
      action: row.action,
      clientId: row.client_id,
      details: row.details,
    };
    seq += 1n;
    const hash = auditHash(prevHash, seq, row.at, entry);
    const values = [
      seq.toString(),
      row.at,
      entry.entityType,
      entry.entityId,
      entry.action,
      entry.clientId,
      JSON.stringify(entry.details),
      prevHash,
      hash,
    ];
    prevHash = hash;
    return values;
  });
  const { text, values } = valuesList(linked);
  await db.query(
    `INSERT INTO audit_log (seq, at, entity_type, entity_id, action, client_id, details, prev_hash, hash)
     VALUES ${text}`,
    values,
  );
  return ordered.length;
}

/** Whether anything waits to be chained: a cheap read, so idle chainers take no lock. */
export async function hasPendingAudit(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ pending: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM audit_pending) AS pending',
  );
  return rows[0]?.pending === true;
}

interface DbPendingRow {
  id: string;
  at: Date;
  entity_type: string;
  entity_id: string;
  action: string;
  client_id: string;
  details: Record<string, unknown>;
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
