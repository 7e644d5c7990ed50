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
import { ensureRootClient, ensureStaticClient, startAuthService } from '@bulwark/auth-service';
import { startQueueService, type QueueService } from '@bulwark/queue-service';
import { startSecretsService } from '@bulwark/secrets-service';
import type { PlatformConfig } from './config.js';

export interface Platform {
  readonly rootUrl: string;
  readonly port: number;
  readonly rootCredentialsPath: string;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/**
 * The composition root: database, keyring, services and the HTTP server, started
 * in dependency order and stopped in reverse. The only place that wires the
 * database to the services.
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
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    await chmod(config.dataDir, 0o700);
    let connectionString = config.databaseUrl;
    if (!connectionString) {
      const embedded: EmbeddedServer = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        logger,
      });
      stack.push(() => embedded.stop());
      connectionString = embedded.connectionString;
    }
    const pool: pg.Pool = createPool(connectionString, { applicationName: 'bulwark' });
    stack.push(() => pool.end());
    await migrate(pool, migrations);

    const keyring: Keyring = config.keyringJson
      ? parseKeyring(config.keyringJson)
      : await loadOrCreateKeyringFile(join(config.dataDir, 'keyring.json'));

    // Auth starts first but must consult the queue for run credentials (S3); until
    // the queue is up, run credentials are refused (fail closed).
    const late: { queue?: QueueService } = {};
    const auth = await startAuthService({
      pool,
      keyring,
      logger,
      replayProtection: config.replayProtection,
      isRevoked: (clientId) =>
        late.queue
          ? late.queue.runCredentialsRevoked(clientId)
          : clientId.startsWith('task-client/'),
    });
    stack.push(() => auth.stop());

    const queueClientId = 'static/bulwark/queue';
    const queueAccessToken = await ensureStaticClient(
      auth.context,
      queueClientId,
      ['*'],
      'Issues run credentials',
    );
    // Links the queue hands out (upload and signed download URLs) use the root URL,
    // which is final once the server listens.
    const published: { rootUrl?: string } = {};
    const queue = await startQueueService({
      pool,
      logger,
      claimTimeoutSeconds: config.claimTimeoutSeconds,
      blobs: await FilesystemBlobStore.open({ directory: config.blobsDir }),
      artifacts: { rootUrl: () => published.rootUrl },
      identity: { clientId: queueClientId, accessToken: queueAccessToken },
    });
    late.queue = queue;
    stack.push(() => queue.stop());

    // Seals values under the same keyring as access tokens (S11).
    const secrets = await startSecretsService({ pool, keyring, logger });
    stack.push(() => secrets.stop());

    const app = createApiServer({ logger });
    mountApi(app, auth.api, { context: auth.context, authenticator: auth.validator });
    mountApi(app, queue.api, { context: queue.context, authenticator: auth.validator });
    queue.mountObjectApi(app, { authenticator: auth.validator });
    mountApi(app, secrets.api, { context: secrets.context, authenticator: auth.validator });
    // Before close waits for in-flight requests: end claimWork long polls at once.
    app.addHook('preClose', () => queue.stop());
    await app.listen({ host: config.host, port: config.port });
    stack.push(() => app.close());
    const port = (app.server.address() as AddressInfo).port;
    const rootUrl = config.rootUrl.replace(/:0$/, `:${port}`);
    published.rootUrl = rootUrl;

    const rootCredentialsPath = join(config.dataDir, 'root-credentials.json');
    const { created } = await ensureRootClient(auth.context, rootCredentialsPath, rootUrl);
    logger.info({ rootUrl, rootCredentialsPath, rootClientCreated: created }, 'bulwark is ready');
    return { rootUrl, port, rootCredentialsPath, logger, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
