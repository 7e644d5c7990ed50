import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResourceLimits } from '../payload/payload.js';
import { CgroupBase, counter, CPU_PERIOD_US } from './cgroup-base.js';

/** A task cgroup in the unified (v2) hierarchy: one directory holds every controller. */
export class CgroupV2 extends CgroupBase {
  constructor(root: string, name: string) {
    super(2, root, name);
  }

  async applyLimits(limits: ResourceLimits): Promise<void> {
    await this.write('memory.max', String(limits.memoryMB * 1024 * 1024));
    await this.write('memory.swap.max', '0').catch(() => undefined);
    // On OOM the whole task goes, not only its largest process.
    await this.write('memory.oom.group', '1');
    await this.write('pids.max', String(limits.pids));
    await this.write('cpu.max', `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
  }

  async oomKills(): Promise<number> {
    return counter(join(this.main, 'memory.events'), 'oom_kill');
  }

  async throttledPeriods(): Promise<number> {
    return counter(join(this.main, 'cpu.stat'), 'nr_throttled');
  }

  async pidsLimitHit(): Promise<boolean> {
    return (await counter(join(this.main, 'pids.events'), 'max')) > 0;
  }

  /** `cgroup.kill` kills the whole subtree atomically: nothing can fork past it. */
  protected async killEveryone(): Promise<void> {
    await this.write('cgroup.kill', '1').catch(() => undefined);
  }

  /**
   * `populated 0` in `cgroup.events`, which counts the whole subtree and drops a
   * process as it exits (before it is reaped); a cgroup already removed is empty, any
   * other failure to read it is not taken for empty.
   */
  protected async isEmpty(): Promise<boolean> {
    try {
      return /^populated 0$/m.test(await readFile(join(this.main, 'cgroup.events'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
  }

  private write(file: string, value: string): Promise<void> {
    return writeFile(join(this.main, file), value);
  }
}
