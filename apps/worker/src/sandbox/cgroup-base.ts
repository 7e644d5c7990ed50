import { readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceLimits } from '../payload/payload.js';
import type { TaskCgroup } from './cgroup.js';
import { taskCgroupPaths, type CgroupVersion } from './cgroup-hierarchy.js';

export const CPU_PERIOD_US = 100_000;

/**
 * What both cgroup versions do alike: the directories, the process list, the kill loop
 * and the removal. What differs (where the limits and counters are, how to kill and
 * how to tell the group is empty) is each version's own class.
 */
export abstract class CgroupBase implements TaskCgroup {
  readonly paths: readonly string[];

  constructor(
    readonly version: CgroupVersion,
    readonly root: string,
    readonly name: string,
  ) {
    this.paths = taskCgroupPaths(version, root, name);
  }

  /** Writes the task's memory, pids and CPU limits; rejects when one cannot be written. */
  abstract applyLimits(limits: ResourceLimits): Promise<void>;
  abstract oomKills(): Promise<number>;
  abstract throttledPeriods(): Promise<number>;
  abstract pidsLimitHit(): Promise<boolean>;
  /** One attempt at killing every process in the cgroup. */
  protected abstract killEveryone(): Promise<void>;
  protected abstract isEmpty(): Promise<boolean>;

  get procsFiles(): string[] {
    return this.paths.map((p) => join(p, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    const text = await readFile(join(this.main, 'cgroup.procs'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  async killAll(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      // Usually the task's processes are gone already (the pid namespace took them).
      if (await this.isEmpty()) return;
      await this.killEveryone();
      if (await this.isEmpty()) return;
      await sleep(5);
    }
    throw new Error(`processes in ${this.main} survived being killed`);
  }

  async destroy(): Promise<void> {
    await this.killAll();
    for (const path of this.paths) await removeCgroupDir(path);
  }

  /** The directory whose `cgroup.procs` lists the task (every v1 one lists the same). */
  protected get main(): string {
    return this.paths[0] as string;
  }
}

async function removeCgroupDir(path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // Exiting processes stay linked to the cgroup for a few milliseconds.
      if (code !== 'EBUSY' || attempt >= 400) throw err;
      await sleep(5);
    }
  }
}

/** A `key N` line of a cgroup counters file; 0 when the file or the line is missing. */
export async function counter(file: string, key: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}
