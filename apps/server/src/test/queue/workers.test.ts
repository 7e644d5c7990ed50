import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';

let platform: TestPlatform;
let creator: any;
let admin: any;

before(async () => {
  // Short long-polls: a quarantined worker's claimWork waits the whole timeout.
  platform = await startTestPlatform({ claimWorkTimeoutMs: 300 });
  creator = queueClient(platform, ['queue:create-task:*', 'queue:scheduler-id:-']);
  admin = queueWith(platform, platform.root);
});
after(() => platform.close());

function workerOf(provisioner: string, workerType: string, workerId: string): any {
  const client = queueClient(platform, [
    `queue:claim-work:${provisioner}/${workerType}`,
    `queue:worker-id:g/${workerId}`,
  ]);
  return {
    claim: async (tasks = 1): Promise<any[]> =>
      (
        await client.claimWork(`${provisioner}/${workerType}`, {
          workerGroup: 'g',
          workerId,
          tasks,
        })
      ).tasks,
  };
}

async function createTasks(taskQueueId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, newTaskId);
  for (const id of ids) await creator.createTask(id, taskDefinition({ taskQueueId }));
  return ids;
}

const quarantine = (workerType: string, workerId: string, until: Date, info?: string): any =>
  admin.quarantineWorker('prov', workerType, 'g', workerId, {
    quarantineUntil: until.toJSON(),
    ...(info !== undefined ? { quarantineInfo: info } : {}),
  });

test('claimWork records the worker: first claim, last activity and its recent tasks', async () => {
  const idle = workerOf('prov', 'record', 'idle');
  assert.deepEqual(await idle.claim(), []);
  const seen = await admin.getWorker('prov', 'record', 'g', 'idle');
  assert.equal(seen.taskQueueId, 'prov/record');
  assert.equal(seen.provisionerId, 'prov');
  assert.equal(seen.workerType, 'record');
  assert.deepEqual(seen.recentTasks, []);
  assert.deepEqual(seen.quarantineDetails, []);
  assert.equal(seen.quarantineUntil, undefined);
  assert.ok(new Date(seen.expires).getTime() > Date.now() + 23 * 3600 * 1000);

  const ids = await createTasks('prov/record', 23);
  const busy = workerOf('prov', 'record', 'busy');
  const claims = await busy.claim(23);
  assert.equal(claims.length, 23);
  const worker = await admin.getWorker('prov', 'record', 'g', 'busy');
  // Taskcluster keeps the 20 latest claims, oldest first.
  assert.deepEqual(
    worker.recentTasks,
    ids.slice(3).map((taskId) => ({ taskId, runId: 0 })),
  );
  assert.ok(new Date(worker.firstClaim) <= new Date(worker.lastDateActive));
  for (const c of claims)
    await queueWith(platform, c.credentials).reportCompleted(c.status.taskId, 0);
});

test('getWorker: 404 for an unknown worker, 403 without the scope', async () => {
  await workerOf('prov', 'get', 'w').claim();
  const reader = queueClient(platform, ['queue:get-worker:prov/get/g/w']);
  await reader.getWorker('prov', 'get', 'g', 'w');
  await assert.rejects(reader.getWorker('prov', 'get', 'g', 'other'), { statusCode: 403 });
  await assert.rejects(admin.getWorker('prov', 'get', 'g', 'never-seen'), {
    statusCode: 404,
    code: 'ResourceNotFound',
  });
  await assert.rejects(admin.getWorker('prov', 'get', 'g', 'x'.repeat(39)), { statusCode: 400 });
});

