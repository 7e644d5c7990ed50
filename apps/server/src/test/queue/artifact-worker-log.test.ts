import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import hawk from 'hawk';
import taskcluster from 'taskcluster-client';
import { queueClient, startTestPlatform, type TestPlatform } from './harness.js';
import {
  downloadArtifact,
  inOneDay,
  startRunningTask,
  uploadArtifact,
  type RunningTask,
} from './artifact-helpers.js';

let platform: TestPlatform;

before(async () => {
  platform = await startTestPlatform();
});
after(() => platform.close());

/**
 * What a task's proxy signs with: the run's credentials narrowed to the task's scopes
 * plus `queue:create-artifact:<taskId>/<runId>` (apps/worker/src/daemon/task-run.ts).
 */
function proxyScopes(running: RunningTask): string[] {
  return [`queue:create-artifact:${running.taskId}/${running.runId}`];
}

function throughProxy(running: RunningTask): any {
  return new taskcluster.Queue({
    rootUrl: platform.rootUrl,
    credentials: running.credentials,
    authorizedScopes: proxyScopes(running),
    retries: 0,
  });
}

/** A request signed as the proxy signs it, to a path spelled by hand. */
async function rawThroughProxy(
  running: RunningTask,
  path: string,
  method: string,
  body: unknown,
): Promise<{ status: number; code?: string }> {
  // Signed as sent: fetch resolves `.` and `..` segments (also spelled %2E) first.
  const url = new URL(`${platform.rootUrl}${path}`).href;
  const ext = {
    certificate: JSON.parse(running.credentials.certificate) as unknown,
    authorizedScopes: proxyScopes(running),
  };
  const { header } = hawk.client.header(url, method, {
    credentials: {
      id: running.credentials.clientId,
      key: running.credentials.accessToken,
      algorithm: 'sha256',
    },
    ext: Buffer.from(JSON.stringify(ext)).toString('base64'),
  });
  const response = await fetch(url, {
    method,
    headers: {
      authorization: header,
      'content-type': typeof body === 'string' ? 'application/octet-stream' : 'application/json',
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as { code?: string };
  return { status: response.status, code: answer.code };
}

const bodies = (running: RunningTask): Record<string, unknown>[] => [
  {
    storageType: 'reference',
    expires: inOneDay(),
    contentType: 'text/plain; charset=utf-8',
    url: 'https://attacker.example/forged.log',
  },
  {
    storageType: 'object',
    expires: inOneDay(),
    contentType: 'text/plain; charset=utf-8',
    contentLength: 5,
  },
  { storageType: 's3', expires: inOneDay(), contentType: 'text/plain; charset=utf-8' },
  { storageType: 'link', expires: inOneDay(), artifact: `public/forged-${running.runId}.log` },
  { storageType: 'error', expires: inOneDay(), reason: 'file-missing-on-worker', message: 'x' },
];

/** As a worker publishes its log: reference while running, then upload and link. */
async function publishWorkerLog(running: RunningTask, text: string): Promise<void> {
  const { taskId, runId } = running;
  await running.run.createArtifact(taskId, runId, 'public/logs/live.log', {
    storageType: 'reference',
    expires: inOneDay(),
    contentType: 'text/plain; charset=utf-8',
    url: `${platform.rootUrl}/api/object/v1/live-log/${taskId}/${runId}`,
  });
  await uploadArtifact(
    platform,
    running,
    'public/logs/live_backing.log',
    Buffer.from(text),
    'text/plain; charset=utf-8',
  );
  await running.run.createArtifact(taskId, runId, 'public/logs/live.log', {
    storageType: 'link',
    expires: inOneDay(),
    artifact: 'public/logs/live_backing.log',
  });
}

test('S18: through its proxy a task cannot create any artifact under public/logs/, in any case or storage type', async () => {
  const running = await startRunningTask(platform);
  const proxy = throughProxy(running);
  const names = [
    'public/logs/live.log',
    'public/logs/live_backing.log',
    'public/logs/malformed-payload',
    'public/logs/sub/forged.log',
    'PUBLIC/LOGS/live.log',
    'Public/Logs/live_backing.log',
  ];
  for (const name of names) {
    for (const body of bodies(running)) {
      await assert.rejects(
        proxy.createArtifact(running.taskId, running.runId, name, body),
        { statusCode: 403, code: 'InsufficientScopes' },
        `${name} as ${String(body.storageType)}`,
      );
    }
  }
  // Names that merely look alike are the task's to use.
  for (const name of ['public/logs', 'public/logsx/a.log', 'public/my-logs/live.log']) {
    await proxy.createArtifact(running.taskId, running.runId, name, bodies(running)[4]);
  }
  const lister = queueClient(platform, [`queue:list-artifacts:${running.taskId}:${running.runId}`]);
  const listed = (await lister.listArtifacts(running.taskId, running.runId)).artifacts.map(
    (a: { name: string }) => a.name,
  );
  assert.deepEqual(listed.sort(), ['public/logs', 'public/logsx/a.log', 'public/my-logs/live.log']);
});

test('S18: every URL spelling of a worker log name reaches the same refusal', async () => {
  const running = await startRunningTask(platform);
  const base = `/api/queue/v1/task/${running.taskId}/runs/${running.runId}/artifacts/`;
  const reference = bodies(running)[0];
  const spellings = [
    'public/logs/live.log',
    'public%2Flogs%2Flive.log',
    'public%2flogs%2flive_backing.log',
    '%70ublic/logs/live.log',
    'public/%6cogs/live.log',
    'public/logs/%6Cive.log',
    'PUBLIC%2FLOGS%2FLIVE.LOG',
    'public/logs/./live.log',
    'public/logs/%2E/live.log',
    'public/x/../logs/live.log',
    'public/logs//live.log',
  ];
  for (const spelling of spellings) {
    const { status, code } = await rawThroughProxy(running, base + spelling, 'POST', reference);
    // Refused as a worker log (403) or as a malformed name (400); never created.
    assert.ok(status === 403 || status === 400, `${spelling}: ${status} ${code ?? ''}`);
  }
  const lister = queueClient(platform, [`queue:list-artifacts:${running.taskId}:${running.runId}`]);
  assert.deepEqual((await lister.listArtifacts(running.taskId, running.runId)).artifacts, []);
});

test('S18: the worker writes its log with the run credentials; the task can neither append to it, finish it nor re-point it', async () => {
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  const liveLog = `/api/object/v1/live-log/${taskId}/${runId}`;
  // The worker's own write: the run credentials, unnarrowed.
  const created = await running.run.createArtifact(taskId, runId, 'public/logs/live_backing.log', {
    storageType: 'object',
    expires: inOneDay(),
    contentType: 'text/plain; charset=utf-8',
    contentLength: 5,
  });
  // The task cannot finish (make visible) the worker's upload, even knowing its uploadId.
  await assert.rejects(
    throughProxy(running).finishArtifact(taskId, runId, 'public/logs/live_backing.log', {
      uploadId: created.uploadId,
    }),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  // Nor append to the live log that readers follow while the run goes on.
  const forged = await rawThroughProxy(running, `${liveLog}?offset=0`, 'POST', 'forged\n');
  assert.equal(forged.status, 403);
  assert.equal(forged.code, 'InsufficientScopes');

  await publishWorkerLog(running, '[bulwark] exit code 1\n');
  const proxy = throughProxy(running);
  for (const body of bodies(running)) {
    await assert.rejects(proxy.createArtifact(taskId, runId, 'public/logs/live.log', body), {
      statusCode: 403,
    });
  }
  const reader = queueClient(platform, ['queue:get-artifact:public/logs/*']);
  const { data } = await downloadArtifact(reader, taskId, runId, 'public/logs/live.log');
  assert.equal(data.toString(), '[bulwark] exit code 1\n');
  const info = await queueClient(platform, [
    `queue:list-artifacts:${taskId}:${runId}`,
  ]).artifactInfo(taskId, runId, 'public/logs/live.log');
  assert.equal(info.storageType, 'link');
});

test('S18: credentials without the worker-log scope are refused whoever holds them', async () => {
  const running = await startRunningTask(platform);
  const { taskId, runId } = running;
  // A client that may create artifacts for the run, as Taskcluster's scope spells it.
  const other = queueClient(platform, [`queue:create-artifact:${taskId}/${runId}`]);
  await assert.rejects(
    other.createArtifact(taskId, runId, 'public/logs/live.log', bodies(running)[0]),
    { statusCode: 403, code: 'InsufficientScopes' },
  );
  const withLog = queueClient(platform, [
    `queue:create-artifact:${taskId}/${runId}`,
    `queue:create-worker-log:${taskId}/${runId}`,
  ]);
  await withLog.createArtifact(taskId, runId, 'public/logs/live.log', bodies(running)[0]);
});
