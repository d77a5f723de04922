import type { AccessClientRow, AccessInfoRow } from '../schema.js';
import type { Db, Store } from '../store.js';

export async function upsertAccessInfo(q: Db, row: AccessInfoRow): Promise<void> {
  await q
    .insertInto('access_infos')
    .values(row)
    .onConflict((oc) => oc.columns(['instance_id', 'domain']).doUpdateSet({ vpcep_id: row.vpcep_id }))
    .execute();
}

export async function pageAccessInfos(q: Db, instanceId: string, offset: number, limit: number) {
  const base = q.selectFrom('access_infos').where('instance_id', '=', instanceId);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('domain').offset(offset).limit(limit).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/** Serialises access-client creation per instance on PostgreSQL (SQLite has one writer anyway). */
export async function lockInstanceClients(store: Store, q: Db, instanceId: string): Promise<void> {
  await store.sql.lockRow(q, 'instances', instanceId);
}

export async function countAccessClients(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('access_clients')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertAccessClient(q: Db, row: AccessClientRow): Promise<void> {
  await q.insertInto('access_clients').values(row).execute();
}

export const findAccessClient = (q: Db, instanceId: string, id: string) =>
  q
    .selectFrom('access_clients')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();

export async function pageAccessClients(
  q: Db,
  instanceId: string,
  f: { id?: string; name?: string },
  offset: number,
  limit: number,
) {
  let base = q.selectFrom('access_clients').where('instance_id', '=', instanceId);
  if (f.id) base = base.where('id', '=', f.id);
  // The name filter is a keyword: it may appear anywhere in the name (the pattern keeps it to [A-Za-z0-9_-]).
  if (f.name) base = base.where('name', 'like', `%${f.name.replace(/_/g, '\\_')}%`);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('created_at').orderBy('id').offset(offset).limit(limit).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/** A client still CREATING past its ready time is RUNNING: settled on read, the same on every replica. */
export async function settleAccessClients(q: Db, instanceId: string, now: string): Promise<void> {
  await q
    .updateTable('access_clients')
    .set({ status: 'RUNNING' })
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'CREATING')
    .where('ready_at', '<=', now)
    .execute();
}

export async function renameAccessClient(q: Db, instanceId: string, id: string, name: string): Promise<boolean> {
  const r = await q
    .updateTable('access_clients')
    .set({ name })
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteAccessClient(q: Db, instanceId: string, id: string): Promise<boolean> {
  const r = await q
    .deleteFrom('access_clients')
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
