import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { queueClient, startTestPlatform, type TestPlatform } from './harness.js';
import {
  anonymousQueue,
  downloadArtifact,
  grantAnonymous,
  inOneDay,
  objectClient,
  startRunningTask,
  uploadArtifact,
} from './artifact-helpers.js';

let platform: TestPlatform;

before(async () => {
  platform = await startTestPlatform();
  await grantAnonymous(platform, ['queue:get-artifact:public/*']);
});
after(() => platform.close());

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('an object artifact goes from upload with run credentials to download, then uploads stop', async () => {
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  const big = randomBytes(200_000);
  const small = Buffer.from('hello, artifacts\n');

  const created = await uploadArtifact(
    platform,
    running,
    'public/build/big.bin',
    big,
    'application/octet-stream',
  );
  assert.equal(created.storageType, 'object');
  assert.equal(created.name, `t/${taskId}/${runId}/public/build/big.bin`);
  assert.equal(created.projectId, 'none');
  assert.match(
    created.credentials.clientId,
    new RegExp(`^artifact-upload/${taskId}/${runId}/on/test-group/worker-1$`),
  );
  // Under 8 KiB the client sends the data inline in createUpload.
  await uploadArtifact(platform, running, 'public/hello.txt', small);
  await uploadArtifact(platform, running, 'private/secret.txt', Buffer.from('s3cret'));

  // Anyone may read public/ artifacts (the anonymous role), through the client's helper.
  const anonymous = anonymousQueue(platform);
  const got = await downloadArtifact(anonymous, taskId, runId, 'public/build/big.bin');
  assert.ok(got.data.equals(big));
  assert.equal(got.contentType, 'application/octet-stream');
  assert.ok(
    (await downloadArtifact(anonymous, taskId, undefined, 'public/hello.txt')).data.equals(small),
  );

  // getArtifact redirects (303) to a signed URL; the client hands back the body.
  const redirect = await anonymous.getArtifact(taskId, runId, 'public/hello.txt');
  assert.equal(redirect.storageType, 'object');
  const fetched = await fetch(redirect.url);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.headers.get('content-type'), 'text/plain');
  assert.equal(await fetched.text(), small.toString());

  // Private artifacts need queue:get-artifact for their name.
  await assert.rejects(anonymous.getArtifact(taskId, runId, 'private/secret.txt'), {
    statusCode: 403,
    code: 'InsufficientScopes',
  });
  await assert.rejects(downloadArtifact(anonymous, taskId, runId, 'private/secret.txt'), {
    statusCode: 403,
  });
  const reader = queueClient(platform, ['queue:get-artifact:private/*']);
  assert.equal(
    (await downloadArtifact(reader, taskId, runId, 'private/secret.txt')).data.toString(),
    's3cret',
  );

  // Listing and info carry the size the store measured.
  const lister = queueClient(platform, [
    `queue:list-artifacts:${taskId}:${runId}`,
    `queue:list-artifacts:${taskId}`,
  ]);
  const listed = await lister.listArtifacts(taskId, runId);
  assert.deepEqual(
    listed.artifacts.map((a: any) => [a.name, a.storageType, a.contentLength]),
    [
      ['private/secret.txt', 'object', 6],
      ['public/build/big.bin', 'object', big.length],
      ['public/hello.txt', 'object', small.length],
    ],
  );
  const info = await lister.latestArtifactInfo(taskId, 'public/build/big.bin');
  assert.equal(info.contentLength, big.length);
  const paged = await lister.listLatestArtifacts(taskId, { limit: 2 });
  assert.equal(paged.artifacts.length, 2);
  const rest = await lister.listLatestArtifacts(taskId, {
    continuationToken: paged.continuationToken,
  });
  assert.deepEqual(
    rest.artifacts.map((a: any) => a.name),
    ['public/hello.txt'],
  );

  // The audit log records each artifact with the digest the store computed (S14).
  const auth = new taskcluster.Auth({ rootUrl: platform.rootUrl, credentials: platform.root });
  const history = await auth.getEntityHistory('task', taskId);
  const recorded = history.auditHistory.find(
    (e: any) => e.action === 'artifact-created' && e.details.name === 'public/build/big.bin',
  );
  assert.equal(recorded?.details.sha256, sha256(big));
  assert.equal(recorded?.details.size, big.length);

  // The object API reports the digest the store computed.
  const download = await objectClient(
    platform,
    (await anonymous.artifact(taskId, runId, 'public/build/big.bin')).credentials,
  ).startDownload(created.name, { acceptDownloadMethods: { getUrl: true } });
  assert.equal(download.hashes.sha256, sha256(big));

  // Resolution ends every way of adding data: the run's credentials are revoked and the
  // upload credentials of an unfinished upload meet a run that no longer accepts artifacts.
  const pending = await running.run.createArtifact(taskId, runId, 'public/late.txt', {
    storageType: 'object',
    expires: inOneDay(),
    contentType: 'text/plain',
  });
  await running.run.reportCompleted(taskId, runId);
  await assert.rejects(
    running.run.createArtifact(taskId, runId, 'public/after.txt', {
      storageType: 'object',
      expires: inOneDay(),
      contentType: 'text/plain',
    }),
    { statusCode: 401 },
  );
  await assert.rejects(
    objectClient(platform, pending.credentials).createUpload(pending.name, {
      projectId: pending.projectId,
      uploadId: pending.uploadId,
      expires: pending.expires,
      proposedUploadMethods: { putUrl: { contentType: 'text/plain', contentLength: 3 } },
    }),
    { statusCode: 409, code: 'RequestConflict' },
  );
  await assert.rejects(
    running.run.finishArtifact(taskId, runId, 'public/late.txt', { uploadId: pending.uploadId }),
    { statusCode: 401 },
  );
});

