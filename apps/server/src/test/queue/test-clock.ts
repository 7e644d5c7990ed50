/**
 * A clock for the queue that a test moves by hand. Injected as the queue's `now`, it
 * decides claims, their expiry and claimWork's long poll, so a test goes past a
 * timeout by advancing it instead of sleeping, and asserts nothing on wall time.
 *
 * `frozen`: time stands still unless advanced (nothing happens by itself however slow
 * the machine). `following`: the system's time plus what the test added, for a file
 * whose other tests still let timeouts pass by themselves.
 *
 * The auth service keeps the system's clock and allows certificates up to five
 * minutes from it, so a test advances by seconds, not hours.
 */
export class TestClock {
  private offsetMs = 0;
  private readonly frozenAt: number | undefined;

  constructor(mode: 'frozen' | 'following') {
    this.frozenAt = mode === 'frozen' ? Date.now() : undefined;
  }

  /** The queue's `now`; bound, so it can be handed over as is. */
  readonly now = (): Date => new Date((this.frozenAt ?? Date.now()) + this.offsetMs);

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
