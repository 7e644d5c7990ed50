import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';

/** Everything a secrets endpoint or job may use; built once at start-up and frozen. */
export interface SecretsContext {
  readonly pool: pg.Pool;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /**
   * A clock for tests. Unset in production: expiry is then judged by the database
   * server's clock, the one clock every replica shares.
   */
  readonly now: (() => Date) | undefined;
}
