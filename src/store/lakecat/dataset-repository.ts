import type { DatasetRow } from '../schema.js';
import type { Db } from '../store.js';
import { pageFromRows } from './keyset.js';
import { hiveNamePattern } from './name-pattern.js';

export interface DatasetScope {
  instanceId: string;
  catalogName: string;
  databaseName: string;
}
export interface DatasetFilter {
  pattern?: string;
  format?: string;
}

function filtered(q: Db, s: DatasetScope, f: DatasetFilter) {
  let query = q
    .selectFrom('datasets')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.format !== undefined) query = query.where('format', '=', f.format);
  return query;
}

export const findDataset = (q: Db, s: DatasetScope, name: string) =>
  filtered(q, s, {}).selectAll().where('name', '=', name).executeTakeFirst();

export const findDatasetById = (q: Db, s: DatasetScope, id: string) =>
  filtered(q, s, {}).selectAll().where('id', '=', id).executeTakeFirst();

/**
 * A keyset page in name order within the database, forward after `after` or backward before
 * `before`. The bound is on the name alone, so both the primary key and the format index seek to it.
 */
export async function pageDatasets(
  q: Db,
  s: DatasetScope,
  f: DatasetFilter,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
) {
  let query = filtered(q, s, f).selectAll();
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('name', '<', cursor.before) : query).orderBy('name', 'desc');
  else query = (cursor.after !== undefined ? query.where('name', '>', cursor.after) : query).orderBy('name', 'asc');
  return pageFromRows(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

export async function datasetExistsBeyond(
  q: Db,
  s: DatasetScope,
  f: DatasetFilter,
  name: string,
  side: 'before' | 'after',
): Promise<boolean> {
  return (
    (await filtered(q, s, f)
      .select('id')
      .where('name', side === 'before' ? '<' : '>', name)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

export async function countDatasets(
  q: Db,
  instanceId: string,
  catalogName?: string,
  databaseName?: string,
): Promise<number> {
  let query = q
    .selectFrom('datasets')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId);
  if (catalogName !== undefined) query = query.where('catalog_name', '=', catalogName);
  if (databaseName !== undefined) query = query.where('database_name', '=', databaseName);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertDataset(q: Db, row: DatasetRow): Promise<void> {
  await q.insertInto('datasets').values(row).execute();
}

export async function updateDatasetIf(
  q: Db,
  s: DatasetScope,
  name: string,
  version: number,
  patch: Partial<Pick<DatasetRow, 'description' | 'format' | 'content_types' | 'properties' | 'updated_at'>>,
): Promise<boolean> {
  const r = await q
    .updateTable('datasets')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteDataset(q: Db, s: DatasetScope, name: string): Promise<boolean> {
  const r = await q
    .deleteFrom('datasets')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
