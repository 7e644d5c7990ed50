import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createApiServer } from './server.js';
import type {
  AuthorityPlugin,
  MountContext,
  RunningAuthority,
  RunningService,
  ServicePlugin,
} from './service-plugin.js';

export interface ComposeOptions<
  TAuthority extends RunningAuthority,
  TServices extends Record<string, ServicePlugin>,
> {
  logger: Logger;
  /** Started first; its authenticator checks every request to every service. */
  authority: AuthorityPlugin<TAuthority>;
  /**
   * Whether this process serves the authority's own API. Authentication runs in every
   * process regardless: each checks signatures against the shared database itself.
   */
  mountAuthority?: boolean;
  /** Started in this order after the authority, stopped in the reverse order. */
  services: TServices;
  host: string;
  port: number;
  /** The root URL clients use, once the port is known (a configured URL may end in `:0`). */
  rootUrl: (port: number) => string;
  /** Validate every response against its declared schema (tests). */
  validateOutput?: boolean;
  /**
   * Routes of the platform itself rather than of one service (for example an index of
   * every service's reference), registered after the services' and before listening.
   */
  platformRoutes?: (app: FastifyInstance) => void;
}

type Running<P> = P extends ServicePlugin<infer R> ? R : never;

export interface ComposedPlatform<
  TAuthority extends RunningAuthority,
  TServices extends Record<string, ServicePlugin>,
> {
  readonly app: FastifyInstance;
  readonly rootUrl: string;
  readonly port: number;
  readonly authority: TAuthority;
  readonly services: { readonly [K in keyof TServices]: Running<TServices[K]> };
  /**
   * The one ordered shutdown: stop accepting requests and drain the open ones, then
   * stop the services in reverse order of their start, the authority last. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * The one composition of the platform, used by production and every test harness:
 * starts the authority, then each service with the authority's authenticator, mounts
 * them on one server and listens. Whatever started is stopped again if a later step fails.
 * The database pool and other shared resources belong to the caller, which releases
 * them after stop().
 */
export async function composePlatform<
  TAuthority extends RunningAuthority,
  TServices extends Record<string, ServicePlugin>,
>(
  options: ComposeOptions<TAuthority, TServices>,
): Promise<ComposedPlatform<TAuthority, TServices>> {
  const { logger } = options;
  const stack: { name: string; stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (let step = stack.pop(); step; step = stack.pop()) {
        await step
          .stop()
          .catch((err: unknown) => logger.error({ err, step: step?.name }, 'shutdown step failed'));
      }
    })());
  try {
    const authority = await options.authority.start();
    stack.push({ name: options.authority.name, stop: () => authority.stop() });

    const published: { rootUrl?: string } = {};
    const platformServices = {
      authenticator: authority.authenticator,
      serviceClient: authority.serviceClient.bind(authority),
      rootUrl: () => published.rootUrl,
    };
    const started: Record<string, RunningService> = {};
    for (const [key, plugin] of Object.entries(options.services)) {
      const service = await plugin.start(platformServices);
      started[key] = service;
      stack.push({ name: plugin.name, stop: () => service.stop() });
    }

    const app = createApiServer({ logger });
    const mountContext: MountContext = {
      authenticator: authority.authenticator,
      validateOutput: options.validateOutput ?? false,
    };
    if (options.mountAuthority ?? true) authority.mount(app, mountContext);
    for (const service of Object.values(started)) {
      service.mount(app, mountContext);
      // Before close waits for in-flight requests: end long polls and streams at once.
      const drain = service.drain?.bind(service);
      if (drain) app.addHook('preClose', () => drain());
    }
    options.platformRoutes?.(app);
    await app.listen({ host: options.host, port: options.port });
    stack.push({ name: 'server', stop: () => app.close() });
    const port = (app.server.address() as AddressInfo).port;
    const rootUrl = options.rootUrl(port);
    published.rootUrl = rootUrl;
    return {
      app,
      rootUrl,
      port,
      authority,
      services: started as { [K in keyof TServices]: Running<TServices[K]> },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
