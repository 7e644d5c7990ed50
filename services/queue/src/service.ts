import type pg from 'pg';
import type { Logger } from 'pino';
import {
  mountApi,
  type MountOptions,
  type ReferenceSource,
  type RunningService,
  type ServicePlugin,
} from '@bulwark/api';
import type { BlobStore } from '@bulwark/blobs';
import type { Keyring } from '@bulwark/crypto';
import { mountObjectApi } from './api/object-mount.js';
import { artifactExpiryJob } from './domain/artifact-expiry.js';
import { artifactStorage, type ArtifactStorageOptions } from './domain/artifact-storage.js';
import './api/index.js';
import { queueApi } from './api/definition.js';
import { objectApi } from './api/object-definition.js';
import { queueExchanges } from './events/amqp/exchanges.js';
import { repeatJob } from '@bulwark/db';
import { resolveExpiredClaims } from './domain/claim-expiry.js';
import { resolvePastDeadlines } from './domain/deadline-resolver.js';
import { expireQueueRecordsJob } from './domain/expiry.js';
import { TaskQueueActivity } from './domain/task-queue-activity.js';
import type { QueueContext, QueueIdentity } from './domain/context.js';
import { runCredentialsRevocation } from './domain/revocation.js';
import { WorkWaiters } from './domain/work-waiters.js';
import { DEFAULT_EVENT_OPTIONS, TaskEventBus, type TaskEventBusOptions } from './events/bus.js';
import { AmqpPublisher, type AmqpOptions } from './events/amqp/publisher.js';
import { ProvenanceKeys } from './domain/provenance-keys.js';
import { PassRunner, type QuorumSource } from './domain/provenance-service.js';
import { quorumFactsOf } from './domain/quorum-facts.js';
import { writeNextProvenance } from './domain/provenance-writer.js';
import type { TrustLevelRule } from './domain/trust-levels.js';

export interface QueueServiceOptions {
  pool: pg.Pool;
  logger: Logger;
  /** The queue's static client (`static/bulwark/queue`), which signs run credentials. */
  identity: QueueIdentity;
  /** Seconds a claim lasts; Taskcluster's default, 1200, unless configured. */
  claimTimeoutSeconds?: number;
  /** claimWork's long-poll limit; 20 s as Taskcluster unless configured. */
  claimWorkTimeoutMs?: number;
  /**
   * How often a waiting claimWork looks again without a notification, in case one was
   * lost; default 5 s. Tests that prove the notification wakes it set it out of reach.
   */
  claimWorkSafetyPollMs?: number;
  /** How often the claim-expiry resolver looks for expired claims; default 1 s. */
  claimResolverIntervalMs?: number;
  /** How long after a deadline the deadline resolver acts; default 60 s, as Taskcluster's config. */
  deadlineDelayMs?: number;
  /** How often the deadline resolver looks for tasks past their deadline; default 5 s. */
  deadlineResolverIntervalMs?: number;
  maxTaskDeadlineDays?: number;
  /** How often expired tasks, groups, workers and task queues are deleted; default 60 s. */
  expiryIntervalMs?: number;
  /**
   * The queue's clock: every time it decides by (claims, their expiry, claimWork's
   * long poll, deadlines) is read from it. The system's clock unless a test injects one.
   */
  now?: () => Date;
  /** Where artifact data is stored (the platform: a filesystem store in `<data-dir>/blobs`). */
  blobs: BlobStore;
  /** Limits and links for artifact data; see ArtifactStorage. */
  artifacts?: Omit<ArtifactStorageOptions, 'store'>;
  /** How long an unreferenced blob is kept before it is collected; default 10 min. */
  blobGraceMs?: number;
  /**
   * Limits of the task event streams (see TaskEventBusOptions for the defaults), and
   * `amqp` to publish the same events to an AMQP broker as well (off when absent).
   */
  events?: Partial<TaskEventBusOptions> & { amqp?: AmqpOptions };
  /** Seals the provenance signing keys at rest (S11); the platform's keyring. */
  keyring: Keyring;
  /** The operator's trust levels of task queues; every queue is level 1 when absent. */
  builderTrustLevels?: readonly TrustLevelRule[];
  /** How often provenance left waiting (by any replica) is looked for; default 1 s. */
  provenanceIntervalMs?: number;
  /** A task's quorum, for its provenance and VSA; by default the queue's own decision. */
  quorumOf?: QuorumSource;
}

export interface QueueService extends RunningService {
  readonly api: typeof queueApi;
  readonly context: QueueContext;
  /** The AMQP publisher, when `events.amqp` is configured. */
  readonly amqp: AmqpPublisher | undefined;
  /** What the root URL's references describe: the queue and object APIs and the exchanges. */
  readonly references: readonly ReferenceSource[];
  /** For the auth service's `isRevoked`: run credentials die when their run resolves (S3). */
  readonly runCredentialsRevoked: (clientId: string) => boolean | Promise<boolean>;
  drain(): Promise<void>;
  /** Mounts the object API (artifact uploads and downloads) on the server. */
  mountObjectApi(
    app: Parameters<typeof mountObjectApi>[0],
    options: Omit<MountOptions<QueueContext>, 'context'>,
  ): void;
}

