import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { schemaArbitrary } from '@bulwark/api/testing';
import { authApi } from '../api/definition.js';
import { startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform();
});
after(() => platform.close());

const paramValue = fc.oneof(
  fc.constantFrom('fuzz', 'static/root', 'a/b', '*', 'assume:x', 'x'.repeat(300)),
  fc.string({ minLength: 1, maxLength: 20 }),
);

async function send(
  method: string,
  path: string,
  body: unknown,
  signed: boolean,
): Promise<Response> {
  const url = `${platform.rootUrl}${path}`;
  const headers: Record<string, string> = {};
  if (signed) {
    headers.authorization = hawk.client.header(url, method, {
      credentials: {
        id: platform.root.clientId,
        key: platform.root.accessToken,
        algorithm: 'sha256',
      },
    }).header;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

// S10: every endpoint, driven from its own schema with valid, edge and invalid
// values, as root (so authorization does not hide handler bugs) and anonymously.
for (const endpoint of authApi.endpoints) {
  test(`S10: ${endpoint.name} answers fuzzed input with 2xx/4xx, never 5xx`, async () => {
    const params = [...endpoint.route.matchAll(/<([a-zA-Z]+)>/g)].map((m) => m[1]!);
    await fc.assert(
      fc.asyncProperty(
        fc.array(paramValue, { minLength: params.length, maxLength: params.length }),
        endpoint.input ? schemaArbitrary(endpoint.input) : fc.constant(undefined),
        fc.boolean(),
        async (values, body, signed) => {
          let path = authApi.basePath + endpoint.route;
          params.forEach((name, i) => {
            path = path.replace(`<${name}>`, encodeURIComponent(values[i]!));
          });
          const res = await send(endpoint.method, path, body, signed);
          const text = await res.text();
          assert.ok(
            res.status < 500,
            `${endpoint.name} ${path} -> ${res.status}: ${text.slice(0, 300)}`,
          );
          if (res.status >= 400) assert.ok(JSON.parse(text).code, 'error bodies carry a code');
        },
      ),
      { numRuns: Number(process.env.BULWARK_FUZZ_RUNS ?? 40) },
    );
  });
}
