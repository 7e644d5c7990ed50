import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
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

export interface SecretsService {
  readonly api: typeof secretsApi;
  readonly context: SecretsContext;
  stop(): Promise<void>;
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
    async stop() {
      await stopSweep();
    },
  };
}
