import { strict as assert } from 'node:assert';
import { access, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';

// S18: the log and the status of a run are the worker's word.

let sandboxed: SandboxedWorker;
let queue: InstanceType<typeof taskcluster.Queue>;

before(async () => {
  sandboxed = await startSandboxedWorker('worker-log');
  queue = new taskcluster.Queue({ rootUrl: sandboxed.rootUrl, credentials: sandboxed.root });
});

after(() => sandboxed.stop());

async function fetchArtifact(taskId: string, name: string): Promise<Response> {
  return fetch(queue.buildSignedUrl(queue.getArtifact, taskId, 0, name), { redirect: 'follow' });
}

async function storedLog(taskId: string): Promise<string> {
  const response = await fetchArtifact(taskId, 'public/logs/live.log');
  assert.equal(response.status, 200);
  return response.text();
}

async function artifactTypes(taskId: string): Promise<Record<string, string>> {
  const { artifacts } = await queue.listArtifacts(taskId, 0);
  // The worker's artifacts only: the control plane adds the task's signed provenance
  // under public/bulwark/ after the run completes (docs/provenance.md).
  return Object.fromEntries(
    (artifacts as { name: string; storageType: string }[])
      .filter((a) => !a.name.startsWith('public/bulwark/'))
      .map((a) => [a.name, a.storageType]),
  );
}

/** The lines a reader takes for the worker's (docs/worker.md): those starting with the mark. */
const workerLines = (log: string): string[] =>
  log.split('\n').filter((line) => line.startsWith('[bulwark] '));

test('S18: a payload declaring an artifact under public/logs/ is refused as malformed', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/sh', '-c', 'echo forged > forged.log'],
    artifacts: [{ type: 'file', path: 'forged.log', name: 'public/logs/live_backing.log' }],
  });
  const { state, reason } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'exception');
  assert.equal(reason, 'malformed-payload');
  const refusal = await fetchArtifact(taskId, 'public/logs/malformed-payload');
  assert.equal(refusal.status, 424);
  assert.match(
    ((await refusal.json()) as { message: string }).message,
    /public\/logs\/live_backing\.log" is under public\/logs\/, which holds the worker's own log/,
  );
  // The log is the worker's: what it said, and nothing the task wrote.
  const log = await storedLog(taskId);
  assert.match(log, /^\[bulwark\] the payload was refused:$/m);
  assert.doesNotMatch(log, /forged/);
});

test('S18: a task cannot create, replace or re-point public/logs/ through its proxy; its run’s log stays the worker’s', async () => {
  // Every attempt must be refused (403) for the task to exit 0.
  const script = `
    const base = process.env.TASKCLUSTER_PROXY_URL;
    const run = base + '/api/queue/v1/task/' + process.env.TASK_ID + '/runs/' + process.env.RUN_ID;
    const expires = new Date(Date.now() + 600000).toJSON();
    const json = (body) => ({ type: 'application/json', body: JSON.stringify({ expires, ...body }) });
    const reference = json({ storageType: 'reference', contentType: 'text/plain', url: 'https://attacker.example/log' });
    const object = json({ storageType: 'object', contentType: 'text/plain', contentLength: 7 });
    const attempts = [
      [run + '/artifacts/public/logs/live.log', reference],
      [run + '/artifacts/public%2Flogs%2Flive.log', reference],
      [run + '/artifacts/public/logs/live.log', object],
      [run + '/artifacts/public/logs/live_backing.log', object],
      [run + '/artifacts/PUBLIC/LOGS/live.log', reference],
      [run + '/artifacts/public/logs/live.log', json({ storageType: 'link', artifact: 'public/forged.log' })],
      [base + '/api/object/v1/live-log/' + process.env.TASK_ID + '/' + process.env.RUN_ID + '?offset=0',
        { type: 'application/octet-stream', body: 'forged' }],
    ];
    (async () => {
      const statuses = [];
      for (const [url, { type, body }] of attempts) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
        statuses.push(response.status);
      }
      console.log('statuses ' + statuses.join(' '));
      process.exit(statuses.every((s) => s === 403) ? 0 : 1);
    })();
  `;
  const taskId = await sandboxed.createTask({
    command: [
      ['/usr/bin/node', '-e', script],
      // A directory published as `public` may not put a file in the worker's log.
      ['/bin/sh', '-c', 'mkdir -p out/logs && echo forged > out/logs/live_backing.log'],
    ],
    features: { taskclusterProxy: true },
    artifacts: [{ type: 'directory', path: 'out', name: 'public' }],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  const log = await storedLog(taskId);
  assert.equal(state, 'completed', log);
  assert.match(log, /^statuses 403 403 403 403 403 403 403$/m);
  assert.deepEqual(await artifactTypes(taskId), {
    'public/logs/live.log': 'link',
    'public/logs/live_backing.log': 'object',
  });
  // The run's real log: the worker's lines, the task's output, the true exit code.
  assert.deepEqual(workerLines(log).slice(-2), [
    '[bulwark] exit code 0',
    '[bulwark] artifact skipped: out/logs/live_backing.log: public/logs/live_backing.log is under public/logs/',
  ]);
  assert.doesNotMatch(log, /^forged$/m);
});

test('S18: a run whose log cannot be stored resolves exception, never completed', async () => {
  // The task waits for the test's signal, so the log file is gone before it ends.
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      'i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo finished',
    ],
  });
  const runDir = join(sandboxed.dataDir, 'runs', `${taskId}-0`);
  for (let i = 0; i < 300; i++) {
    if (
      await access(join(runDir, 'live.log')).then(
        () => true,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  // The worker's disk loses the log: it can no longer be uploaded.
  await unlink(join(runDir, 'live.log'));
  await writeFile(join(runDir, 'task', 'go'), '');
  const { state, reason } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'exception');
  assert.equal(reason, 'internal-error');
});

test('S18: a forged worker line and an escape-hidden line are told apart from the worker’s in the stored log', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/sh', '-c', "printf '[bulwark] exit code 0\\n'; printf 'x\\033[2K\\r'; exit 1"],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const log = await storedLog(taskId);
  assert.match(log, /^\[task:bulwark\] exit code 0$/m);
  assert.ok(log.includes('x\x1b[2K\r\n[bulwark] exit code 1\n'), JSON.stringify(log));
  const lines = workerLines(log);
  assert.equal(lines.length, 2, JSON.stringify(lines));
  assert.match(lines[0] ?? '', /^\[bulwark\] task [A-Za-z0-9_-]{22} run 0 on /);
  assert.equal(lines[1], '[bulwark] exit code 1');
});
