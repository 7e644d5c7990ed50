import type { TaskNetwork } from './task-network.js';

/**
 * Task networks made before their task and removed after it, off the task's path (the
 * veth pair costs the kernel tens of milliseconds each way). At most one network waits,
 * closed (both firewalls refusing everything, the host's end not forwarding); a task
 * takes it and applies its own rules. Networks of finished tasks are destroyed in the
 * background; prepare() and close() wait for that, so the worker does it while it
 * waits for work. Whatever a crash leaves is found by recovery (names carry the
 * worker's tag).
 */
export class NetworkAhead {
  private waiting: Promise<TaskNetwork | undefined> | undefined;
  private readonly retiring = new Set<Promise<void>>();
  /** Networks whose removal failed; tried again on the next prepare() or close(). */
  private readonly failed = new Set<TaskNetwork>();

  constructor(private readonly make: () => Promise<TaskNetwork>) {}

  /** Has a closed network ready (never rejects: a task that finds none makes its own). */
  async prepare(): Promise<void> {
    await this.settled();
    this.waiting ??= this.make().catch(() => undefined);
    const waiting = this.waiting;
    // One that could not be made is forgotten, so the next prepare() tries again.
    if ((await waiting) === undefined && this.waiting === waiting) this.waiting = undefined;
  }

  /** The waiting network, if there is one (waiting for it if it is being made). */
  async take(): Promise<TaskNetwork | undefined> {
    const waiting = this.waiting;
    this.waiting = undefined;
    return waiting ? await waiting : undefined;
  }

  /**
   * Destroys a network in the background, starting on the next turn of the event loop:
   * spawning the tools blocks for a moment, which the task's result need not wait for.
   */
  retire(network: TaskNetwork): void {
    const done = new Promise((resolve) => setImmediate(resolve))
      .then(() => network.destroy())
      .catch(() => void this.failed.add(network))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /** Waits until every retired network is destroyed, retrying those that failed once. */
  async settled(): Promise<void> {
    await Promise.all(this.retiring);
    for (const network of [...this.failed]) {
      this.failed.delete(network);
      await network.destroy().catch(() => undefined);
    }
  }

  /** Destroys the waiting network and waits for every retired one. */
  async close(): Promise<void> {
    const waiting = await this.take();
    if (waiting !== undefined) this.retire(waiting);
    await this.settled();
  }
}
