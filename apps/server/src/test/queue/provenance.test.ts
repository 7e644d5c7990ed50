import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { envelopeDigest, verifyAttestations } from '@bulwark/attest';
import { PROVENANCE_ARTIFACT } from '@bulwark/queue-service';
import { startRunningTask, uploadArtifact, type RunningTask } from './artifact-helpers.js';
import {
  CREATE_SCOPES,
  WORKER_SCOPES,
  newTaskId,
  queueClient,
  queueWith,
  startTestPlatform,
  taskDefinition,
  type TestPlatform,
} from './harness.js';
import { provenanceOf, servedKeys, sha256, statementOf } from './provenance-helpers.js';

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform({
    builderTrustLevels: [
      { pattern: 'other/*', level: 3 },
      { pattern: 'test-prov/*', level: 2 },
    ],
  });
});
after(() => platform.close());

/** Stores one artifact and reports the run completed, as a worker does. */
async function complete(running: RunningTask): Promise<void> {
  await uploadArtifact(platform, running, 'public/out.txt', Buffer.from(running.taskId));
  await running.run.reportCompleted(running.taskId, running.runId);
}

async function claim(taskId: string): Promise<RunningTask> {
  const worker = queueClient(platform, WORKER_SCOPES);
  const { tasks } = await worker.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-1',
    tasks: 1,
  });
  assert.equal(tasks[0]?.status.taskId, taskId);
  const { runId, credentials } = tasks[0];
  return { taskId, runId, credentials, run: queueWith(platform, credentials) };
}

test('S17: a completed task’s provenance is the control plane’s, names the store’s digests and verifies offline', async () => {
  const running = await startRunningTask(platform, {
    payload: { command: ['make'], env: { GITHUB_TOKEN: 'ghp_pasted_by_mistake', MODE: 'release' } },
  });
  const data = Buffer.from('the binary the task built\n');
  await uploadArtifact(platform, running, 'public/build/app.bin', data);
  // A digest the uploader announced, even a false one where one is kept, is never named.
  await platform.db.pool.query(
    `UPDATE artifacts SET upload_sha256 = repeat('f', 64) WHERE task_id = $1 AND name = $2`,
    [running.taskId, 'public/build/app.bin'],
  );
  await running.run.reportCompleted(running.taskId, running.runId);
  const bytes = await provenanceOf(platform, running.taskId);
  const statement = statementOf(bytes);
  const subject = statement.subject.find((s) => s.name === 'public/build/app.bin');
  assert.equal(subject?.digest.sha256, sha256(data));
  assert.ok(!statement.subject.some((s) => s.name === PROVENANCE_ARTIFACT));
  const { buildDefinition, runDetails } = statement.predicate;
  assert.equal(buildDefinition.internalParameters.builderTrustLevel, 2);
  assert.equal(runDetails.builder.id, `${platform.rootUrl}/worker-pool/test-prov/test-worker`);
  assert.deepEqual(
    runDetails.builder.builderDependencies.map((w) => w.name),
    ['test-group/worker-1'],
  );
  const env = (buildDefinition.externalParameters.task.payload as { env: Record<string, string> })
    .env;
  assert.equal(env.MODE, 'release');
  assert.doesNotMatch(bytes.toString(), /ghp_pasted_by_mistake/);
  assert.doesNotMatch(envelopeFromBase64(bytes), /ghp_pasted_by_mistake/);

  const { keys } = await servedKeys(platform);
  const verify = (fileSha256: string, policy = {}) =>
    verifyAttestations({ fileSha256, envelopes: [JSON.parse(bytes.toString())], keys, policy });
  const report = verify(sha256(data), { minLevel: 2 });
  assert.ok(report.ok, JSON.stringify(report.checks));
  assert.equal(verify(sha256('another file')).ok, false);
  assert.equal(verify(sha256(data), { minLevel: 3 }).ok, false);
});

function envelopeFromBase64(bytes: Buffer): string {
  const { payload } = JSON.parse(bytes.toString()) as { payload: string };
  return Buffer.from(payload, 'base64').toString();
}

test('S17 S18: no credentials, not the run’s nor root’s, write a name under public/bulwark/', async () => {
  const running = await startRunningTask(platform);
  const root = queueWith(platform, platform.root);
  const expires = new Date(Date.now() + 3600_000).toJSON();
  for (const [who, queue] of [
    ['run', running.run],
    ['root', root],
  ] as const) {
    for (const name of [
      PROVENANCE_ARTIFACT,
      'Public/Bulwark/provenance.intoto.json',
      'public/bulwark/x',
    ]) {
      for (const body of [
        { storageType: 'object', expires, contentType: 'application/json' },
        { storageType: 'link', expires, artifact: 'public/x' },
        { storageType: 'reference', expires, contentType: 'text/plain', url: 'https://x.test/p' },
        { storageType: 'error', expires, reason: 'file-missing-on-worker', message: 'gone' },
      ]) {
        await assert.rejects(
          queue.createArtifact(running.taskId, running.runId, name, body),
          (err: { statusCode?: number; code?: string }) =>
            err.statusCode === 400 && err.code === 'InputError',
          `${who} created ${name} as ${body.storageType}`,
        );
      }
    }
  }
  await complete(running);
  const statement = statementOf(await provenanceOf(platform, running.taskId));
  assert.equal(statement.predicate.buildDefinition.internalParameters.taskId, running.taskId);
});

