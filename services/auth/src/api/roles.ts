import { assertUnchangedSince } from '../domain/unchanged-since.js';
import {
  conflict,
  decodeContinuationToken,
  encodeContinuationToken,
  notFound,
  type QueryFrom,
} from '@bulwark/api';
import { queries, type RoleRow } from '@bulwark/db';
import { satisfiesScope } from '@bulwark/scopes';
import { continuationQuery, limitQuery, pageLimit, roleIdParam } from '../schemas/common.js';
import type { AuthContext } from '../domain/context.js';
import * as schemas from '../schemas/roles.js';
import { authApi } from './definition.js';
import { mutate } from './mutation.js';
import {
  assertValidRoleSet,
  expandAgainst,
  lockedRoleSet,
  roleToJson,
  saveRoleSetChange,
} from './role-set.js';
import { rejectDoubleStars } from './scope-input.js';

const pageQuery = { continuationToken: continuationQuery, limit: limitQuery };

authApi.declare({
  name: 'listRoles',
  method: 'GET',
  route: '/roles/',
  scopes: 'auth:list-roles',
  output: schemas.listRolesResponse,
  title: 'List Roles',
  description: 'Lists every role (unpaginated; prefer listRoles2).',
  async handler(ctx) {
    return (await queries.roles.allRoles(ctx.pool)).map((row) => roleToJson(ctx, row));
  },
});

async function rolePage(
  ctx: AuthContext,
  query: QueryFrom<typeof pageQuery>,
): Promise<{ rows: RoleRow[]; continuationToken?: string }> {
  const limit = pageLimit(query.limit, 1000);
  const rows = await queries.roles.listRoles(ctx.pool, {
    after: decodeContinuationToken(query.continuationToken),
    limit,
  });
  const last = rows.at(-1);
  return rows.length === limit && last
    ? { rows, continuationToken: encodeContinuationToken(last.roleId) }
    : { rows };
}

authApi.declare({
  name: 'listRoles2',
  method: 'GET',
  route: '/roles2/',
  query: pageQuery,
  scopes: 'auth:list-roles',
  output: schemas.listRoles2Response,
  title: 'List Roles',
  description: 'Lists roles a page at a time.',
  async handler(ctx, req) {
    const { rows, continuationToken } = await rolePage(ctx, req.query);
    return {
      roles: rows.map((row) => roleToJson(ctx, row)),
      ...(continuationToken ? { continuationToken } : {}),
    };
  },
});

authApi.declare({
  name: 'listRoleIds',
  method: 'GET',
  route: '/roleids/',
  query: pageQuery,
  scopes: 'auth:list-roles',
  output: schemas.listRoleIdsResponse,
  title: 'List Role IDs',
  description: 'Lists role ids a page at a time.',
  async handler(ctx, req) {
    const { rows, continuationToken } = await rolePage(ctx, req.query);
    return {
      roleIds: rows.map((r) => r.roleId),
      ...(continuationToken ? { continuationToken } : {}),
    };
  },
});

authApi.declare({
  name: 'role',
  method: 'GET',
  route: '/roles/<roleId>',
  params: { roleId: roleIdParam },
  scopes: 'auth:get-role:<roleId>',
  output: schemas.getRoleResponse,
  title: 'Get Role',
  description: 'Gets a role with its scopes expanded.',
  async handler(ctx, req) {
    const row = await queries.roles.getRole(ctx.pool, req.params.roleId);
    if (!row) throw notFound('Role');
    return roleToJson(ctx, row);
  },
});

const sameScopes = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((s, i) => s === [...b].sort()[i]);

