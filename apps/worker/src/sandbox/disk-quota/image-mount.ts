import { chmod, open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTool } from '../run-tool.js';
import { formatImage, SUPERBLOCK_MAGIC, SUPERBLOCK_MAGIC_OFFSET } from './btrfs.js';

const MiB = 1024 * 1024;

/**
 * Makes sure `image` is a btrfs image of at least `sizeMB`: created sparse (it takes
 * host space only as tasks write) and formatted on first use, kept as it is on the next
 * start, made larger when the configuration asks for more. 0600: only root reads it.
 */
export async function ensureImage(
  image: string,
  sizeMB: number,
): Promise<{ formatted: boolean; grown: boolean }> {
  const file = await open(image, 'a+', 0o600);
  let formatted = false;
  let grown = false;
  try {
    const size = (await file.stat()).size;
    const magic = Buffer.alloc(SUPERBLOCK_MAGIC.length);
    if (size > SUPERBLOCK_MAGIC_OFFSET + magic.length) {
      await file.read(magic, 0, magic.length, SUPERBLOCK_MAGIC_OFFSET);
    }
    if (magic.toString('latin1') !== SUPERBLOCK_MAGIC) {
      await file.truncate(sizeMB * MiB);
      formatted = true;
    } else if (size < sizeMB * MiB) {
      await file.truncate(sizeMB * MiB);
      grown = true;
    }
  } finally {
    await file.close();
  }
  await chmod(image, 0o600);
  if (formatted) await formatImage(image);
  return { formatted, grown };
}

/** The device mounted at `mountPoint` (the topmost mount there), if any. */
export async function mountedDevice(mountPoint: string): Promise<string | undefined> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  let device: string | undefined;
  for (const line of table.split('\n')) {
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ');
    if (!fields || right === undefined || fields.length < 5) continue;
    if (unescapeMountinfo(fields[4] as string) !== mountPoint) continue;
    device = right.split(' ')[1];
  }
  return device;
}

/** The file behind a loop device, as the kernel shows it. */
export async function loopBackingFile(device: string): Promise<string | undefined> {
  if (!/^\/dev\/loop\d+$/.test(device)) return undefined;
  const text = await readFile(`/sys/block/${basename(device)}/loop/backing_file`, 'utf8').catch(
    () => undefined,
  );
  return text?.trim().replace(/ \(deleted\)$/, '');
}

/**
 * Loop-mounts the image (the loop device goes when it is unmounted), then makes the
 * mount private: mounts made under it never propagate to other mount namespaces, and
 * the sandboxes bind only their own task directory out of it.
 * nodev and nosuid: nothing a task leaves there can be a device or gain privileges.
 */
export async function mountImage(image: string, mountPoint: string): Promise<string> {
  await runTool('mount', [
    '-t',
    'btrfs',
    '-o',
    'loop,nodev,nosuid,noatime,discard=async',
    image,
    mountPoint,
  ]);
  try {
    await runTool('mount', ['--make-private', mountPoint]);
    const device = await mountedDevice(mountPoint);
    if (device === undefined || (await loopBackingFile(device)) !== image) {
      throw new Error(`${mountPoint} does not show ${image} after mounting it`);
    }
    return device;
  } catch (err) {
    await unmountImage(mountPoint).catch(() => undefined);
    throw err;
  }
}

/**
 * Unmounts the image at `mountPoint` when it is this image (a crashed worker's mount
 * is reused this way); a mount of anything else there is refused, never touched.
 */
export async function unmountIfMounted(image: string, mountPoint: string): Promise<boolean> {
  const device = await mountedDevice(mountPoint);
  if (device === undefined) return false;
  const backing = await loopBackingFile(device);
  if (backing !== image) {
    throw new Error(
      `${mountPoint} is a mount of ${device}, not of this worker's image ${image}; unmount it first`,
    );
  }
  // A tool the crashed worker started may still hold it for a moment.
  for (let attempt = 1; ; attempt++) {
    try {
      await unmountImage(mountPoint);
      return true;
    } catch (err) {
      if (attempt >= 20 || !/busy/i.test((err as Error).message)) throw err;
      await sleep(100);
    }
  }
}

export async function unmountImage(mountPoint: string): Promise<void> {
  await runTool('umount', [mountPoint]);
}

/** Bytes the image really takes on the host (it is sparse). */
export async function allocatedBytes(image: string): Promise<number> {
  return (await stat(image)).blocks * 512;
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
