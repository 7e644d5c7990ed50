import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  envelopePayload,
  verifyAttestations,
  type DsseEnvelope,
  type Statement,
  type VerificationSummary,
} from '@bulwark/attest';
import { PROVENANCE_ARTIFACT, VERIFICATION_ARTIFACT } from '@bulwark/queue-service';
import { downloadArtifact, uploadArtifact, type RunningTask } from './artifact-helpers.js';
import { queueClient, queueWith, startTestPlatform, type TestPlatform } from './harness.js';
import { provenanceOf, servedKeys, sha256, statementOf } from './provenance-helpers.js';
import { claimOne, CREATOR_SCOPES, createQuorumTask, worker } from './quorum-helpers.js';

let platform: TestPlatform;
let creator: any;
before(async () => {
  platform = await startTestPlatform({ claimWorkTimeoutMs: 300 });
  creator = queueClient(platform, CREATOR_SCOPES);
});
after(() => platform.close());

async function complete(run: RunningTask, outputs: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(outputs)) {
    await uploadArtifact(platform, run, name, Buffer.from(content));
  }
  await run.run.reportCompleted(run.taskId, run.runId);
}

/** Whether the task waits for its provenance, or has one (both read in the database). */
async function provenanceState(taskId: string): Promise<{ waiting: boolean; written: boolean }> {
  const waiting = await platform.db.pool.query(
    'SELECT 1 FROM provenance_pending WHERE task_id = $1',
    [taskId],
  );
  const written = await platform.db.pool.query(
    'SELECT 1 FROM artifacts WHERE task_id = $1 AND name = $2',
    [taskId, PROVENANCE_ARTIFACT],
  );
  return { waiting: waiting.rowCount === 1, written: written.rowCount === 1 };
}

test('S17: a quorum’s provenance waits for its decision, lists every replica’s worker, and its VSA names only what agreed', async () => {
  const taskId = await createQuorumTask(creator, {
    replicas: 2,
    nondeterministic: ['public/stamp/**'],
  });
  const a = await claimOne(platform, worker(platform, 'g', 'a'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'b'), taskId);
  const shared = { 'public/app.bin': 'reproducible output\n' };
  await complete(a, { ...shared, 'public/logs/build.log': 'log a', 'public/stamp/t': '1' });
  // One replica's completion is not the task's: nothing is signed for it.
  assert.deepEqual(await provenanceState(taskId), { waiting: false, written: false });
  await complete(b, { ...shared, 'public/logs/build.log': 'log b', 'public/stamp/t': '2' });

  const provenanceBytes = await provenanceOf(platform, taskId);
  const provenance = statementOf(provenanceBytes);
  assert.deepEqual(
    provenance.predicate.runDetails.builder.builderDependencies.map((w) => w.name),
    ['g/a', 'g/b'],
  );
  // Stored on the task's latest run, where getLatestArtifact finds it.
  const queue = queueWith(platform, platform.root);
  const summaryBytes = (await downloadArtifact(queue, taskId, undefined, VERIFICATION_ARTIFACT))
    .data;
  const summary = JSON.parse(
    envelopePayload(JSON.parse(summaryBytes.toString()) as DsseEnvelope).toString(),
  ) as Statement<VerificationSummary>;
  assert.equal(summary.predicate.verificationResult, 'PASSED');
  assert.equal(summary.predicate.quorum.distinctWorkers, 2);
  assert.deepEqual(
    summary.subject.map((s) => s.name),
    ['public/app.bin'],
    'the summary vouches only for compared, identical artifacts: no log, nothing nondeterministic',
  );

  const { keys } = await servedKeys(platform);
  const envelopes = [JSON.parse(provenanceBytes.toString()), JSON.parse(summaryBytes.toString())];
  const file = sha256(shared['public/app.bin']);
  const verify = (replicas: number, fileSha256 = file) =>
    verifyAttestations({ fileSha256, envelopes, keys, policy: { replicas } });
  assert.ok(verify(2).ok, JSON.stringify(verify(2).checks));
  assert.equal(verify(3).ok, false);
  // A log is in the provenance (this run produced it) but no quorum vouches for it.
  assert.equal(verify(2, sha256('log b')).ok, false);
  // Without the summary, the provenance alone never vouches for more than one run.
  assert.equal(
    verifyAttestations({
      fileSha256: file,
      envelopes: [envelopes[0]],
      keys,
      policy: { replicas: 2 },
    }).ok,
    false,
  );
});

test('S17: a quorum that failed gets no provenance at all', async () => {
  const taskId = await createQuorumTask(creator, { replicas: 2 });
  const a = await claimOne(platform, worker(platform, 'g', 'c'), taskId);
  const b = await claimOne(platform, worker(platform, 'g', 'd'), taskId);
  await complete(a, { 'public/app.bin': 'honest' });
  await complete(b, { 'public/app.bin': 'with something slipped in' });
  const { status } = await creator.status(taskId);
  assert.equal(status.state, 'failed');
  // Decided in the completing transaction: had it been enqueued, it would be waiting now.
  assert.deepEqual(await provenanceState(taskId), { waiting: false, written: false });
});
