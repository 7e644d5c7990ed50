import type { Logger } from 'pino';

/**
 * Runs `job` every `intervalMs`, and again at once while it reports a full batch of
 * work; never two runs at the same time. Returns the function that stops it and
 * waits for a run in progress.
 */
export function repeatJob(
  name: string,
  intervalMs: number,
  job: () => Promise<boolean>,
  logger: Logger,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = (): void => {
    running = (async () => {
      let more = true;
      while (more && !stopped) {
        try {
          more = await job();
        } catch (err) {
          logger.error({ err, job: name }, 'queue background job failed');
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
