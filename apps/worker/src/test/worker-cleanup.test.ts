// S19: what a task leaves in its directory never takes the worker down. Through the
// real worker and sandbox: a task leaves a tree deeper than PATH_MAX (Node's own rm
// throws on it), closed directories and names of any bytes; the run is resolved, its
// directory is gone, and the next task on the same worker runs.
import { strict as assert } from 'node:assert';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { prepareDataDir } from '../daemon/data-dir.js';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';

let worker: SandboxedWorker;

before(async () => {
  worker = await startSandboxedWorker('cleanup');
});
after(async () => {
  await worker.stop();
});

/** Runs in the sandbox, in /task: relative steps only, so depth is no limit. */
const HOSTILE_LEFTOVERS = [
  'import os',
  'os.mkdir("deep"); os.chdir("deep")',
  'for i in range(2500): os.mkdir("dd"); os.chdir("dd")',
  'open("f", "w").close()',
  'os.chdir("/task")',
  'os.makedirs("closed/inner"); os.chmod("closed/inner", 0); os.chmod("closed", 0)',
  'os.mkdir(b"\\xff\\xfe\\nname"); open(b"\\xff\\xfe\\nname/-rf", "w").close()',
  'open("read-only", "w").close(); os.chmod("read-only", 0)',
  'print("left", len(os.getcwd()))',
].join('\n');

test('S19: a task leaving a tree deeper than PATH_MAX is cleaned up, and the next task on the worker runs', async () => {
  const hostile = await worker.createTask({
    command: ['/usr/bin/python3', '-c', HOSTILE_LEFTOVERS],
  });
  const first = await worker.waitForResolution(hostile);
  assert.deepEqual(first.resolution, { kind: 'completed' });

  const next = await worker.createTask({ command: ['/bin/sh', '-c', 'echo still here'] });
  const second = await worker.waitForResolution(next);
  assert.deepEqual(second.resolution, { kind: 'completed' });
  assert.equal(second.state, 'completed');

  // Removed, not set aside: nothing of either run is left.
  assert.deepEqual(await readdir(join(worker.dataDir, 'runs')), []);
  assert.deepEqual(await readdir(join(worker.dataDir, 'quarantine')).catch(() => []), []);
});

test('S19: a run that fails before its task starts never ends the worker; the next task runs', async () => {
  const runs = join(worker.dataDir, 'runs');
  // The run directory cannot be made: the run fails outside any task's control.
  await rm(runs, { recursive: true });
  await writeFile(runs, 'not a directory');
  try {
    const doomed = await worker.createTask({ command: ['/bin/sh', '-c', 'echo never'] });
    const queue = new taskcluster.Queue({ rootUrl: worker.rootUrl, credentials: worker.root });
    for (let i = 0; i < 300; i++) {
      const { status } = (await queue.status(doomed)) as { status: { state: string } };
      if (status.state === 'running') break;
      await sleep(100);
    }
  } finally {
    await rm(runs);
    await mkdir(runs);
    await prepareDataDir(worker.dataDir, 61000);
  }
  const next = await worker.createTask({ command: ['/bin/sh', '-c', 'echo still here'] });
  assert.deepEqual((await worker.waitForResolution(next)).resolution, { kind: 'completed' });
});
