import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import taskcluster from 'taskcluster-client';
import { createApiServer, createLogger, mountApi } from '@bulwark/api';
import { FilesystemBlobStore } from '@bulwark/blobs';
import { Keyring } from '@bulwark/crypto';
import { createPool } from '@bulwark/db';
import { createTestDatabase, type TestDatabase } from '@bulwark/db/testing';
import {
  ensureRootClient,
  ensureStaticClient,
  startAuthService,
  type AuthService,
  type RootCredentials,
} from '@bulwark/auth-service';
import { startQueueService, type QueueService, type QueueServiceOptions } from '../service.js';

export interface TestPlatform {
  rootUrl: string;
  root: RootCredentials;
  db: TestDatabase;
  auth: AuthService;
  queue: QueueService;
  logLines: string[];
  close(): Promise<void>;
}

/**
 * Real auth and queue services on a real (per-file) PostgreSQL database, mounted on
 * one loopback server as the platform does, with logs captured.
 */
export async function startTestPlatform(
  options: Partial<
    Pick<
      QueueServiceOptions,
      | 'claimTimeoutSeconds'
      | 'claimWorkTimeoutMs'
      | 'deadlineDelayMs'
      | 'deadlineResolverIntervalMs'
      | 'artifacts'
      | 'expiryIntervalMs'
      | 'blobGraceMs'
      | 'events'
    >
  > & {
    /** Run as another replica on that platform's database (shares its keyring and root). */
    replicaOf?: TestPlatform;
  } = {},
): Promise<TestPlatform> {
  const { replicaOf, ...queueOptions } = options;
  const db: TestDatabase = replicaOf
    ? replicaDatabase(replicaOf.db.connectionString)
    : await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'bulwark-queue-test-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'info' }, sink);
  // Auth starts first, so the queue's revocation check is bound once the queue exists.
  const late: { queue?: QueueService } = {};
  const auth = await startAuthService({
    pool: db.pool,
    keyring: replicaOf?.auth.context.keyring ?? new Keyring([Keyring.generateKey('test')]),
    logger,
    isRevoked: (clientId) =>
      late.queue ? late.queue.runCredentialsRevoked(clientId) : clientId.startsWith('task-client/'),
  });
  const accessToken = await ensureStaticClient(
    auth.context,
    'static/bulwark/queue',
    ['*'],
    'Issues run credentials',
  );
  const queue = await startQueueService({
    pool: db.pool,
    logger,
    identity: { clientId: 'static/bulwark/queue', accessToken },
    claimResolverIntervalMs: 200,
    blobs: await FilesystemBlobStore.open({ directory: join(dataDir, 'blobs') }),
    ...queueOptions,
  });
  late.queue = queue;
  const app = createApiServer({ logger });
  mountApi(app, auth.api, { context: auth.context, authenticator: auth.validator });
  mountApi(app, queue.api, {
    context: queue.context,
    authenticator: auth.validator,
    validateOutput: true,
  });
  queue.mountObjectApi(app, { authenticator: auth.validator, validateOutput: true });
  app.addHook('preClose', () => queue.stop());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const rootUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let root: RootCredentials;
  if (replicaOf) {
    root = { ...replicaOf.root, rootUrl };
  } else {
    const credentialsPath = join(dataDir, 'root-credentials.json');
    await ensureRootClient(auth.context, credentialsPath, rootUrl);
    root = JSON.parse(await readFile(credentialsPath, 'utf8')) as RootCredentials;
  }
  return {
    rootUrl,
    root,
    db,
    auth,
    queue,
    logLines,
    async close() {
      await app.close();
      await queue.stop();
      await auth.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A second connection pool on an existing test database; drop() only closes it. */
function replicaDatabase(connectionString: string): TestDatabase {
  const pool = createPool(connectionString, { max: 5, allowExitOnIdle: true });
  return { connectionString, pool, drop: () => pool.end() };
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
