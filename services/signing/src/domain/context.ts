import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import type { QueueReader } from './queue-reader.js';

/** Everything a signing endpoint may use; built once at start-up and frozen. */
export interface SigningContext {
  readonly pool: pg.Pool;
  /** Seals the signing keys at rest (S11); the platform's keyring. */
  readonly keyring: Keyring;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Provenance, its keys and artifacts, read from the queue over HTTP. */
  readonly queue: QueueReader;
}
