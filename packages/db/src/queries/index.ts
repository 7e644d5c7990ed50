export * as clients from './clients.js';
export * as roles from './roles.js';
export * as audit from './audit.js';
export * as nonces from './nonces.js';
export { notify, type Queryable } from './queryable.js';
export type { ClientRow } from './clients.js';
export type { RoleRow } from './roles.js';
export type { AuditEntry, AuditRecord, ChainVerification } from './audit.js';
