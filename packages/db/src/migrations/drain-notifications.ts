import { randomUUID } from 'node:crypto';
import type pg from 'pg';

const MARKER_TIMEOUT_MS = 10_000;

/**
 * Takes what `received` (filled by `listener` from `channel`) holds once every
 * notification committed so far has arrived, without waiting a guessed time:
 * PostgreSQL delivers notifications in commit order, so a marker sent on the same
 * channel after the changes arrives after everything they announced.
 */
export async function drainNotifications(
  pool: pg.Pool,
  listener: pg.PoolClient,
  channel: string,
  received: string[],
): Promise<string[]> {
  const marker = `drain-marker-${randomUUID()}`;
  let onNotification: ((message: pg.Notification) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arrived = new Promise<void>((resolve, reject) => {
    onNotification = (message) => {
      if (message.channel === channel && message.payload === marker) resolve();
    };
    listener.on('notification', onNotification);
    timer = setTimeout(
      () => reject(new Error(`the drain marker did not arrive in ${MARKER_TIMEOUT_MS} ms`)),
      MARKER_TIMEOUT_MS,
    );
  });
  try {
    await pool.query('SELECT pg_notify($1, $2)', [channel, marker]);
    await arrived;
  } finally {
    clearTimeout(timer);
    if (onNotification) listener.off('notification', onNotification);
  }
  return received.splice(0).filter((payload) => payload !== marker);
}
