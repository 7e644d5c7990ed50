import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runTool } from '../run-tool.js';
import { loopBackingFile, mountedDevice } from './image-mount.js';
import { TaskDisks, type TaskDisksOptions } from './task-disks.js';

const MiB = 1024 * 1024;
let scratch: string;

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bulwark-task-disks-'));
});
after(async () => {
  // Whatever a failed test left mounted here, and only here, goes before the files.
  for (const worker of await readdir(scratch).catch(() => [] as string[])) {
    const mountPoint = join(scratch, worker, 'runs');
    if (await mountedDevice(mountPoint)) await runTool('umount', [mountPoint]);
  }
  await rm(scratch, { recursive: true, force: true });
});

function optionsFor(worker: string): TaskDisksOptions {
  return {
    image: join(scratch, worker, 'disk', 'tasks.img'),
    mountPoint: join(scratch, worker, 'runs'),
    sizeMB: 512,
    expectedDiskMB: 16,
  };
}

async function newTaskDir(disks: TaskDisks, name: string): Promise<string> {
  const dir = join(disks.mountPoint, name, 'task');
  await mkdir(dir, { recursive: true });
  return dir;
}

/** EDQUOT, which libuv has no name for. */
const overQuota = (err: NodeJS.ErrnoException): boolean => err.errno === -122;

const fsUuid = async (mountPoint: string): Promise<string> =>
  (await runTool('findmnt', ['-no', 'UUID', mountPoint])).trim();

test('S19: a task directory gets a hard limit the kernel enforces, even on root', async () => {
  const disks = await TaskDisks.open(optionsFor('limit'));
  try {
    const dir = await newTaskDir(disks, 'run-1');
    const disk = await disks.place(dir, 16);
    assert.equal(disk.limitMB, 16);
    assert.equal((await stat(dir)).ino, 256, 'the task directory is a subvolume of its own');
    await assert.rejects(writeFile(join(dir, 'fill'), Buffer.alloc(32 * MiB)), overQuota);
    assert.ok(disk.reachedLimit());
    assert.ok(disk.usedBytes() <= 16 * MiB);
    // Another task's directory has its own limit, untouched by the first.
    const other = await disks.place(await newTaskDir(disks, 'run-2'), 16);
    await writeFile(join(other.path, 'data'), Buffer.alloc(8 * MiB));
    assert.equal(other.reachedLimit(), false);
    // The run's cleanup (a recursive rm) removes the subvolume with its files.
    await rm(join(disks.mountPoint, 'run-1'), { recursive: true });
    await rm(join(disks.mountPoint, 'run-2'), { recursive: true });
  } finally {
    await disks.close();
  }
  assert.equal(await mountedDevice(optionsFor('limit').mountPoint), undefined);
});

test('S9: a directory that is not empty, not on the task disk, or without a limit is refused', async () => {
  const disks = await TaskDisks.open(optionsFor('refuse'));
  try {
    const full = await newTaskDir(disks, 'run-1');
    await writeFile(join(full, 'something'), 'x');
    await assert.rejects(disks.place(full, 16), /ENOTEMPTY/);
    const elsewhere = join(scratch, 'refuse', 'elsewhere');
    await mkdir(elsewhere);
    await assert.rejects(disks.place(elsewhere, 16), /is not on the task disk/);
    await assert.rejects(disks.place(await newTaskDir(disks, 'run-2'), undefined), /no disk limit/);
  } finally {
    await disks.close();
  }
});

test("S19: the image is kept across restarts, and a crashed run's mount and task directories are cleared", async () => {
  const options = optionsFor('restart');
  const first = await TaskDisks.open(options);
  const uuid = await fsUuid(first.mountPoint);
  await first.place(await newTaskDir(first, 'run-1'), 16);
  await writeFile(join(first.mountPoint, 'run-1', 'task', 'left'), 'from the crashed run');
  // A crash: nothing is closed, the mount stays; the crashed worker's helper process
  // reads end-of-file and exits. The next start unmounts and mounts the same image again.
  (first as unknown as { helper: { close(): void } }).helper.close();
  const second = await TaskDisks.open(options);
  try {
    assert.equal(await fsUuid(second.mountPoint), uuid, 'the same filesystem, not a new one');
    const device = await mountedDevice(second.mountPoint);
    assert.equal(await loopBackingFile(device ?? ''), options.image);
    const entries = (await readdir(second.mountPoint)).filter((e) => !e.startsWith('.'));
    assert.deepEqual(entries, []);
    const table = await runTool('findmnt', ['-rno', 'TARGET']);
    assert.equal(table.split('\n').filter((t) => t === second.mountPoint).length, 1);
  } finally {
    await second.close();
  }
  // A larger image asked for next time is grown in place.
  const bigger = await TaskDisks.open({ ...options, sizeMB: 768 });
  try {
    assert.equal(await fsUuid(bigger.mountPoint), uuid);
    assert.equal((await stat(options.image)).size, 768 * MiB);
  } finally {
    await bigger.close();
  }
  assert.equal((await stat(options.image)).mode & 0o777, 0o600);
});

test('S19: two workers on one host each have their own image, mount and limits', async () => {
  const a = await TaskDisks.open(optionsFor('worker-a'));
  const b = await TaskDisks.open(optionsFor('worker-b'));
  try {
    assert.notEqual(await fsUuid(a.mountPoint), await fsUuid(b.mountPoint));
    const diskA = await a.place(await newTaskDir(a, 'run-1'), 16);
    const diskB = await b.place(await newTaskDir(b, 'run-1'), 16);
    await assert.rejects(writeFile(join(diskA.path, 'fill'), Buffer.alloc(32 * MiB)), overQuota);
    await writeFile(join(diskB.path, 'data'), Buffer.alloc(4 * MiB));
    assert.equal(diskB.reachedLimit(), false);
    // A worker that stops unmounts its own image only.
    await a.close();
    assert.equal(await mountedDevice(a.mountPoint), undefined);
    assert.ok(await mountedDevice(b.mountPoint));
    // Worker a's image where worker b's is mounted: refused, and b's mount is left alone.
    await assert.rejects(
      TaskDisks.open({ ...optionsFor('worker-a'), mountPoint: b.mountPoint }),
      /not of this worker's image/,
    );
    assert.ok(await mountedDevice(b.mountPoint));
  } finally {
    await a.close();
    await b.close();
  }
});
