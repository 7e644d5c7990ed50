import { mkdir, readdir } from 'node:fs/promises';
import type { ResourceLimits } from '../payload/payload.js';
import type { CgroupBase } from './cgroup-base.js';
import {
  DEFAULT_CGROUP_ROOT,
  hierarchyTops,
  requireV2Controllers,
  type CgroupVersion,
} from './cgroup-hierarchy.js';
import { CgroupV1 } from './cgroup-v1.js';
import { CgroupV2 } from './cgroup-v2.js';

export {
  CgroupControllersMissing,
  DEFAULT_CGROUP_ROOT,
  detectCgroupVersion,
  type CgroupVersion,
} from './cgroup-hierarchy.js';

/**
 * One task's cgroup (S6, S8): memory, pids and CPU limits, a way to kill every process
 * in it whatever it did to its session or process group, and OOM detection. Two
 * implementations, one per cgroup version (cgroup-v1.ts, cgroup-v2.ts); the worker
 * picks the host's at start-up. The directories are named `<prefix>-<name>` at the top
 * of each hierarchy under `root`, so that a worker starting after a crash finds its
 * leftovers by prefix.
 */
export interface TaskCgroup {
  readonly version: CgroupVersion;
  /** Where the hierarchies are mounted (`/sys/fs/cgroup` unless told otherwise). */
  readonly root: string;
  readonly name: string;
  /** The directories holding this task: one per v1 controller, or one for v2. */
  readonly paths: readonly string[];
  /** The `cgroup.procs` files a process writes its pid to, to enter this cgroup. */
  readonly procsFiles: string[];
  pids(): Promise<number[]>;
  /** How many processes the kernel killed here for exceeding the memory limit. */
  oomKills(): Promise<number>;
  /** How many CPU periods the quota held the task back in (proof the quota applies). */
  throttledPeriods(): Promise<number>;
  /** Whether a fork was refused for exceeding the pids limit. */
  pidsLimitHit(): Promise<boolean>;
  /** Kills every process in the cgroup, race-free; returns once the cgroup is empty. */
  killAll(): Promise<void>;
  /** Kills what is left and removes the directories (retrying the kernel's brief EBUSY). */
  destroy(): Promise<void>;
}

function handle(version: CgroupVersion, dirName: string, root: string): CgroupBase {
  return version === 2 ? new CgroupV2(root, dirName) : new CgroupV1(root, dirName);
}

export const TaskCgroup = {
  /**
   * Makes the task's cgroup with its limits, or rejects (S9): on v2, before anything is
   * made, when the hierarchy cannot give it memory, pids and CPU limits; on either, when
   * a limit cannot be written, in which case what was made is removed again.
   */
  async create(
    version: CgroupVersion,
    dirName: string,
    limits: ResourceLimits,
    root = DEFAULT_CGROUP_ROOT,
  ): Promise<TaskCgroup> {
    if (version === 2) await requireV2Controllers(root);
    const group = handle(version, dirName, root);
    for (const path of group.paths) await mkdir(path);
    try {
      await group.applyLimits(limits);
    } catch (err) {
      await group.destroy().catch(() => undefined);
      throw err;
    }
    return group;
  },

  /**
   * A handle on a task cgroup that already exists (what a crashed worker left, found by
   * `findLeftovers`): it makes nothing and sets no limit, it can only see, kill and remove.
   */
  existing(version: CgroupVersion, dirName: string, root = DEFAULT_CGROUP_ROOT): TaskCgroup {
    return handle(version, dirName, root);
  },

  /** Every cgroup a worker with this prefix left behind (after a crash), in every hierarchy. */
  async findLeftovers(
    version: CgroupVersion,
    prefix: string,
    root = DEFAULT_CGROUP_ROOT,
  ): Promise<TaskCgroup[]> {
    const names = new Set<string>();
    for (const top of hierarchyTops(version, root)) {
      for (const entry of await readdir(top, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory() && entry.name.startsWith(`${prefix}-`)) names.add(entry.name);
      }
    }
    return [...names].map((name) => handle(version, name, root));
  },
} as const;
