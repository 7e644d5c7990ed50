import type pg from 'pg';
import type { Logger } from 'pino';
import type { Keyring } from '@bulwark/crypto';
import { mountApi, type RunningService, type ServicePlugin } from '@bulwark/api';
import './api/index.js';
import { signingApi } from './api/definition.js';
import type { SigningContext } from './domain/context.js';
import { QueueReader } from './domain/queue-reader.js';

export interface SigningServiceOptions {
  pool: pg.Pool;
  /** Seals the signing keys at rest (S11); the platform's keyring. */
  keyring: Keyring;
  logger: Logger;
  now?: () => Date;
}

export interface SigningService extends RunningService {
  readonly api: typeof signingApi;
  readonly context: SigningContext;
}

/** The signing service's static client: it reads provenance and artifacts from the queue. */
export const SIGNING_CLIENT_ID = 'static/bulwark/signing';

/** The signing service as a plugin of the platform; it reads the queue over HTTP. */
export function signingPlugin(options: SigningServiceOptions): ServicePlugin<SigningService> {
  return {
    name: 'signing',
    async start(platform) {
      const identity = await platform.serviceClient(
        SIGNING_CLIENT_ID,
        ['queue:get-artifact:*'],
        'Reads task provenance and artifacts to sign them',
      );
      const rootUrl = (): string => {
        const url = platform.rootUrl();
        if (url === undefined) throw new Error('the root URL is not known yet');
        return url;
      };
      return startSigningService(options, new QueueReader(rootUrl, identity));
    },
  };
}

export function startSigningService(
  options: SigningServiceOptions,
  queue: QueueReader,
): Promise<SigningService> {
  const context: SigningContext = Object.freeze({
    pool: options.pool,
    keyring: options.keyring,
    logger: options.logger,
    now: options.now ?? (() => new Date()),
    queue,
  });
  return Promise.resolve({
    api: signingApi,
    context,
    mount(app, mountContext) {
      mountApi(app, signingApi, { context, ...mountContext });
    },
    stop: () => Promise.resolve(),
  });
}
