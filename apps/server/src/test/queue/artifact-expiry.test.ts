import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { artifactExpiryJob, collectUnreferencedBlobs } from '@bulwark/queue-service';
import { startTestPlatform, type TestPlatform } from './harness.js';
import {
  anonymousQueue,
  grantAnonymous,
  startRunningTask,
  uploadArtifact,
} from './artifact-helpers.js';

let platform: TestPlatform;

before(async () => {
  platform = await startTestPlatform();
  await grantAnonymous(platform, ['queue:get-artifact:public/*']);
});
after(() => platform.close());

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
// Artifacts may be created up to 15 minutes in the past (clock skew); such an
// artifact is already expired, which lets the job run without waiting.
const aMinuteAgo = (): string => new Date(Date.now() - 60_000).toJSON();

test('expired artifacts are deleted and blobs nothing references are collected', async () => {
  const ctx = platform.queue.context;
  const store = ctx.blobs.store;
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  await uploadArtifact(platform, running, 'public/keep.txt', Buffer.from('kept'));
  await uploadArtifact(
    platform,
    running,
    'public/gone.txt',
    Buffer.from('gone'),
    'text/plain',
    aMinuteAgo(),
  );
  // The same content twice is one blob, kept while either artifact points at it.
  await uploadArtifact(
    platform,
    running,
    'public/shared-a',
    Buffer.from('shared'),
    'text/plain',
    aMinuteAgo(),
  );
  await uploadArtifact(platform, running, 'public/shared-b', Buffer.from('shared'));

  await assert.rejects(anonymousQueue(platform).getArtifact(taskId, runId, 'public/gone.txt'), {
    statusCode: 410,
    code: 'ResourceExpired',
  });
  // Nothing is collected while every blob is referenced.
  assert.equal(await collectUnreferencedBlobs(ctx, 0), 0);
  assert.equal(await store.exists(sha256('gone')), true);

  await artifactExpiryJob(ctx, 0);
  assert.equal(await store.exists(sha256('gone')), false, 'the expired artifact’s blob is gone');
  assert.equal(await store.exists(sha256('shared')), true, 'a blob still referenced stays');
  assert.equal(await store.exists(sha256('kept')), true);
  await assert.rejects(anonymousQueue(platform).getArtifact(taskId, runId, 'public/gone.txt'), {
    statusCode: 404,
  });
  const still = await anonymousQueue(platform).getArtifact(taskId, runId, 'public/shared-b');
  assert.equal(await (await fetch(still.url)).text(), 'shared');

  // Artifacts go with their task (as the queue's expiry deletes it), then their blobs.
  await platform.db.pool.query('DELETE FROM tasks WHERE task_id = $1', [taskId]);
  await artifactExpiryJob(ctx, 0);
  assert.equal(await store.exists(sha256('kept')), false);
  assert.equal(await store.exists(sha256('shared')), false);
});

test('a grace period keeps young unreferenced blobs', async () => {
  const ctx = platform.queue.context;
  const running = await startRunningTask(platform);
  await uploadArtifact(
    platform,
    running,
    'public/young.txt',
    Buffer.from('young'),
    'text/plain',
    aMinuteAgo(),
  );
  await artifactExpiryJob(ctx, 60 * 60 * 1000);
  assert.equal(await ctx.blobs.store.exists(sha256('young')), true);
  await artifactExpiryJob(ctx, 0);
  assert.equal(await ctx.blobs.store.exists(sha256('young')), false);
});
