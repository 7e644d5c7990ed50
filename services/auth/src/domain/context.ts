import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import type { CredentialStore } from './credential-store.js';
import type { ProviderDirectory } from './identity/discovery.js';
import type { SignatureValidator } from './signature-validator.js';

/** Everything an auth endpoint may use; built once at start-up and frozen. */
export interface AuthContext {
  readonly pool: pg.Pool;
  readonly keyring: Keyring;
  readonly store: CredentialStore;
  readonly validator: SignatureValidator;
  readonly skewSeconds: number;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Discovery documents and key sets of the configured identity providers (D37). */
  readonly identityProviders: ProviderDirectory;
}
