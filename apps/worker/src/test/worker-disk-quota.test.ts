import { strict as assert } from 'node:assert';
import { constants } from 'node:fs';
import { open, readdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import taskcluster from 'taskcluster-client';
import { allocatedBytes } from '../sandbox/disk-quota/image-mount.js';
import { startSandboxedWorker, type SandboxedWorker } from './sandboxed-worker.js';

// S19: kernel-enforced disk and inode limits. Each test attacks the worker's task disk
// from inside a task, with bounded writes, through a real worker and queue.

const MiB = 1024 * 1024;
let sandboxed: SandboxedWorker;
let queue: InstanceType<typeof taskcluster.Queue>;

before(async () => {
  sandboxed = await startSandboxedWorker('diskquota', { diskQuota: true });
  queue = new taskcluster.Queue({ rootUrl: sandboxed.rootUrl, credentials: sandboxed.root });
});

after(() => sandboxed.stop());

async function taskLog(taskId: string): Promise<string> {
  const url = queue.buildSignedUrl(queue.getArtifact, taskId, 0, 'public/logs/live.log');
  return (await fetch(url, { redirect: 'follow' })).text();
}

/** The task's directory as the worker host sees it, while the task runs. */
const hostTaskDir = (taskId: string): string =>
  join(sandboxed.dataDir, 'runs', `${taskId}-0`, 'task');

/**
 * Waits (bounded) until the running task printed `line`: its log is read on the host
 * (a full task can write no file of its own to say so).
 */
async function waitForOutput(taskId: string, line: RegExp): Promise<void> {
  const log = join(sandboxed.dataDir, 'runs', `${taskId}-0`, 'live.log');
  for (let i = 0; i < 600; i++) {
    if (line.test(await readFile(log, 'utf8').catch(() => ''))) return;
    await sleep(100);
  }
  throw new Error(`task ${taskId} never printed ${String(line)}`);
}

const freeBytes = async (path: string): Promise<number> => {
  const info = await statfs(path);
  return info.bavail * info.bsize;
};

test('S19: a task filling the disk is stopped at its quota and fails plainly; the control plane and the host do not notice', async () => {
  const image = join(sandboxed.dataDir, 'disk', 'tasks.img');
  const hostFreeBefore = await freeBytes(sandboxed.dataDir);
  const imageBefore = await allocatedBytes(image);
  // Up to 1 GiB, 16 times its 64 MB limit; the task ignores the failure and exits 0,
  // after waiting (bounded) for the test to look at the host while it holds its files:
  // the test lets it go on through a FIFO (a full disk takes no new file).
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      [
        'mkfifo /task/gate',
        'dd if=/dev/zero of=/task/fill bs=1M count=1024 2>&1 | head -n 1',
        'echo "written"',
        'timeout 60 sh -c "read line < /task/gate"',
        'exit 0',
      ].join('; '),
    ],
    resources: { diskMB: 64 },
  });
  await waitForOutput(taskId, /^written$/m);
  // The control plane answers while the task sits at its limit.
  const { status } = await queue.status(taskId);
  assert.equal(status.state, 'running');
  // What the task took from the host: its 64 MB (and a little metadata), not 1 GiB.
  const grew = (await allocatedBytes(image)) - imageBefore;
  assert.ok(grew < 96 * MiB, `the task's image grew by ${grew} bytes`);
  const hostDrop = hostFreeBefore - (await freeBytes(sandboxed.dataDir));
  assert.ok(hostDrop < 512 * MiB, `the host's free space fell by ${hostDrop} bytes`);
  const gate = await open(
    join(hostTaskDir(taskId), 'gate'),
    constants.O_WRONLY | constants.O_NONBLOCK,
  );
  await gate.write('go\n');
  await gate.close();

  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const log = await taskLog(taskId);
  assert.match(log, /dd: error writing '\/task\/fill': Disk quota exceeded/);
  assert.match(log, /the task used more than its disk limit of 64 MB/);
});

test('S19: an inode flood is stopped at the disk limit, which its metadata counts against', async () => {
  const taskId = await sandboxed.createTask({
    command: [
      '/usr/bin/python3',
      '-c',
      [
        'import os',
        'n = 0',
        'try:',
        '  for i in range(300000): open("/task/f%d" % i, "w").close(); n += 1',
        'except OSError as e: print("stopped after", n, "files:", os.strerror(e.errno))',
        'else: print("made", n, "files")',
      ].join('\n'),
    ],
    resources: { diskMB: 16 },
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const log = await taskLog(taskId);
  const stopped = /stopped after (\d+) files: Disk quota exceeded/.exec(log);
  assert.ok(stopped, log.slice(0, 2000));
  assert.ok(Number(stopped[1]) < 300_000);
  assert.match(log, /the task used more than its disk limit of 16 MB/);
});

test('S19: a sparse artifact counts by its apparent size: refused as an error artifact, and the task fails', async () => {
  const taskId = await sandboxed.createTask({
    command: ['/bin/sh', '-c', 'truncate -s 10G /task/sparse.bin && echo small > /task/ok.txt'],
    resources: { diskMB: 64 },
    artifacts: [
      { type: 'file', path: 'sparse.bin', name: 'public/sparse.bin' },
      { type: 'file', path: 'ok.txt', name: 'public/ok.txt' },
    ],
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const { artifacts } = await queue.listArtifacts(taskId, 0);
  const kinds = new Map(
    (artifacts as { name: string; storageType: string }[]).map((a) => [a.name, a.storageType]),
  );
  assert.equal(kinds.get('public/sparse.bin'), 'error');
  assert.equal(kinds.get('public/ok.txt'), 'object');
  const log = await taskLog(taskId);
  assert.match(
    log,
    /public\/sparse.bin: publishing it would exceed the task's disk limit of 64 MB/,
  );
});

test('S19: a task can make no subvolume or snapshot outside its quota, nor make its directory read-only', async () => {
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      [
        'btrfs subvolume create /task/escape; echo "subvolume exit $?"',
        'btrfs subvolume snapshot /task /task/copy; echo "snapshot exit $?"',
        'btrfs property set /task ro true; echo "read-only exit $?"',
        'mkdir -p /task/escape',
        'dd if=/dev/zero of=/task/escape/fill bs=1M count=256 2>/dev/null; echo "dd exit $?"',
      ].join('; '),
    ],
    resources: { diskMB: 32 },
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'failed');
  const log = await taskLog(taskId);
  assert.match(log, /subvolume exit 1/);
  assert.match(log, /snapshot exit 1/);
  assert.match(log, /read-only exit 1/);
  assert.match(log, /dd exit 1/);
  assert.match(log, /the task used more than its disk limit of 32 MB/);
});

test('S19: after all that, the next task on the same worker runs, with a fresh disk of its own', async () => {
  const taskId = await sandboxed.createTask({
    command: [
      '/bin/sh',
      '-c',
      'ls -A /task | wc -l; dd if=/dev/zero of=/task/data bs=1M count=32 2>/dev/null && echo wrote',
    ],
    resources: { diskMB: 64 },
  });
  const { state } = await sandboxed.waitForResolution(taskId);
  assert.equal(state, 'completed');
  const log = await taskLog(taskId);
  assert.match(log, /^0$/m);
  assert.match(log, /^wrote$/m);
  // Nothing of the earlier tasks is left on the task disk but the subvolume made ahead.
  const left = (await readdir(join(sandboxed.dataDir, 'runs'))).filter((e) => !e.startsWith('.'));
  assert.deepEqual(left, []);
});
