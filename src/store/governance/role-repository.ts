import { sql } from 'kysely';
import { pageFromRows } from '../lakecat/keyset.js';
import { hiveNamePattern } from '../lakecat/name-pattern.js';
import type { GroupRow, RoleMemberRow, RoleRow, UserRow } from '../schema.js';
import type { Db } from '../store.js';

export const findRole = (q: Db, instanceId: string, name: string) =>
  q.selectFrom('roles').selectAll().where('instance_id', '=', instanceId).where('name', '=', name).executeTakeFirst();

export const findRoleById = (q: Db, instanceId: string, id: string) =>
  q.selectFrom('roles').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();

export async function insertRole(q: Db, row: RoleRow): Promise<void> {
  await q.insertInto('roles').values(row).execute();
}

/**
 * Renames (members follow by the cascading key) and re-describes a role; where it is itself a member, its name follows
 * too.
 */
export async function updateRole(
  q: Db,
  instanceId: string,
  name: string,
  patch: Pick<RoleRow, 'name' | 'description' | 'updated_at'>,
): Promise<boolean> {
  const r = await q
    .updateTable('roles')
    .set(patch)
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (patch.name !== name) {
    await q
      .updateTable('role_members')
      .set({ principal_name: patch.name, member_key: sql<string>`${patch.name} || '/ROLE/' || principal_source` })
      .where('instance_id', '=', instanceId)
      .where('principal_type', '=', 'ROLE')
      .where('principal_name', '=', name)
      .execute();
  }
  return Number(r.numUpdatedRows) === 1;
}

