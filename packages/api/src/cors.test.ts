// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CORS_HEADERS } from './cors.js';
import { createLogger } from './logger.js';
import { createApiServer } from './server.js';

const quietLogger = createLogger({ level: 'silent' });

async function server() {
  const app = createApiServer({ logger: quietLogger });
  app.get('/api/demo/v1/thing', async () => ({ ok: true }));
  app.get('/', async () => 'page');
  await app.ready();
  return app;
}

test("a preflight to any API route is answered 204 with Taskcluster's CORS headers", async () => {
  const app = await server();
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/queue/v1/task/abc',
    headers: {
      origin: 'http://elsewhere.test',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
  assert.equal(preflight.statusCode, 204);
  for (const [name, value] of Object.entries(CORS_HEADERS)) {
    assert.equal(preflight.headers[name], value, name);
  }
  assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
  assert.match(String(preflight.headers['access-control-allow-headers']), /Content-Type/);
  await app.close();
});

test('answers and errors under /api/ carry the CORS headers, never credentials mode', async () => {
  const app = await server();
  const ok = await app.inject({ method: 'GET', url: '/api/demo/v1/thing' });
  assert.equal(ok.headers['access-control-allow-origin'], '*');
  const missing = await app.inject({ method: 'GET', url: '/api/demo/v1/nothing' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['access-control-allow-origin'], '*');
  for (const answer of [ok, missing]) {
    assert.equal(answer.headers['access-control-allow-credentials'], undefined);
    assert.equal(answer.headers['set-cookie'], undefined);
  }
  await app.close();
});

test('paths outside the API, references and schemas get no CORS headers', async () => {
  const app = await server();
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.headers['access-control-allow-origin'], undefined);
  const preflight = await app.inject({ method: 'OPTIONS', url: '/' });
  assert.equal(preflight.statusCode, 404);
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  await app.close();
});
