export { startQueueService, type QueueService, type QueueServiceOptions } from './service.js';
export { queueApi } from './api/definition.js';
export { objectApi } from './api/object-definition.js';
export { runCredentialsRevocation } from './domain/revocation.js';
export type { QueueContext, QueueIdentity } from './domain/context.js';
