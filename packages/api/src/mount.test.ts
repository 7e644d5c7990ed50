// test-tier: unit
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { ApiDefinition } from './api-definition.js';
import type { AuthenticationResult, Authenticator, HawkRequestInfo } from './authenticator.js';
import { Reply } from './endpoint.js';
import { ApiError } from './errors.js';
import { createLogger } from './logger.js';
import { mountApi } from './mount.js';
import { createApiServer } from './server.js';

/**
 * Grants the scopes named in a `Bearer-scopes` style header. It stands in for the
 * auth service only in these unit tests of the request pipeline; the auth
 * service's own tests run the real Hawk validator end to end.
 */
class HeaderScopesAuthenticator implements Authenticator {
  authenticate(request: HawkRequestInfo): Promise<AuthenticationResult> {
    const header = request.authorization;
    if (header === undefined) {
      return Promise.resolve({
        status: 'no-auth',
        scheme: 'none',
        scopes: [],
        expires: new Date(),
      });
    }
    if (header === 'bad') return Promise.resolve({ status: 'auth-failed', message: 'Bad mac' });
    return Promise.resolve({
      status: 'auth-success',
      scheme: 'hawk',
      clientId: 'tester',
      scopes: header.split(' '),
      expires: new Date(),
    });
  }
}

function buildApi(): ApiDefinition<{ calls: string[] }> {
  const api = new ApiDefinition<{ calls: string[] }>({
    serviceName: 'demo',
    title: 'Demo',
    description: 'x',
  });
  api.declare<{ id: string }, undefined, undefined>({
    name: 'getThing',
    method: 'GET',
    route: '/thing/<id>',
    params: { id: { pattern: /^[a-z]+$/, maxLength: 10 } },
    scopes: 'demo:get:<id>',
    title: 't',
    description: 'd',
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string' } },
    },
    async handler(ctx, req) {
      ctx.calls.push(`get ${req.params.id}`);
      return { id: req.params.id };
    },
  });
  api.declare<Record<string, never>, { names: string[] }, undefined>({
    name: 'makeThings',
    method: 'POST',
    route: '/things',
    scopes: { AllOf: [{ for: 'name', in: 'names', each: 'demo:make:<name>' }] },
    input: {
      type: 'object',
      additionalProperties: false,
      required: ['names'],
      properties: {
        names: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 5 } },
      },
    },
    title: 't',
    description: 'd',
    async handler(ctx, req) {
      req.authorize({ names: req.body.names });
      ctx.calls.push(`make ${req.body.names.join(',')}`);
      return {};
    },
  });
  api.declare<Record<string, never>, undefined, undefined>({
    name: 'forgetsToAuthorize',
    method: 'POST',
    route: '/forgetful',
    scopes: { AllOf: [{ for: 'x', in: 'xs', each: 'demo:<x>' }] },
    title: 't',
    description: 'd',
    async handler(ctx) {
      ctx.calls.push('forgetful ran');
      return { leaked: true };
    },
  });
  api.declare<Record<string, never>, undefined, undefined>({
    name: 'badOutput',
    method: 'GET',
    route: '/bad-output',
    scopes: null,
    title: 't',
    description: 'd',
    output: { type: 'object', additionalProperties: false, properties: {} },
    async handler() {
      return { unexpected: 1 };
    },
  });
  api.declare<Record<string, never>, undefined, undefined>({
    name: 'redirect',
    method: 'GET',
    route: '/redirect',
    scopes: null,
    title: 't',
    description: 'd',
    async handler() {
      return new Reply(
        303,
        { url: 'http://example.invalid/' },
        { location: 'http://example.invalid/' },
      );
    },
  });
  api.declare<Record<string, never>, undefined, undefined>({
    name: 'conflict',
    method: 'GET',
    route: '/conflict',
    scopes: null,
    title: 't',
    description: 'd',
    async handler() {
      throw new ApiError('RequestConflict', 'it conflicts');
    },
  });
  return api;
}

