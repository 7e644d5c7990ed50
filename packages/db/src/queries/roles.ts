import type { Queryable } from './queryable.js';

export interface RoleRow {
  roleId: string;
  description: string;
  scopes: string[];
  created: Date;
  lastModified: Date;
}

interface DbRoleRow {
  role_id: string;
  description: string;
  scopes: string[];
  created: Date;
  last_modified: Date;
}

const fromDb = (r: DbRoleRow): RoleRow => ({
  roleId: r.role_id,
  description: r.description,
  scopes: r.scopes,
  created: r.created,
  lastModified: r.last_modified,
});

/**
 * Takes the role-set lock for the rest of the transaction and returns the current
 * version. Every role change goes through it so validation sees a complete, stable set.
 */
export async function lockRoles(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ version: string }>(
    `SELECT version FROM roles_version FOR UPDATE`,
  );
  return BigInt(rows[0]?.version ?? '0');
}

export async function bumpRolesVersion(db: Queryable): Promise<void> {
  await db.query(`UPDATE roles_version SET version = version + 1`);
}

export async function allRoles(db: Queryable): Promise<RoleRow[]> {
  const { rows } = await db.query<DbRoleRow>(
    `SELECT role_id, description, scopes, created, last_modified FROM roles ORDER BY role_id COLLATE "C"`,
  );
  return rows.map(fromDb);
}

export async function listRoles(
  db: Queryable,
  options: { after?: string; limit: number },
): Promise<RoleRow[]> {
  const { rows } = await db.query<DbRoleRow>(
    `SELECT role_id, description, scopes, created, last_modified FROM roles
      WHERE ($1::text IS NULL OR role_id COLLATE "C" > $1)
      ORDER BY role_id COLLATE "C" LIMIT $2`,
    [options.after ?? null, options.limit],
  );
  return rows.map(fromDb);
}

export async function getRole(db: Queryable, roleId: string): Promise<RoleRow | undefined> {
  const { rows } = await db.query<DbRoleRow>(
    `SELECT role_id, description, scopes, created, last_modified FROM roles WHERE role_id = $1`,
    [roleId],
  );
  return rows[0] ? fromDb(rows[0]) : undefined;
}

export async function upsertRole(db: Queryable, role: RoleRow): Promise<void> {
  await db.query(
    `INSERT INTO roles (role_id, description, scopes, created, last_modified)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (role_id) DO UPDATE SET description = EXCLUDED.description,
       scopes = EXCLUDED.scopes, last_modified = EXCLUDED.last_modified`,
    [role.roleId, role.description, JSON.stringify(role.scopes), role.created, role.lastModified],
  );
}

export async function deleteRole(db: Queryable, roleId: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM roles WHERE role_id = $1`, [roleId]);
  return rowCount === 1;
}
