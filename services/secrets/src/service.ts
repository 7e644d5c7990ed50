import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import { mountApi, type RunningService, type ServicePlugin } from '@bulwark/api';
import './api/index.js';
import { secretsApi } from './api/definition.js';
import type { SecretsContext } from './domain/context.js';
import { repeatJob } from '@bulwark/db';
import { sweepExpiredSecrets } from './domain/sweep.js';

export interface SecretsServiceOptions {
  pool: pg.Pool;
  /** The keyring that seals values at rest (S11); the same one that seals access tokens. */
  keyring: Keyring;
  logger: Logger;
  /** How often expired secrets are deleted; every minute unless configured. */
  sweepIntervalMs?: number;
  /** A clock for tests; by default the database server's clock judges expiry. */
  now?: () => Date;
}

export interface SecretsService extends RunningService {
  readonly api: typeof secretsApi;
  readonly context: SecretsContext;
}

/** The secrets service as a plugin of the platform. */
export function secretsPlugin(options: SecretsServiceOptions): ServicePlugin<SecretsService> {
  return { name: 'secrets', start: () => startSecretsService(options) };
}

/**
 * Starts the secrets service: its API (to be mounted with an authenticator, e.g. the
 * auth service's validator) and the background sweep of expired secrets, which is
 * safe to run on every replica.
 */
export async function startSecretsService(options: SecretsServiceOptions): Promise<SecretsService> {
  const context: SecretsContext = Object.freeze({
    pool: options.pool,
    keyring: options.keyring,
    logger: options.logger,
    now: options.now,
  });
  const stopSweep = repeatJob(
    'secrets-expiry',
    options.sweepIntervalMs ?? 60_000,
    () => sweepExpiredSecrets(context),
    options.logger,
  );
  return {
    api: secretsApi,
    context,
    mount(app, mountContext) {
      mountApi(app, secretsApi, { context, ...mountContext });
    },
    async stop() {
      await stopSweep();
    },
  };
}