/** Deletes a role with its members, and its membership in other roles. */
export async function deleteRole(q: Db, instanceId: string, name: string): Promise<boolean> {
  await q
    .deleteFrom('role_members')
    .where('instance_id', '=', instanceId)
    .where('principal_type', '=', 'ROLE')
    .where('principal_name', '=', name)
    .execute();
  const r = await q
    .deleteFrom('roles')
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export interface RoleFilter {
  instanceId: string;
  pattern?: string;
  memberName?: string;
  memberType?: string;
  /** The member's source (IAM for an IAM user): a directory user of the same name is another member. */
  memberSource?: string;
}

function roles(q: Db, f: RoleFilter) {
  let query = q.selectFrom('roles').where('roles.instance_id', '=', f.instanceId);
  const byName = hiveNamePattern('roles.name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.memberName !== undefined) {
    query = query.where(
      'roles.name',
      'in',
      q
        .selectFrom('role_members')
        .select('role_name')
        .where('instance_id', '=', f.instanceId)
        .where('principal_type', '=', f.memberType ?? 'USER')
        .where('principal_name', '=', f.memberName)
        .where('principal_source', '=', f.memberSource ?? 'IAM'),
    );
  }
  return query;
}

export async function pageRoles(
  q: Db,
  f: RoleFilter,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
) {
  let query = roles(q, f).selectAll('roles');
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('roles.name', '<', cursor.before) : query).orderBy(
      'roles.name',
      'desc',
    );
  else
    query = (cursor.after !== undefined ? query.where('roles.name', '>', cursor.after) : query).orderBy(
      'roles.name',
      'asc',
    );
  return pageFromRows(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function roleExistsBeyond(q: Db, f: RoleFilter, name: string, side: 'before' | 'after'): Promise<boolean> {
  return (
    (await roles(q, f)
      .select('roles.id')
      .where('roles.name', side === 'before' ? '<' : '>', name)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export const listRoleNames = (q: Db, instanceId: string, cap: number) =>
  q.selectFrom('roles').select('name').where('instance_id', '=', instanceId).orderBy('name').limit(cap).execute();

export const findRolesByName = (q: Db, instanceId: string, names: string[]) =>
  names.length === 0
    ? Promise.resolve([])
    : q
        .selectFrom('roles')
        .selectAll()
        .where('instance_id', '=', instanceId)
        .where('name', 'in', names)
        .orderBy('name')
        .execute();

export interface MemberFilter {
  instanceId: string;
  roleName: string;
  pattern?: string;
}

function members(q: Db, f: MemberFilter) {
  let query = q.selectFrom('role_members').where('instance_id', '=', f.instanceId).where('role_name', '=', f.roleName);
  const byName = hiveNamePattern(sql`lower(principal_name)`, f.pattern);
  if (byName) query = query.where(byName);
  return query;
}

export async function pageMembers(
  q: Db,
  f: MemberFilter,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
) {
  let query = members(q, f).selectAll();
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('member_key', '<', cursor.before) : query).orderBy(
      'member_key',
      'desc',
    );
  else
    query = (cursor.after !== undefined ? query.where('member_key', '>', cursor.after) : query).orderBy(
      'member_key',
      'asc',
    );
  return pageFromRows(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function memberExistsBeyond(
  q: Db,
  f: MemberFilter,
  key: string,
  side: 'before' | 'after',
): Promise<boolean> {
  return (
    (await members(q, f)
      .select('id')
      .where('member_key', side === 'before' ? '<' : '>', key)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export const findMemberById = (q: Db, f: MemberFilter, id: string) =>
  members(q, f).selectAll().where('id', '=', id).executeTakeFirst();

export const allMembers = (q: Db, instanceId: string, roleName: string) =>
  q
    .selectFrom('role_members')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('role_name', '=', roleName)
    .orderBy('member_key')
    .execute();

/** Adds members; ones already there stay as they are. */
export async function addMembers(q: Db, rows: RoleMemberRow[]): Promise<void> {
  if (rows.length === 0) return;
  await q
    .insertInto('role_members')
    .values(rows)
    .onConflict((oc) => oc.columns(['instance_id', 'role_name', 'member_key']).doNothing())
    .execute();
}

export async function removeMembers(q: Db, instanceId: string, roleName: string, keys: string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const r = await q
    .deleteFrom('role_members')
    .where('instance_id', '=', instanceId)
    .where('role_name', '=', roleName)
    .where('member_key', 'in', keys)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function removeAllMembers(q: Db, instanceId: string, roleName: string): Promise<void> {
  await q.deleteFrom('role_members').where('instance_id', '=', instanceId).where('role_name', '=', roleName).execute();
}

/** The roles a principal is a direct member of. */
/** The roles holding a member, matched by type, name and source (LDAP user alice is not IAM user alice). */
export async function rolesOfMember(
  q: Db,
  instanceId: string,
  type: string,
  name: string,
  source: string,
): Promise<string[]> {
  const rows = await q
    .selectFrom('role_members')
    .select('role_name')
    .where('instance_id', '=', instanceId)
    .where('principal_type', '=', type)
    .where('principal_name', '=', name)
    .where('principal_source', '=', source)
    .execute();
  return rows.map((r) => r.role_name);
}

export async function removeMemberEverywhere(
  q: Db,
  instanceId: string,
  type: string,
  name: string,
  exceptRoles: string[],
): Promise<void> {
  let query = q
    .deleteFrom('role_members')
    .where('instance_id', '=', instanceId)
    .where('principal_type', '=', type)
    .where('principal_name', '=', name);
  if (exceptRoles.length) query = query.where('role_name', 'not in', exceptRoles);
  await query.execute();
}

// Users and groups of the domain, keyset-paged by name (their ids are the markers).

export interface DirectoryFilter {
  domainId: string;
  pattern?: string;
}

/** The name of a user of the domain by id (a page marker), or undefined when the domain has none such. */
export async function domainUserName(q: Db, domainId: string, id: string): Promise<string | undefined> {
  return (
    await q.selectFrom('users').select('name').where('id', '=', id).where('domain_id', '=', domainId).executeTakeFirst()
  )?.name;
}

/** The name of a group of the domain by id (a page marker), or undefined when the domain has none such. */
export async function domainGroupName(q: Db, domainId: string, id: string): Promise<string | undefined> {
  return (
    await q
      .selectFrom('groups')
      .select('name')
      .where('id', '=', id)
      .where('domain_id', '=', domainId)
      .executeTakeFirst()
  )?.name;
}

export async function pageDomainUsers(
  q: Db,
  f: DirectoryFilter,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
) {
  let query = q.selectFrom('users').selectAll().where('domain_id', '=', f.domainId);
  const byName = hiveNamePattern(sql`lower(name)`, f.pattern);
  if (byName) query = query.where(byName);
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('name', '<', cursor.before) : query).orderBy('name', 'desc');
  else query = (cursor.after !== undefined ? query.where('name', '>', cursor.after) : query).orderBy('name', 'asc');
  return pageFromRows<UserRow>(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function domainUserBeyond(
  q: Db,
  f: DirectoryFilter,
  name: string,
  side: 'before' | 'after',
): Promise<boolean> {
  let query = q
    .selectFrom('users')
    .select('id')
    .where('domain_id', '=', f.domainId)
    .where('name', side === 'before' ? '<' : '>', name);
  const byName = hiveNamePattern(sql`lower(name)`, f.pattern);
  if (byName) query = query.where(byName);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

export async function pageDomainGroups(
  q: Db,
  domainId: string,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
) {
  let query = q.selectFrom('groups').selectAll().where('domain_id', '=', domainId);
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('name', '<', cursor.before) : query).orderBy('name', 'desc');
  else query = (cursor.after !== undefined ? query.where('name', '>', cursor.after) : query).orderBy('name', 'asc');
  return pageFromRows<GroupRow>(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function domainGroupBeyond(
  q: Db,
  domainId: string,
  name: string,
  side: 'before' | 'after',
): Promise<boolean> {
  return (
    (await q
      .selectFrom('groups')
      .select('id')
      .where('domain_id', '=', domainId)
      .where('name', side === 'before' ? '<' : '>', name)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}