test('listWorkers pages through the workers and filters on quarantine', async () => {
  const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
  await Promise.all(names.map((n) => workerOf('prov', 'list', n).claim()));
  await quarantine('list', 'a2', new Date(Date.now() + 3600_000), 'flaky disk');
  await quarantine('list', 'a4', new Date(Date.now() - 1000), 'released');
  const lister = queueClient(platform, ['queue:list-workers:prov/list']);
  const seen: any[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page: any = await lister.listWorkers('prov', 'list', {
      limit: '2',
      ...(token ? { continuationToken: token } : {}),
    });
    assert.ok(page.workers.length <= 2);
    seen.push(...page.workers);
    token = page.continuationToken;
    if (!token) break;
  }
  assert.deepEqual(
    seen.map((w) => w.workerId),
    names,
  );
  assert.ok(seen.every((w) => w.workerGroup === 'g' && w.firstClaim && w.lastDateActive));
  assert.ok(seen.find((w) => w.workerId === 'a2').quarantineUntil);
  // A lifted quarantine is not shown.
  assert.equal(seen.find((w) => w.workerId === 'a4').quarantineUntil, undefined);

  const quarantined = await lister.listWorkers('prov', 'list', { quarantined: 'true' });
  assert.deepEqual(
    quarantined.workers.map((w: any) => w.workerId),
    ['a2'],
  );
  const free = await lister.listWorkers('prov', 'list', { quarantined: 'false' });
  assert.deepEqual(
    free.workers.map((w: any) => w.workerId),
    ['a1', 'a3', 'a4', 'a5'],
  );
  await assert.rejects(lister.listWorkers('prov', 'other'), { statusCode: 403 });
  await assert.rejects(lister.listWorkers('prov', 'list', { quarantined: 'yes' }), {
    statusCode: 400,
  });
  await assert.rejects(lister.listWorkers('prov', 'list', { continuationToken: 'YQ' }), {
    statusCode: 400,
    code: 'InvalidRequestArguments',
  });
});

