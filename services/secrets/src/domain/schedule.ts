/**
 * Runs `job` every `intervalMs`, never two runs at once, until the returned stop
 * function is called; stop waits for a run in progress, so the pool it uses can
 * be closed right after.
 */
export function every(
  intervalMs: number,
  job: () => Promise<unknown>,
  onError: (err: unknown) => void,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    running = job()
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMs).unref();
      });
  };
  timer = setTimeout(run, intervalMs).unref();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
