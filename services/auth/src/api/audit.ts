import type { FromJsonSchema } from '@bulwark/api';
import { chainAllPendingAudit, queries, type AuditRecord } from '@bulwark/db';
import { clientIdParam, limitQuery, pageLimit } from '../schemas/common.js';
import * as schemas from '../schemas/scopes.js';
import { authApi } from './definition.js';

const ENTITY_TYPES = [
  'client',
  'role',
  'secret',
  'task',
  'worker',
  'worker-pool',
  'identity-provider',
  'login',
] as const;

function page(
  records: AuditRecord[],
  limit: number,
): FromJsonSchema<typeof schemas.auditHistoryResponse> {
  const last = records.at(-1);
  return {
    auditHistory: records.map((r) => ({
      seq: Number(r.seq),
      created: r.at.toISOString(),
      entityType: r.entityType,
      entityId: r.entityId,
      action: r.action,
      clientId: r.clientId,
      details: r.details,
      hash: r.hash,
      prevHash: r.prevHash,
    })),
    ...(records.length === limit && last ? { continuationToken: last.seq.toString() } : {}),
  };
}

const afterSeq = (token: string | undefined): bigint => BigInt(token ?? '0');
// At most 18 digits: a larger number could exceed the bigint seq and fail in SQL.
const seqToken = { pattern: /^[0-9]{1,18}$/, maxLength: 18 };

authApi.declare({
  name: 'getEntityHistory',
  method: 'GET',
  route: '/audit/<entityType>/<entityId>',
  params: {
    entityType: { pattern: new RegExp(`^(${ENTITY_TYPES.join('|')})$`), maxLength: 32 },
    entityId: { pattern: /^[\x20-\x7e]+$/, maxLength: 1024 },
  },
  query: { continuationToken: seqToken, limit: limitQuery },
  scopes: 'auth:audit-history:<entityType>',
  output: schemas.auditHistoryResponse,
  title: 'Get Entity History',
  description: 'The audit trail of one entity, oldest first, from the hash-chained audit log.',
  async handler(ctx, req) {
    const limit = pageLimit(req.query.limit, 1000);
    await chainAllPendingAudit(ctx.pool);
    const records = await queries.audit.listAuditForEntity(
      ctx.pool,
      req.params.entityType,
      req.params.entityId,
      {
        afterSeq: afterSeq(req.query.continuationToken),
        limit,
      },
    );
    return page(records, limit);
  },
});

authApi.declare({
  name: 'listAuditHistory',
  method: 'GET',
  route: '/clients/<clientId>/audit',
  params: { clientId: clientIdParam },
  query: { continuationToken: seqToken, limit: limitQuery },
  scopes: 'auth:client-audit-history:<clientId>',
  output: schemas.auditHistoryResponse,
  title: 'List Audit History',
  description: 'Every audited action the client performed, oldest first.',
  async handler(ctx, req) {
    const limit = pageLimit(req.query.limit, 1000);
    await chainAllPendingAudit(ctx.pool);
    const records = await queries.audit.listAuditForClient(ctx.pool, req.params.clientId, {
      afterSeq: afterSeq(req.query.continuationToken),
      limit,
    });
    return page(records, limit);
  },
});

authApi.declare({
  name: 'verifyAuditLog',
  method: 'GET',
  route: '/audit/verify',
  scopes: 'auth:audit-verify',
  output: schemas.auditVerifyResponse,
  stability: 'experimental',
  title: 'Verify Audit Log',
  description:
    'Recomputes the whole hash chain of the audit log and reports the first broken link.',
  async handler(ctx) {
    await chainAllPendingAudit(ctx.pool);
    const result = await queries.audit.verifyAuditChain(ctx.pool);
    return {
      ok: result.ok,
      checked: result.checked,
      lastHash: result.lastHash,
      ...(result.brokenAt !== undefined ? { brokenAt: Number(result.brokenAt) } : {}),
    };
  },
});
