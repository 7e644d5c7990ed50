import { strict as assert } from 'node:assert';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import apis from 'taskcluster-client/src/apis.js';
import {
  referenceDifferences,
  taskclusterSchemas,
  validatorFor,
} from '@bulwark/api/testing/schema-compare';
import { startTestPlatform, type TestPlatform } from '../testing.js';

/**
 * The whole platform's root URL as Taskcluster tools discover it: the manifest, every
 * reference and schema, clients generated from the fetched references, and the auth and
 * secrets schemas compared with Taskcluster's published ones (the queue's are compared
 * in apps/server/src/test/queue/references.test.ts).
 */

type Json = Record<string, any>;

const clientApis = ((apis as { default?: unknown }).default ?? apis) as Record<
  string,
  { reference: Json }
>;

/** Where the auth and secrets schemas deliberately differ from Taskcluster's, and why. */
const DIFFERENCES: Record<string, string> = {};
function differ(reason: string, ...found: string[]): void {
  for (const f of found) DIFFERENCES[f] = reason;
}
differ(
  'Bulwark declares what every endpoint answers, the standard ones and the empty answers too',
  ...['auth', 'secrets'].flatMap((service) =>
    ['ping', 'lbheartbeat', 'version', 'heartbeat'].map(
      (name) => `${service}.${name} output: declared only here`,
    ),
  ),
  'secrets.set output: declared only here',
  'secrets.remove output: declared only here',
);
differ(
  'audit history entries come from the hash-chained audit log (S14): each names its action ' +
    'and details and carries its sequence number, hash and the previous hash, instead of ' +
    "Taskcluster's actionType",
  ...['getEntityHistory', 'listAuditHistory'].flatMap((name) => {
    const at = `auth.${name} output /auditHistory[]`;
    return [
      ...['seq', 'action', 'details', 'hash', 'prevHash'].flatMap((p) => [
        `${at}: property ${p} only here`,
        `${at}: ${p} required only here`,
      ]),
      `${at}: property actionType only in Taskcluster`,
      `${at}: actionType required only in Taskcluster`,
    ];
  }),
);
differ(
  'testAuthenticate defaults both scope lists to empty; it accepts what Taskcluster accepts',
  'auth.testAuthenticate input /: clientScopes required only in Taskcluster',
  'auth.testAuthenticate input /: requiredScopes required only in Taskcluster',
);
differ(
  'updateClient and updateRole take an optional lastModified: the update applies only if the record was not changed since (docs/api.md, "Extensions")',
  'auth.updateClient input /: property lastModified only here',
  'auth.updateRole input /: property lastModified only here',
);

let running: TestPlatform;
let root: { clientId: string; accessToken: string };
const served = new Map<string, Json>();

async function get(path: string): Promise<Json> {
  const res = await fetch(running.platform.rootUrl + path);
  assert.equal(res.status, 200, `${path} is served`);
  const body = (await res.json()) as Json;
  served.set(path, body);
  return body;
}

const schemaPath = (service: string, ref: string): string =>
  `/schemas/${service}/${ref.replace(/#$/, '')}`;

before(async () => {
  running = await startTestPlatform();
  root = JSON.parse(await readFile(running.platform.rootCredentialsPath, 'utf8'));
  const manifest = await get('/references/manifest.json');
  for (const path of manifest.references as string[]) {
    const reference = await get(path);
    for (const entry of reference.entries as Json[]) {
      for (const ref of [entry.input, entry.output, entry.schema]) {
        if (typeof ref === 'string') await get(schemaPath(reference.serviceName as string, ref));
      }
    }
  }
});
after(() => running.stop());

const schemas = (): Map<string, Json> =>
  new Map([...served].filter(([path]) => path.startsWith('/schemas/')));

test('the platform’s manifest lists every service it serves, and each schema compiles', () => {
  assert.deepEqual(served.get('/references/manifest.json')!.references, [
    '/references/auth/v1/api.json',
    '/references/object/v1/api.json',
    '/references/queue/v1/api.json',
    '/references/queue/v1/exchanges.json',
    '/references/secrets/v1/api.json',
    '/references/signing/v1/api.json',
  ]);
  const validator = validatorFor(schemas().values());
  for (const [path, schema] of schemas()) {
    assert.equal(schema.$id, `${path}#`);
    assert.equal(typeof validator(path), 'function');
  }
});

test('clients generated from the fetched references work, and their answers match the served schemas', async () => {
  const validator = validatorFor(schemas().values());
  const clientOf = (service: string): any => {
    const reference = served.get(`/references/${service}/v1/api.json`)!;
    const Client = taskcluster.createClient(reference);
    const client = new Client({ rootUrl: running.platform.rootUrl, credentials: root, retries: 0 });
    return {
      call: async (name: string, ...args: unknown[]): Promise<unknown> => {
        const answer: unknown = await client[name](...args);
        const entry = (reference.entries as Json[]).find((e) => e.name === name)!;
        if (entry.output) {
          const validate = validator(schemaPath(service, entry.output as string));
          assert.ok(validate(answer), `${service}.${name}: ${JSON.stringify(validate.errors)}`);
        }
        return answer;
      },
    };
  };
  const auth = clientOf('auth');
  const scopes = (await auth.call('currentScopes')) as { scopes: string[] };
  assert.ok(scopes.scopes.includes('*'));
  await auth.call('client', root.clientId);
  await auth.call('listRoles');
  const secrets = clientOf('secrets');
  const expires = new Date(Date.now() + 3_600_000).toJSON();
  await secrets.call('set', 'references-test/one', { secret: { a: 1 }, expires });
  const secret = (await secrets.call('get', 'references-test/one')) as { secret: unknown };
  assert.deepEqual(secret.secret, { a: 1 });
  await secrets.call('list');
  const queue = clientOf('queue');
  const taskId = taskcluster.slugid() as string;
  await queue.call('createTask', taskId, {
    taskQueueId: 'references/test',
    created: new Date().toJSON(),
    deadline: new Date(Date.now() + 3_600_000).toJSON(),
    payload: {},
    metadata: { name: 'n', description: 'd', owner: 'o@example.com', source: 'https://x.example' },
  });
  await queue.call('status', taskId);
});

test('the auth and secrets schemas differ from Taskcluster’s published ones only as listed', () => {
  const published = taskclusterSchemas();
  const found: string[] = [];
  for (const [client, service] of [
    ['Auth', 'auth'],
    ['Secrets', 'secrets'],
  ] as const) {
    found.push(
      ...referenceDifferences(
        service,
        {
          reference: served.get(`/references/${service}/v1/api.json`) as never,
          schemas: schemas(),
        },
        { reference: clientApis[client]!.reference as never, schemas: published },
      ),
    );
  }
  assert.deepEqual(
    found.filter((f) => !(f in DIFFERENCES)),
    [],
    'differences the list does not explain',
  );
  assert.deepEqual(
    Object.keys(DIFFERENCES).filter((d) => !found.includes(d)),
    [],
    'listed differences that no longer exist',
  );
});
