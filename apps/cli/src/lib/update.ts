import { UsageError } from './credentials.js';

export interface ScopeChanges {
  /** Replaces every scope. */
  scope?: string[];
  addScope?: string[];
  removeScope?: string[];
}

/** The scopes after the changes asked for; unchanged when none were. */
export function changedScopes(current: readonly string[], changes: ScopeChanges): string[] {
  if (changes.scope && (changes.addScope || changes.removeScope)) {
    throw new UsageError('--scope replaces every scope: use it without --add-scope/--remove-scope');
  }
  if (changes.scope) return changes.scope;
  const remove = new Set(changes.removeScope ?? []);
  for (const scope of remove) {
    if (!current.includes(scope))
      throw new UsageError(`--remove-scope ${scope}: it has no such scope`);
  }
  const kept = current.filter((scope) => !remove.has(scope));
  for (const scope of changes.addScope ?? []) if (!kept.includes(scope)) kept.push(scope);
  return kept;
}

/**
 * Read, modify, write, as `kubectl edit` does: the wire's update replaces every field,
 * so the record is read first and only the fields the user named change. The write
 * names the `lastModified` it read, so the server refuses it (409, exit 6) when someone
 * changed the record in between, instead of silently undoing their change.
 */
export async function readModifyWrite<T, B>(
  read: () => Promise<T>,
  modify: (current: T) => B,
  write: (body: B) => Promise<T>,
): Promise<T> {
  return write(modify(await read()));
}
