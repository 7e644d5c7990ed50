import type { FastifyInstance } from 'fastify';
import type { Authenticator } from './authenticator.js';

/** How a running service's routes go on the platform's server. */
export interface MountContext {
  /** The platform's authenticator (the authority's), which every service's routes use. */
  readonly authenticator: Authenticator;
  /** Validate every response against its declared schema (the test harnesses set it). */
  readonly validateOutput: boolean;
}

/** A service that runs: its routes, and what it owns until it stops. */
export interface RunningService {
  /** Registers the service's routes on the platform's server. */
  mount(app: FastifyInstance, context: MountContext): void;
  /**
   * Ends what holds a request open (claimWork long polls, event streams) before the
   * server waits for in-flight requests to finish. Optional; may be called again by stop().
   */
  drain?(): Promise<void>;
  /** Stops the service's background jobs and releases what it holds. */
  stop(): Promise<void>;
}

/** Credentials of a static client (for example the queue's identity that signs run credentials). */
export interface ServiceClientCredentials {
  readonly clientId: string;
  readonly accessToken: string;
}

/** What the composition gives each service when it starts. */
export interface PlatformServices {
  /** Checks the signature of every request to every service. */
  readonly authenticator: Authenticator;
  /** The static client a service acts as, created once and kept across restarts. */
  serviceClient(
    clientId: string,
    scopes: string[],
    description: string,
  ): Promise<ServiceClientCredentials>;
  /** The platform's root URL; known once the server listens (links are made per request). */
  readonly rootUrl: () => string | undefined;
}

/** A service of the platform, started by the composition after the authority. */
export interface ServicePlugin<TRunning extends RunningService = RunningService> {
  readonly name: string;
  start(platform: PlatformServices): Promise<TRunning>;
}

/** The running authority: the service that authenticates every request of the platform. */
export interface RunningAuthority extends RunningService {
  readonly authenticator: Authenticator;
  serviceClient: PlatformServices['serviceClient'];
}

/** The authority (the auth service), started first: every other service needs its authenticator. */
export interface AuthorityPlugin<TRunning extends RunningAuthority = RunningAuthority> {
  readonly name: string;
  start(): Promise<TRunning>;
}
