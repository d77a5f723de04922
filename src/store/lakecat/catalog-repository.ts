import { preparedQuery } from '../prepared.js';
import type { CatalogRow } from '../schema.js';
import type { Db } from '../store.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';

export const MAX_CATALOGS_LISTED = 1000;

// Read by every authorization of a database-scoped call: compiled once (see preparedQuery).
const catalogByName = preparedQuery(
  (q: Db, instanceId: string, name: string) =>
    q.selectFrom('catalogs').selectAll().where('instance_id', '=', instanceId).where('name', '=', name),
  2,
);

export const findCatalog = async (q: Db, instanceId: string, name: string): Promise<CatalogRow | undefined> =>
  (await catalogByName(q, instanceId, name))[0];

export const listCatalogs = (q: Db, instanceId: string) =>
  q
    .selectFrom('catalogs')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('name', '!=', BIN_CATALOG)
    .orderBy('name')
    .limit(MAX_CATALOGS_LISTED)
    .execute();

export async function countCatalogs(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('catalogs')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('name', '!=', BIN_CATALOG)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertCatalog(q: Db, row: CatalogRow): Promise<void> {
  await q.insertInto('catalogs').values(row).execute();
}

/** Changes a catalog if it still has the expected version; false when someone else changed it first. */
export async function updateCatalogIf(
  q: Db,
  instanceId: string,
  name: string,
  version: number,
  patch: Partial<
    Pick<
      CatalogRow,
      | 'name'
      | 'description'
      | 'location'
      | 'database_locations'
      | 'owner'
      | 'owner_type'
      | 'owner_source'
      | 'updated_at'
    >
  >,
): Promise<boolean> {
  const r = await q
    .updateTable('catalogs')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteCatalog(q: Db, instanceId: string, name: string): Promise<boolean> {
  const r = await q
    .deleteFrom('catalogs')
    .where('instance_id', '=', instanceId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Object counts of an instance, straight from the store (index-only counts, no listing). */
export async function countObjects(q: Db, instanceId: string): Promise<{ catalogs: number; databases: number }> {
  const [c, d] = await Promise.all([
    q
      .selectFrom('catalogs')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('instance_id', '=', instanceId)
      .where('name', '!=', BIN_CATALOG)
      .executeTakeFirstOrThrow(),
    q
      .selectFrom('databases')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('instance_id', '=', instanceId)
      .where('catalog_name', '!=', BIN_CATALOG)
      .executeTakeFirstOrThrow(),
  ]);
  return { catalogs: Number(c.n), databases: Number(d.n) };
}
