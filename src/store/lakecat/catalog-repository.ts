import { sql } from 'kysely';
import { preparedQuery } from '../prepared.js';
import type { CatalogRow, InstanceRow } from '../schema.js';
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

const CATALOG_COLUMNS = [
  'instance_id',
  'name',
  'branch_name',
  'description',
  'location',
  'database_locations',
  'owner',
  'owner_type',
  'owner_source',
  'created_at',
  'updated_at',
  'version',
] as const satisfies readonly (keyof CatalogRow)[];
const catalogSelection = CATALOG_COLUMNS.map((c) => `catalogs.${c} as catalog__${c}` as const);

const instanceWithCatalog = preparedQuery(
  (q: Db, projectId: string, instanceId: string, name: string) =>
    q
      .selectFrom('instances')
      .innerJoin('catalogs', 'catalogs.instance_id', 'instances.id')
      .selectAll('instances')
      .select(catalogSelection)
      .where('instances.project_id', '=', projectId)
      .where('instances.id', '=', instanceId)
      .where('catalogs.name', '=', name),
  3,
);
const defaultInstanceWithCatalog = preparedQuery(
  (q: Db, projectId: string, name: string) =>
    q
      .selectFrom('instances')
      .innerJoin('catalogs', 'catalogs.instance_id', 'instances.id')
      .selectAll('instances')
      .select(catalogSelection)
      .where('instances.project_id', '=', projectId)
      .where('instances.default_instance', '=', sql.lit(1)) // a literal: prepared queries take only their arguments
      .where('catalogs.name', '=', name),
  2,
);

/**
 * An instance (by id, or `default`) and its catalog by name in one read: undefined when either is missing.
 */
export async function findInstanceWithCatalog(
  q: Db,
  projectId: string,
  instanceRef: string,
  name: string,
): Promise<{ instance: InstanceRow; catalog: CatalogRow } | undefined> {
  const [row] =
    instanceRef === 'default'
      ? await defaultInstanceWithCatalog(q, projectId, name)
      : await instanceWithCatalog(q, projectId, instanceRef, name);
  if (!row) return undefined;
  const instance: Record<string, unknown> = {};
  const catalog: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('catalog__')) catalog[k.slice('catalog__'.length)] = v;
    else instance[k] = v;
  }
  return { instance: instance as unknown as InstanceRow, catalog: catalog as unknown as CatalogRow };
}

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