authApi.declare({
  name: 'createRole',
  method: 'PUT',
  route: '/roles/<roleId>',
  params: { roleId: roleIdParam },
  input: schemas.createRoleRequest,
  output: schemas.getRoleResponse,
  scopes: { AllOf: ['auth:create-role:<roleId>', { for: 'scope', in: 'scopes', each: '<scope>' }] },
  title: 'Create Role',
  description: [
    'Creates a role. The caller must hold every scope the role grants (no escalation).',
    'Re-creating an identical role succeeds; a different one conflicts.',
  ].join(' '),
  async handler(ctx, req) {
    const { roleId } = req.params;
    const { scopes, description } = req.body;
    rejectDoubleStars(scopes);
    req.authorize({ roleId, scopes });
    const row = await mutate<{ row: RoleRow; changed: boolean }>(
      ctx,
      { kind: 'roles' },
      ({ changed }) =>
        changed
          ? {
              entityType: 'role',
              entityId: roleId,
              action: 'created',
              clientId: req.caller.clientId,
              details: { scopes },
            }
          : undefined,
      async (db) => {
        const roles = await lockedRoleSet(db);
        const existing = roles.find((r) => r.roleId === roleId);
        if (existing) {
          if (existing.description === description && sameScopes(existing.scopes, scopes)) {
            return { row: existing, changed: false };
          }
          throw conflict(`Role with roleId \`${roleId}\` already exists`);
        }
        const now = ctx.now();
        const created: RoleRow = { roleId, scopes, description, created: now, lastModified: now };
        assertValidRoleSet([...roles, created]);
        await saveRoleSetChange(db, created);
        return { row: created, changed: true };
      },
    );
    return roleToJson(ctx, row.row);
  },
});

authApi.declare({
  name: 'updateRole',
  method: 'POST',
  route: '/roles/<roleId>',
  params: { roleId: roleIdParam },
  input: schemas.updateRoleRequest,
  output: schemas.getRoleResponse,
  scopes: {
    AllOf: ['auth:update-role:<roleId>', { for: 'scope', in: 'scopesAdded', each: '<scope>' }],
  },
  title: 'Update Role',
  description: [
    'Updates a role. The caller must hold every scope it adds, where a scope counts as',
    'added unless the role’s former expanded scopes already satisfied it.',
  ].join(' '),
  async handler(ctx, req) {
    const { roleId } = req.params;
    const { scopes, description } = req.body;
    rejectDoubleStars(scopes);
    req.authorize({ roleId, scopesAdded: [] });
    const row = await mutate<RoleRow>(
      ctx,
      { kind: 'roles' },
      () => ({
        entityType: 'role',
        entityId: roleId,
        action: 'updated',
        clientId: req.caller.clientId,
        details: { scopes },
      }),
      async (db) => {
        const roles = await lockedRoleSet(db);
        const existing = roles.find((r) => r.roleId === roleId);
        if (!existing) throw notFound('Role');
        assertUnchangedSince(`role ${roleId}`, existing.lastModified, req.body.lastModified);
        const formerExpanded = expandAgainst(roles, existing.scopes);
        const scopesAdded = scopes.filter((s) => !satisfiesScope(formerExpanded, s));
        req.authorize({ roleId, scopesAdded });
        const updated: RoleRow = { ...existing, scopes, description, lastModified: ctx.now() };
        assertValidRoleSet(roles.map((r) => (r.roleId === roleId ? updated : r)));
        await saveRoleSetChange(db, updated);
        return updated;
      },
    );
    return roleToJson(ctx, row);
  },
});

authApi.declare({
  name: 'deleteRole',
  method: 'DELETE',
  route: '/roles/<roleId>',
  params: { roleId: roleIdParam },
  scopes: 'auth:delete-role:<roleId>',
  title: 'Delete Role',
  description: 'Deletes a role. Deleting a role that does not exist succeeds (idempotent).',
  async handler(ctx, req) {
    const { roleId } = req.params;
    await mutate<boolean>(
      ctx,
      { kind: 'roles' },
      (deleted) =>
        deleted
          ? {
              entityType: 'role',
              entityId: roleId,
              action: 'deleted',
              clientId: req.caller.clientId,
              details: {},
            }
          : undefined,
      async (db) => {
        await queries.roles.lockRoles(db);
        const deleted = await queries.roles.deleteRole(db, roleId);
        if (deleted) await queries.roles.bumpRolesVersion(db);
        return deleted;
      },
    );
    return {};
  },
});
