import type { GroupRow, UserRow } from '../schema.js';
import type { Db, Store } from '../store.js';

export const findUserById = (q: Db, id: string) =>
  q.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export const findUserByName = (q: Db, domainId: string, name: string) =>
  q.selectFrom('users').selectAll().where('domain_id', '=', domainId).where('name', '=', name).executeTakeFirst();

export interface UserFilter {
  domainId: string;
  name?: string;
  enabled?: boolean;
  limit: number;
  afterId?: string;
}

export async function listUsers(q: Db, f: UserFilter): Promise<UserRow[]> {
  let query = q.selectFrom('users').selectAll().where('domain_id', '=', f.domainId);
  if (f.name !== undefined) query = query.where('name', '=', f.name);
  if (f.enabled !== undefined) query = query.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.afterId !== undefined) query = query.where('id', '>', f.afterId);
  return query.orderBy('id').limit(f.limit).execute();
}

export async function insertUser(q: Db, row: UserRow): Promise<void> {
  await q.insertInto('users').values(row).execute();
}

export type UserPatch = Partial<Omit<UserRow, 'id' | 'domain_id' | 'created_at'>>;

export async function updateUser(q: Db, id: string, patch: UserPatch): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) return; // nothing to change: SQL has no empty SET
  await q.updateTable('users').set(patch).where('id', '=', id).execute();
}

export async function deleteUser(q: Db, id: string): Promise<number> {
  const r = await q.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Counts a failed login and, past the threshold, locks the account until the given time. */
export async function recordFailedLogin(q: Db, id: string, threshold: number, lockUntil: string): Promise<void> {
  await q
    .updateTable('users')
    .set((eb) => ({
      failed_logins: eb('failed_logins', '+', 1),
      locked_until: eb
        .case()
        .when('failed_logins', '>=', threshold - 1)
        .then(lockUntil)
        .else(eb.ref('locked_until'))
        .end(),
    }))
    .where('id', '=', id)
    .execute();
}

export const findGroupById = (q: Db, id: string) =>
  q.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();

export const findGroupByName = (q: Db, domainId: string, name: string) =>
  q.selectFrom('groups').selectAll().where('domain_id', '=', domainId).where('name', '=', name).executeTakeFirst();

export async function listGroups(
  q: Db,
  f: { domainId: string; name?: string; limit: number; afterId?: string },
): Promise<GroupRow[]> {
  let query = q.selectFrom('groups').selectAll().where('domain_id', '=', f.domainId);
  if (f.name !== undefined) query = query.where('name', '=', f.name);
  if (f.afterId !== undefined) query = query.where('id', '>', f.afterId);
  return query.orderBy('id').limit(f.limit).execute();
}

export async function insertGroup(q: Db, row: GroupRow): Promise<void> {
  await q.insertInto('groups').values(row).execute();
}

export async function updateGroup(
  q: Db,
  id: string,
  patch: Partial<Pick<GroupRow, 'name' | 'description'>>,
): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) return; // nothing to change: SQL has no empty SET
  await q.updateTable('groups').set(patch).where('id', '=', id).execute();
}

export async function deleteGroup(q: Db, id: string): Promise<number> {
  const r = await q.deleteFrom('groups').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function addMember(q: Db, groupId: string, userId: string): Promise<void> {
  await q
    .insertInto('group_members')
    .values({ group_id: groupId, user_id: userId })
    .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
    .execute();
}

export async function removeMember(q: Db, groupId: string, userId: string): Promise<number> {
  const r = await q
    .deleteFrom('group_members')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function isMember(q: Db, groupId: string, userId: string): Promise<boolean> {
  const r = await q
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return r !== undefined;
}

export const listGroupMembers = (q: Db, groupId: string, limit: number, afterId?: string) => {
  let query = q
    .selectFrom('users')
    .innerJoin('group_members', 'group_members.user_id', 'users.id')
    .selectAll('users')
    .where('group_members.group_id', '=', groupId);
  if (afterId !== undefined) query = query.where('users.id', '>', afterId);
  return query.orderBy('users.id').limit(limit).execute();
};

export const listUserGroups = (q: Db, userId: string) =>
  q
    .selectFrom('groups')
    .innerJoin('group_members', 'group_members.group_id', 'groups.id')
    .selectAll('groups')
    .where('group_members.user_id', '=', userId)
    .orderBy('groups.name')
    .execute();

/** Serialises writers of one user's rows (e.g. the access-key limit). SQLite runs one writer at a time already. */
export async function lockUser(store: Store, q: Db, userId: string): Promise<void> {
  await store.sql.lockRow(q, 'users', userId);
}
