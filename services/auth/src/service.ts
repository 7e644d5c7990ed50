import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import { mountApi, type AuthorityPlugin, type RunningAuthority } from '@bulwark/api';
import { chainAuditJob, queries, repeatJob } from '@bulwark/db';
import './api/index.js';
import { authApi } from './api/definition.js';
import { ensureStaticClient } from './domain/bootstrap.js';
import type { AuthContext } from './domain/context.js';
import { CredentialStore } from './domain/credential-store.js';
import { ProviderDirectory } from './domain/identity/discovery.js';
import { loginRevocation } from './domain/identity/login-revocation.js';
import { purgeExpiredClients } from './domain/maintenance.js';
import { ReplayGuard } from './domain/replay-guard.js';
import { SignatureValidator } from './domain/signature-validator.js';

export interface AuthServiceOptions {
  pool: pg.Pool;
  keyring: Keyring;
  logger: Logger;
  /** Allowed clock skew for Hawk timestamps; 5 minutes unless configured. */
  skewSeconds?: number;
  now?: () => Date;
  /** See SignatureValidatorOptions.isRevoked; the queue revokes a run's credentials. */
  isRevoked?: (clientId: string) => boolean | Promise<boolean>;
}

export interface AuthService extends RunningAuthority {
  readonly api: typeof authApi;
  readonly context: AuthContext;
  readonly validator: SignatureValidator;
}

/** The auth service as the platform's authority: started first, its validator checks every request. */
export function authPlugin(options: AuthServiceOptions): AuthorityPlugin<AuthService> {
  return { name: 'auth', start: () => startAuthService(options) };
}

export async function startAuthService(options: AuthServiceOptions): Promise<AuthService> {
  const skewSeconds = options.skewSeconds ?? 300;
  const now = options.now ?? (() => new Date());
  const store = new CredentialStore(options.pool, options.keyring, options.logger);
  await store.start();
  // Seen nonces live in the database only (S13, D24): shared by every process and
  // kept across restarts.
  const replayGuard = new ReplayGuard(options.pool, skewSeconds);
  // Login credentials end at sign-out (D37); other names are the platform's to revoke.
  const loginRevoked = loginRevocation(options.pool);
  const otherRevoked = options.isRevoked;
  const validator = new SignatureValidator({
    store,
    replayGuard,
    skewSeconds,
    now: options.now ? () => now().getTime() : Date.now,
    isRevoked: (clientId) => {
      const login = loginRevoked(clientId);
      if (login !== false) return login;
      return otherRevoked ? otherRevoked(clientId) : false;
    },
  });
  const context: AuthContext = Object.freeze({
    pool: options.pool,
    keyring: options.keyring,
    store,
    validator,
    skewSeconds,
    logger: options.logger,
    now,
    identityProviders: new ProviderDirectory(() => now().getTime()),
  });
  const stopJobs = [
    repeatJob(
      'nonce-prune',
      60_000,
      () => replayGuard.prune(Math.floor(now().getTime() / 1000)),
      options.logger,
    ),
    repeatJob(
      'identity-prune',
      5 * 60_000,
      () => queries.identity.pruneIdentityRows(options.pool, now()),
      options.logger,
    ),
    repeatJob('client-expiry', 5 * 60_000, () => purgeExpiredClients(context), options.logger),
    // Links audit entries of every service into the hash chain, shortly after they commit.
    repeatJob('audit-chain', 100, () => chainAuditJob(options.pool), options.logger),
  ];
  return {
    api: authApi,
    context,
    validator,
    authenticator: validator,
    serviceClient: async (clientId, scopes, description) => ({
      clientId,
      accessToken: await ensureStaticClient(context, clientId, scopes, description),
    }),
    mount(app, { authenticator, validateOutput }) {
      mountApi(app, authApi, { context, authenticator, validateOutput });
    },
    async stop() {
      await Promise.all(stopJobs.map((stop) => stop()));
      await store.stop();
    },
  };
}
