import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import hawk from 'hawk';
import { encodeContinuationToken } from '@bulwark/api';
import { schemaArbitrary } from '@bulwark/api/testing';
import { queueApi } from '@bulwark/queue-service';
import {
  newTaskId,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
const taskId = newTaskId();

before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 50 });
  const admin = queueWith(platform, platform.root);
  await admin.createTask(taskId, taskDefinition());
  await admin.createTask(
    newTaskId(),
    taskDefinition({ dependencies: [taskId], taskGroupId: taskId }),
  );
});
after(() => platform.close());

// Route parameters that name things that exist, so the fuzzed query string is what
// the handler has to cope with.
const ROUTE_VALUES: Record<string, string> = {
  taskId,
  taskGroupId: taskId,
  taskQueueId: 'test-prov/test-worker',
  provisionerId: 'test-prov',
  workerType: 'test-worker',
};

const queryValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 60 }).map(encodeContinuationToken),
  fc.constantFrom('0', '1', '1000', '9999', '-1', 'true', 'false', '', '%00', 'x'.repeat(500)),
  fc
    .tuple(fc.integer({ min: -9, max: 9 }), fc.bigInt({ min: -1n, max: 2n ** 64n }))
    .map(([a, b]) => encodeContinuationToken(`${a}:${b}`)),
  fc.string({ maxLength: 30 }).map((s) => encodeContinuationToken(`${s}/${s}`)),
);

function signedHeaders(url: string, method: string): Record<string, string> {
  return {
    authorization: hawk.client.header(url, method, {
      credentials: {
        id: platform.root.clientId,
        key: platform.root.accessToken,
        algorithm: 'sha256',
      },
    }).header,
  };
}

// S10: every list endpoint's query string (continuationToken, limit, quarantined) fuzzed
// with garbage, foreign tokens and tokens that decode to almost-valid keys.
for (const endpoint of queueApi.endpoints.filter((e) => e.query)) {
  test(`S10: ${endpoint.name} answers fuzzed query strings with 2xx/4xx, never 5xx`, async () => {
    const names = Object.keys(endpoint.query ?? {});
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(queryValue, { nil: undefined }), {
          minLength: names.length,
          maxLength: names.length,
        }),
        endpoint.input ? schemaArbitrary(endpoint.input) : fc.constant(undefined),
        async (values, body) => {
          let path = queueApi.basePath + endpoint.route;
          for (const [name, value] of Object.entries(ROUTE_VALUES)) {
            path = path.replace(`<${name}>`, encodeURIComponent(value));
          }
          const search = new URLSearchParams();
          names.forEach((name, i) => {
            const value = values[i];
            if (value !== undefined) search.set(name, value);
          });
          const url = `${platform.rootUrl}${path}${search.size > 0 ? `?${search.toString()}` : ''}`;
          const headers = signedHeaders(url, endpoint.method);
          if (body !== undefined) headers['content-type'] = 'application/json';
          const res = await fetch(url, {
            method: endpoint.method,
            headers,
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          const text = await res.text();
          assert.ok(
            res.status < 500,
            `${endpoint.name} ${url} -> ${res.status}: ${text.slice(0, 300)}`,
          );
          if (res.status >= 400) assert.ok(JSON.parse(text).code, 'error bodies carry a code');
        },
      ),
      { numRuns: Number(process.env.BULWARK_FUZZ_RUNS ?? 40) },
    );
  });
}

// Found by the fuzzer above: a key past the largest bigint reached SQL and failed there.
test('S10: continuation tokens naming numbers beyond a bigint are refused with a 400', async () => {
  const cases: [string, string][] = [
    ['pending', '1:9223372036854775808'],
    ['pending', '7:99999999999999999999'],
    ['claimed', `9223372036854775808:${taskId}`],
  ];
  for (const [list, key] of cases) {
    const url =
      `${platform.rootUrl}${queueApi.basePath}/task-queues/test-prov%2Ftest-worker/${list}` +
      `?continuationToken=${encodeContinuationToken(key)}`;
    const res = await fetch(url, { headers: signedHeaders(url, 'GET') });
    const body = (await res.json()) as { code: string };
    assert.equal(res.status, 400, `${list} ${key}`);
    assert.equal(body.code, 'InvalidRequestArguments');
  }
  // The largest key a token may carry still pages normally (nothing after it).
  const url =
    `${platform.rootUrl}${queueApi.basePath}/task-queues/test-prov%2Ftest-worker/pending` +
    `?continuationToken=${encodeContinuationToken('1:999999999999999999')}`;
  const res = await fetch(url, { headers: signedHeaders(url, 'GET') });
  assert.equal(res.status, 200);
});
