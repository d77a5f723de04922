import type { FunctionRow } from '../schema.js';
import { hiveNamePattern } from './name-pattern.js';
import type { Db } from '../store.js';

export interface FunctionScope { instanceId: string; catalogName: string; databaseName?: string }
export interface FunctionFilter { pattern?: string; ownedBy?: string }

function filtered(q: Db, s: FunctionScope, f: FunctionFilter) {
  let query = q.selectFrom('functions').where('instance_id', '=', s.instanceId).where('catalog_name', '=', s.catalogName);
  if (s.databaseName !== undefined) query = query.where('database_name', '=', s.databaseName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.ownedBy !== undefined) query = query.where('owner_type', '=', 'USER').where('owner', '=', f.ownedBy);
  return query;
}

export const findFunction = (q: Db, s: Required<FunctionScope>, name: string) =>
  q.selectFrom('functions').selectAll().where('instance_id', '=', s.instanceId).where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName).where('name', '=', name).executeTakeFirst();

export const findFunctionById = (q: Db, s: FunctionScope, id: string) =>
  filtered(q, s, {}).selectAll().where('id', '=', id).executeTakeFirst();

/** Keys in listing order: (database, name) across a catalog, name within a database. */
type Key = { database_name: string; name: string };

/**
 * A keyset page in (database_name, name) order, forward after `after` or backward before
 * `before`; one extra row says whether more follow in the direction of travel.
 */
export async function pageFunctions(q: Db, s: FunctionScope, f: FunctionFilter, limit: number, cursor: { after?: Key; before?: Key }) {
  let query = filtered(q, s, f).selectAll();
  const beyond = (k: Key, op: '>' | '<') => query.where((eb) => eb.or([
    eb('database_name', op, k.database_name),
    eb.and([eb('database_name', '=', k.database_name), eb('name', op, k.name)]),
  ]));
  if (cursor.before) query = beyond(cursor.before, '<').orderBy('database_name', 'desc').orderBy('name', 'desc');
  else query = (cursor.after ? beyond(cursor.after, '>') : query).orderBy('database_name', 'asc').orderBy('name', 'asc');
  const rows = await query.limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  if (cursor.before) page.reverse();
  return { rows: page, more: rows.length > limit };
}

export async function functionExistsBeyond(q: Db, s: FunctionScope, f: FunctionFilter, k: Key, side: 'before' | 'after'): Promise<boolean> {
  const op = side === 'before' ? '<' : '>';
  const row = await filtered(q, s, f).select('id').where((eb) => eb.or([
    eb('database_name', op, k.database_name),
    eb.and([eb('database_name', '=', k.database_name), eb('name', op, k.name)]),
  ])).limit(1).executeTakeFirst();
  return row !== undefined;
}

export const listFunctionNames = (q: Db, s: Required<FunctionScope>, f: FunctionFilter, cap: number) =>
  filtered(q, s, f).select('name').orderBy('name').limit(cap).execute();

export async function countFunctions(q: Db, instanceId: string, catalogName?: string, databaseName?: string): Promise<number> {
  let query = q.selectFrom('functions').select((eb) => eb.fn.countAll<number | string>().as('n')).where('instance_id', '=', instanceId);
  if (catalogName !== undefined) query = query.where('catalog_name', '=', catalogName);
  if (databaseName !== undefined) query = query.where('database_name', '=', databaseName);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertFunction(q: Db, row: FunctionRow): Promise<void> {
  await q.insertInto('functions').values(row).execute();
}

export async function updateFunctionIf(
  q: Db, s: Required<FunctionScope>, name: string, version: number,
  patch: Partial<Pick<FunctionRow, 'name' | 'class_name' | 'function_type' | 'owner' | 'owner_type' | 'owner_source' | 'resource_uris' | 'updated_at'>>,
): Promise<boolean> {
  const r = await q.updateTable('functions').set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('instance_id', '=', s.instanceId).where('catalog_name', '=', s.catalogName).where('database_name', '=', s.databaseName)
    .where('name', '=', name).where('version', '=', version).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteFunction(q: Db, s: Required<FunctionScope>, name: string): Promise<boolean> {
  const r = await q.deleteFrom('functions').where('instance_id', '=', s.instanceId).where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
