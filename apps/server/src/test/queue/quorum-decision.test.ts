import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { quorumOutcome } from '@bulwark/queue-service';
import { downloadArtifact, uploadArtifact, type RunningTask } from './artifact-helpers.js';
import {
  newTaskId,
  queueClient,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import {
  claimOne,
  CREATOR_SCOPES,
  createQuorumTask,
  QUEUE,
  TRUSTED,
  worker,
} from './quorum-helpers.js';

let platform: TestPlatform;
let creator: any;

before(async () => {
  platform = await startTestPlatform({
    claimWorkTimeoutMs: 300,
    deadlineDelayMs: 0,
    deadlineResolverIntervalMs: 100,
  });
  creator = queueClient(platform, CREATOR_SCOPES);
});
after(() => platform.close());

const sha = (data: string): string => createHash('sha256').update(data).digest('hex');
const REPORT = 'public/bulwark/quorum-report.json';

async function report(taskId: string): Promise<any> {
  const { data, contentType } = await downloadArtifact(creator, taskId, undefined, REPORT);
  assert.equal(contentType, 'application/json');
  return JSON.parse(data.toString());
}

/** Uploads the replica's outputs (name -> content) and reports it completed. */
async function complete(run: RunningTask, outputs: Record<string, string>): Promise<any> {
  for (const [name, content] of Object.entries(outputs)) {
    await uploadArtifact(platform, run, name, Buffer.from(content));
  }
  return run.run.reportCompleted(run.taskId, run.runId);
}

test('S17: replicas that agree complete the task; dependents start only on the decision', async () => {
  const taskId = await createQuorumTask(creator, {
    replicas: 2,
    nondeterministic: ['public/stamp/**'],
  });
  const dependent = newTaskId();
  await creator.createTask(
    dependent,
    taskDefinition({ taskQueueId: QUEUE, dependencies: [taskId] }),
  );
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  await complete(a, {
    'public/app.bin': 'same',
    'public/logs/build.log': 'log a',
    'public/stamp/t': '1',
  });
  let { status } = await creator.status(taskId);
  assert.equal(status.state, 'running', 'one replica is not the task');
  assert.equal(status.quorum.decided, false);
  assert.deepEqual(status.quorum.replicas[0].artifacts, [
    { name: 'public/app.bin', sha256: sha('same') },
    { name: 'public/stamp/t', sha256: sha('1') },
  ]);
  assert.equal((await creator.status(dependent)).status.state, 'unscheduled');
  await complete(b, {
    'public/app.bin': 'same',
    'public/logs/build.log': 'log b',
    'public/stamp/t': '2',
  });
  ({ status } = await creator.status(taskId));
  assert.equal(status.state, 'completed');
  assert.equal(status.quorum.reason, 'agreed');
  assert.deepEqual(
    status.quorum.replicas.map((r: any) => [r.workerId, r.artifacts]),
    ['a', 'b'].map((id) => [id, [{ name: 'public/app.bin', sha256: sha('same'), agreed: true }]]),
  );
  assert.equal((await creator.status(dependent)).status.state, 'pending');
  const r = await report(taskId);
  assert.equal(r.state, 'completed');
  assert.deepEqual(r.ignored, ['public/logs/build.log', 'public/stamp/t']);
  await creator.cancelTask(dependent);
});

test('S17: a differing or missing artifact fails the task; the report names artifact and worker', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 3 });
  const runs = [];
  for (const id of ['a', 'b', 'evil'])
    runs.push(await claimOne(platform, worker(platform, 'g', id), taskId));
  await complete(runs[0]!, { 'public/app.bin': 'good', 'public/extra': 'x' });
  await complete(runs[1]!, { 'public/app.bin': 'good', 'public/extra': 'x' });
  await complete(runs[2]!, { 'public/app.bin': 'g0od' });
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'failed');
  assert.equal(status.quorum.reason, 'differed');
  const r = await report(taskId);
  assert.equal(r.reason, 'differed');
  const differing = r.artifacts.filter((x: any) => !x.agreed);
  assert.deepEqual(
    differing.map((x: any) => [x.name, x.digests.map((d: any) => d.sha256)]),
    [
      ['public/app.bin', [sha('good'), sha('good'), sha('g0od')]],
      ['public/extra', [sha('x'), sha('x'), null]],
    ],
  );
  assert.equal(r.replicas[2].workerId, 'evil');
  // The seam provenance reads is the same record as the report.
  assert.deepEqual(await quorumOutcome(platform.db.pool, taskId), r);
  assert.equal(await quorumOutcome(platform.db.pool, newTaskId()), undefined);
  // S14: the decision is audited, naming each replica's worker.
  const { rows } = await platform.db.pool.query<{ details: any }>(
    `SELECT details FROM audit_pending WHERE entity_id = $1 AND action = 'quorum-decided'
     UNION ALL
     SELECT details FROM audit_log WHERE entity_id = $1 AND action = 'quorum-decided'`,
    [taskId],
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.details.state, 'failed');
  assert.deepEqual(
    rows[0]!.details.replicas.map((x: any) => x.workerId),
    ['a', 'b', 'evil'],
  );
  assert.match(r.message, /artifact public\/app\.bin differs: .*replica 2 on g\/evil has/);
});

