import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import {
  envelopePayload,
  verifyAttestations,
  type DsseEnvelope,
  type Statement,
  type VerificationSummary,
} from '@bulwark/attest';
import type { Queryable } from '@bulwark/db';
import { VERIFICATION_ARTIFACT, type QuorumFacts } from '@bulwark/queue-service';
import { downloadArtifact, startRunningTask, uploadArtifact } from './artifact-helpers.js';
import { queueClient, queueWith, startTestPlatform, type TestPlatform } from './harness.js';
import { provenanceOf, servedKeys, sha256, statementOf } from './provenance-helpers.js';

/**
 * The queue's quorum is not built yet; this source stands in for the function it will
 * expose, reading the task's real completed runs from the database: every completed run
 * is a replica, and they agree when each stored the same digest under every name.
 */
async function completedRunsAsQuorum(
  db: Queryable,
  taskId: string,
): Promise<QuorumFacts | undefined> {
  const { rows } = await db.query<{
    run_id: number;
    worker_group: string;
    worker_id: string;
    task_queue_id: string;
    started: Date;
    resolved: Date;
    digests: string;
  }>(
    `SELECT r.run_id, r.worker_group, r.worker_id, r.task_queue_id, r.started, r.resolved,
            (SELECT string_agg(a.name || '=' || a.blob_sha256, ',' ORDER BY a.name) FROM artifacts a
              WHERE a.task_id = r.task_id AND a.run_id = r.run_id AND a.blob_sha256 IS NOT NULL
                AND a.name NOT LIKE 'public/bulwark/%' AND a.name NOT LIKE 'public/logs/%') AS digests
       FROM task_runs r WHERE r.task_id = $1 AND r.state = 'completed' ORDER BY r.run_id`,
    [taskId],
  );
  if (rows.length < 2) return undefined;
  return {
    replicas: rows.map((r) => ({
      runId: r.run_id,
      workerGroup: r.worker_group,
      workerId: r.worker_id,
      taskQueueId: r.task_queue_id,
      started: r.started,
      resolved: r.resolved,
    })),
    agreed: new Set(rows.map((r) => r.digests)).size === 1,
  };
}

let platform: TestPlatform;
before(async () => {
  platform = await startTestPlatform({ quorumOf: completedRunsAsQuorum });
});
after(() => platform.close());

test('a quorum’s provenance lists every replica’s worker, and its signed VSA meets --replicas', async () => {
  const data = Buffer.from('reproducible output\n');
  const first = await startRunningTask(platform);
  await uploadArtifact(platform, first, 'public/app.bin', data);
  await first.run.reportCompleted(first.taskId, first.runId);
  await provenanceOf(platform, first.taskId);
  // A second replica, on another worker of the pool.
  await queueClient(platform, ['queue:rerun-task:*']).rerunTask(first.taskId);
  const worker2 = queueClient(platform, [
    'queue:claim-work:test-prov/test-worker',
    'queue:worker-id:test-group/worker-2',
  ]);
  const { tasks } = await worker2.claimWork('test-prov/test-worker', {
    workerGroup: 'test-group',
    workerId: 'worker-2',
    tasks: 1,
  });
  const second = {
    taskId: first.taskId,
    runId: tasks[0].runId as number,
    credentials: tasks[0].credentials,
    run: queueWith(platform, tasks[0].credentials),
  };
  await uploadArtifact(platform, second, 'public/app.bin', data);
  await second.run.reportCompleted(second.taskId, second.runId);

  const queue = queueWith(platform, platform.root);
  let summaryBytes: Buffer | undefined;
  for (let i = 0; i < 200 && !summaryBytes; i++) {
    summaryBytes = await downloadArtifact(queue, first.taskId, second.runId, VERIFICATION_ARTIFACT)
      .then((d) => d.data)
      .catch(() => undefined);
    if (!summaryBytes) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(summaryBytes, 'a verification summary was written');
  const provenanceBytes = (
    await downloadArtifact(
      queue,
      first.taskId,
      second.runId,
      'public/bulwark/provenance.intoto.json',
    )
  ).data;
  const provenance = statementOf(provenanceBytes);
  assert.deepEqual(
    provenance.predicate.runDetails.builder.builderDependencies.map((w) => w.name),
    ['test-group/worker-1', 'test-group/worker-2'],
  );
  const summary = JSON.parse(
    envelopePayload(JSON.parse(summaryBytes.toString()) as DsseEnvelope).toString(),
  ) as Statement<VerificationSummary>;
  assert.equal(summary.predicate.verificationResult, 'PASSED');
  assert.equal(summary.predicate.quorum.distinctWorkers, 2);

  const { keys } = await servedKeys(platform);
  const envelopes = [JSON.parse(provenanceBytes.toString()), JSON.parse(summaryBytes.toString())];
  const verify = (replicas: number) =>
    verifyAttestations({ fileSha256: sha256(data), envelopes, keys, policy: { replicas } });
  assert.ok(verify(2).ok, JSON.stringify(verify(2).checks));
  assert.equal(verify(3).ok, false);
  // Without the summary, the provenance alone never vouches for more than one run.
  assert.equal(
    verifyAttestations({
      fileSha256: sha256(data),
      envelopes: [envelopes[0]],
      keys,
      policy: { replicas: 2 },
    }).ok,
    false,
  );
});
