// test-tier: unit
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ApiDefinition } from './api-definition.js';
import type { Authenticator } from './authenticator.js';
import { createLogger } from './logger.js';
import { mountApi } from './mount.js';
import { createApiServer } from './server.js';

/** Nothing here needs credentials; any request that asks is refused. */
const noAuthentication: Authenticator = {
  authenticate: () => ({ status: 'auth-failed', message: 'not in this test' }),
};

test('lbheartbeat, version and heartbeat answer as Taskcluster’s; heartbeat checks the dependency', async () => {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const dependency = { up: true };
  const api = new ApiDefinition<typeof dependency>({
    serviceName: 'demo',
    title: 'Demo',
    description: 'd',
    heartbeat: async (context) => {
      if (!context.up) throw new Error('connect ECONNREFUSED /run/db.sock');
    },
  });
  const app = createApiServer({ logger: createLogger({ level: 'info' }, sink) });
  mountApi(app, api, { context: dependency, authenticator: noAuthentication });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/demo/v1`;
  try {
    const lb = await fetch(`${base}/__lbheartbeat__`);
    assert.equal(lb.status, 200);
    assert.deepEqual(await lb.json(), {});
    const version = (await (await fetch(`${base}/__version__`)).json()) as { version: string };
    assert.match(version.version, /^\d+\.\d+\.\d+/);
    assert.equal((await fetch(`${base}/__heartbeat__`)).status, 200);

    dependency.up = false;
    const down = await fetch(`${base}/__heartbeat__`);
    assert.equal(down.status, 503);
    const body = (await down.json()) as { code: string; message: string };
    assert.equal(body.code, 'ServiceUnavailable');
    // The cause is logged for the operator and not told to the caller.
    assert.doesNotMatch(body.message, /ECONNREFUSED/);
    assert.ok(logs.some((line) => line.includes('ECONNREFUSED')));
    // The load balancer's probe does not depend on the database.
    assert.equal((await fetch(`${base}/__lbheartbeat__`)).status, 200);
  } finally {
    await app.close();
  }
});
