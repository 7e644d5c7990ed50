import type pg from 'pg';
import type { Logger, ServicePlugin } from '@bulwark/api';
import type { BlobStore } from '@bulwark/blobs';
import type { Keyring } from '@bulwark/crypto';
import { authPlugin, type AuthServiceOptions } from '@bulwark/auth-service';
import {
  queuePlugin,
  runCredentialsRevocation,
  type QueueService,
  type QueueServiceOptions,
} from '@bulwark/queue-service';
import { secretsPlugin, type SecretsServiceOptions } from '@bulwark/secrets-service';
import { signingPlugin, type SigningServiceOptions } from '@bulwark/signing-service';
import type { PlatformConfig } from './config.js';

/** What every service of one process shares. */
export interface PlatformResources {
  readonly pool: pg.Pool;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /** Artifact data; opened only by a process that serves the queue. */
  readonly blobs: () => Promise<BlobStore>;
}

type Shared = 'pool' | 'keyring' | 'logger' | 'blobs' | 'identity';

/**
 * Settings of each service beyond the configuration file: intervals, limits and
 * clocks. Production leaves them at their defaults; tests shorten them.
 */
export interface ServiceTuning {
  auth?: Partial<Omit<AuthServiceOptions, Shared | 'isRevoked'>>;
  queue?: Partial<Omit<QueueServiceOptions, Shared>>;
  secrets?: Partial<Omit<SecretsServiceOptions, Shared>>;
  signing?: Partial<Omit<SigningServiceOptions, Shared>>;
}

/**
 * The platform's services as plugins, in their start order: the auth service as the
 * authority (every process authenticates, whichever services it serves), then the
 * queue and the secrets service where this process serves them.
 */
export function servicePlugins(
  config: PlatformConfig,
  resources: PlatformResources,
  tuning: ServiceTuning = {},
) {
  const { pool, keyring, logger, blobs } = resources;
  const serves = (name: 'queue' | 'secrets' | 'signing'): boolean => config.services.includes(name);
  return {
    // Run credentials die when their run resolves (S3). The check reads the run from
    // the database, so a process without the queue service revokes them exactly as
    // the queue does; a failed query fails the request (closed), it never admits it.
    authority: authPlugin({
      pool,
      keyring,
      logger,
      isRevoked: runCredentialsRevocation(pool),
      ...tuning.auth,
    }),
    services: {
      ...(serves('queue') && {
        queue: {
          name: 'queue',
          start: async (platform) =>
            queuePlugin({
              pool,
              logger,
              // Seals the provenance signing keys, as tokens and secrets (S11).
              keyring,
              blobs: await blobs(),
              claimTimeoutSeconds: config.claimTimeoutSeconds,
              builderTrustLevels: config.builderTrustLevels,
              ...(config.amqp && { events: { amqp: config.amqp } }),
              ...tuning.queue,
            }).start(platform),
        } satisfies ServicePlugin<QueueService>,
      }),
      // Seals values under the same keyring as access tokens (S11).
      ...(serves('secrets') && {
        secrets: secretsPlugin({ pool, keyring, logger, ...tuning.secrets }),
      }),
      // Seals release keys under the same keyring (S11); reads the queue over HTTP.
      ...(serves('signing') && {
        signing: signingPlugin({ pool, keyring, logger, ...tuning.signing }),
      }),
    },
  };
}
