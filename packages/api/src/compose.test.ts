import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { AuthenticationResult, Authenticator } from './authenticator.js';
import { composePlatform } from './compose.js';
import { createLogger } from './logger.js';
import type {
  AuthorityPlugin,
  PlatformServices,
  RunningAuthority,
  RunningService,
  ServicePlugin,
} from './service-plugin.js';

/**
 * Admits nobody with credentials. The composition only hands the authenticator on;
 * the platform's own tests (apps/server) run it with the real auth service.
 */
const anonymousOnly: Authenticator = {
  authenticate: (): AuthenticationResult => ({
    status: 'no-auth',
    scheme: 'none',
    scopes: [],
    expires: new Date(),
  }),
};

const logger = createLogger({ level: 'silent' });

function recordingAuthority(events: string[]): AuthorityPlugin {
  return {
    name: 'authority',
    start(): Promise<RunningAuthority> {
      events.push('start authority');
      return Promise.resolve({
        authenticator: anonymousOnly,
        serviceClient: (clientId) =>
          Promise.resolve({ clientId, accessToken: `token-${clientId}` }),
        mount(app: FastifyInstance) {
          app.get('/authority', () => ({ ok: true }));
        },
        stop() {
          events.push('stop authority');
          return Promise.resolve();
        },
      });
    },
  };
}

/** A service that records its life, and whose /<name>/poll answers only once drained. */
function recordingService(
  name: string,
  events: string[],
  seen: { platform?: PlatformServices } = {},
): ServicePlugin {
  return {
    name,
    start(platform): Promise<RunningService> {
      events.push(`start ${name}`);
      seen.platform = platform;
      let release: () => void = () => {};
      const drained = new Promise<void>((resolve) => (release = resolve));
      return Promise.resolve({
        mount(app: FastifyInstance, context) {
          assert.equal(context.authenticator, anonymousOnly, 'the authority authenticates');
          app.get(`/${name}/poll`, async () => {
            events.push(`${name} poll waiting`);
            await drained;
            return { drained: true };
          });
        },
        drain() {
          events.push(`drain ${name}`);
          release();
          return Promise.resolve();
        },
        stop() {
          events.push(`stop ${name}`);
          return Promise.resolve();
        },
      });
    },
  };
}

void test(
  'the authority starts first, services in order; one shutdown drains, then stops them in reverse',
  { timeout: 20_000 },
  async () => {
    const events: string[] = [];
    const seen: { platform?: PlatformServices } = {};
    const platform = await composePlatform({
      logger,
      authority: recordingAuthority(events),
      services: {
        first: recordingService('first', events, seen),
        second: recordingService('second', events),
      },
      host: '127.0.0.1',
      port: 0,
      rootUrl: (port) => `http://127.0.0.1:${port}`,
    });
    assert.deepEqual(events, ['start authority', 'start first', 'start second']);
    assert.equal(
      seen.platform?.rootUrl(),
      platform.rootUrl,
      'the root URL is published once listening',
    );
    assert.deepEqual(await seen.platform?.serviceClient('static/x', [], 'x'), {
      clientId: 'static/x',
      accessToken: 'token-static/x',
    });
    assert.equal((await fetch(`${platform.rootUrl}/authority`)).status, 200);

    // A request held open by a service: the shutdown must end it, not wait for it.
    const polling = fetch(`${platform.rootUrl}/first/poll`);
    for (let i = 0; i < 2000 && !events.includes('first poll waiting'); i++)
      await new Promise((r) => setTimeout(r, 5));
    await platform.stop();
    assert.deepEqual(await (await polling).json(), { drained: true });
    const shutdown = events.slice(events.indexOf('first poll waiting') + 1);
    assert.deepEqual(shutdown, [
      'drain first',
      'drain second',
      'stop second',
      'stop first',
      'stop authority',
    ]);
    await platform.stop();
    assert.equal(events.filter((e) => e === 'stop authority').length, 1, 'stop() is idempotent');
    await assert.rejects(fetch(`${platform.rootUrl}/authority`), 'the server no longer listens');
  },
);

void test('a service that fails to start stops everything started before it, in reverse', async () => {
  const events: string[] = [];
  const failing: ServicePlugin = {
    name: 'failing',
    start() {
      events.push('start failing');
      return Promise.reject(new Error('cannot start'));
    },
  };
  await assert.rejects(
    composePlatform({
      logger,
      authority: recordingAuthority(events),
      services: { first: recordingService('first', events), failing },
      host: '127.0.0.1',
      port: 0,
      rootUrl: (port) => `http://127.0.0.1:${port}`,
    }),
    /cannot start/,
  );
  assert.deepEqual(events, [
    'start authority',
    'start first',
    'start failing',
    'stop first',
    'stop authority',
  ]);
});

void test('a port already taken stops every started service and leaves nothing listening', async () => {
  const events: string[] = [];
  const options = {
    logger,
    authority: recordingAuthority([]),
    services: {},
    host: '127.0.0.1',
    port: 0,
    rootUrl: (port: number) => `http://127.0.0.1:${port}`,
  };
  const holder = await composePlatform(options);
  try {
    await assert.rejects(
      composePlatform({
        ...options,
        authority: recordingAuthority(events),
        services: { first: recordingService('first', events) },
        port: holder.port,
      }),
      /EADDRINUSE/,
    );
    assert.deepEqual(events, ['start authority', 'start first', 'stop first', 'stop authority']);
  } finally {
    await holder.stop();
  }
});
