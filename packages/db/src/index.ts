export {
  startEmbeddedPostgres,
  EMBEDDED_DATABASE,
  type EmbeddedServer,
  type EmbeddedServerLogger,
  type EmbeddedServerOptions,
} from './embedded-server.js';
export { socketConnectionString, withDatabase } from './connection-string.js';
export {
  createPool,
  withTransaction,
  type IsolationLevel,
  type PoolOptions,
  type TransactionOptions,
} from './pool.js';
export {
  migrate,
  migrationChecksum,
  validateMigrations,
  MigrationError,
  type Migration,
} from './migrate.js';
export { migrations } from './migrations/index.js';
export { repeatJob, type JobLogger } from './repeat-job.js';
export {
  AUDIT_CHAIN_BATCH,
  chainAllPendingAudit,
  chainAuditBatch,
  chainAuditJob,
} from './audit-chainer.js';
export * as queries from './queries/index.js';
export type {
  AuditEntry,
  AuditRecord,
  ChainVerification,
  ClientRow,
  IdentityProviderRow,
  LoginSessionRow,
  SigninAttemptRow,
  Queryable,
  RoleRow,
} from './queries/index.js';
