import { lstatSync, realpathSync, rmdirSync } from 'node:fs';
import { chmod, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { enableQuota, growToDevice, sysfsDirOf } from './btrfs.js';
import { BtrfsHelper } from './btrfs-helper.js';
import { ensureImage, mountImage, unmountIfMounted, unmountImage } from './image-mount.js';
import { TaskDisk } from './task-disk.js';

const MiB = 1024 * 1024;
/** A subvolume's root directory always has this inode number (BTRFS_FIRST_FREE_OBJECTID). */
const SUBVOLUME_ROOT_INO = 256;
/** The smallest image mkfs.btrfs formats, with room to spare. */
export const MIN_IMAGE_MB = 256;

export interface TaskDisksOptions {
  /** The image file, in the worker's own data directory: one per worker, kept across restarts. */
  image: string;
  /** Where it is mounted: the directory every task directory of the worker is made in. */
  mountPoint: string;
  /** The image's size; a sparse file, so the host gives only what tasks write. */
  sizeMB: number;
}

/**
 * Task directories with kernel-enforced disk and inode limits (S19). The worker's
 * image, a sparse file in its data directory, is loop-mounted with btrfs quota groups
 * where its task directories live; each task directory becomes a subvolume of its own
 * with a hard limit before the task starts. Deleting the directory (rmdir of the empty
 * subvolume, as the run's cleanup does) ends it, and the kernel drops its quota group.
 *
 * The subvolume is made and limited by ioctls from one long-lived helper process
 * (BtrfsHelper), about half a millisecond: a task's start waits for no tool.
 */
export class TaskDisks {
  private readonly helper = new BtrfsHelper();
  private closed = false;

  private constructor(
    readonly options: TaskDisksOptions,
    /** `/sys/fs/btrfs/<fsid>/qgroups` of the mounted image. */
    private readonly qgroups: string,
  ) {}

  /**
   * Mounts the image (made and formatted on first use) at the mount point, unmounting
   * first what a crashed run of this worker left mounted there, and removes every
   * task directory left in it. Throws, naming the step, when any of it fails: the
   * worker then refuses to start (S9).
   */
  static async open(options: TaskDisksOptions): Promise<TaskDisks> {
    if (options.sizeMB < MIN_IMAGE_MB)
      throw new Error(`the task disk image needs at least ${MIN_IMAGE_MB} MB`);
    await mkdir(dirname(options.image), { recursive: true, mode: 0o700 });
    await mkdir(options.mountPoint, { recursive: true, mode: 0o711 });
    const mountPoint = await realpath(options.mountPoint);
    const image = join(await realpath(dirname(options.image)), basename(options.image));
    const resolved = { ...options, image, mountPoint };
    await unmountIfMounted(image, mountPoint);
    const { grown } = await ensureImage(image, options.sizeMB);
    const device = await mountImage(image, mountPoint);
    try {
      if (grown) await growToDevice(mountPoint);
      await enableQuota(mountPoint);
      const sysfs = await sysfsDirOf(device);
      // Account every dropped subvolume in full (the default skips deep trees and marks
      // the quota groups inconsistent); task subvolumes are small.
      await writeFile(join(sysfs, 'qgroups', 'drop_subtree_threshold'), '8').catch(() => undefined);
      await chmod(mountPoint, 0o711);
      for (const entry of await readdir(mountPoint)) {
        await rm(join(mountPoint, entry), { recursive: true, force: true });
      }
      const disks = new TaskDisks(resolved, join(sysfs, 'qgroups'));
      // Started now, so that the first task does not wait for it.
      disks.helper.start();
      return disks;
    } catch (err) {
      await unmountImage(mountPoint).catch(() => undefined);
      throw err;
    }
  }

  get mountPoint(): string {
    return this.options.mountPoint;
  }

  /**
   * Makes the (empty) task directory `taskDir`, under the mount point, a subvolume of
   * its own limited to `diskMB`, and returns it. A directory that is already a task's
   * subvolume (a second run in it) gets the new limit. Throws when the limit cannot be
   * set: the task must then not run (S9).
   */
  async place(requested: string, diskMB: number | undefined): Promise<TaskDisk> {
    if (this.closed) throw new Error('the task disks are closed');
    if (diskMB === undefined || !Number.isSafeInteger(diskMB) || diskMB < 1)
      throw new Error('the task has no disk limit');
    const parent = realpathSync(dirname(requested));
    const taskDir = join(parent, basename(requested));
    if (parent !== this.mountPoint && !parent.startsWith(`${this.mountPoint}/`))
      throw new Error(`${requested} is not on the task disk at ${this.mountPoint}`);
    let id: number;
    if (lstatSync(taskDir).ino === SUBVOLUME_ROOT_INO) {
      id = await this.helper.limit(taskDir, diskMB * MiB);
    } else {
      // The run made it empty a moment ago; one with anything in it is refused
      // (ENOTEMPTY), and so is the task.
      rmdirSync(taskDir);
      id = await this.helper.createLimited(parent, basename(taskDir), diskMB * MiB);
    }
    return new TaskDisk(taskDir, id, diskMB, this.qgroups);
  }

  /** Unmounts the image. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.helper.close();
    await unmountImage(this.mountPoint);
  }
}
