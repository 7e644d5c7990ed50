import { mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { createApiServer, createLogger, mountApi, type Logger } from '@bulwark/api';
import { FilesystemBlobStore } from '@bulwark/blobs';
import { loadOrCreateKeyringFile, parseKeyring, type Keyring } from '@bulwark/crypto';
import {
  createPool,
  migrate,
  migrations,
  startEmbeddedPostgres,
  type EmbeddedServer,
} from '@bulwark/db';
import { ensureStaticClient, startAuthService } from '@bulwark/auth-service';
import {
  runCredentialsRevocation,
  startQueueService,
  type QueueService,
} from '@bulwark/queue-service';
import { startSecretsService, type SecretsService } from '@bulwark/secrets-service';
import { checkConfig, type PlatformConfig, type ServiceName } from './config.js';
import { checkKeyringOpensTokens } from './keyring-check.js';
import { bootstrapRoot, type RootCredentialsState } from './root-bootstrap.js';

export interface Platform {
  readonly rootUrl: string;
  readonly port: number;
  /** The services this process serves (see PlatformConfig.services). */
  readonly services: readonly ServiceName[];
  /** Where this process keeps the root client's credentials, when it keeps them. */
  readonly rootCredentialsPath: string;
  readonly rootCredentials: RootCredentialsState;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/**
 * The composition root: database, keyring, services and the HTTP server, started
 * in dependency order and stopped in reverse. The only place that wires the
 * database to the services. It starts the services of config.services only, but
 * authentication always: each process checks signatures against the shared
 * database itself, so a replica never depends on an auth replica being reachable.
 */
export async function startPlatform(
  config: PlatformConfig,
  logger = createLogger({ level: config.logLevel }),
): Promise<Platform> {
  const stack: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    while (stack.length > 0)
      await stack.pop()!().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'));
  };
  try {
    checkConfig(config);
    const serves = (name: ServiceName): boolean => config.services.includes(name);
    let connectionString = config.databaseUrl;
    if (!connectionString) {
      // First: it refuses a data directory another instance uses before anything in
      // it is created or changed (a running instance's files are its own).
      const embedded: EmbeddedServer = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        logger,
      });
      stack.push(() => embedded.stop());
      connectionString = embedded.connectionString;
    }
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    await chmod(config.dataDir, 0o700);
    const pool: pg.Pool = createPool(connectionString, { applicationName: 'bulwark' });
    stack.push(() => pool.end());
    await migrate(pool, migrations);

    const keyring: Keyring = config.keyringJson
      ? parseKeyring(config.keyringJson)
      : await loadOrCreateKeyringFile(join(config.dataDir, 'keyring.json'));

    await checkKeyringOpensTokens(pool, keyring);
    // Run credentials die when their run resolves (S3). The check reads the run from
    // the database, so a process without the queue service revokes them exactly as
    // the queue does; a failed query fails the request (closed), it never admits it.
    const auth = await startAuthService({
      pool,
      keyring,
      logger,
      isRevoked: runCredentialsRevocation(pool),
    });
    stack.push(() => auth.stop());

    // Links the queue hands out (upload and signed download URLs) use the root URL,
    // which is final once the server listens.
    const published: { rootUrl?: string } = {};
    let queue: QueueService | undefined;
    if (serves('queue')) {
      const queueClientId = 'static/bulwark/queue';
      const queueAccessToken = await ensureStaticClient(
        auth.context,
        queueClientId,
        ['*'],
        'Issues run credentials',
      );
      queue = await startQueueService({
        pool,
        logger,
        claimTimeoutSeconds: config.claimTimeoutSeconds,
        blobs: await FilesystemBlobStore.open({ directory: config.blobsDir }),
        artifacts: { rootUrl: () => published.rootUrl },
        identity: { clientId: queueClientId, accessToken: queueAccessToken },
        ...(config.amqp && { events: { amqp: config.amqp } }),
      });
      const started = queue;
      stack.push(() => started.stop());
    }

    let secrets: SecretsService | undefined;
    if (serves('secrets')) {
      // Seals values under the same keyring as access tokens (S11).
      secrets = await startSecretsService({ pool, keyring, logger });
      const started = secrets;
      stack.push(() => started.stop());
    }

    const app = createApiServer({ logger });
    if (serves('auth')) {
      mountApi(app, auth.api, { context: auth.context, authenticator: auth.validator });
    }
    if (queue) {
      const started = queue;
      mountApi(app, queue.api, { context: queue.context, authenticator: auth.validator });
      queue.mountObjectApi(app, { authenticator: auth.validator });
      // Before close waits for in-flight requests: end claimWork long polls at once.
      app.addHook('preClose', () => started.stop());
    }
    if (secrets) {
      mountApi(app, secrets.api, { context: secrets.context, authenticator: auth.validator });
    }
    await app.listen({ host: config.host, port: config.port });
    stack.push(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    const rootUrl = config.rootUrl.replace(/:0$/, `:${port}`);
    published.rootUrl = rootUrl;

    const rootCredentialsPath = join(config.dataDir, 'root-credentials.json');
    const rootCredentials = await bootstrapRoot(config, auth, rootCredentialsPath, rootUrl, logger);
    logger.info(
      { rootUrl, services: config.services, rootCredentialsPath, rootCredentials },
      'bulwark is ready',
    );
    return {
      rootUrl,
      port,
      services: config.services,
      rootCredentialsPath,
      rootCredentials,
      logger,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
