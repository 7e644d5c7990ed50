import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceLimits } from '../payload/payload.js';
import {
  DEFAULT_CGROUP_ROOT,
  hierarchyTops,
  requireV2Controllers,
  taskCgroupPaths,
  type CgroupVersion,
  type V1Controller,
} from './cgroup-hierarchy.js';

export {
  CgroupControllersMissing,
  DEFAULT_CGROUP_ROOT,
  detectCgroupVersion,
  type CgroupVersion,
} from './cgroup-hierarchy.js';

const CPU_PERIOD_US = 100_000;

/**
 * One task's cgroup (S6, S8): memory, pids and CPU limits, a way to kill every process
 * in it whatever it did to its session or process group, and OOM detection. The
 * directories are named `<prefix>-<name>` at the top of each hierarchy under `root`, so
 * that a worker starting after a crash finds its leftovers by prefix.
 */
export class TaskCgroup {
  /** The directories holding this task: one per v1 controller, or one for v2. */
  readonly paths: readonly string[];

  private constructor(
    readonly version: CgroupVersion,
    /** Where the hierarchies are mounted (`/sys/fs/cgroup` unless told otherwise). */
    readonly root: string,
    readonly name: string,
  ) {
    this.paths = taskCgroupPaths(version, root, name);
  }

  /**
   * Makes the task's cgroup with its limits, or rejects (S9): on v2, before anything is
   * made, when the hierarchy cannot give it memory, pids and CPU limits; on either, when
   * a limit cannot be written, in which case what was made is removed again.
   */
  static async create(
    version: CgroupVersion,
    dirName: string,
    limits: ResourceLimits,
    root = DEFAULT_CGROUP_ROOT,
  ): Promise<TaskCgroup> {
    if (version === 2) await requireV2Controllers(root);
    const group = new TaskCgroup(version, root, dirName);
    for (const path of group.paths) await mkdir(path);
    try {
      if (version === 2) await group.limitV2(limits);
      else await group.limitV1(limits);
    } catch (err) {
      await group.destroy().catch(() => undefined);
      throw err;
    }
    return group;
  }

  /**
   * A handle on a task cgroup that already exists (what a crashed worker left, found by
   * `findLeftovers`): it makes nothing and sets no limit, it can only see, kill and remove.
   */
  static existing(version: CgroupVersion, dirName: string, root = DEFAULT_CGROUP_ROOT): TaskCgroup {
    return new TaskCgroup(version, root, dirName);
  }

  private async limitV2(limits: ResourceLimits): Promise<void> {
    await this.write('memory.max', String(limits.memoryMB * 1024 * 1024));
    await this.write('memory.swap.max', '0').catch(() => undefined);
    // On OOM the whole task goes, not only its largest process.
    await this.write('memory.oom.group', '1');
    await this.write('pids.max', String(limits.pids));
    await this.write('cpu.max', `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
  }

  private async limitV1(limits: ResourceLimits): Promise<void> {
    await writeFile(
      join(this.v1('memory'), 'memory.limit_in_bytes'),
      String(limits.memoryMB * 1024 * 1024),
    );
    // With swap accounting, swap counts against the same limit (no swap on this VM kind).
    await writeFile(
      join(this.v1('memory'), 'memory.memsw.limit_in_bytes'),
      String(limits.memoryMB * 1024 * 1024),
    ).catch(() => undefined);
    await writeFile(join(this.v1('pids'), 'pids.max'), String(limits.pids));
    await writeFile(join(this.v1('cpu'), 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(
      join(this.v1('cpu'), 'cpu.cfs_quota_us'),
      String(Math.round(limits.cpus * CPU_PERIOD_US)),
    );
  }

  /** The `cgroup.procs` files a process writes its pid to, to enter this cgroup. */
  get procsFiles(): string[] {
    return this.paths.map((p) => join(p, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    const text = await readFile(join(this.main, 'cgroup.procs'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map(Number);
  }

  /** How many processes the kernel killed here for exceeding the memory limit. */
  async oomKills(): Promise<number> {
    const file =
      this.version === 2
        ? join(this.main, 'memory.events')
        : join(this.v1('memory'), 'memory.oom_control');
    const text = await readFile(file, 'utf8').catch(() => '');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** How many CPU periods the quota held the task back in (proof the quota applies). */
  async throttledPeriods(): Promise<number> {
    const dir = this.version === 2 ? this.main : this.v1('cpu');
    const text = await readFile(join(dir, 'cpu.stat'), 'utf8').catch(() => '');
    return Number(/^nr_throttled (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** Whether a fork was refused for exceeding the pids limit. */
  async pidsLimitHit(): Promise<boolean> {
    const dir = this.version === 2 ? this.main : this.v1('pids');
    const text = await readFile(join(dir, 'pids.events'), 'utf8').catch(() => '');
    const match = /^max (\d+)$/m.exec(text);
    return match !== null && Number(match[1]) > 0;
  }

  /**
   * Kills every process in the cgroup. Frozen first (v1), so nothing can fork while
   * the list is read; v2 has an atomic `cgroup.kill`. Returns once the cgroup is empty.
   */
  async killAll(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      // Usually the task's processes are gone already (the pid namespace took them).
      if (await this.isEmpty()) return;
      if (this.version === 2) {
        await this.write('cgroup.kill', '1').catch(() => undefined);
      } else {
        const freezer = this.v1('freezer');
        await writeFile(join(freezer, 'freezer.state'), 'FROZEN').catch(() => undefined);
        for (const pid of await this.pids()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        await writeFile(join(freezer, 'freezer.state'), 'THAWED').catch(() => undefined);
      }
      if (await this.isEmpty()) return;
      await sleep(5);
    }
    throw new Error(`processes in ${this.main} survived being killed`);
  }

  /**
   * v2: `populated 0` in `cgroup.events`, which counts the whole subtree and drops a
   * process as it exits (before it is reaped); a cgroup already removed is empty, any
   * other failure to read it is not taken for empty. v1: `cgroup.procs` lists nobody.
   */
  private async isEmpty(): Promise<boolean> {
    if (this.version === 1) return (await this.pids()).length === 0;
    try {
      return /^populated 0$/m.test(await readFile(join(this.main, 'cgroup.events'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
  }

  /** Kills what is left and removes the directories (retrying the kernel's brief EBUSY). */
  async destroy(): Promise<void> {
    await this.killAll();
    for (const path of this.paths) await removeCgroupDir(path);
  }

  /** Every cgroup a worker with this prefix left behind (after a crash), in every hierarchy. */
  static async findLeftovers(
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
    return [...names].map((name) => TaskCgroup.existing(version, name, root));
  }

  /** The directory whose `cgroup.procs` lists the task (every v1 one lists the same). */
  private get main(): string {
    return this.paths[0] as string;
  }

  private v1(controller: V1Controller): string {
    return join(this.root, controller, this.name);
  }

  private write(file: string, value: string): Promise<void> {
    return writeFile(join(this.main, file), value);
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
