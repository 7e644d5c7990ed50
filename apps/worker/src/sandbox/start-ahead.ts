import type { ResourceLimits } from '../payload/payload.js';
import type { TaskCgroup } from './cgroup.js';
import type { Launcher } from './launcher.js';

/** A task's cgroup made before the task arrived, with its launcher already inside. */
export interface PreparedStart {
  cgroup: TaskCgroup;
  launcher: Launcher;
  /** The limits the cgroup was made with; only a task with the same ones may use it. */
  resources: ResourceLimits;
  /** The cgroup's OOM kill count before the task (the launcher is its only process). */
  oomKillsBefore: number;
}

/**
 * Holds at most one prepared start for the next task. Entering a cgroup is the slow
 * part of starting a sandbox (the kernel waits for an RCU grace period, 10 to 30 ms,
 * before it moves a process), so the worker has it done while it waits for work.
 * The cgroup carries the task's limits from the start, so a prepared start only
 * serves a task that asks for the same limits; any other gets a fresh one. What is
 * never used is killed and removed by close(), or, after a crash, by the recovery
 * that finds the worker's cgroups by prefix (the launcher itself exits when the
 * worker goes, as its `go` pipe closes).
 */
export class StartAhead {
  private pending: Pending | undefined;
  private readonly releasing = new Set<Promise<void>>();

  constructor(private readonly make: (resources: ResourceLimits) => Promise<PreparedStart>) {}

  /**
   * Prepares a start for tasks with these limits, unless one is ready or under way;
   * one for other limits goes. Never rejects: a start that cannot be prepared is not
   * used (the task then makes its own, which says in plain words why it failed, if it
   * does), and the next call tries again.
   */
  async prepare(resources: ResourceLimits): Promise<void> {
    const current = this.pending;
    if (current === undefined || !sameLimits(current.resources, resources) || !current.usable()) {
      this.discard();
      const pending = new Pending(resources, this.make(resources));
      this.pending = pending;
      await pending.ready;
    } else {
      await current.ready;
    }
  }

  /**
   * The prepared start (waiting for it if it is under way), when it fits these limits
   * and its launcher still waits; otherwise undefined, and whatever was prepared goes.
   */
  async take(resources: ResourceLimits): Promise<PreparedStart | undefined> {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return undefined;
    if (sameLimits(pending.resources, resources)) {
      const start = await pending.ready;
      if (start?.launcher.waiting) return start;
    }
    this.release(pending);
    return undefined;
  }

  /** Removes what was prepared and not used. */
  async close(): Promise<void> {
    this.discard();
    await Promise.all(this.releasing);
  }

  private discard(): void {
    if (this.pending !== undefined) this.release(this.pending);
    this.pending = undefined;
  }

  private release(pending: Pending): void {
    const done = pending.ready
      .then(async (start) => {
        start?.launcher.abandon();
        await start?.cgroup.destroy();
      })
      // Left behind only if the kernel refuses to remove it; recovery finds it by prefix.
      .catch(() => undefined)
      .finally(() => this.releasing.delete(done));
    this.releasing.add(done);
  }
}

/** One start being prepared, or prepared. */
class Pending {
  readonly ready: Promise<PreparedStart | undefined>;
  private settled: { start: PreparedStart | undefined } | undefined;

  constructor(
    readonly resources: ResourceLimits,
    making: Promise<PreparedStart>,
  ) {
    this.ready = making
      .catch(() => undefined)
      .then((start) => {
        this.settled = { start };
        return start;
      });
  }

  /** Under way, or ready with its launcher still waiting. */
  usable(): boolean {
    return this.settled === undefined || this.settled.start?.launcher.waiting === true;
  }
}

function sameLimits(a: ResourceLimits, b: ResourceLimits): boolean {
  return a.memoryMB === b.memoryMB && a.pids === b.pids && a.cpus === b.cpus;
}
