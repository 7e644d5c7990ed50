import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceLimits } from '../payload/payload.js';
import { CgroupBase, counter, CPU_PERIOD_US } from './cgroup-base.js';
import type { V1Controller } from './cgroup-hierarchy.js';

/**
 * A task cgroup on a v1 host: one directory per controller hierarchy (memory, pids, cpu
 * and freezer), each named alike, each holding the same processes.
 */
export class CgroupV1 extends CgroupBase {
  constructor(root: string, name: string) {
    super(1, root, name);
  }

  async applyLimits(limits: ResourceLimits): Promise<void> {
    const memoryBytes = String(limits.memoryMB * 1024 * 1024);
    await writeFile(join(this.dir('memory'), 'memory.limit_in_bytes'), memoryBytes);
    // With swap accounting, swap counts against the same limit (no swap on this VM kind).
    await writeFile(join(this.dir('memory'), 'memory.memsw.limit_in_bytes'), memoryBytes).catch(
      () => undefined,
    );
    await writeFile(join(this.dir('pids'), 'pids.max'), String(limits.pids));
    await writeFile(join(this.dir('cpu'), 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(
      join(this.dir('cpu'), 'cpu.cfs_quota_us'),
      String(Math.round(limits.cpus * CPU_PERIOD_US)),
    );
  }

  async oomKills(): Promise<number> {
    return counter(join(this.dir('memory'), 'memory.oom_control'), 'oom_kill');
  }

  async throttledPeriods(): Promise<number> {
    return counter(join(this.dir('cpu'), 'cpu.stat'), 'nr_throttled');
  }

  async pidsLimitHit(): Promise<boolean> {
    return (await counter(join(this.dir('pids'), 'pids.events'), 'max')) > 0;
  }

  /** Frozen first, so nothing can fork while the list is read and each pid killed. */
  protected async killEveryone(): Promise<void> {
    const freezer = this.dir('freezer');
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

  /** `cgroup.procs` lists nobody. */
  protected async isEmpty(): Promise<boolean> {
    return (await this.pids()).length === 0;
  }

  /** This task's directory in one controller's hierarchy. */
  dir(controller: V1Controller): string {
    return join(this.root, controller, this.name);
  }
}
