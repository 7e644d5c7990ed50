import { inputError, type FromJsonSchema } from '@bulwark/api';
import { queries, type Queryable, type RoleRow } from '@bulwark/db';
import { DependencyCycleError, InvalidScopeError, RoleIndex, validateRoles } from '@bulwark/scopes';
import type { AuthContext } from '../domain/context.js';
import type { getRoleResponse } from '../schemas/roles.js';

/** The wire form of a role. */
export function roleToJson(ctx: AuthContext, row: RoleRow): FromJsonSchema<typeof getRoleResponse> {
  return {
    roleId: row.roleId,
    scopes: row.scopes,
    description: row.description,
    created: row.created.toISOString(),
    lastModified: row.lastModified.toISOString(),
    expandedScopes: ctx.store.expand(row.scopes),
  };
}

/**
 * Locks the role set and returns all roles, so a change is validated against the
 * complete set that will exist when it commits.
 */
export async function lockedRoleSet(db: Queryable): Promise<RoleRow[]> {
  await queries.roles.lockRoles(db);
  return queries.roles.allRoles(db);
}

/** Refuses role sets with cycles or malformed parameterized scopes, as InputError. */
export function assertValidRoleSet(roles: readonly RoleRow[]): void {
  try {
    validateRoles(roles.map((r) => ({ roleId: r.roleId, scopes: r.scopes })));
  } catch (err) {
    if (err instanceof DependencyCycleError) {
      throw inputError(`Roles would form a cycle: ${err.cycle.join(' -> ')}`);
    }
    if (err instanceof InvalidScopeError) throw inputError(`Invalid scope in role: ${err.message}`);
    throw err;
  }
}

/** Expands scopes against an explicit role set (the locked one, not the cache). */
export function expandAgainst(roles: readonly RoleRow[], scopes: readonly string[]): string[] {
  return RoleIndex.build(roles.map((r) => ({ roleId: r.roleId, scopes: r.scopes }))).expand(scopes);
}

export async function saveRoleSetChange(db: Queryable, role: RoleRow): Promise<void> {
  await queries.roles.upsertRole(db, role);
  await queries.roles.bumpRolesVersion(db);
}