/** The queue's static client, which signs the run credentials it issues. */
export const QUEUE_CLIENT_ID = 'static/bulwark/queue';

/**
 * The queue as a plugin of the platform: it acts as its own static client (made by
 * the authority), and its artifact links use the platform's root URL unless given one.
 */
export function queuePlugin(
  options: Omit<QueueServiceOptions, 'identity'>,
): ServicePlugin<QueueService> {
  return {
    name: 'queue',
    async start(platform) {
      const identity = await platform.serviceClient(
        QUEUE_CLIENT_ID,
        ['*'],
        'Issues run credentials',
      );
      return startQueueService({
        ...options,
        identity,
        artifacts: { rootUrl: platform.rootUrl, ...options.artifacts },
      });
    },
  };
}

export async function startQueueService(options: QueueServiceOptions): Promise<QueueService> {
  const waiters = new WorkWaiters(options.pool, options.logger);
  await waiters.start();
  const { amqp: amqpOptions, ...eventLimits } = options.events ?? {};
  const events = new TaskEventBus(options.pool, options.logger, {
    ...DEFAULT_EVENT_OPTIONS,
    ...eventLimits,
  });
  const amqp = amqpOptions && new AmqpPublisher(options.pool, options.logger, amqpOptions);
  amqp?.start();
  const stopping = new AbortController();
  // Bounded, so one pass never holds the process's shutdown for long.
  const writeAll = async (): Promise<boolean> => {
    for (let i = 0; i < 100; i++) if (!(await writeNextProvenance(context))) return false;
    return true;
  };
  const passes = new PassRunner(writeAll, options.logger);
  const rootUrl = options.artifacts?.rootUrl;
  const context: QueueContext = Object.freeze({
    pool: options.pool,
    logger: options.logger,
    now: options.now ?? (() => new Date()),
    identity: options.identity,
    claimTimeoutSeconds: options.claimTimeoutSeconds ?? 1200,
    claimWorkTimeoutMs: options.claimWorkTimeoutMs ?? 20_000,
    claimWorkSafetyPollMs: options.claimWorkSafetyPollMs ?? 5000,
    maxTaskDeadlineDays: options.maxTaskDeadlineDays ?? 5,
    waiters,
    taskQueueActivity: new TaskQueueActivity(options.pool, options.logger),
    blobs: artifactStorage({ store: options.blobs, ...options.artifacts }),
    events,
    stopping: stopping.signal,
    provenance: Object.freeze({
      keys: new ProvenanceKeys(options.keyring),
      trustLevels: options.builderTrustLevels ?? [],
      rootUrl: () => {
        const url = rootUrl?.();
        if (url === undefined) throw new Error('the root URL is not known yet');
        return url;
      },
      quorumOf: options.quorumOf ?? quorumFactsOf,
      nudge: () => passes.nudge(),
    }),
  });
  const stopProvenance = repeatJob(
    'provenance',
    options.provenanceIntervalMs ?? 1000,
    writeAll,
    options.logger,
  );
  const stopClaimResolver = repeatJob(
    'claim-expiry',
    options.claimResolverIntervalMs ?? 1000,
    async () => (await resolveExpiredClaims(context)) > 0,
    options.logger,
  );
  const deadlineDelayMs = options.deadlineDelayMs ?? 60_000;
  const stopDeadlineResolver = repeatJob(
    'deadline',
    options.deadlineResolverIntervalMs ?? 5000,
    async () => (await resolvePastDeadlines(context, deadlineDelayMs)) > 0,
    options.logger,
  );
  const stopExpiry = repeatJob(
    'expiry',
    options.expiryIntervalMs ?? 60_000,
    () => expireQueueRecordsJob(context),
    options.logger,
  );
  const stopArtifactExpiry = repeatJob(
    'artifact-expiry',
    options.expiryIntervalMs ?? 60_000,
    () => artifactExpiryJob(context, options.blobGraceMs ?? 10 * 60 * 1000),
    options.logger,
  );
  // Idempotent: the platform calls it (as drain) before the HTTP server closes, so
  // that waiting claimWork calls answer at once instead of holding shutdown for 20 s,
  // and event streams end instead of holding it for up to an hour.
  const stop = async (): Promise<void> => {
    waiters.stop();
    events.stop();
    stopping.abort();
    await stopClaimResolver();
    await stopDeadlineResolver();
    await stopExpiry();
    await stopArtifactExpiry();
    await passes.stop();
    await stopProvenance();
    await amqp?.stop();
  };
  return {
    api: queueApi,
    context,
    amqp,
    references: [queueApi, objectApi, queueExchanges],
    runCredentialsRevoked: runCredentialsRevocation(options.pool),
    drain: stop,
    stop,
    mount(app, mountContext) {
      mountApi(app, queueApi, { context, ...mountContext });
      mountObjectApi(app, { context, ...mountContext });
    },
    mountObjectApi: (app, mountOptions) => mountObjectApi(app, { ...mountOptions, context }),
  };
}
