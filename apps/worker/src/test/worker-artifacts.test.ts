import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';

let sandboxed: SandboxedWorker;
let queue: InstanceType<typeof taskcluster.Queue>;

before(async () => {
  sandboxed = await startSandboxedWorker('artifacts');
  queue = new taskcluster.Queue({ rootUrl: sandboxed.rootUrl, credentials: sandboxed.root });
});

after(() => sandboxed.stop());

/** getArtifact through a signed URL, following the queue's redirects as a browser would. */
async function fetchArtifact(taskId: string, name: string, runId = 0): Promise<Response> {
  const url = queue.buildSignedUrl(queue.getArtifact, taskId, runId, name);
  return fetch(url, { redirect: 'follow' });
}

async function artifactNames(taskId: string): Promise<Map<string, string>> {
  const { artifacts } = await queue.listArtifacts(taskId, 0);
  // The worker's artifacts only: the control plane adds the task's signed provenance
  // under public/bulwark/ after the run completes (docs/provenance.md).
  return new Map(
    (artifacts as { name: string; storageType: string }[])
      .filter((a) => !a.name.startsWith('public/bulwark/'))
      .map((a) => [a.name, a.storageType]),
  );
}

test('declared files and directories are uploaded, with the log, before the run resolves', async () => {
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      'echo art > out.txt; mkdir -p dist/sub; echo a > dist/a.txt; echo "{}" > dist/sub/b.json; echo done',
    ],
    artifacts: [
      { type: 'file', path: 'out.txt', name: 'public/out.txt' },
      { type: 'directory', path: 'dist', name: 'public/dist' },
    ],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'completed');
  const names = await artifactNames(taskId);
  assert.equal(names.get('public/out.txt'), 'object');
  assert.equal(names.get('public/dist/a.txt'), 'object');
  assert.equal(names.get('public/dist/sub/b.json'), 'object');
  assert.equal(names.get('public/logs/live_backing.log'), 'object');
  assert.equal(names.get('public/logs/live.log'), 'link');

  const out = await fetchArtifact(taskId, 'public/out.txt');
  assert.equal(out.status, 200);
  assert.equal(await out.text(), 'art\n');
  const json = await fetchArtifact(taskId, 'public/dist/sub/b.json');
  assert.match(json.headers.get('content-type') ?? '', /application\/json/);
  // After the run, live.log is a link to the uploaded log: the same name, the whole log.
  const log = await (await fetchArtifact(taskId, 'public/logs/live.log')).text();
  assert.match(log, /^done$/m);
  assert.match(log, /\[bulwark\] exit code 0/);
  assert.match(log, /artifact public\/out.txt: 4 bytes uploaded/);
});

test('S12: links, FIFOs and paths through links are refused; links in directories are not followed', async () => {
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      [
        'ln -s /etc/shadow shadow.txt',
        'ln -s /etc escape',
        'mkfifo pipe',
        'mkdir out && echo fine > out/ok.txt && ln -s /etc/passwd out/passwd',
      ].join(' && '),
    ],
    artifacts: [
      { type: 'file', path: 'shadow.txt', name: 'public/shadow.txt' },
      { type: 'file', path: 'escape/hostname', name: 'public/hostname' },
      { type: 'file', path: 'pipe', name: 'public/pipe' },
      { type: 'directory', path: 'escape', name: 'public/etc' },
      { type: 'directory', path: 'out', name: 'public/out' },
    ],
  });
  // Nothing is missing, so the task itself still completes; the refusals are errors.
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'completed');
  const names = await artifactNames(taskId);
  for (const name of ['public/shadow.txt', 'public/hostname', 'public/pipe', 'public/etc']) {
    assert.equal(names.get(name), 'error', name);
    const response = await fetchArtifact(taskId, name);
    assert.equal(response.status, 424, name);
    const body = (await response.json()) as { reason: string; message: string };
    assert.equal(body.reason, 'invalid-resource-on-worker');
    assert.doesNotMatch(body.message, /root:/);
  }
  assert.equal(names.get('public/out/ok.txt'), 'object');
  assert.equal(names.has('public/out/passwd'), false);
  assert.equal(
    [...names.keys()].some((n) => n.startsWith('public/etc/')),
    false,
  );
  const log = await (await fetchArtifact(taskId, 'public/logs/live.log')).text();
  assert.match(log, /out\/passwd: a symbolic link is never followed/);
});

