// test-tier: unit
import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ApiDefinition } from './api-definition.js';
import type { Authenticator } from './authenticator.js';
import { ERROR_STATUS } from './errors.js';
import { createLogger } from './logger.js';
import { mountApi } from './mount.js';
import { createApiServer } from './server.js';

test('docs/errors.md lists exactly the error codes, with their statuses', async () => {
  const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Za-z]+)` \| (\d{3}) \|/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]);
  assert.deepEqual(
    rows.sort(),
    Object.entries(ERROR_STATUS).sort(),
    'every code is documented once, with its status',
  );
});

test('a 500 carries an incident id that the log line for it also carries, and nothing internal', async () => {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const api = new ApiDefinition<object>({ serviceName: 'demo', title: 'Demo', description: 'd' });
  api.declare({
    name: 'broken',
    method: 'GET',
    route: '/broken',
    scopes: null,
    title: 'b',
    description: 'd',
    handler: async () => {
      throw new Error('the disk at /var/lib/secret-place is gone');
    },
  });
  const none: Authenticator = { authenticate: () => ({ status: 'auth-failed', message: 'no' }) };
  const app = createApiServer({ logger: createLogger({ level: 'info' }, sink) });
  mountApi(app, api, { context: {}, authenticator: none });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/demo/v1/broken`);
    assert.equal(response.status, 500);
    const body = (await response.json()) as { code: string; message: string; incidentId: string };
    assert.equal(body.code, 'InternalServerError');
    assert.match(body.incidentId, /^[0-9a-f-]{36}$/);
    assert.ok(body.message.includes(body.incidentId));
    assert.doesNotMatch(JSON.stringify(body), /secret-place/);
    const line = logs.find((l) => l.includes(body.incidentId));
    assert.ok(line, 'the log line carries the same incident id');
    assert.match(line, /secret-place/, 'and the operator gets the cause');
  } finally {
    await app.close();
  }
});
