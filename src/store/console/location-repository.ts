import { sql } from 'kysely';
import { BIN_CATALOG } from '../lakecat/recycle-bin-repository.js';
import { tableLocationAtOrUnder } from '../lakecat/table-repository.js';
import type { AuthorizedLocationRow } from '../schema.js';
import type { Db } from '../store.js';

export const allLocations = (q: Db, domainId: string) =>
  q
    .selectFrom('authorized_locations')
    .select('location')
    .where('domain_id', '=', domainId)
    .orderBy('location')
    .execute();

/** A page in location order; `contains` matches anywhere in the path, literally. */
export async function pageLocations(
  q: Db,
  domainId: string,
  contains: string | undefined,
  offset: number,
  limit: number,
) {
  let query = q.selectFrom('authorized_locations').where('domain_id', '=', domainId);
  if (contains)
    query = query.where(sql<boolean>`location LIKE ${`%${contains.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\'`);
  const [rows, total] = await Promise.all([
    query.select('location').orderBy('location').offset(offset).limit(limit).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { locations: rows.map((r) => r.location), total: Number(total.n) };
}

export async function insertLocations(q: Db, rows: AuthorizedLocationRow[]): Promise<void> {
  for (const row of rows) {
    await q
      .insertInto('authorized_locations')
      .values(row)
      .onConflict((oc) => oc.columns(['domain_id', 'location']).doNothing())
      .execute();
  }
}

export async function deleteLocation(q: Db, domainId: string, location: string): Promise<boolean> {
  const r = await q
    .deleteFrom('authorized_locations')
    .where('domain_id', '=', domainId)
    .where('location', '=', location)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * One metadata object of the domain stored at or under a location (catalog, database or table),
 * or undefined. Table locations live in the definition JSON, so they are matched there. Dropped
 * objects (in the recycle bin) hold no location: a restore brings them back where they were.
 */
export async function objectUnder(q: Db, domainId: string, location: string): Promise<string | undefined> {
  const like = `${location.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const inDomain = (alias: string) =>
    sql<boolean>`${sql.ref(`${alias}.instance_id`)} IN (SELECT i.id FROM instances i JOIN projects p ON p.id =
      i.project_id WHERE p.domain_id = ${domainId})`;
  const catalog = await q
    .selectFrom('catalogs as c')
    .select('c.name')
    .where(inDomain('c'))
    .where('c.name', '!=', BIN_CATALOG)
    .where((eb) => eb.or([eb('c.location', '=', location), eb('c.location', 'like', sql<string>`${like} ESCAPE '\\'`)]))
    .limit(1)
    .executeTakeFirst();
  if (catalog) return `catalog ${catalog.name}`;
  const database = await q
    .selectFrom('databases as d')
    .select(['d.catalog_name', 'd.name'])
    .where(inDomain('d'))
    .where('d.catalog_name', '!=', BIN_CATALOG)
    .where((eb) => eb.or([eb('d.location', '=', location), eb('d.location', 'like', sql<string>`${like} ESCAPE '\\'`)]))
    .limit(1)
    .executeTakeFirst();
  if (database) return `database ${database.catalog_name}.${database.name}`;
  const table = await q
    .selectFrom('tables as t')
    .select(['t.catalog_name', 't.database_name', 't.name'])
    .where('t.catalog_name', '!=', BIN_CATALOG)
    .where(tableLocationAtOrUnder(q, [location], inDomain('t'), 't.definition'))
    .limit(1)
    .executeTakeFirst();
  return table ? `table ${table.catalog_name}.${table.database_name}.${table.name}` : undefined;
}
