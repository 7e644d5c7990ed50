import taskcluster from 'taskcluster-client';
import { UsageError } from './credentials.js';

/** `1 hour`, `30 days`, `2h30m`: a time from now, as Taskcluster tools accept it. */
export function fromNow(duration: string, what: string): Date {
  if (duration.trim() === '') throw new UsageError(`${what} must be a duration such as "1 hour"`);
  try {
    return taskcluster.fromNow(duration);
  } catch {
    throw new UsageError(
      `${what} must be a duration such as "1 hour" or "30 days", not "${duration}"`,
    );
  }
}