test('S17: the digest compared is the store’s: an announced digest changes nothing', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  await complete(a, { 'public/app.bin': 'honest' });
  await uploadArtifact(platform, b, 'public/app.bin', Buffer.from('tampered'));
  // Whatever a worker announced as the digest (here rewritten to the honest one)
  // is not what the quorum compares.
  await platform.db.pool.query(
    `UPDATE artifacts SET upload_sha256 = $1 WHERE task_id = $2 AND run_id = $3`,
    [sha('honest'), taskId, b.runId],
  );
  await b.run.reportCompleted(taskId, b.runId);
  assert.equal((await creator.status(taskId)).status.state, 'failed');
});

test('S17: the queue’s report name is reserved: no run may write under public/bulwark/', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  for (const name of [REPORT, 'Public/Bulwark/quorum-report.json', 'public/bulwark/x']) {
    await assert.rejects(
      a.run.createArtifact(taskId, a.runId, name, {
        storageType: 'reference',
        contentType: 'text/plain',
        url: 'https://example.com/',
        expires: new Date(Date.now() + 60_000).toJSON(),
      }),
      {
        statusCode: 400,
        message: /public\/bulwark\/ are reserved for what the control plane writes itself/,
      },
      name,
    );
  }
  await creator.cancelTask(taskId);
});

test('S17: without its trusted replica the quorum does not complete', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2, trustedTaskQueueId: TRUSTED });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  await complete(a, { 'public/app.bin': 'same' });
  assert.equal((await creator.status(taskId)).status.state, 'running');
  const t = await claimOne(platform, worker(platform, 'trusted', 't', TRUSTED), taskId);
  await complete(t, { 'public/app.bin': 'same' });
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'completed');
  assert.deepEqual(
    status.quorum.replicas.map((r: any) => [r.trusted, r.workerGroup]),
    [
      [false, 'g'],
      [true, 'trusted'],
    ],
  );
});

test('S17, S3: a failed replica retries; out of retries the task fails and the others’ credentials die', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 }, { retries: 1 });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  await a.run.reportFailed(taskId, a.runId);
  let { status } = await creator.status(taskId);
  assert.equal(status.state, 'running');
  assert.equal(status.retriesLeft, 0);
  assert.deepEqual(status.runs.at(-1), {
    ...status.runs.at(-1),
    runId: 2,
    replica: 0,
    state: 'pending',
  });
  // Replica 0 again, by the worker that held it (it holds no other replica).
  const a2 = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  assert.equal(a2.runId, 2);
  await a2.run.reportException(taskId, a2.runId, { reason: 'worker-shutdown' });
  ({ status } = await creator.status(taskId));
  assert.equal(status.state, 'exception');
  assert.equal(status.quorum.reason, 'replica-failed');
  assert.match(
    status.quorum.message,
    /replica 0 \(run 2 on g\/a\) ended exception\/worker-shutdown/,
  );
  assert.equal(status.runs[1].state, 'exception');
  assert.equal(status.runs[1].reasonResolved, 'canceled');
  // S3: replica 1 was ended with the quorum: its run's credentials stop working.
  const revoked = { statusCode: 401, code: 'AuthenticationFailed' };
  await assert.rejects(b.run.reclaimTask(taskId, b.runId), revoked);
  await assert.rejects(
    b.run.createArtifact(taskId, b.runId, 'public/late', {
      storageType: 'reference',
      contentType: 'text/plain',
      url: 'https://example.com/',
      expires: new Date(Date.now() + 60_000).toJSON(),
    }),
    revoked,
  );
});

test('a quorum not reached before the deadline resolves deadline-exceeded, saying why', async () => {
  const taskId = await createQuorumTask(
    creator,
    { replicas: 2 },
    { deadline: new Date(Date.now() + 2000).toJSON() },
  );
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  await complete(a, { 'public/app.bin': 'same' });
  let status: any;
  for (let i = 0; i < 100; i++) {
    ({ status } = await creator.status(taskId));
    if (status.quorum.decided) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status.state, 'exception');
  assert.equal(status.quorum.reason, 'deadline-exceeded');
  assert.match(
    status.quorum.message,
    /not reached before the deadline: replica 0 \(run 0 on g\/a\) completed; replica 1 \(run 1\) pending \(no worker took it from test-prov\/quorum\)/,
  );
  assert.equal((await report(taskId)).reason, 'deadline-exceeded');
});
