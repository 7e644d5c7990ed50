import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import {
  ApiDefinition,
  createApiServer,
  createLogger,
  mountApi,
  RemoteAuthenticator,
} from '@bulwark/api';
import { inOneHour, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
let demoUrl: string;
let closeDemo: () => Promise<void>;
let reader: { clientId: string; accessToken: string };

/** A service in another process would look like this: it only knows the auth service's URL. */
async function startDemoService(authRootUrl: string): Promise<void> {
  const api = new ApiDefinition<object>({ serviceName: 'demo', title: 'Demo', description: 'd' });
  api.declare({
    name: 'readItem',
    method: 'GET',
    route: '/items/<item>',
    params: { item: { pattern: /^[a-z]+$/, maxLength: 20 } },
    scopes: 'demo:read:<item>',
    title: 'Read',
    description: 'Reads an item.',
    async handler(_ctx, req) {
      return { item: req.params.item, by: req.caller.clientId };
    },
  });
  const app = createApiServer({ logger: createLogger({ level: 'silent' }) });
  mountApi(app, api, { context: {}, authenticator: new RemoteAuthenticator(authRootUrl) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  demoUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  closeDemo = () => app.close();
}

before(async () => {
  platform = await startTestPlatform();
  await startDemoService(platform.rootUrl);
  const root = new taskcluster.Auth({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
    retries: 0,
  });
  const { accessToken } = await root.createClient('demo-reader', {
    description: 'x',
    expires: inOneHour(),
    scopes: ['demo:read:apples'],
  });
  reader = { clientId: 'demo-reader', accessToken };
});
after(async () => {
  await closeDemo();
  await platform.close();
});

test('a separate service authenticates through authenticate-hawk, driven by the published client', async () => {
  const reference = await (await fetch(`${demoUrl}/api/demo/v1/reference`)).json();
  const Demo = taskcluster.createClient(reference);
  const demo = new Demo({ rootUrl: demoUrl, credentials: reader, retries: 0 });
  assert.deepEqual(await demo.readItem('apples'), { item: 'apples', by: 'demo-reader' });
  await assert.rejects(demo.readItem('pears'), { statusCode: 403, code: 'InsufficientScopes' });
  const wrong = new Demo({
    rootUrl: demoUrl,
    credentials: { ...reader, accessToken: 'x'.repeat(44) },
    retries: 0,
  });
  await assert.rejects(wrong.readItem('apples'), { statusCode: 401 });
});

test('S13: a request replayed to another service is still refused', async () => {
  const url = `${demoUrl}/api/demo/v1/items/apples`;
  const { header } = hawk.client.header(url, 'GET', {
    credentials: { id: reader.clientId, key: reader.accessToken, algorithm: 'sha256' },
  });
  assert.equal((await fetch(url, { headers: { authorization: header } })).status, 200);
  assert.equal((await fetch(url, { headers: { authorization: header } })).status, 401);
});

test('authenticate-hawk answers a resource hawk cannot parse with auth-failed, never a 5xx', async () => {
  // Absolute-form resources are parsed as URLs by hawk; an unparsable one once escaped
  // as an exception from computing the MAC.
  const ts = Math.floor(Date.now() / 1000);
  for (const resource of ['http://[::1', 'http://', 'x']) {
    const response = await fetch(`${platform.rootUrl}/api/auth/v1/authenticate-hawk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'get',
        resource,
        host: 'example.com',
        port: 443,
        authorization: `Hawk id="${reader.clientId}", ts="${ts}", nonce="n${resource.length}", mac="AAAA"`,
      }),
    });
    assert.equal(response.status, 200, resource);
    const body = (await response.json()) as { status: string; message: string };
    assert.equal(body.status, 'auth-failed', resource);
  }
});
