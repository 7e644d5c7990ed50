import { access, mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResourceLimits } from '../payload/payload.js';

const ROOT = '/sys/fs/cgroup';
/** v1 hierarchies a task is placed in; freezer makes killing every process race-free. */
const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
const CPU_PERIOD_US = 100_000;

export type CgroupVersion = 1 | 2;

/** Which cgroup layout this machine has: v2 when the root is cgroup2 with controllers. */
export async function detectCgroupVersion(): Promise<CgroupVersion> {
  const controllers = await readFile(join(ROOT, 'cgroup.controllers'), 'utf8').catch(
    () => undefined,
  );
  if (controllers !== undefined && /\bmemory\b/.test(controllers) && /\bpids\b/.test(controllers))
    return 2;
  await access(join(ROOT, 'memory', 'memory.limit_in_bytes'));
  return 1;
}

/**
 * One task's cgroup (S6, S8): memory, pids and CPU limits, a way to kill every process
 * in it whatever it did to its session or process group, and OOM detection. The
 * directories are named `<prefix>-<name>` at the top of each hierarchy, so that a
 * worker starting after a crash finds its leftovers by prefix.
 */
export class TaskCgroup {
  private constructor(
    readonly version: CgroupVersion,
    /** The directories holding this task: one per v1 controller, or one for v2. */
    readonly paths: readonly string[],
  ) {}

  static async create(
    version: CgroupVersion,
    dirName: string,
    limits: ResourceLimits,
  ): Promise<TaskCgroup> {
    if (version === 2) {
      const path = join(ROOT, dirName);
      await mkdir(path);
      const group = new TaskCgroup(2, [path]);
      await group.write('memory.max', String(limits.memoryMB * 1024 * 1024));
      await group.write('memory.swap.max', '0').catch(() => undefined);
      // On OOM the whole task goes, not only its largest process.
      await group.write('memory.oom.group', '1');
      await group.write('pids.max', String(limits.pids));
      await group.write('cpu.max', `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
      return group;
    }
    const paths = V1_CONTROLLERS.map((c) => join(ROOT, c, dirName));
    for (const path of paths) await mkdir(path);
    const group = new TaskCgroup(1, paths);
    await writeFile(
      join(group.v1('memory'), 'memory.limit_in_bytes'),
      String(limits.memoryMB * 1024 * 1024),
    );
    // With swap accounting, swap counts against the same limit (no swap on this VM kind).
    await writeFile(
      join(group.v1('memory'), 'memory.memsw.limit_in_bytes'),
      String(limits.memoryMB * 1024 * 1024),
    ).catch(() => undefined);
    await writeFile(join(group.v1('pids'), 'pids.max'), String(limits.pids));
    await writeFile(join(group.v1('cpu'), 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(
      join(group.v1('cpu'), 'cpu.cfs_quota_us'),
      String(Math.round(limits.cpus * CPU_PERIOD_US)),
    );
    return group;
  }

  /** The `cgroup.procs` files a process writes its pid to, to enter this cgroup. */
  get procsFiles(): string[] {
    return this.paths.map((p) => join(p, 'cgroup.procs'));
  }

  async pids(): Promise<number[]> {
    const text = await readFile(join(this.paths[0] as string, 'cgroup.procs'), 'utf8').catch(
      () => '',
    );
    return text.split('\n').filter(Boolean).map(Number);
  }

  /** How many processes the kernel killed here for exceeding the memory limit. */
  async oomKills(): Promise<number> {
    const file =
      this.version === 2
        ? join(this.paths[0] as string, 'memory.events')
        : join(this.v1('memory'), 'memory.oom_control');
    const text = await readFile(file, 'utf8').catch(() => '');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** How many CPU periods the quota held the task back in (proof the quota applies). */
  async throttledPeriods(): Promise<number> {
    const file =
      this.version === 2
        ? join(this.paths[0] as string, 'cpu.stat')
        : join(this.v1('cpu'), 'cpu.stat');
    const text = await readFile(file, 'utf8').catch(() => '');
    return Number(/^nr_throttled (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  /** Whether a fork was refused for exceeding the pids limit. */
  async pidsLimitHit(): Promise<boolean> {
    const text = await readFile(
      join(
        this.paths.find((p) => p.includes('/pids/')) ?? (this.paths[0] as string),
        'pids.events',
      ),
      'utf8',
    ).catch(() => '');
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
      if ((await this.pids()).length === 0) return;
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
      if ((await this.pids()).length === 0) return;
      await sleep(5);
    }
    throw new Error(`processes in ${this.paths[0]} survived being killed`);
  }

  /** Kills what is left and removes the directories (retrying the kernel's brief EBUSY). */
  async destroy(): Promise<void> {
    await this.killAll();
    for (const path of this.paths) await removeCgroupDir(path);
  }

  /** Every cgroup a worker with this prefix left behind (after a crash), in every hierarchy. */
  static async findLeftovers(version: CgroupVersion, prefix: string): Promise<TaskCgroup[]> {
    const parents = version === 2 ? [ROOT] : V1_CONTROLLERS.map((c) => join(ROOT, c));
    const names = new Set<string>();
    for (const parent of parents) {
      for (const entry of await readdir(parent, { withFileTypes: true }).catch(() => [])) {
        if (entry.isDirectory() && entry.name.startsWith(`${prefix}-`)) names.add(entry.name);
      }
    }
    return [...names].map(
      (name) =>
        new TaskCgroup(
          version,
          version === 2 ? [join(ROOT, name)] : V1_CONTROLLERS.map((c) => join(ROOT, c, name)),
        ),
    );
  }

  private v1(controller: (typeof V1_CONTROLLERS)[number]): string {
    return join(ROOT, controller, this.paths[0]?.split('/').at(-1) ?? '');
  }

  private write(file: string, value: string): Promise<void> {
    return writeFile(join(this.paths[0] as string, file), value);
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
