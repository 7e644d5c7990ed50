import { mkdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { composePlatform, createLogger, mountReferences, type Logger } from '@bulwark/api';
import { FilesystemBlobStore } from '@bulwark/blobs';
import { loadOrCreateKeyringFile, parseKeyring, type Keyring } from '@bulwark/crypto';
import {
  createPool,
  migrate,
  migrations,
  startEmbeddedPostgres,
  type EmbeddedServer,
} from '@bulwark/db';
import { authApi, type AuthService } from '@bulwark/auth-service';
import { objectApi, queueApi, queueExchanges, type QueueService } from '@bulwark/queue-service';
import { secretsApi, type SecretsService } from '@bulwark/secrets-service';
import { signingApi, type SigningService } from '@bulwark/signing-service';
import { checkConfig, type PlatformConfig, type ServiceName } from './config.js';
import { checkKeyringOpensTokens } from './keyring-check.js';
import { bootstrapRoot, type RootCredentialsState } from './root-bootstrap.js';
import { loadUi, mountUi } from './ui-routes.js';
import { servicePlugins, type ServiceTuning } from './service-plugins.js';

export interface Platform {
  readonly rootUrl: string;
  readonly port: number;
  /** The services this process serves (see PlatformConfig.services). */
  readonly services: readonly ServiceName[];
  /** Where this process keeps the root client's credentials, when it keeps them. */
  readonly rootCredentialsPath: string;
  readonly rootCredentials: RootCredentialsState;
  readonly logger: Logger;
  /** The running services, for tests that look inside them (and operators' tools). */
  readonly running: {
    readonly auth: AuthService;
    readonly queue?: QueueService | undefined;
    readonly secrets?: SecretsService | undefined;
    readonly signing?: SigningService | undefined;
  };
  /**
   * The one ordered shutdown: the server stops accepting and drains (claimWork long
   * polls and event streams end at once), the services stop in reverse order of their
   * start, the authentication last, then the pool and the embedded database.
   */
  stop(): Promise<void>;
}

export interface PlatformOptions {
  logger?: Logger;
  /** Intervals, limits and clocks of the services (tests shorten them). */
  tuning?: ServiceTuning;
  /** Validate every response against its declared schema (tests). */
  validateOutput?: boolean;
}

/**
 * The composition root: database, keyring and blob store, then the services as
 * plugins through the one composition (composePlatform), started in dependency order
 * and stopped in reverse. The only place that wires the database to the services;
 * production and every test harness start the platform here. It starts the services
 * of config.services only, but authentication always: each process checks signatures
 * against the shared database itself, so a replica never depends on an auth replica
 * being reachable.
 */
export async function startPlatform(
  config: PlatformConfig,
  options: PlatformOptions = {},
): Promise<Platform> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
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
    const blobs = () => FilesystemBlobStore.open({ directory: config.blobsDir });
    const plugins = servicePlugins(config, { pool, keyring, logger, blobs }, options.tuning);
    const ui = await loadUi();
    if (!ui) logger.warn('the web UI is not built (npm run build builds it): / serves nothing');
    const composed = await composePlatform({
      logger,
      ...plugins,
      mountAuthority: serves('auth'),
      host: config.host,
      port: config.port,
      // Links the queue hands out (upload and signed download URLs) use the root
      // URL, which is final once the server listens.
      rootUrl: (port) => config.rootUrl.replace(/:0$/, `:${port}`),
      validateOutput: options.validateOutput ?? false,
      // Taskcluster's manifest, references and schemas at the root URL, for what this
      // process serves, generated from the same declarations,
      // and the web UI at /, a client of these APIs like any other.
      platformRoutes: (app) => {
        mountReferences(app, [
          serves('auth') && authApi,
          ...(serves('queue') ? [queueApi, objectApi, queueExchanges] : []),
          serves('secrets') && secretsApi,
          serves('signing') && signingApi,
        ]);
        if (ui) mountUi(app, ui);
      },
    });
    stack.push(() => composed.stop());
    const { rootUrl, port, authority: auth } = composed;

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
      running: {
        auth,
        queue: composed.services.queue,
        secrets: composed.services.secrets,
        signing: composed.services.signing,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
