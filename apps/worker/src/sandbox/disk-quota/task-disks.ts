import { randomBytes } from 'node:crypto';
import { lstatSync, realpathSync, renameSync, rmdirSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
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
  /** The limit of the subvolume kept ready for the next task (the pool's default). */
  expectedDiskMB: number;
  /**
   * The group that may pass through the mount point to its task directory (the
   * sandbox user's): the mounted disk's root is 0710 in it, open to nobody else (S11).
   * Without it, 0700.
   */
  passGroup?: number;
}

interface Spare {
  path: string;
  id: number;
  limitMB: number;
}

/**
 * Task directories with kernel-enforced disk and inode limits (S19). The worker's
 * image, a sparse file in its data directory, is loop-mounted with btrfs quota groups
 * where its task directories live; each task directory becomes a subvolume of its own
 * with a hard limit before the task starts. Deleting the directory (rmdir of the empty
 * subvolume, as the run's cleanup does) ends it, and the kernel drops its quota group.
 *
 * One subvolume is kept ready with the pool's default limit, made in the background
 * (by a helper process, see BtrfsHelper) after each task takes the previous one: a
 * task's start then costs a rename.
 */
export class TaskDisks {
  private spare: Spare | undefined;
  private refilling: Promise<void> | undefined;
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
    await mkdir(options.mountPoint, { recursive: true, mode: 0o700 });
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
      if (options.passGroup !== undefined) await chown(mountPoint, 0, options.passGroup);
      await chmod(mountPoint, options.passGroup !== undefined ? 0o710 : 0o700);
      for (const entry of await readdir(mountPoint)) {
        await rm(join(mountPoint, entry), { recursive: true, force: true });
      }
      const disks = new TaskDisks(resolved, join(sysfs, 'qgroups'));
      disks.refill(options.expectedDiskMB);
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
      // One being made is ready sooner than a new one, made after it (one at a time).
      if (this.spare === undefined) await this.refilling;
      const spare = this.spare;
      this.spare = undefined;
      if (spare !== undefined) {
        // Replaces the empty directory the run made; one with anything in it is refused
        // (ENOTEMPTY), and so is the task.
        try {
          renameSync(spare.path, taskDir);
        } catch (err) {
          this.spare = spare;
          throw err;
        }
        id = spare.limitMB === diskMB ? spare.id : await this.helper.limit(taskDir, diskMB * MiB);
      } else {
        rmdirSync(taskDir);
        id = await this.makeLimitedSubvolume(taskDir, diskMB);
      }
      this.refill(diskMB);
    }
    return new TaskDisk(taskDir, id, diskMB, this.qgroups);
  }

  /** Unmounts the image (after the subvolume being made ahead, if any, is done). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.refilling;
    if (this.spare) rmdirSync(this.spare.path);
    this.spare = undefined;
    this.helper.close();
    await unmountImage(this.mountPoint);
  }

  /** Makes a subvolume at `path` with its limit; resolves with its id. */
  private async makeLimitedSubvolume(path: string, diskMB: number): Promise<number> {
    const id = await this.helper.createLimited(dirname(path), basename(path), diskMB * MiB);
    // A new subvolume's root is 0755; it is nobody's until a task's is handed over (S11).
    await chmod(path, 0o700);
    return id;
  }

  /** Makes the next task's subvolume in the background; a failure waits for place(). */
  private refill(diskMB: number): void {
    if (this.spare !== undefined || this.refilling !== undefined || this.closed) return;
    const path = join(this.mountPoint, `.next-${randomBytes(6).toString('hex')}`);
    this.refilling = this.makeLimitedSubvolume(path, diskMB)
      .then(
        (id) => {
          this.spare = { path, id, limitMB: diskMB };
        },
        () => rm(path, { recursive: true, force: true }).catch(() => undefined),
      )
      .finally(() => {
        this.refilling = undefined;
      });
  }
}
