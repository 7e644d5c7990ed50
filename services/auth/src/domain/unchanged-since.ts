import { conflict } from '@bulwark/api';

/**
 * The optimistic check behind a read-modify-write (a Bulwark extension to updateClient
 * and updateRole): an update that names the `lastModified` it read applies only if the
 * record still has it, so two people editing at once cannot silently undo each other.
 * Checked under the row's lock, so nothing changes between the check and the write.
 */
export function assertUnchangedSince(
  what: string,
  current: Date,
  expected: string | undefined,
): void {
  if (expected === undefined) return;
  if (new Date(expected).getTime() === current.getTime()) return;
  throw conflict(
    `${what} was changed at ${current.toISOString()}, after the version you read ` +
      `(${expected}); nothing was changed: read it again and redo your change`,
  );
}
