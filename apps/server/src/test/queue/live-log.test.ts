import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import { queueClient, startTestPlatform, type TestPlatform } from './harness.js';
import { inOneDay, startRunningTask, type RunningTask } from './artifact-helpers.js';

let platform: TestPlatform;
let replica: TestPlatform;

before(async () => {
  platform = await startTestPlatform();
  replica = await startTestPlatform({ replicaOf: platform });
});
after(async () => {
  await replica.close();
  await platform.close();
});

const logUrl = (p: TestPlatform, taskId: string, runId: number, query = ''): string =>
  `${p.rootUrl}/api/object/v1/live-log/${taskId}/${runId}${query}`;

/** A Hawk header as taskcluster-client makes one, with the certificate in ext. */
function authorization(
  credentials: { clientId: string; accessToken: string; certificate?: string },
  url: string,
  method: string,
): string {
  const ext = credentials.certificate
    ? Buffer.from(JSON.stringify({ certificate: JSON.parse(credentials.certificate) })).toString(
        'base64',
      )
    : undefined;
  return hawk.client.header(url, method, {
    credentials: { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' },
    ...(ext ? { ext } : {}),
  }).header;
}

async function append(
  running: RunningTask,
  offset: number,
  text: string,
  options: { final?: boolean; on?: TestPlatform; as?: RunningTask } = {},
): Promise<{ status: number; body: { size?: number; code?: string } }> {
  const url = logUrl(
    options.on ?? platform,
    running.taskId,
    running.runId,
    `?offset=${offset}${options.final ? '&final=true' : ''}`,
  );
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: authorization((options.as ?? running).credentials, url, 'POST'),
      'content-type': 'application/octet-stream',
    },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as { size?: number } };
}

async function createLiveReference(running: RunningTask): Promise<void> {
  await running.run.createArtifact(running.taskId, running.runId, 'public/logs/live.log', {
    storageType: 'reference',
    expires: inOneDay(),
    contentType: 'text/plain; charset=utf-8',
    url: logUrl(platform, running.taskId, running.runId),
  });
}

test('a live log streams through getArtifact while the run goes on, from any replica', async () => {
  const running = await startRunningTask(platform);
  await createLiveReference(running);
  assert.deepEqual((await append(running, 0, 'first\n')).body, { size: 6 });

  // A reader on the other replica follows the queue's signed redirect.
  const reader = queueClient(replica, ['queue:get-artifact:public/logs/live.log']);
  const url = reader.buildSignedUrl(
    reader.getArtifact,
    running.taskId,
    running.runId,
    'public/logs/live.log',
  );
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
  const body = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const read = async (): Promise<void> => {
    const { value } = await body.read();
    text += decoder.decode(value, { stream: true });
  };
  await read();
  assert.equal(text, 'first\n');

  assert.equal((await append(running, 6, 'second\n', { on: replica })).status, 200);
  while (!text.includes('second')) await read();
  assert.equal((await append(running, 13, 'last\n', { final: true })).status, 200);
  for (;;) {
    const { done, value } = await body.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  assert.equal(text, 'first\nsecond\nlast\n');
  // Complete: nothing more is taken.
  assert.equal((await append(running, 18, 'more')).status, 409);
});

test('appends are idempotent by offset: a retried one is refused with the size to resume from', async () => {
  const running = await startRunningTask(platform);
  assert.equal((await append(running, 0, 'abc')).status, 200);
  const retried = await append(running, 0, 'abc');
  assert.equal(retried.status, 409);
  assert.equal(retried.body.code, 'RequestConflict');
  assert.equal(retried.body.size, 3);
  const gap = await append(running, 10, 'x');
  assert.equal(gap.status, 409);
  assert.equal(gap.body.size, 3);
  const badOffset = await append(running, -1, 'x');
  assert.equal(badOffset.status, 400);
});

test('S5: a run’s credentials cannot write another run’s live log; resolved runs take nothing', async () => {
  const a = await startRunningTask(platform);
  const b = await startRunningTask(platform);
  const foreign = await append(b, 0, 'forged', { as: a });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.body.code, 'InsufficientScopes');
  await a.run.reportCompleted(a.taskId, a.runId);
  // a's credentials died with its run (S3); even a client holding every scope gets 409.
  assert.equal((await append(a, 0, 'late')).status, 401);
  const url = logUrl(platform, a.taskId, a.runId, '?offset=0');
  const late = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: authorization(platform.root, url, 'POST'),
      'content-type': 'application/octet-stream',
    },
    body: 'late',
  });
  assert.equal(late.status, 409);
});

test('S13: the signed redirect reads one run’s log only; unsigned readers need the scope', async () => {
  const a = await startRunningTask(platform);
  const b = await startRunningTask(platform);
  await createLiveReference(a);
  await append(a, 0, 'a-log\n', { final: true });
  await append(b, 0, 'b-log\n', { final: true });
  const reader = queueClient(platform, ['queue:get-artifact:public/logs/live.log']);
  const url = reader.buildSignedUrl(reader.getArtifact, a.taskId, a.runId, 'public/logs/live.log');
  const redirect = await fetch(url, { redirect: 'manual' });
  assert.equal(redirect.status, 303);
  const location = new URL(redirect.headers.get('location')!);
  assert.equal(await (await fetch(location)).text(), 'a-log\n');
  // The same signature on b's log: the MAC covers the path.
  const bent = new URL(location.href.replace(a.taskId, b.taskId));
  assert.equal((await fetch(bent)).status, 401);
  const anonymous = await fetch(logUrl(platform, a.taskId, a.runId));
  assert.equal(anonymous.status, 403);
  const nobody = queueClient(platform, ['queue:get-artifact:private/*']);
  const unscoped = nobody.buildSignedUrl(
    reader.getArtifact,
    a.taskId,
    a.runId,
    'public/logs/live.log',
  );
  assert.equal((await fetch(unscoped, { redirect: 'manual' })).status, 403);
});

test('bad input is a 4xx and stores nothing', async () => {
  const running = await startRunningTask(platform);
  const big = await append(running, 0, 'x'.repeat(1024 * 1024 + 1));
  assert.equal(big.status, 413);
  const badId = await fetch(`${platform.rootUrl}/api/object/v1/live-log/not-a-task/0`);
  assert.equal(badId.status, 400);
  const missing = await fetch(logUrl(platform, 'GHiWyIPeTeSzfmZf-lHiiA', 0), {
    headers: {
      authorization: authorization(
        platform.root,
        logUrl(platform, 'GHiWyIPeTeSzfmZf-lHiiA', 0),
        'GET',
      ),
    },
  });
  assert.equal(missing.status, 404);
  // Nothing was stored by the refused append.
  assert.equal((await append(running, 0, 'ok')).status, 200);
});
