/**
 * At most `limit` database reads at a time; the rest wait their turn, in the order they
 * asked. Event delivery reads a task per announced change, and a burst of changes must
 * not take every connection of the pool from the API.
 */
export class ReadLimiter {
  private readonly waiters: (() => void)[] = [];
  private reading = 0;

  constructor(private readonly limit: number) {}

  async run<T>(read: () => Promise<T>): Promise<T> {
    while (this.reading >= this.limit) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.reading += 1;
    try {
      return await read();
    } finally {
      this.reading -= 1;
      this.waiters.shift()?.();
    }
  }
}
