import { strict as assert } from 'node:assert';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import type { Platform } from '../platform.js';
import { splitDeployment, type SplitDeployment } from './split.js';

// One database, three processes: what `bulwark serve --service auth|queue|secrets`
// runs on separate machines in production.
let deployment: SplitDeployment;
let auth: Platform;
let queue: Platform;
let secrets: Platform;
let root: { clientId: string; accessToken: string };

before(async () => {
  deployment = await splitDeployment();
  // Started together, as replicas of a fresh deployment often are.
  [auth, queue, secrets] = await Promise.all([
    deployment.start('auth'),
    deployment.start('queue'),
    deployment.start('secrets'),
  ]);
  root = JSON.parse(await readFile(auth.rootCredentialsPath, 'utf8'));
});
after(() => deployment.stop());

const client = (Service: any, platform: Platform, credentials: unknown): any =>
  new Service({ rootUrl: platform.rootUrl, credentials, retries: 0 });

/** Retries `check` until it passes: changes reach other processes through NOTIFY. */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

function task(taskQueueId: string, scopes: string[]): Record<string, unknown> {
  const now = Date.now();
  return {
    taskQueueId,
    created: new Date(now).toJSON(),
    deadline: new Date(now + 3600_000).toJSON(),
    scopes,
    payload: { command: ['true'] },
    metadata: {
      name: 'split test',
      description: 'a task of the split-services test',
      owner: 'tests@example.com',
      source: 'https://example.com/tests',
    },
  };
}

test('each process serves its own services and answers 404 for the others', async () => {
  const routes: [string, Platform][] = [
    ['/api/auth/v1/ping', auth],
    ['/api/queue/v1/ping', queue],
    ['/api/object/v1/ping', queue],
    ['/api/secrets/v1/ping', secrets],
  ];
  for (const [path, owner] of routes) {
    for (const platform of [auth, queue, secrets]) {
      const response = await fetch(`${platform.rootUrl}${path}`);
      await response.body?.cancel();
      const expected = platform === owner ? 200 : 404;
      assert.equal(response.status, expected, `${path} on ${platform.services.join(',')}`);
    }
  }
  assert.deepEqual(
    [auth.services, queue.services, secrets.services],
    [['auth'], ['queue'], ['secrets']],
  );
});

test('only the auth process creates the root client and keeps its credentials', async () => {
  assert.equal(auth.rootCredentials, 'created');
  assert.equal((await stat(auth.rootCredentialsPath)).mode & 0o777, 0o600);
  for (const platform of [queue, secrets]) {
    assert.equal(platform.rootCredentials, 'elsewhere');
    await assert.rejects(stat(platform.rootCredentialsPath), { code: 'ENOENT' });
  }
});

test('a client created through auth is accepted by the queue and follows changes', async () => {
  const created = await client(taskcluster.Auth, auth, root).createClient('project/split', {
    description: 'created through the auth process',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: [
      'queue:create-task:lowest:split-prov/created',
      'queue:create-task:project:none',
      'queue:scheduler-id:-',
    ],
  });
  const credentials = { clientId: 'project/split', accessToken: created.accessToken };
  const creator = client(taskcluster.Queue, queue, credentials);
  await eventually(() => creator.createTask(taskcluster.slugid(), task('split-prov/created', [])));

  // A scope granted through auth reaches the secrets process too.
  await client(taskcluster.Secrets, secrets, root).set('project/split/one', {
    secret: { value: 1 },
    expires: new Date(Date.now() + 3600_000).toJSON(),
  });
  const reader = client(taskcluster.Secrets, secrets, credentials);
  await eventually(() => assert.rejects(reader.get('project/split/one'), { statusCode: 403 }));
  await client(taskcluster.Auth, auth, root).updateClient('project/split', {
    description: 'may read one secret',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: ['secrets:get:project/split/one'],
  });
  await eventually(async () => {
    assert.deepEqual((await reader.get('project/split/one')).secret, { value: 1 });
  });
  // And so does disabling it.
  await client(taskcluster.Auth, auth, root).disableClient('project/split');
  await eventually(() => assert.rejects(reader.get('project/split/one'), { statusCode: 401 }));
});

test('S3: run credentials die on every process once the run resolves on the queue', async () => {
  await client(taskcluster.Secrets, secrets, root).set('project/split/run', {
    secret: { token: 'for the task' },
    expires: new Date(Date.now() + 3600_000).toJSON(),
  });
  const taskId = taskcluster.slugid();
  const admin = client(taskcluster.Queue, queue, root);
  await admin.createTask(taskId, task('split-prov/claimed', ['secrets:get:project/split/run']));
  const { tasks } = await admin.claimWork('split-prov/claimed', {
    workerGroup: 'split-group',
    workerId: 'split-1',
    tasks: 1,
  });
  assert.equal(tasks.length, 1);
  const runCredentials = tasks[0].credentials;
  assert.match(runCredentials.clientId, /^task-client\//);

  const asRun = client(taskcluster.Secrets, secrets, runCredentials);
  assert.deepEqual((await asRun.get('project/split/run')).secret, { token: 'for the task' });
  await client(taskcluster.Queue, queue, runCredentials).reportCompleted(taskId, 0);

  // No process but the queue's knows of the resolution except through the database.
  await assert.rejects(asRun.get('project/split/run'), {
    statusCode: 401,
    message: /revoked/,
  });
  await assert.rejects(client(taskcluster.Auth, auth, runCredentials).currentScopes(), {
    statusCode: 401,
  });
});

test('a queue process keeps authenticating with no auth process running', async () => {
  await auth.stop();
  const refused = await fetch(`${auth.rootUrl}/api/auth/v1/ping`).catch(() => undefined);
  assert.equal(refused, undefined, 'the auth process is gone');
  // The task the client created earlier, still waiting for a worker.
  const status = await client(taskcluster.Queue, queue, root).pendingTasks('split-prov/created');
  assert.equal(status.pendingTasks, 1);
});

test('a process whose keyring differs from the deployment’s stops at start, saying why', async () => {
  const otherKeyring = JSON.stringify({ keys: [{ id: 'other', key: 'A'.repeat(43) + '=' }] });
  await assert.rejects(
    deployment.start('secrets', {}, { BULWARK_KEYRING: otherKeyring }),
    /cannot be opened with this keyring \(no key split-test in the keyring\): every process of a deployment needs the same keyring/,
  );
});
