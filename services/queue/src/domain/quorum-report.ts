import { Readable } from 'node:stream';
import { queries, type Queryable } from '@bulwark/db';
import type { ArtifactStorage } from './artifact-storage.js';
import { QUORUM_REPORT_NAME } from './quorum-compare.js';
import type { QuorumOutcome } from './quorum-outcome.js';

type TaskRow = queries.queueTasks.TaskRow;

/**
 * Stores the quorum's outcome as the JSON artifact `public/bulwark/quorum-report.json`
 * of the task's latest run, written by the queue itself through the blob store (so it
 * has a store-computed digest like any artifact). No one else can write that name
 * (createArtifact refuses `public/bulwark/`). Returns the report's digest.
 */
export async function writeQuorumReport(
  blobs: ArtifactStorage,
  db: Queryable,
  task: TaskRow,
  runId: number,
  outcome: QuorumOutcome,
  now: Date,
): Promise<string> {
  const body = Buffer.from(`${JSON.stringify(outcome, null, 2)}\n`);
  const info = await blobs.store.put(Readable.from([body]), { expectedSize: body.length });
  await queries.blobs.registerBlob(db, info, now);
  await queries.queueQuorum.insertQueueArtifact(
    db,
    {
      taskId: task.taskId,
      runId,
      name: QUORUM_REPORT_NAME,
      contentType: 'application/json',
      expires: task.expires,
      sha256: info.sha256,
      size: info.size,
    },
    now,
  );
  return info.sha256;
}
