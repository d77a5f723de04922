import type { AccessKeyRow } from '../schema.js';
import type { Db } from '../store.js';

export async function insertAccessKey(q: Db, row: AccessKeyRow): Promise<void> {
  await q.insertInto('access_keys').values(row).execute();
}

export const findAccessKey = (q: Db, access: string) =>
  q.selectFrom('access_keys').selectAll().where('access', '=', access).executeTakeFirst();

export const listPermanentKeys = (q: Db, userId?: string, domainId?: string) => {
  let query = q
    .selectFrom('access_keys')
    .innerJoin('users', 'users.id', 'access_keys.user_id')
    .selectAll('access_keys')
    .where('access_keys.kind', '=', 'permanent');
  if (userId !== undefined) query = query.where('access_keys.user_id', '=', userId);
  if (domainId !== undefined) query = query.where('users.domain_id', '=', domainId);
  return query.orderBy('access_keys.created_at').orderBy('access_keys.access').limit(1000).execute();
};

export async function countPermanentKeys(q: Db, userId: string): Promise<number> {
  const r = await q
    .selectFrom('access_keys')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('kind', '=', 'permanent')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateAccessKey(
  q: Db,
  access: string,
  patch: Partial<Pick<AccessKeyRow, 'status' | 'description' | 'last_used_at'>>,
): Promise<void> {
  if (Object.values(patch).every((v) => v === undefined)) return; // nothing to change: SQL has no empty SET
  await q.updateTable('access_keys').set(patch).where('access', '=', access).execute();
}

export async function deleteAccessKey(q: Db, access: string): Promise<number> {
  const r = await q.deleteFrom('access_keys').where('access', '=', access).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteExpiredTemporaryKeys(q: Db, nowIso: string): Promise<number> {
  const r = await q
    .deleteFrom('access_keys')
    .where('kind', '=', 'temporary')
    .where('expires_at', '<=', nowIso)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
