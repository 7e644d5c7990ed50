import type pg from 'pg';
import type { Logger } from 'pino';
import type { TaskEventBus } from '../events/bus.js';
import type { ArtifactStorage } from './artifact-storage.js';
import type { ProvenanceContext } from './provenance-service.js';
import type { TaskQueueActivity } from './task-queue-activity.js';
import type { WorkWaiters } from './work-waiters.js';

/** The queue's own static client, which signs run credentials. */
export interface QueueIdentity {
  readonly clientId: string;
  readonly accessToken: string;
}

/** Everything a queue endpoint may use; built once at start-up and frozen. */
export interface QueueContext {
  readonly pool: pg.Pool;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly identity: QueueIdentity;
  /** How long a claim lasts before it must be reclaimed; Taskcluster's default is 1200 s. */
  readonly claimTimeoutSeconds: number;
  /** How long claimWork waits for work before answering with no tasks, by `now`. */
  readonly claimWorkTimeoutMs: number;
  /** How often a waiting claimWork looks again without a notification (a lost one). */
  readonly claimWorkSafetyPollMs: number;
  /** Longest allowed time from now to a task's deadline, in days. */
  readonly maxTaskDeadlineDays: number;
  readonly waiters: WorkWaiters;
  /** Records task queues as seen by claimWork, rate-limited per replica. */
  readonly taskQueueActivity: TaskQueueActivity;
  /** Artifact data: the blob store and the limits and links around it. */
  readonly blobs: ArtifactStorage;
  /** Task state changes for the event stream endpoints, heard from every replica. */
  readonly events: TaskEventBus;
  /** Aborted when the service stops: long-lived responses (live logs) end then. */
  readonly stopping: AbortSignal;
  /** Signing keys and settings of the provenance the control plane writes (S17). */
  readonly provenance: ProvenanceContext;
}
