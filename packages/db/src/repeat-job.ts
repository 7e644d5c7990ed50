/** What a background job needs of a logger (pino's, in every service). */
export interface JobLogger {
  error(fields: object, message: string): void;
}

/**
 * Runs `job` every `intervalMs`, and again at once while it answers `true` (it filled a
 * batch and there is more); never two runs at the same time. Jobs are written to be
 * safe on every replica at once (they take rows with SKIP LOCKED or delete by key), so
 * no leader is elected. Returns the function that stops the schedule and waits for a
 * run in progress, so the pool it uses can be closed right after.
 */
export function repeatJob(
  name: string,
  intervalMs: number,
  job: () => Promise<unknown>,
  logger: JobLogger,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      let more = true;
      while (more && !stopped) {
        try {
          more = (await job()) === true;
        } catch (err) {
          logger.error({ err, job: name }, 'background job failed');
          more = false;
        }
      }
      if (!stopped) timer = setTimeout(tick, intervalMs).unref();
    })();
  };
  timer = setTimeout(tick, intervalMs).unref();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
