// test-tier: unit
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import hawk from 'hawk';
import pino from 'pino';
import { rawRequest } from '../test/raw-request.js';
import { TaskProxy } from './task-proxy.js';

/**
 * What the proxy puts on the wire. The control plane's router would hide how a path
 * arrived (it decodes before routing), so here the proxy forwards to a loopback HTTP
 * server that records each request target byte for byte, checks the Hawk MAC against
 * it, and answers what a test asks for.
 */
const CREDENTIALS = { clientId: 'task-client/wire', accessToken: 'wire-test-access-token' };
let upstream: Server;
let proxy: TaskProxy;
let proxyPort: number;
const seen: { target: string; macValid: boolean; authorization: string | undefined }[] = [];
const masked: string[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{}');
};

before(async () => {
  upstream = createServer((req, res) => {
    void (async () => {
      let macValid = false;
      try {
        await hawk.server.authenticate(req, () => ({
          key: CREDENTIALS.accessToken,
          algorithm: 'sha256',
          user: CREDENTIALS.clientId,
        }));
        macValid = true;
      } catch {
        macValid = false;
      }
      seen.push({ target: req.url ?? '', macValid, authorization: req.headers.authorization });
      answer(req, res);
    })();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  proxy = new TaskProxy({
    rootUrl: `http://127.0.0.1:${port}`,
    credentials: CREDENTIALS,
    authorizedScopes: ['secrets:get:proj/x'],
    onSecretValue: (value) => masked.push(value),
    logger: pino({ level: 'silent' }),
  });
  proxyPort = Number(new URL(await proxy.listen({ port: 0 })).port);
});

after(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

const ACCEPTED = [
  '/api/secrets/v1/secret/proj%2Fx',
  '/api/secrets/v1/secret/proj/x',
  "/api/queue/v1/task/abc/runs/0/artifacts/public%2Fit's%20(1).txt",
  '/api/auth/v1/clients/?prefix=a%2Fb&limit=10',
  '/api/secrets/v1/secret/100%25',
];
const REFUSED = [
  '/api/secrets/v1/%73ecret/proj%2Fx',
  '/api/auth/v1/%2e%2e/%2e%2e/secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%2E%2E/%2E%2E/secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%252e%252e/x',
  '/api/secrets/v1/secret/..%2f',
  '/api/auth/v1\\..\\..\\secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/%5C..%5Cx',
  '/api/secrets/v1/secret//proj%2Fx',
  '/api/secrets/v1/secret/%C0%AE%C0%AE',
  '/api/secrets/v1/secret/proj%00x',
  'http://127.0.0.1/api/secrets/v1/secret/proj%2Fx',
  '/api/auth/v1/../../x',
];

test('S2, S12: an accepted target is forwarded and signed byte for byte; a refused one is not forwarded', async () => {
  for (const target of ACCEPTED) {
    seen.length = 0;
    const answer = await rawRequest(proxyPort, target);
    assert.equal(answer.status, 200, target);
    assert.equal(seen.length, 1, target);
    assert.equal(seen[0]?.target, target, 'forwarded exactly as checked');
    assert.ok(seen[0]?.macValid, `${target}: the MAC covers the forwarded path`);
  }
  for (const target of REFUSED) {
    seen.length = 0;
    const answer = await rawRequest(proxyPort, target);
    assert.ok(answer.status >= 400 && answer.status < 500, `${target}: ${answer.status}`);
    assert.equal(seen.length, 0, `${target} reached the control plane`);
  }
});

test('S2: credentials in any answer are removed before the task sees them', async () => {
  for (const contentType of [
    'application/json; charset=utf-8',
    'application/problem+json',
    'text/json',
  ]) {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': contentType });
      res.end(
        JSON.stringify({
          clientId: 'made',
          accessToken: 'leaked-token-1',
          credentials: { clientId: 'c', accessToken: 'leaked-token-2', certificate: '{"seed":1}' },
          items: [{ nested: { AccessToken: 'leaked-token-3', certificate: { signature: 's' } } }],
          kept: 'ordinary value',
        }),
      );
    };
    const got = await rawRequest(proxyPort, '/api/auth/v1/clients/made');
    assert.equal(got.status, 200, contentType);
    assert.doesNotMatch(got.body, /leaked-token|accessToken|certificate|signature|seed/i);
    assert.deepEqual(JSON.parse(got.body), {
      clientId: 'made',
      credentials: {},
      items: [{ nested: {} }],
      kept: 'ordinary value',
    });
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(got.body)));
  }
  // An answer that says it is JSON but does not parse is not relayed either.
  answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"accessToken": "leaked-token-4"');
  };
  const broken = await rawRequest(proxyPort, '/api/auth/v1/clients/made');
  assert.equal(broken.status, 502);
  assert.doesNotMatch(broken.body, /leaked-token/);
});

test('S15: a secret answer is registered whole before relaying; one that cannot be read is not relayed', async () => {
  answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ secret: { token: 'wire-secret-value', accessToken: 'kept-in-secret' } }),
    );
  };
  masked.length = 0;
  const got = await rawRequest(proxyPort, '/api/secrets/v1/secret/proj%2Fx');
  assert.equal(got.status, 200);
  // The secret is what the task was granted: relayed as is, and masked in its log.
  assert.match(got.body, /wire-secret-value/);
  assert.ok(masked.includes('wire-secret-value'));
  assert.ok(masked.includes('kept-in-secret'));

  for (const [what, send] of [
    [
      'not JSON',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain-secret-value');
      },
    ],
    [
      'compressed',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ secret: { token: 'plain-secret-value' } })));
      },
    ],
  ] as const) {
    answer = (_req, res) => send(res);
    const refused = await rawRequest(proxyPort, '/api/secrets/v1/secret/proj%2Fx');
    assert.equal(refused.status, 502, what);
    assert.doesNotMatch(refused.body, /plain-secret-value/, what);
  }
});

test('S2: the task’s Authorization, Host and Forwarded headers never reach the control plane', async () => {
  answer = (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ forwarded: req.headers['x-forwarded-port'] ?? null }));
  };
  seen.length = 0;
  const got = await rawRequest(proxyPort, '/api/auth/v1/ping', {
    headers: { authorization: 'Hawk id="root", mac="x"', 'x-forwarded-port': '1' },
  });
  assert.equal(got.status, 200);
  assert.deepEqual(JSON.parse(got.body), { forwarded: null });
  assert.ok(seen[0]?.macValid);
  assert.match(seen[0]?.authorization ?? '', /^Hawk id="task-client\/wire"/);
});
