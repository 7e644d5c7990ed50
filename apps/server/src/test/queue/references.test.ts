import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import apis from 'taskcluster-client/src/apis.js';
import {
  taskclusterSchemas,
  referenceDifferences,
  schemaDifferences,
  validatorFor,
} from '@bulwark/api/testing/schema-compare';
import { newTaskId, startTestPlatform, taskDefinition, type TestPlatform } from './harness.js';
import { DIFFERENCES, LACKED_EXCHANGES } from './taskcluster-differences.js';

/**
 * The root URL's discovery documents, as a Taskcluster consumer reads them: the manifest,
 * the API and exchanges references, the schemas they point at, a client generated from
 * the fetched reference, and the schemas compared with Taskcluster's published ones
 * (packages/api/fixtures/taskcluster-schemas, see its README).
 */

type Json = Record<string, any>;

const published = taskclusterSchemas();
const clientApis = ((apis as { default?: unknown }).default ?? apis) as Record<
  string,
  { reference: Json }
>;

let platform: TestPlatform;
/** Every served document, by root-relative path. */
const served = new Map<string, Json>();

async function get(path: string): Promise<Json> {
  const res = await fetch(platform.rootUrl + path);
  assert.equal(res.status, 200, `${path} is served`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as Json;
  served.set(path, body);
  return body;
}

/** `v1/task-status-response.json#` of service `queue` -> `/schemas/queue/v1/task-status-response.json`. */
const schemaPath = (service: string, ref: string): string =>
  `/schemas/${service}/${ref.replace(/#$/, '')}`;

before(async () => {
  platform = await startTestPlatform();
  const manifest = await get('/references/manifest.json');
  for (const path of manifest.references as string[]) {
    const reference = await get(path);
    const service = reference.serviceName as string;
    for (const entry of reference.entries as Json[]) {
      for (const ref of [entry.input, entry.output, entry.schema]) {
        if (typeof ref === 'string') await get(schemaPath(service, ref));
      }
    }
  }
});
after(() => platform.close());

test('the manifest lists the API and exchanges references, each served with its schemas', async () => {
  const manifest = served.get('/references/manifest.json')!;
  assert.equal(manifest.$schema, '/schemas/common/manifest-v3.json#');
  for (const path of [
    '/references/auth/v1/api.json',
    '/references/queue/v1/api.json',
    '/references/queue/v1/exchanges.json',
    '/references/object/v1/api.json',
  ]) {
    assert.ok((manifest.references as string[]).includes(path), `${path} is listed`);
  }
  const api = served.get('/references/queue/v1/api.json')!;
  assert.equal(api.$schema, '/schemas/common/api-reference-v0.json#');
  const createTask = (api.entries as Json[]).find((e) => e.name === 'createTask')!;
  assert.equal(createTask.input, 'v1/create-task-request.json#');
  assert.equal(createTask.output, 'v1/create-task-response.json#');
  // Every schema says where it is served, and they all compile together.
  const schemas = [...served].filter(([path]) => path.startsWith('/schemas/'));
  assert.ok(schemas.length > 40, `${schemas.length} schemas served`);
  for (const [path, schema] of schemas) assert.equal(schema.$id, `${path}#`);
  const validator = validatorFor(schemas.map(([, schema]) => schema));
  for (const [path] of schemas) assert.equal(typeof validator(path), 'function');

  const missing = await fetch(`${platform.rootUrl}/schemas/queue/v1/no-such-schema.json`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as Json).code, 'ResourceNotFound');
});

