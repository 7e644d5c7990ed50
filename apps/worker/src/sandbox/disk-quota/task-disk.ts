import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionResult } from '../engine.js';

const MiB = 1024 * 1024;

/**
 * One task's directory: a btrfs subvolume whose quota group has a hard limit on what
 * it references, data and metadata together (S19). The kernel refuses a write past it
 * with EDQUOT. Every file, directory and link takes metadata out of the same limit,
 * so the limit also bounds the task's inodes (about 2,900 empty files per MB).
 */
export class TaskDisk {
  constructor(
    readonly path: string,
    /** The subvolume's id, and so its quota group's (`0/<id>`). */
    readonly id: number,
    readonly limitMB: number,
    /** `/sys/fs/btrfs/<fsid>/qgroups`. */
    private readonly qgroups: string,
  ) {}

  /**
   * What the task holds now: what the last transaction counted, plus what writes since
   * then reserved (the kernel checks the limit against the same sum). Read from sysfs:
   * no process, a few microseconds.
   */
  usedBytes(): number {
    const dir = join(this.qgroups, `0_${this.id}`);
    const read = (name: string): number => Number(readFileSync(join(dir, name), 'utf8').trim());
    return (
      read('referenced') + read('rsv_data') + read('rsv_meta_pertrans') + read('rsv_meta_prealloc')
    );
  }

  /**
   * True when the task is at its limit: less room left than one write the kernel
   * would still accept (its metadata reservations take up to a few hundred KiB).
   */
  reachedLimit(): boolean {
    const limit = this.limitMB * MiB;
    return this.usedBytes() >= limit - Math.min(MiB, limit / 64);
  }
}

/**
 * The engine's verdict on a task that filled its disk: it fails, whatever its exit
 * code (its writes past the limit failed, so its output cannot be trusted), with one
 * plain sentence in its log.
 */
export function withDiskVerdict(
  result: ExecutionResult,
  disk: TaskDisk | undefined,
): ExecutionResult {
  if (disk === undefined || result.outcome !== 'exited') return result;
  let full: boolean;
  try {
    full = disk.reachedLimit();
  } catch (err) {
    const note = `the task's disk usage could not be read (${(err as Error).message})`;
    return { ...result, message: [result.message, note].filter(Boolean).join('; ') };
  }
  if (!full) return result;
  const said = `the task used more than its disk limit of ${disk.limitMB} MB (files and directories together); its writes past the limit failed`;
  return {
    ...result,
    outcome: 'disk-full',
    message: [said, result.message].filter(Boolean).join('; '),
  };
}
