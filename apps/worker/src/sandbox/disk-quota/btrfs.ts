import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool } from '../run-tool.js';

/**
 * The btrfs operations of the worker's start, through btrfs-progs' own tools (their
 * command lines are stable). Those of each task go through BtrfsHelper.
 */
/** Turns quota groups on (kept in the filesystem: a no-op once done). */
export async function enableQuota(mountPoint: string): Promise<void> {
  await runTool('btrfs', ['quota', 'enable', mountPoint]);
}

/** Lets the filesystem use a larger image file after the file grew. */
export async function growToDevice(mountPoint: string): Promise<void> {
  await runTool('btrfs', ['filesystem', 'resize', 'max', mountPoint]);
}

/** Formats an image file: single copies of data and metadata (scratch space, not archives). */
export async function formatImage(image: string): Promise<void> {
  await runTool('mkfs.btrfs', [
    '-q',
    '-f',
    '-L',
    'bulwark-tasks',
    '-m',
    'single',
    '-d',
    'single',
    image,
  ]);
}

/**
 * The filesystem's directory in sysfs (`/sys/fs/btrfs/<fsid>`), found by its one
 * device: there the kernel shows each quota group's usage, read without a process.
 */
export async function sysfsDirOf(device: string): Promise<string> {
  const name = device.replace(/^\/dev\//, '');
  const root = '/sys/fs/btrfs';
  for (const fsid of await readdir(root)) {
    const devices = await readdir(join(root, fsid, 'devices')).catch(() => [] as string[]);
    if (devices.includes(name)) return join(root, fsid);
  }
  throw new Error(`the kernel shows no btrfs filesystem on ${device}`);
}

/** Where a btrfs superblock says "_BHRfS_M": 64 KiB + 64 bytes into the device. */
export const SUPERBLOCK_MAGIC_OFFSET = 0x10040;
export const SUPERBLOCK_MAGIC = '_BHRfS_M';