test('quarantineWorker records who and why; unknown is 404, no scope 403, bad input 400', async () => {
  await workerOf('prov', 'q', 'w').claim();
  const until = new Date(Date.now() + 3600_000);
  const scoped = queueClient(platform, ['queue:quarantine-worker:prov/q/g/w'], 'ops/alice');
  const result = await scoped.quarantineWorker('prov', 'q', 'g', 'w', {
    quarantineUntil: until.toJSON(),
    quarantineInfo: 'investigating',
  });
  assert.equal(result.quarantineUntil, until.toJSON());
  assert.equal(result.quarantineDetails.length, 1);
  assert.equal(result.quarantineDetails[0].clientId, 'ops/alice');
  assert.equal(result.quarantineDetails[0].quarantineInfo, 'investigating');
  const second = await scoped.quarantineWorker('prov', 'q', 'g', 'w', {
    quarantineUntil: new Date(0).toJSON(),
  });
  assert.equal(second.quarantineDetails.length, 2);
  assert.equal(second.quarantineDetails[1].quarantineInfo, '[unspecified]');

  await assert.rejects(
    scoped.quarantineWorker('prov', 'q', 'g', 'other', { quarantineUntil: until.toJSON() }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  await assert.rejects(
    admin.quarantineWorker('prov', 'q', 'g', 'never-seen', { quarantineUntil: until.toJSON() }),
    { statusCode: 404 },
  );
  await assert.rejects(
    admin.quarantineWorker('prov', 'q', 'g', 'w', { quarantineUntil: 'tomorrow' }),
    { statusCode: 400 },
  );
  await assert.rejects(
    admin.quarantineWorker('prov', 'q', 'g', 'w', {
      quarantineUntil: until.toJSON(),
      quarantineInfo: 'x'.repeat(4001),
    }),
    { statusCode: 400 },
  );
});

test('S5: a quarantined worker gets nothing, takes no pending work, and is still seen', async () => {
  const suspect = workerOf('prov', 's5', 'suspect');
  await suspect.claim();
  await quarantine('s5', 'suspect', new Date(Date.now() + 3600_000), 'compromised?');
  const [taskId] = await createTasks('prov/s5', 1);
  const before = await admin.getWorker('prov', 's5', 'g', 'suspect');
  assert.deepEqual(await suspect.claim(32), []);
  assert.equal((await admin.status(taskId)).status.state, 'pending', 'the work stays pending');
  const counts = await admin.taskQueueCounts('prov/s5');
  assert.equal(counts.pendingTasks, 1);
  const after = await admin.getWorker('prov', 's5', 'g', 'suspect');
  assert.deepEqual(after.recentTasks, before.recentTasks);

  const [claimed] = await workerOf('prov', 's5', 'healthy').claim();
  assert.equal(claimed.status.taskId, taskId);
  await queueWith(platform, claimed.credentials).reportCompleted(taskId, 0);

  // Lifting the quarantine (a date in the past) lets the worker claim again.
  const [next] = await createTasks('prov/s5', 1);
  await quarantine('s5', 'suspect', new Date(Date.now() - 1000));
  const [again] = await suspect.claim();
  assert.equal(again.status.taskId, next);
  await queueWith(platform, again.credentials).reportCompleted(next, 0);
});

test('S5: parallel claimers across quarantine changes never get the same run twice', async () => {
  const queueId = 'prov/s5-race';
  const names = Array.from({ length: 10 }, (_, i) => `racer${i}`);
  const workers = names.map((n) => workerOf('prov', 's5-race', n));
  await Promise.all(workers.map((w) => w.claim()));
  // One worker is quarantined for the whole test and must never claim anything.
  await quarantine('s5-race', 'racer0', new Date(Date.now() + 3600_000));
  const ids = await createTasks(queueId, 60);
  const claims: { taskId: string; runId: number; worker: string }[] = [];
  let toggles = 0;
  const toggler = (async () => {
    for (let i = 0; i < 40 && claims.length < ids.length; i++) {
      const who = names[1 + (i % (names.length - 1))]!;
      const until = i % 2 === 0 ? Date.now() + 3600_000 : Date.now() - 1000;
      await quarantine('s5-race', who, new Date(until));
      toggles++;
    }
    // Release everyone but racer0 so the remaining work drains.
    for (const who of names.slice(1)) await quarantine('s5-race', who, new Date(Date.now() - 1000));
  })();
  await Promise.all(
    workers.map(async (w, i) => {
      for (let round = 0; round < 40 && claims.length < ids.length; round++) {
        for (const c of await w.claim(3)) {
          claims.push({ taskId: c.status.taskId, runId: c.runId, worker: names[i]! });
          await queueWith(platform, c.credentials).reportCompleted(c.status.taskId, c.runId);
        }
      }
    }),
  );
  await toggler;
  assert.ok(toggles > 0);
  const keys = claims.map((c) => `${c.taskId}/${c.runId}`);
  assert.equal(new Set(keys).size, keys.length, 'no run was handed out twice');
  assert.deepEqual([...new Set(claims.map((c) => c.taskId))].sort(), [...ids].sort());
  assert.ok(!claims.some((c) => c.worker === 'racer0'), 'the quarantined worker claimed nothing');
});

test('declareWorker creates or extends the worker and its queue, with a scope per property', async () => {
  const expires = new Date(Date.now() + 3 * 24 * 3600_000);
  await assert.rejects(
    queueClient(platform, ['queue:declare-worker:prov/decl/g/w#other']).declareWorker(
      'prov',
      'decl',
      'g',
      'w',
      { expires: expires.toJSON() },
    ),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  const declarer = queueClient(platform, ['queue:declare-worker:prov/decl/g/w#expires']);
  const worker = await declarer.declareWorker('prov', 'decl', 'g', 'w', {
    expires: expires.toJSON(),
  });
  assert.equal(worker.expires, expires.toJSON());
  assert.deepEqual(worker.recentTasks, []);
  // An expiry never moves backwards.
  const earlier = await declarer.declareWorker('prov', 'decl', 'g', 'w', {
    expires: new Date(Date.now() + 3600_000).toJSON(),
  });
  assert.equal(earlier.expires, expires.toJSON());
  const queue = await admin.getTaskQueue('prov/decl');
  assert.equal(queue.expires, expires.toJSON());
  await assert.rejects(declarer.declareWorker('prov', 'decl', 'g', 'w', {}), { statusCode: 400 });
});

test('reclaimTask counts as activity: the worker’s lastDateActive moves forward', async () => {
  const taskId = newTaskId();
  await creator.createTask(taskId, taskDefinition({ taskQueueId: 'prov/reclaimer' }));
  const [claim] = await workerOf('prov', 'reclaimer', 'busy-reclaimer').claim();
  assert.equal(claim.status.taskId, taskId);
  const before = await admin.getWorker('prov', 'reclaimer', 'g', 'busy-reclaimer');
  await new Promise((resolve) => setTimeout(resolve, 20));
  await queueWith(platform, claim.credentials).reclaimTask(taskId, claim.runId);
  const after = await admin.getWorker('prov', 'reclaimer', 'g', 'busy-reclaimer');
  assert.ok(new Date(after.lastDateActive) > new Date(before.lastDateActive));
});
