import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';
import { proxySocketPath } from '../proxy/socket-path.js';

let sandboxed: SandboxedWorker;
let dataDir: string;
let createTask: SandboxedWorker['createTask'];
let waitForResolution: SandboxedWorker['waitForResolution'];
let rootUrl: string;
let root: SandboxedWorker['root'];

before(async () => {
  sandboxed = await startSandboxedWorker('e2e');
  ({ dataDir, createTask, waitForResolution, rootUrl, root } = sandboxed);
});

after(() => sandboxed.stop());

test('a task runs in the sandbox and resolves completed; a failing one resolves failed', async () => {
  const ok = await createTask({
    command: ['/bin/sh', '-c', 'echo hello > out.txt && cat out.txt'],
  });
  const bad = await createTask({
    command: [
      ['/bin/sh', '-c', 'echo first'],
      ['/bin/sh', '-c', 'exit 2'],
    ],
  });
  assert.deepEqual(await waitForResolution(ok), {
    resolution: { kind: 'completed' },
    state: 'completed',
    reason: 'completed',
  });
  assert.deepEqual(await waitForResolution(bad), {
    resolution: { kind: 'failed' },
    state: 'failed',
    reason: 'failed',
  });
});

test('S2: through its proxy a task reads the secret its scopes allow, and nothing more', async () => {
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: root });
  const expires = new Date(Date.now() + 3600_000).toJSON();
  await secrets.set('e2e/allowed', { secret: { value: 'allowed-value' }, expires });
  await secrets.set('e2e/other', { secret: { value: 'other-value' }, expires });
  const script = [
    'const base = process.env.TASKCLUSTER_PROXY_URL;',
    'const get = (n) => fetch(`${base}/api/secrets/v1/secret/${encodeURIComponent(n)}`).then((r) => r.status);',
    'Promise.all([get("e2e/allowed"), get("e2e/other")]).then(([a, b]) => process.exit(a === 200 && b === 403 && !process.env.TASKCLUSTER_ACCESS_TOKEN ? 0 : 1));',
  ].join(' ');
  const taskId = await createTask(
    { command: ['/usr/bin/node', '-e', script], features: { taskclusterProxy: true } },
    ['secrets:get:e2e/allowed'],
  );
  const { state } = await waitForResolution(taskId);
  assert.equal(state, 'completed');
});

test('a payload that breaks the schema or the pool limits resolves malformed-payload', async () => {
  const taskId = await createTask({ command: ['true'], resources: { memoryMB: 100_000 } });
  const { state, reason } = await waitForResolution(taskId);
  assert.equal(state, 'exception');
  assert.equal(reason, 'malformed-payload');
});

test('S2: other users of the worker host cannot reach a running task’s proxy socket', async () => {
  const taskId = await createTask({
    command: ['/bin/sh', '-c', 'sleep 2'],
    features: { taskclusterProxy: true },
  });
  const socket = await (async () => {
    for (let i = 0; i < 100; i++) {
      const runs = await readdir(join(dataDir, 'runs')).catch(() => [] as string[]);
      const run = runs.find((name) => name.startsWith(taskId));
      if (run) {
        const path = proxySocketPath(join(dataDir, 'runs', run));
        if (await stat(path).catch(() => undefined)) return path;
      }
      await sleep(50);
    }
    throw new Error('the proxy socket never appeared');
  })();
  const probe = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      '/usr/bin/python3',
      '-c',
      `import socket; socket.socket(socket.AF_UNIX).connect(${JSON.stringify(socket)})`,
    ],
    { encoding: 'utf8' },
  );
  assert.notEqual(probe.status, 0, 'another user connected to the proxy');
  assert.match(probe.stderr, /Permission denied/);
  assert.equal((await waitForResolution(taskId)).state, 'completed');
});