async function withServer(
  fn: (base: string, calls: string[], logs: string[]) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = createApiServer({ logger: createLogger({ level: 'info' }, sink) });
  const calls: string[] = [];
  mountApi(app, buildApi(), { context: { calls }, authenticator: new HeaderScopesAuthenticator() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    await fn(`http://127.0.0.1:${port}/api/demo/v1`, calls, logs);
  } finally {
    await app.close();
  }
}

const post = (url: string, body: unknown, authorization?: string): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('route scopes are checked before the handler runs', async () => {
  await withServer(async (base, calls) => {
    const denied = await fetch(`${base}/thing/abc`, {
      headers: { authorization: 'demo:get:other' },
    });
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as Record<string, unknown>;
    assert.equal(body.code, 'InsufficientScopes');
    assert.deepEqual(body.required, 'demo:get:abc');
    assert.ok((body.message as string).includes('* errorCode:  InsufficientScopes'));
    assert.deepEqual(calls, []);
    const ok = await fetch(`${base}/thing/abc`, { headers: { authorization: 'demo:get:*' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { id: 'abc' });
  });
});

test('handler-side authorize covers every element of a for-each template', async () => {
  await withServer(async (base, calls) => {
    assert.equal((await post(`${base}/things`, { names: ['a', 'b'] }, 'demo:make:a')).status, 403);
    assert.equal(
      (await post(`${base}/things`, { names: ['a', 'b'] }, 'demo:make:a demo:make:b')).status,
      200,
    );
    assert.deepEqual(calls, ['make a,b']);
  });
});

test('fail closed: a handler that never authorizes gets a 500 and its output is withheld', async () => {
  await withServer(async (base, calls) => {
    const res = await fetch(`${base}/forgetful`, {
      method: 'POST',
      headers: { authorization: '*' },
    });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes('leaked'));
    assert.deepEqual(calls, ['forgetful ran']);
  });
});

test('bad input is a 4xx with Taskcluster codes', async () => {
  await withServer(async (base) => {
    const cases: [Promise<Response>, number, string][] = [
      [fetch(`${base}/thing/ABC`), 400, 'InvalidRequestArguments'],
      [fetch(`${base}/thing/${'a'.repeat(11)}`), 400, 'InvalidRequestArguments'],
      [post(`${base}/things`, '{not json', '*'), 400, 'MalformedPayload'],
      [post(`${base}/things`, { names: ['a'], extra: 1 }, '*'), 400, 'InputValidationError'],
      [post(`${base}/things`, { names: ['a', 'b', 'c', 'd'] }, '*'), 400, 'InputValidationError'],
      [post(`${base}/things`, { names: ['toolong'] }, '*'), 400, 'InputValidationError'],
      [post(`${base}/things`, { names: ['a\u0000'] }, '*'), 400, 'InputValidationError'],
      [post(`${base}/things`, { names: 'a' }, 'bad'), 400, 'InputValidationError'],
      [post(`${base}/things`, { 'x\u0000': 1 }, '*'), 400, 'InputValidationError'],
      // Nesting far past any schema's reach must not exhaust a stack anywhere.
      [
        post(`${base}/things`, `{"names":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, '*'),
        400,
        'InputValidationError',
      ],
      [fetch(`${base}/thing/%ZZ`), 400, 'InputValidationError'],
      [post(`${base}/things`, { names: ['a'] }, 'bad'), 401, 'AuthenticationFailed'],
      [fetch(`${base}/nope`), 404, 'ResourceNotFound'],
      [fetch(`${base}/conflict`), 409, 'RequestConflict'],
      [
        fetch(`${base}/things`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: 'x',
        }),
        400,
        'MalformedPayload',
      ],
    ];
    for (const [response, status, code] of cases) {
      const res = await response;
      const body = (await res.json()) as { code: string; requestInfo: unknown };
      assert.equal(res.status, status, code);
      assert.equal(body.code, code);
      assert.ok(body.requestInfo);
    }
  });
});

test('a response that breaks its schema is a 500, never sent', async () => {
  await withServer(async (base) => {
    const res = await fetch(`${base}/bad-output`);
    assert.equal(res.status, 500);
    assert.ok(!(await res.text()).includes('unexpected'));
  });
});

test('handlers can answer with redirects', async () => {
  await withServer(async (base) => {
    const res = await fetch(`${base}/redirect`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), 'http://example.invalid/');
  });
});

test('ping, reference and OpenAPI are served from the declarations', async () => {
  await withServer(async (base) => {
    assert.equal(((await (await fetch(`${base}/ping`)).json()) as { alive: boolean }).alive, true);
    const ref = (await (await fetch(`${base}/reference`)).json()) as {
      entries: { name: string; scopes?: unknown }[];
    };
    assert.deepEqual(
      ref.entries.map((e) => e.name),
      [
        'ping',
        'lbheartbeat',
        'version',
        'heartbeat',
        'getThing',
        'makeThings',
        'forgetsToAuthorize',
        'badOutput',
        'redirect',
        'conflict',
      ],
    );
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      openapi: string;
      paths: object;
    };
    assert.equal(openapi.openapi, '3.1.0');
    assert.ok('/api/demo/v1/thing/{id}' in openapi.paths);
  });
});

test('S1: the access log names the endpoint and client, never the URL or credentials', async () => {
  await withServer(async (base, _calls, logs) => {
    await fetch(`${base}/thing/secretname`, { headers: { authorization: 'demo:get:*' } });
    const line = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'request');
    assert.ok(line);
    assert.equal(line.endpoint, 'getThing');
    assert.equal(line.clientId, 'tester');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.ok(!logs.join('').includes('secretname'));
    assert.ok(!logs.join('').includes('demo:get:*'));
  });
});

test('declarations are checked at start-up', () => {
  const api = new ApiDefinition<object>({ serviceName: 'x', title: 't', description: 'd' });
  const base = {
    method: 'POST' as const,
    title: 't',
    description: 'd',
    scopes: null,
    handler: async () => ({}),
  };
  assert.throws(() => api.declare({ ...base, name: 'a', route: '/a/<id>' }), /no pattern/);
  assert.throws(
    () =>
      api.declare({
        ...base,
        name: 'b',
        route: '/b',
        input: { type: 'object', properties: { s: { type: 'string' } } },
      }),
    /unbounded/,
  );
  assert.throws(
    () =>
      api.declare({
        ...base,
        name: 'c',
        route: '/c',
        input: {
          type: 'object',
          additionalProperties: false,
          properties: { n: { type: 'integer' } },
        },
      }),
    /unbounded/,
  );
  api.declare({ ...base, name: 'd', route: '/d' });
  assert.throws(() => api.declare({ ...base, name: 'd', route: '/d2' }), /twice/);
});
