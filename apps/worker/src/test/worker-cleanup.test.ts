// S19: what a task leaves in its directory never takes the worker down. Through the
// real worker and sandbox: a task leaves a tree deeper than PATH_MAX (Node's own rm
// throws on it), closed directories and names of any bytes; the run is resolved, its
// directory is gone, and the next task on the same worker runs.
import { strict as assert } from 'node:assert';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
