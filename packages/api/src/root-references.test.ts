import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiDefinition } from './api-definition.js';
import { ExchangesDefinition, type RoutingKeyPart } from './exchanges-reference.js';
import { createLogger } from './logger.js';
import { mountReferences, rootReferences } from './root-references.js';
import { createApiServer } from './server.js';

const status = {
  type: 'object',
  additionalProperties: false,
  required: ['state'],
  properties: { state: { type: 'string', enum: ['pending', 'done'] } },
} as const;

function demoApi(serviceName = 'demo'): ApiDefinition<unknown> {
  const api = new ApiDefinition<unknown>({ serviceName, title: 'Demo', description: 'd' });
  for (const name of ['createThing', 'cancelThing']) {
    api.declare({
      name,
      method: 'POST',
      route: `/${name}`,
      scopes: null,
      title: name,
      description: name,
      input: { type: 'object', additionalProperties: false, properties: {} },
      output: status,
      handler: async () => ({ state: 'pending' as const }),
    });
  }
  return api;
}

const key: RoutingKeyPart[] = [
  {
    name: 'routingKeyKind',
    summary: 'kind',
    constant: 'primary',
    multipleWords: false,
    required: true,
  },
  { name: 'reserved', summary: 'reserved', multipleWords: true, required: false },
];

function demoExchanges(routingKey = key): ExchangesDefinition {
  return new ExchangesDefinition({
    serviceName: 'demo',
    title: 'Demo exchanges',
    description: 'd',
    exchangePrefix: 'exchange/demo/v1/',
    exchanges: [
      {
        name: 'thingDone',
        exchange: 'thing-done',
        title: 'Done',
        description: 'd',
        routingKey,
        schemaName: 'thing-done-message.json',
        schema: status,
      },
    ],
  });
}

test('references name each schema once, with $ids where they are served', () => {
  const { manifest, references, schemas } = rootReferences([demoApi(), demoExchanges(), false]);
  assert.deepEqual((manifest as { references: string[] }).references, [
    '/references/demo/v1/api.json',
    '/references/demo/v1/exchanges.json',
  ]);
  const api = references.get('/references/demo/v1/api.json') as {
    entries: { name: string; input?: string; output?: string }[];
  };
  const create = api.entries.find((e) => e.name === 'createThing')!;
  const cancel = api.entries.find((e) => e.name === 'cancelThing')!;
  assert.equal(create.output, 'v1/create-thing-response.json#');
  // The same schema object is one document, named after its first endpoint.
  assert.equal(cancel.output, 'v1/create-thing-response.json#');
  // Two equal-looking but separate input objects are two documents.
  assert.equal(cancel.input, 'v1/cancel-thing-request.json#');
  const served = schemas.get('/schemas/demo/v1/create-thing-response.json') as Record<
    string,
    unknown
  >;
  assert.equal(served.$id, '/schemas/demo/v1/create-thing-response.json#');
  assert.equal(served.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.deepEqual(served.required, ['state']);
  const exchanges = references.get('/references/demo/v1/exchanges.json') as {
    exchangePrefix: string;
    entries: { schema: string; routingKey: unknown[] }[];
  };
  assert.equal(exchanges.exchangePrefix, 'exchange/demo/v1/');
  assert.equal(exchanges.entries[0]!.schema, 'v1/thing-done-message.json#');
  assert.ok(schemas.has('/schemas/demo/v1/thing-done-message.json'));
});

test('mistakes in the declarations fail at start-up', () => {
  // Only the last routing key word may span several words, or bindings would misplace the rest.
  assert.throws(() => demoExchanges([...key].reverse()), /only the last routing key word/);
  // Two services by one name would serve two schemas at one path.
  assert.throws(() => rootReferences([demoApi(), demoApi()]), /declared twice/);
});

test('the documents are served at the root URL; other paths are the usual 404', async () => {
  const app = createApiServer({ logger: createLogger({ level: 'silent' }) });
  mountReferences(app, [demoApi(), demoExchanges()]);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const root = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const manifest = await fetch(`${root}/references/manifest.json`);
    assert.equal(manifest.status, 200);
    assert.match(manifest.headers.get('content-type') ?? '', /^application\/json/);
    const schema = (await (
      await fetch(`${root}/schemas/demo/v1/thing-done-message.json`)
    ).json()) as { $id: string };
    assert.equal(schema.$id, '/schemas/demo/v1/thing-done-message.json#');
    for (const path of [
      '/schemas/demo/v1/nothing.json',
      '/references/demo/v1/../../manifest.json.bak',
    ]) {
      const res = await fetch(root + path);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { code: string }).code, 'ResourceNotFound');
    }
  } finally {
    await app.close();
  }
});
