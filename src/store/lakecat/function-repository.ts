import type { FunctionRow } from '../schema.js';
import type { Db } from '../store.js';
import { beyondKey, type DatabaseNameKey, pageFromRows } from './keyset.js';
import { hiveNamePattern, ownedOrGranted } from './name-pattern.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';

export interface FunctionScope {
  instanceId: string;
  catalogName: string;
  databaseName?: string;
}
export interface FunctionFilter {
  pattern?: string;
  /** Only functions this user owns or that these grants reach ((database, function) patterns). */
  ownedBy?: string;
  grantedBy?: { database?: string; name?: string }[];
}

function filtered(q: Db, s: FunctionScope, f: FunctionFilter) {
  let query = q
    .selectFrom('functions')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName);
  if (s.databaseName !== undefined) query = query.where('database_name', '=', s.databaseName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.ownedBy !== undefined) query = query.where(ownedOrGranted(f.ownedBy, f.grantedBy ?? []));
  return query;
}

export const findFunction = (q: Db, s: Required<FunctionScope>, name: string) =>
  q
    .selectFrom('functions')
    .selectAll()
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .executeTakeFirst();

export const findFunctionById = (q: Db, s: FunctionScope, id: string) =>
  filtered(q, s, {}).selectAll().where('id', '=', id).executeTakeFirst();

/** A keyset page in (database_name, name) order, forward after `after` or backward before `before`. */
export async function pageFunctions(
  q: Db,
  s: FunctionScope,
  f: FunctionFilter,
  limit: number,
  cursor: { after?: DatabaseNameKey; before?: DatabaseNameKey; last?: boolean },
) {
  let query = filtered(q, s, f).selectAll();
  if (cursor.before || cursor.last)
    query = (cursor.before ? query.where(beyondKey(cursor.before, 'before')) : query)
      .orderBy('database_name', 'desc')
      .orderBy('name', 'desc');
  else
    query = (cursor.after ? query.where(beyondKey(cursor.after, 'after')) : query)
      .orderBy('database_name', 'asc')
      .orderBy('name', 'asc');
  return pageFromRows(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function functionExistsBeyond(
  q: Db,
  s: FunctionScope,
  f: FunctionFilter,
  k: DatabaseNameKey,
  side: 'before' | 'after',
): Promise<boolean> {
  return (await filtered(q, s, f).select('id').where(beyondKey(k, side)).limit(1).executeTakeFirst()) !== undefined;
}

export const listFunctionNames = (q: Db, s: Required<FunctionScope>, f: FunctionFilter, cap: number) =>
  filtered(q, s, f).select('name').orderBy('name').limit(cap).execute();

export async function countFunctions(
  q: Db,
  instanceId: string,
  catalogName?: string,
  databaseName?: string,
): Promise<number> {
  let query = q
    .selectFrom('functions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId);
  // Live functions only: a dropped database's functions wait in the bin.
  query =
    catalogName !== undefined
      ? query.where('catalog_name', '=', catalogName)
      : query.where('catalog_name', '!=', BIN_CATALOG);
  if (databaseName !== undefined) query = query.where('database_name', '=', databaseName);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertFunction(q: Db, row: FunctionRow): Promise<void> {
  await q.insertInto('functions').values(row).execute();
}

export async function updateFunctionIf(
  q: Db,
  s: Required<FunctionScope>,
  name: string,
  version: number,
  patch: Partial<
    Pick<
      FunctionRow,
      'name' | 'class_name' | 'function_type' | 'owner' | 'owner_type' | 'owner_source' | 'resource_uris' | 'updated_at'
    >
  >,
): Promise<boolean> {
  const r = await q
    .updateTable('functions')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteFunction(q: Db, s: Required<FunctionScope>, name: string): Promise<boolean> {
  const r = await q
    .deleteFrom('functions')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