test('reference, link and error artifacts answer as Taskcluster’s do', async () => {
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  const expires = inOneDay();
  await uploadArtifact(platform, running, 'public/target.txt', Buffer.from('target'));
  assert.deepEqual(
    await running.run.createArtifact(taskId, runId, 'public/ref', {
      storageType: 'reference',
      expires,
      contentType: 'text/html',
      url: 'https://example.com/x',
    }),
    { storageType: 'reference' },
  );
  await running.run.createArtifact(taskId, runId, 'public/link', {
    storageType: 'link',
    expires,
    artifact: 'public/target.txt',
  });
  await running.run.createArtifact(taskId, runId, 'public/to-private', {
    storageType: 'link',
    expires,
    artifact: 'private/x',
  });
  await running.run.createArtifact(taskId, runId, 'public/err', {
    storageType: 'error',
    expires,
    reason: 'file-missing-on-worker',
    message: 'no such file',
  });
  await running.run.createArtifact(taskId, runId, 'public/loop-a', {
    storageType: 'link',
    expires,
    artifact: 'public/loop-b',
  });
  await running.run.createArtifact(taskId, runId, 'public/loop-b', {
    storageType: 'link',
    expires,
    artifact: 'public/loop-a',
  });

  const anonymous = anonymousQueue(platform);
  const ref = await anonymous.getArtifact(taskId, runId, 'public/ref');
  assert.deepEqual(ref, { storageType: 'reference', url: 'https://example.com/x' });
  const res = await fetch(anonymous.buildUrl(anonymous.getArtifact, taskId, runId, 'public/ref'), {
    redirect: 'manual',
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), 'https://example.com/x');
  assert.equal(res.headers.get('x-taskcluster-artifact-storage-type'), 'reference');

  assert.equal(
    (await downloadArtifact(anonymous, taskId, runId, 'public/link')).data.toString(),
    'target',
  );
  // A link never lends access: the caller needs get-artifact for every name on the way.
  await assert.rejects(anonymous.getArtifact(taskId, runId, 'public/to-private'), {
    statusCode: 403,
  });
  await assert.rejects(anonymous.getArtifact(taskId, runId, 'public/loop-a'), {
    statusCode: 400,
    code: 'InputError',
  });

  const err = await fetch(anonymous.buildUrl(anonymous.getArtifact, taskId, runId, 'public/err'));
  assert.equal(err.status, 424);
  assert.deepEqual(await err.json(), { reason: 'file-missing-on-worker', message: 'no such file' });
  await assert.rejects(downloadArtifact(anonymous, taskId, runId, 'public/err'), /no such file/);

  // Taskcluster's immutability rules for a repeated createArtifact.
  await running.run.createArtifact(taskId, runId, 'public/ref', {
    storageType: 'reference',
    expires,
    contentType: 'text/html',
    url: 'https://example.com/y',
  });
  await running.run.createArtifact(taskId, runId, 'public/ref', {
    storageType: 'link',
    expires,
    artifact: 'public/target.txt',
  });
  await assert.rejects(
    running.run.createArtifact(taskId, runId, 'public/err', {
      storageType: 'error',
      expires,
      reason: 'file-missing-on-worker',
      message: 'another message',
    }),
    { statusCode: 409 },
  );
  await assert.rejects(
    running.run.createArtifact(taskId, runId, 'public/target.txt', {
      storageType: 'object',
      expires,
      contentType: 'text/plain',
    }),
    { statusCode: 409 },
    'uploaded data is never replaced',
  );
});

test('an s3 artifact is uploaded with one PUT to the queue’s own URL', async () => {
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  const data = randomBytes(50_000);
  const created = await running.run.createArtifact(taskId, runId, 'public/s3.bin', {
    storageType: 's3',
    expires: inOneDay(),
    contentType: 'application/octet-stream',
  });
  assert.equal(created.storageType, 's3');
  const put = await fetch(created.putUrl, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(put.status, 200);
  const anonymous = anonymousQueue(platform);
  assert.ok((await downloadArtifact(anonymous, taskId, runId, 'public/s3.bin')).data.equals(data));
  // The URL was for one upload.
  const again = await fetch(created.putUrl, {
    method: 'PUT',
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(again.status, 401);
});

test('downloads serve a byte range', async () => {
  const running = await startRunningTask(platform);
  const data = randomBytes(20_000);
  await uploadArtifact(platform, running, 'public/range.bin', data);
  const { url } = await anonymousQueue(platform).getArtifact(
    running.taskId,
    running.runId,
    'public/range.bin',
  );
  const part = await fetch(url, { headers: { range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 100-199/${data.length}`);
  assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200)));
  const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
  assert.ok(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(-10)));
});
