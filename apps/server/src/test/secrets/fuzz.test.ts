import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { schemaArbitrary } from '@bulwark/api/testing';
import { secretsApi } from '@bulwark/secrets-service';
import { startTestPlatform, type TestPlatform } from './harness.js';

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform();
});
after(() => platform.close());

function encodable(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

// Names at and past every rule: dot and empty segments, control and non-ASCII
// characters, the length bound, percent signs that decode again, scope syntax.
const nameValue = fc.oneof(
  fc.constantFrom(
    'fuzz/a',
    'a/../b',
    '..',
    'a//b',
    '/a',
    'a/',
    'a\nb',
    '%2e%2e',
    '%',
    '*',
    'secrets:get:*',
    'x'.repeat(1024),
    'x'.repeat(1025),
    '\u0000',
  ),
  fc.string({ minLength: 1, maxLength: 40 }),
  // Lone surrogates cannot be percent-encoded, so no client can send them.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }).filter(encodable),
);

const queryValue = fc.oneof(
  fc.constantFrom('0', '1', '1000', '9999', '-1', 'AA', 'AAAA', '_-_-', 'YQ', 'x'.repeat(1400)),
  fc.string({ maxLength: 20 }),
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

// S10: every endpoint, driven from its own declaration with valid, edge and invalid
// values, as root (so authorization does not hide handler bugs) and anonymously.
for (const endpoint of secretsApi.endpoints) {
  test(`S10: ${endpoint.name} answers fuzzed input with 2xx/4xx, never 5xx`, async () => {
    const params = [...endpoint.route.matchAll(/<([a-zA-Z]+)>/g)].map((m) => m[1]!);
    const queryNames = Object.keys(endpoint.query ?? {});
    await fc.assert(
      fc.asyncProperty(
        fc.array(nameValue, { minLength: params.length, maxLength: params.length }),
        fc.dictionary(fc.constantFrom(...queryNames, 'other'), queryValue, { maxKeys: 3 }),
        endpoint.input ? schemaArbitrary(endpoint.input) : fc.constant(undefined),
        fc.boolean(),
        async (values, query, body, signed) => {
          let path = secretsApi.basePath + endpoint.route;
          params.forEach((name, i) => {
            path = path.replace(`<${name}>`, encodeURIComponent(values[i]!));
          });
          const search = new URLSearchParams(query).toString();
          if (search) path += `?${search}`;
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
