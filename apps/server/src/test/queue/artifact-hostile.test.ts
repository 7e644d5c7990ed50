import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { queueClient, startTestPlatform, type TestPlatform } from './harness.js';
import {
  anonymousQueue,
  grantAnonymous,
  inOneDay,
  objectClient,
  startRunningTask,
  uploadArtifact,
  type RunningTask,
} from './artifact-helpers.js';

const MAX_OBJECT_BYTES = 1024 * 1024;
let platform: TestPlatform;

before(async () => {
  platform = await startTestPlatform({
    artifacts: { maxObjectBytes: MAX_OBJECT_BYTES, signedUrlTtlSeconds: 1 },
  });
  await grantAnonymous(platform, ['queue:get-artifact:public/*']);
});
after(() => platform.close());

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const objectRequest = (running: RunningTask, name: string): Promise<any> =>
  running.run.createArtifact(running.taskId, running.runId, name, {
    storageType: 'object',
    expires: inOneDay(),
    contentType: 'application/octet-stream',
  });

/** createUpload with a putUrl for `length` bytes, optionally announcing a digest. */
async function putUrlFor(running: RunningTask, name: string, length: number, digest?: string) {
  const created = await objectRequest(running, name);
  const object = objectClient(platform, created.credentials);
  const res = await object.createUpload(created.name, {
    projectId: created.projectId,
    uploadId: created.uploadId,
    expires: created.expires,
    ...(digest ? { hashes: { sha256: digest } } : {}),
    proposedUploadMethods: {
      putUrl: { contentType: 'application/octet-stream', contentLength: length },
    },
  });
  return { created, object, url: res.uploadMethod.putUrl.url as string };
}

const put = (url: string, body: Buffer): Promise<Response> =>
  fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });

async function listedNames(running: RunningTask): Promise<string[]> {
  const lister = queueClient(platform, [`queue:list-artifacts:${running.taskId}:${running.runId}`]);
  return (await lister.listArtifacts(running.taskId, running.runId)).artifacts.map(
    (a: any) => a.name,
  );
}

test('S12: traversal, empty segments, control characters and overlong names are refused', async () => {
  const running = await startRunningTask(platform);
  const bad = [
    '../escape',
    'public/../../escape',
    'public/..',
    '..',
    '/absolute',
    'public//double',
    'public/trailing/',
    'public/./dot',
    '.',
    'public/new\nline',
    'public/nul\u0000',
    'public/tab\t',
    `public/${'x'.repeat(1100)}`,
    'public/ünicode',
  ];
  for (const name of bad) {
    await assert.rejects(
      running.run.createArtifact(running.taskId, running.runId, name, {
        storageType: 'reference',
        expires: inOneDay(),
        contentType: 'text/plain',
        url: 'https://example.com/',
      }),
      (err: any) => {
        // `..` alone is resolved away by URL parsing in the client
        // itself, so it reaches no artifact route at all.
        const expected = name === '..' ? 404 : 400;
        assert.equal(err.statusCode, expected, JSON.stringify(name));
        return true;
      },
    );
  }
  await assert.rejects(
    running.run.createArtifact(running.taskId, running.runId, 'public/link', {
      storageType: 'link',
      expires: inOneDay(),
      artifact: '../../other',
    }),
    { statusCode: 400, code: 'InputError' },
  );
  assert.deepEqual(await listedNames(running), []);
  // A literal `..` in the URL path is refused too, not normalized into another route.
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(platform.rootUrl);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'GET',
        path: `/api/queue/v1/task/${running.taskId}/runs/0/artifacts/public/../../../status`,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 400);
});

