import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { schemaArbitrary } from '@bulwark/api/testing';
import { objectApi, queueApi } from '@bulwark/queue-service';
import { newTaskId, startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
before(async () => {
  // A short long-poll so fuzzed claimWork calls do not wait 20 s each.
  platform = await startTestPlatform({ claimWorkTimeoutMs: 50 });
});
after(() => platform.close());

const paramValue = fc.oneof(
  fc.constantFrom(
    newTaskId(),
    'p/w',
    'test-prov/test-worker',
    '0',
    '1000',
    '1001',
    '-1',
    'x'.repeat(300),
  ),
  fc.string({ minLength: 1, maxLength: 30 }),
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

// S10: every endpoint, driven from its own schema with valid, edge and invalid values,
// as root (so authorization does not hide handler bugs) and anonymously; the object
// API (artifact data, live logs) too.
for (const [api, endpoint] of [queueApi, objectApi].flatMap((a) =>
  a.endpoints.map((e) => [a, e] as const),
)) {
  test(`S10: ${endpoint.name} answers fuzzed input with 2xx/4xx, never 5xx`, async () => {
    const params = [...endpoint.route.matchAll(/<([a-zA-Z]+)>/g)].map((m) => m[1]!);
    await fc.assert(
      fc.asyncProperty(
        fc.array(paramValue, { minLength: params.length, maxLength: params.length }),
        endpoint.input ? schemaArbitrary(endpoint.input) : fc.constant(undefined),
        fc.boolean(),
        async (values, body, signed) => {
          let path = api.basePath + endpoint.route;
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