test('a client generated from the fetched reference works, and its answers match the served schemas', async () => {
  const reference = served.get('/references/queue/v1/api.json')!;
  const Queue = taskcluster.createClient(reference);
  const queue = new Queue({ rootUrl: platform.rootUrl, credentials: platform.root, retries: 0 });
  const validator = validatorFor(
    [...served].filter(([p]) => p.startsWith('/schemas/')).map(([, s]) => s),
  );
  const outputOf = (name: string) => {
    const entry = (reference.entries as Json[]).find((e) => e.name === name)!;
    return validator(schemaPath('queue', entry.output as string));
  };
  const check = (name: string, answer: unknown): void => {
    const validate = outputOf(name);
    assert.ok(validate(answer), `${name}: ${JSON.stringify(validate.errors)}`);
  };
  const taskId = newTaskId();
  check('createTask', await queue.createTask(taskId, taskDefinition()));
  check('status', await queue.status(taskId));
  check('task', await queue.task(taskId));
  check('getTaskGroup', await queue.getTaskGroup(taskId));
  check('listTaskGroup', await queue.listTaskGroup(taskId));
  check('cancelTask', await queue.cancelTask(taskId));
  // A schema is a real check: the status of another task's answer fails it.
  assert.equal(outputOf('getTaskGroup')(await queue.status(taskId)), false);

  // Bindings generated from the fetched exchanges reference are the published client's.
  const Events = taskcluster.createClient(served.get('/references/queue/v1/exchanges.json')!);
  const ours = new Events({ rootUrl: platform.rootUrl });
  const theirs = new taskcluster.QueueEvents({ rootUrl: platform.rootUrl });
  for (const name of ['taskDefined', 'taskCompleted', 'artifactCreated', 'taskGroupResolved']) {
    assert.deepEqual(ours[name]({ taskGroupId: taskId }), theirs[name]({ taskGroupId: taskId }));
  }
});

test('the exchanges are taskcluster-client’s: names, routing keys and message schemas', () => {
  const ours = served.get('/references/queue/v1/exchanges.json')!;
  const theirs = clientApis.QueueEvents!.reference;
  assert.equal(ours.$schema, '/schemas/common/exchanges-reference-v0.json#');
  assert.equal(ours.exchangePrefix, theirs.exchangePrefix);
  const lacked: string[] = [];
  for (const entry of theirs.entries as Json[]) {
    const mine = (ours.entries as Json[]).find((e) => e.exchange === entry.exchange);
    if (!mine) {
      lacked.push(entry.exchange as string);
      continue;
    }
    assert.equal(mine.name, entry.name);
    assert.equal(mine.type, entry.type);
    assert.equal(mine.schema, entry.schema, `${entry.exchange} message schema`);
    const shape = (parts: Json[]) =>
      parts.map(({ name, constant, multipleWords, required }) => ({
        name,
        constant,
        multipleWords,
        required,
      }));
    assert.deepEqual(shape(mine.routingKey), shape(entry.routingKey), `${entry.exchange} key`);
  }
  assert.deepEqual(lacked.sort(), Object.keys(LACKED_EXCHANGES).sort());
  assert.equal((ours.entries as Json[]).length, (theirs.entries as Json[]).length - lacked.length);
});

test('the served schemas differ from Taskcluster’s published ones only as listed', () => {
  const ourSchemas = new Map(
    [...served].filter(([p]) => p.startsWith('/schemas/')).map(([p, s]) => [p, s]),
  );
  const found: string[] = [];
  for (const [client, service] of [
    ['Queue', 'queue'],
    ['Object', 'object'],
  ] as const) {
    found.push(
      ...referenceDifferences(
        service,
        {
          reference: served.get(`/references/${service}/v1/api.json`) as never,
          schemas: ourSchemas,
        },
        { reference: clientApis[client]!.reference as never, schemas: published },
      ),
    );
  }
  // The message schemas: Bulwark names them as Taskcluster does (checked above).
  const exchanges = served.get('/references/queue/v1/exchanges.json')!;
  for (const entry of exchanges.entries as Json[]) {
    const path = schemaPath('queue', entry.schema as string);
    for (const difference of schemaDifferences(
      { schema: ourSchemas.get(path)!, id: path, all: ourSchemas },
      { schema: published.get(path)!, id: path, all: published },
    )) {
      found.push(`message ${entry.exchange as string} ${difference}`);
    }
  }
  const unexplained = found.filter((f) => !(f in DIFFERENCES));
  const gone = Object.keys(DIFFERENCES).filter((d) => !found.includes(d));
  assert.deepEqual(unexplained, [], 'differences the list does not explain');
  assert.deepEqual(gone, [], 'listed differences that no longer exist');
});