test('a declared artifact that is missing becomes an error artifact and fails the task', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/true'],
    artifacts: [{ type: 'file', path: 'nowhere.txt', name: 'public/nowhere.txt' }],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const response = await fetchArtifact(taskId, 'public/nowhere.txt');
  assert.equal(response.status, 424);
  assert.equal(((await response.json()) as { reason: string }).reason, 'file-missing-on-worker');
});

test('a malformed payload leaves an error artifact saying what was wrong', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/true'],
    artifacts: [{ type: 'file', path: 'x', name: 'public//x' }],
  });
  const { reason } = await sandboxed.waitForResolution(taskId);
  assert.equal(reason, 'malformed-payload');
  const response = await fetchArtifact(taskId, 'public/logs/malformed-payload');
  assert.equal(response.status, 424);
  assert.match(((await response.json()) as { message: string }).message, /public\/\/x/);
});

test('the live log streams while the task runs, then serves the whole log', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/sh', '-c', 'echo first-line; sleep 3; echo last-line'],
  });
  let response: Response | undefined;
  for (let i = 0; i < 100 && response?.status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    response = await fetchArtifact(taskId, 'public/logs/live.log');
  }
  assert.equal(response?.status, 200);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let sawFirstWhileRunning = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!sawFirstWhileRunning && text.includes('first-line') && !text.includes('last-line')) {
      const { status } = await queue.status(taskId);
      sawFirstWhileRunning = status.state === 'running';
    }
  }
  assert.ok(sawFirstWhileRunning, 'the first line arrived while the task was running');
  assert.match(text, /last-line/);
  assert.match(text, /exit code 0/);
  assert.equal((await sandboxed.waitForResolution(taskId)).state, 'completed');

  // The live URL itself died with the run: only the queue's name still serves the log.
  const { artifacts } = await queue.listArtifacts(taskId, 0);
  assert.ok((artifacts as { name: string }[]).some((a) => a.name === 'public/logs/live.log'));
  const after = await (await fetchArtifact(taskId, 'public/logs/live.log')).text();
  assert.ok(after.startsWith(text.slice(0, 40)));
});

test('S13: the live log is served by the API behind the artifact scope, never by a bare URL', async () => {
  const taskId = await sandboxed.createTask({ command: ['/bin/sh', '-c', 'echo hi; sleep 2'] });
  let location: string | undefined;
  for (let i = 0; i < 100 && !location; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const url = queue.buildSignedUrl(queue.getArtifact, taskId, 0, 'public/logs/live.log');
    const response = await fetch(url, { redirect: 'manual' });
    if (response.status === 303) location = response.headers.get('location') ?? undefined;
  }
  assert.ok(location, 'live.log redirected');
  const live = new URL(location);
  assert.equal(live.origin, new URL(sandboxed.rootUrl).origin);
  assert.equal(live.pathname, `/api/object/v1/live-log/${taskId}/0`);
  assert.ok(live.searchParams.get('bewit'), 'the redirect is signed for this reader');
  // Without the signature the same URL needs credentials.
  const bare = await fetch(new URL(live.pathname, live));
  assert.equal(bare.status, 403);
  await bare.body?.cancel();
  assert.equal((await sandboxed.waitForResolution(taskId)).state, 'completed');
});

test('a canceled task stops within seconds, long before its next reclaim', async () => {
  // The claim lasts 20 minutes here, so the next reclaim is far off: only the queue's
  // refusal of the live log can tell the worker in time.
  const taskId = await sandboxed.createTask({ command: ['/bin/sh', '-c', 'sleep 120'] });
  for (let i = 0; i < 100; i++) {
    if ((await queue.status(taskId)).status.state === 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await queue.cancelTask(taskId);
  const { resolution, reason } = await sandboxed.waitForResolution(taskId);
  assert.equal(resolution.kind, 'lost');
  assert.equal(reason, 'canceled');
});
