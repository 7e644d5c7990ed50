import taskcluster from 'taskcluster-client';
import type { TestDatabase } from '@bulwark/db/testing';
import type { AuthService, RootCredentials } from '@bulwark/auth-service';
import type { QueueService, QueueServiceOptions } from '@bulwark/queue-service';
import {
  startTestPlatform as startPlatform,
  type TestPlatform as RunningPlatform,
} from '../../testing.js';

export interface TestPlatform {
  rootUrl: string;
  root: RootCredentials;
  db: TestDatabase;
  auth: AuthService;
  queue: QueueService;
  logLines: string[];
  /** The whole platform, for replicas of it. */
  running: RunningPlatform;
  close(): Promise<void>;
}

/**
 * The whole platform, started by the same composition as production, on a real
 * (per-file) PostgreSQL database, with logs captured; the queue's resolvers and
 * limits tuned as a test needs them.
 */
export async function startTestPlatform(
  options: Partial<
    Pick<
      QueueServiceOptions,
      | 'claimTimeoutSeconds'
      | 'claimWorkTimeoutMs'
      | 'claimWorkSafetyPollMs'
      | 'now'
      | 'deadlineDelayMs'
      | 'deadlineResolverIntervalMs'
      | 'artifacts'
      | 'expiryIntervalMs'
      | 'blobGraceMs'
      | 'events'
      | 'builderTrustLevels'
      | 'provenanceIntervalMs'
      | 'quorumOf'
    >
  > & {
    /** Run as another replica on that platform's database (shares its keyring and root). */
    replicaOf?: TestPlatform;
  } = {},
): Promise<TestPlatform> {
  const { replicaOf, ...queueOptions } = options;
  const running = await startPlatform({
    logLevel: 'info',
    tuning: { queue: { claimResolverIntervalMs: 200, ...queueOptions } },
    ...(replicaOf && { replicaOf: replicaOf.running }),
  });
  const { platform } = running;
  return {
    rootUrl: platform.rootUrl,
    root: running.root,
    db: running.db,
    auth: platform.running.auth,
    queue: platform.running.queue!,
    logLines: running.logLines,
    running,
    close: () => running.stop(),
  };
}

/** A Queue client holding temporary credentials with exactly these scopes. */
export function queueClient(platform: TestPlatform, scopes: string[], clientId?: string): any {
  const credentials = taskcluster.createTemporaryCredentials({
    ...(clientId ? { clientId } : {}),
    expiry: new Date(Date.now() + 60 * 60 * 1000),
    scopes,
    credentials: platform.root,
  });
  return new taskcluster.Queue({ rootUrl: platform.rootUrl, credentials, retries: 0 });
}

/** A Queue client holding the given (e.g. run) credentials. */
export function queueWith(
  platform: TestPlatform,
  credentials: { clientId: string; accessToken: string; certificate?: string },
): any {
  return new taskcluster.Queue({ rootUrl: platform.rootUrl, credentials, retries: 0 });
}

export const newTaskId = (): string => taskcluster.slugid() as string;

/** A valid task definition for the queue, overridable field by field. */
export function taskDefinition(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    taskQueueId: 'test-prov/test-worker',
    created: new Date(now).toJSON(),
    deadline: new Date(now + 60 * 60 * 1000).toJSON(),
    payload: { command: ['true'] },
    metadata: {
      name: 'test task',
      description: 'a task created by a test',
      owner: 'tests@example.com',
      source: 'https://example.com/tests',
    },
    ...overrides,
  };
}

/** The scopes a creator needs for taskDefinition() with default priority. */
export const CREATE_SCOPES = [
  'queue:create-task:lowest:test-prov/test-worker',
  'queue:create-task:project:none',
  'queue:scheduler-id:-',
];

export const WORKER_SCOPES = [
  'queue:claim-work:test-prov/test-worker',
  'queue:worker-id:test-group/worker-1',
];