test('S5: run credentials of one task cannot create or upload artifacts of another', async () => {
  const a = await startRunningTask(platform);
  const b = await startRunningTask(platform);
  await assert.rejects(
    a.run.createArtifact(b.taskId, b.runId, 'public/planted.txt', {
      storageType: 'reference',
      expires: inOneDay(),
      contentType: 'text/plain',
      url: 'https://evil.example.com/',
    }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  // A's upload credentials name exactly A's object; B's object is out of reach.
  const mine = await objectRequest(a, 'public/mine.bin');
  const theirs = await objectRequest(b, 'public/theirs.bin');
  await assert.rejects(
    objectClient(platform, mine.credentials).createUpload(theirs.name, {
      projectId: theirs.projectId,
      uploadId: theirs.uploadId,
      expires: theirs.expires,
      proposedUploadMethods: { putUrl: { contentType: 'text/plain', contentLength: 3 } },
    }),
    { statusCode: 403 },
  );
  await assert.rejects(
    a.run.finishArtifact(b.taskId, b.runId, 'public/theirs.bin', { uploadId: theirs.uploadId }),
    { statusCode: 403 },
  );
  // Nor another run of the same task, nor an upload under someone else's uploadId.
  await assert.rejects(
    a.run.createArtifact(a.taskId, a.runId + 1, 'public/x', {
      storageType: 'reference',
      expires: inOneDay(),
      contentType: 'text/plain',
      url: 'https://example.com/',
    }),
    { statusCode: 403 },
  );
  await assert.rejects(
    objectClient(platform, mine.credentials).createUpload(mine.name, {
      projectId: mine.projectId,
      uploadId: theirs.uploadId,
      expires: mine.expires,
      proposedUploadMethods: {},
    }),
    { statusCode: 409 },
  );
  assert.deepEqual(await listedNames(b), []);
});

test('a digest that does not match is refused, at upload and at finish', async () => {
  const running = await startRunningTask(platform);
  const data = randomBytes(20_000);
  const claimed = await putUrlFor(
    running,
    'public/claimed.bin',
    data.length,
    sha256(Buffer.from('other')),
  );
  const refused = await put(claimed.url, data);
  assert.equal(refused.status, 400);
  assert.match(((await refused.json()) as { message: string }).message, /sha256/);
  await assert.rejects(
    claimed.object.finishUpload(claimed.created.name, {
      projectId: claimed.created.projectId,
      uploadId: claimed.created.uploadId,
    }),
    { statusCode: 400, message: /No data has been uploaded/ },
  );

  const late = await putUrlFor(running, 'public/late-claim.bin', data.length);
  assert.equal((await put(late.url, data)).status, 200);
  await assert.rejects(
    late.object.finishUpload(late.created.name, {
      projectId: late.created.projectId,
      uploadId: late.created.uploadId,
      hashes: { sha256: sha256(Buffer.from('other')) },
    }),
    { statusCode: 400, message: /does not match/ },
  );
  await assert.rejects(
    running.run.finishArtifact(running.taskId, running.runId, 'public/late-claim.bin', {
      uploadId: late.created.uploadId,
    }),
    { statusCode: 400 },
  );
  assert.deepEqual(await listedNames(running), []);
});

test('oversized and truncated uploads are refused and store nothing', async () => {
  const running = await startRunningTask(platform);
  const data = randomBytes(10_000);
  const store = platform.queue.context.blobs.store;

  const longer = await putUrlFor(running, 'public/longer.bin', data.length - 1);
  assert.equal((await put(longer.url, data)).status, 400);

  // Streamed without a length: the store cuts it off at the announced size.
  const chunked = await putUrlFor(running, 'public/chunked.bin', 100);
  const res = await fetch(chunked.url, {
    method: 'PUT',
    body: new Blob([data]).stream(),
    duplex: 'half',
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(res.status, 400);

  // A connection that dies before the announced length arrived.
  const truncated = await putUrlFor(running, 'public/truncated.bin', data.length);
  await new Promise<void>((resolve) => {
    const req = request(truncated.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': data.length },
    });
    req.on('error', () => resolve());
    req.write(data.subarray(0, 4000), () => setTimeout(() => req.destroy(), 50));
    req.on('close', () => resolve());
  });
  await assert.rejects(
    truncated.object.finishUpload(truncated.created.name, {
      projectId: truncated.created.projectId,
      uploadId: truncated.created.uploadId,
    }),
    { statusCode: 400, message: /No data has been uploaded/ },
  );
  for (const prefix of [data.subarray(0, 4000), data.subarray(0, 100), data]) {
    assert.equal(await store.exists(sha256(prefix)), false);
  }

  // Over the deployment's limit: refused when announced, and when sent without notice.
  const over = await objectRequest(running, 'public/huge.bin');
  await assert.rejects(
    objectClient(platform, over.credentials).createUpload(over.name, {
      projectId: over.projectId,
      uploadId: over.uploadId,
      expires: over.expires,
      proposedUploadMethods: {
        putUrl: { contentType: 'text/plain', contentLength: MAX_OBJECT_BYTES + 1 },
      },
    }),
    { statusCode: 413, code: 'InputTooLarge' },
  );
  const s3 = await running.run.createArtifact(running.taskId, running.runId, 'public/s3-huge.bin', {
    storageType: 's3',
    expires: inOneDay(),
    contentType: 'application/octet-stream',
  });
  const huge = await fetch(s3.putUrl, {
    method: 'PUT',
    body: new Blob([Buffer.alloc(MAX_OBJECT_BYTES + 1)]).stream(),
    duplex: 'half',
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(huge.status, 413);
  assert.deepEqual(await listedNames(running), []);
});

test('S13: signed URLs expire, and a tampered bewit or path is refused', async () => {
  const running = await startRunningTask(platform);
  await uploadArtifact(platform, running, 'public/a.txt', Buffer.from('a'));
  await uploadArtifact(platform, running, 'public/b.txt', Buffer.from('b'));
  const anonymous = anonymousQueue(platform);
  const { url } = await anonymous.getArtifact(running.taskId, running.runId, 'public/a.txt');
  const signed = new URL(url);
  const bewit = signed.searchParams.get('bewit') ?? '';

  // Another object under the same bewit.
  const moved = new URL(url);
  moved.pathname = moved.pathname.replace('a.txt', 'b.txt');
  assert.equal((await fetch(moved)).status, 401);
  // A changed bewit: a flipped character, a truncated one, garbage.
  const flipped = bewit.slice(0, 40) + (bewit[40] === 'A' ? 'B' : 'A') + bewit.slice(41);
  for (const tampered of [flipped, bewit.slice(0, -5), 'not-a-bewit']) {
    const t = new URL(url);
    t.searchParams.set('bewit', tampered);
    assert.equal((await fetch(t)).status, 401, tampered);
  }
  // A bewit may not be combined with other credentials.
  assert.equal((await fetch(url, { headers: { authorization: 'Hawk id="x"' } })).status, 401);

  // Untampered it works, until it expires (signedUrlTtlSeconds: 1 here).
  const expiring = await anonymous.getArtifact(running.taskId, running.runId, 'public/b.txt');
  const ok = await fetch(expiring.url);
  assert.equal(ok.status, 200);
  await ok.arrayBuffer();
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const expired = await fetch(expiring.url);
  assert.equal(expired.status, 401);
  assert.match(((await expired.json()) as { message: string }).message, /expired/i);
});

test('S1: logs never hold a signed URL, an upload capability or credentials', async () => {
  const running = await startRunningTask(platform);
  const created = await uploadArtifact(
    platform,
    running,
    'public/log-check.txt',
    Buffer.from('x'.repeat(9000)),
  );
  const { url } = await anonymousQueue(platform).getArtifact(
    running.taskId,
    running.runId,
    'public/log-check.txt',
  );
  await (await fetch(url)).arrayBuffer();
  const bewit = new URL(url).searchParams.get('bewit') ?? '';
  const logs = platform.logLines.join('\n');
  assert.ok(!logs.includes(bewit));
  assert.ok(!logs.includes(created.credentials.accessToken));
  assert.ok(!logs.includes('upload-data/'));
});