test('a dependent’s provenance refers to its dependency’s provenance by the sha256 of its envelope', async () => {
  const first = await startRunningTask(platform);
  const creator = queueClient(platform, CREATE_SCOPES);
  const dependent = newTaskId();
  await creator.createTask(dependent, taskDefinition({ dependencies: [first.taskId] }));
  await complete(first);
  const firstBytes = await provenanceOf(platform, first.taskId);
  const second = await claim(dependent);
  await complete(second);
  const statement = statementOf(await provenanceOf(platform, dependent));
  assert.deepEqual(statement.predicate.buildDefinition.resolvedDependencies, [
    {
      name: first.taskId,
      uri: `${platform.rootUrl}/api/queue/v1/task/${first.taskId}/artifacts/${PROVENANCE_ARTIFACT}`,
      digest: { sha256: envelopeDigest(firstBytes) },
    },
  ]);
});

test('S1: the private key is in no log line, API answer, audit entry or database row in the clear', async () => {
  const running = await startRunningTask(platform);
  await complete(running);
  await provenanceOf(platform, running.taskId);
  const key = await platform.queue.context.provenance.keys.current(platform.db.pool, new Date());
  const secretParts = [
    key.exportPrivatePem(),
    // The base64 body of the PKCS#8 key, and its raw 32-byte seed in hex and base64.
    key.exportPrivatePem().split('\n').slice(1, -2).join(''),
    privateSeed(key.exportPrivatePem()).toString('hex'),
    privateSeed(key.exportPrivatePem()).toString('base64'),
  ];
  const { raw } = await servedKeys(platform);
  assert.doesNotMatch(raw, /PRIVATE/);
  const dump = JSON.stringify(
    (
      await platform.db.pool.query(
        `SELECT (SELECT json_agg(k) FROM provenance_keys k) AS keys,
                (SELECT json_agg(a) FROM audit_log a) AS audit,
                (SELECT json_agg(p) FROM audit_pending p) AS pending`,
      )
    ).rows,
  );
  for (const part of secretParts) {
    assert.ok(!platform.logLines.some((line) => line.includes(part)), 'in a log line');
    assert.ok(!raw.includes(part), 'in the keys endpoint');
    assert.ok(!dump.includes(part), 'in the database in the clear');
  }
});

function privateSeed(pem: string): Buffer {
  const der = Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64');
  return der.subarray(der.length - 32);
}

test('a rotation makes a new signing key; provenance signed before it still verifies', async () => {
  const before = await startRunningTask(platform);
  await complete(before);
  const oldBytes = await provenanceOf(platform, before.taskId);
  // A Bulwark endpoint: a client made from the served reference, as `bulwark` makes one.
  const reference: unknown = await (
    await fetch(`${platform.rootUrl}/api/queue/v1/reference`)
  ).json();
  const BulwarkQueue = taskcluster.createClient(reference);
  const rotated = await new BulwarkQueue({
    rootUrl: platform.rootUrl,
    credentials: platform.root,
  }).rotateProvenanceKey!();
  const powerless = taskcluster.createTemporaryCredentials({
    expiry: new Date(Date.now() + 3600_000),
    scopes: ['queue:get-task:*'],
    credentials: platform.root,
  });
  await assert.rejects(
    new BulwarkQueue({ rootUrl: platform.rootUrl, credentials: powerless }).rotateProvenanceKey!(),
    (err: { code?: string }) => err.code === 'InsufficientScopes',
  );
  const { body, keys } = await servedKeys(platform);
  assert.equal(body.keys.filter((k: any) => k.current).length, 1);
  assert.equal(body.keys[0]?.keyId, rotated.keyId);
  const after = await startRunningTask(platform);
  await complete(after);
  const newBytes = await provenanceOf(platform, after.taskId);
  const keyIdOf = (bytes: Buffer) =>
    (JSON.parse(bytes.toString()) as { signatures: { keyid: string }[] }).signatures[0]?.keyid;
  assert.equal(keyIdOf(newBytes), rotated.keyId);
  assert.equal(keyIdOf(oldBytes), rotated.retiredKeyId);
  for (const bytes of [oldBytes, newBytes]) {
    const fileSha256 = statementOf(bytes).subject[0]?.digest.sha256 ?? '';
    const envelopes = [JSON.parse(bytes.toString())];
    assert.ok(verifyAttestations({ fileSha256, envelopes, keys, policy: {} }).ok);
  }
});
