/**
 * Checks a running task's network policy again and again (S7, S9) and aborts `signal`
 * the first time it is found missing or changed: an operator restarting the host's
 * firewall (Debian's nftables service starts with `flush ruleset`) deletes the task's
 * host-side table. The task's own namespace still holds it to its allowlist then, but
 * one layer is gone, so the task is stopped and told why rather than run on with less
 * than it was promised.
 */
export class PolicyWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** What was found wrong, once it was. */
  problem: string | undefined;

  constructor(
    private readonly check: () => Promise<string | undefined>,
    private readonly intervalMs: number,
  ) {
    this.schedule();
  }

  /** Aborted when the policy was found missing or changed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    // One check at a time: the next is timed from the end of the last.
    this.timer = setTimeout(() => void this.runCheck(), this.intervalMs);
  }

  private async runCheck(): Promise<void> {
    // A check that cannot run counts as a policy that cannot be shown (fail closed).
    const problem = await this.check().catch((err: unknown) => (err as Error).message);
    if (this.stopped) return;
    if (problem !== undefined) {
      this.problem = problem;
      this.controller.abort();
      return;
    }
    this.schedule();
  }
}
