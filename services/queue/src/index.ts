export {
  QUEUE_CLIENT_ID,
  queuePlugin,
  startQueueService,
  type QueueService,
  type QueueServiceOptions,
} from './service.js';
// One pass of each maintenance job, as the background jobs run them (operators' tools, tests).
export { artifactExpiryJob, collectUnreferencedBlobs } from './domain/artifact-expiry.js';
export { expireQueueRecords } from './domain/expiry.js';
export { resolveExpiredClaims } from './domain/claim-expiry.js';
export { queueApi } from './api/definition.js';
export { objectApi } from './api/object-definition.js';
export { runCredentialsRevocation } from './domain/revocation.js';
export type { QueueContext, QueueIdentity } from './domain/context.js';
export { queueExchanges } from './events/amqp/exchanges.js';
// The decision of a task verified by a quorum, for whoever vouches for its result.
export {
  quorumOutcome,
  type ArtifactComparison,
  type QuorumOutcome,
  type ReplicaDigest,
  type ReplicaOutcome,
} from './domain/quorum-outcome.js';
