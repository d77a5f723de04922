import { sql } from 'kysely';
import { preparedQuery } from '../prepared.js';
import type { DatabaseRow } from '../schema.js';
import type { Db } from '../store.js';
import { pageFromRows } from './keyset.js';
import { grantLike, hiveNamePattern } from './name-pattern.js';

export interface DatabaseScope {
  instanceId: string;
  catalogName: string;
}

// Read by every authorization of a database-scoped call: compiled once (see preparedQuery).
const databaseByName = preparedQuery(
  (q: Db, instanceId: string, catalogName: string, name: string) =>
    q
      .selectFrom('databases')
      .selectAll()
      .where('instance_id', '=', instanceId)
      .where('catalog_name', '=', catalogName)
      .where('name', '=', name),
  3,
);

export const findDatabase = async (q: Db, s: DatabaseScope, name: string): Promise<DatabaseRow | undefined> =>
  (await databaseByName(q, s.instanceId, s.catalogName, name))[0];

export const findDatabaseById = (q: Db, s: DatabaseScope, id: string) =>
  q
    .selectFrom('databases')
    .selectAll()
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('id', '=', id)
    .executeTakeFirst();

export interface DatabaseFilter {
  pattern?: string;
  externalDatabaseId?: string;
  /** Only databases this user owns (for callers who are not administrators)... */
  ownedBy?: string;
  /** ...or whose names match these granted patterns (`*` a wildcard). */
  grantedNames?: string[];
  /** Iceberg nesting (names joined by `.`): null, top-level databases only; a name, its direct children. */
  childrenOf?: string | null;
}

function filtered(q: Db, s: DatabaseScope, f: DatabaseFilter) {
  let query = q
    .selectFrom('databases')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.externalDatabaseId !== undefined) query = query.where('external_database_id', '=', f.externalDatabaseId);
  if (f.childrenOf === null) query = query.where(sql<boolean>`name NOT LIKE '%.%'`);
  else if (f.childrenOf !== undefined) {
    // One level down only; LIKE (not a range) because a database's collation may ignore punctuation.
    const parent = grantLike(f.childrenOf);
    query = query.where(
      sql<boolean>`name LIKE ${`${parent}.%`} ESCAPE '\\' AND name NOT LIKE ${`${parent}.%.%`} ESCAPE '\\'`,
    );
  }
  if (f.ownedBy !== undefined) {
    const owned = sql<boolean>`(owner_type = 'USER' AND owner = ${f.ownedBy})`;
    // Owning a table, function or dataset inside shows the database too (index seeks: migrations 0012 and 0014).
    const ownsInside = (['tables', 'functions', 'datasets'] as const).map(
      (t) => sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(t)} o
      WHERE o.instance_id = databases.instance_id AND o.owner = ${f.ownedBy} AND o.owner_type = 'USER'
        AND o.catalog_name = databases.catalog_name AND o.database_name = databases.name)`,
    );
    const granted = (f.grantedNames ?? []).map((n) => sql<boolean>`name LIKE ${grantLike(n)} ESCAPE '\\'`);
    query = query.where(sql<boolean>`(${sql.join([owned, ...granted, ...ownsInside], sql` OR `)})`);
  }
  return query;
}

/**
 * One keyset page in name order: after `afterName` going forward, or before `beforeName`
 * going backward (returned in name order). Fetches one row more than asked to tell whether
 * another page follows in the direction of travel.
 */
export async function pageDatabases(
  q: Db,
  s: DatabaseScope,
  f: DatabaseFilter,
  limit: number,
  cursor: { after?: string; before?: string; last?: boolean },
): Promise<{ rows: DatabaseRow[]; more: boolean }> {
  let query = filtered(q, s, f).selectAll();
  if (cursor.before !== undefined || cursor.last)
    query = (cursor.before !== undefined ? query.where('name', '<', cursor.before) : query).orderBy('name', 'desc');
  else {
    if (cursor.after !== undefined) query = query.where('name', '>', cursor.after);
    query = query.orderBy('name', 'asc');
  }
  return pageFromRows(
    await query.limit(limit + 1).execute(),
    limit,
    cursor.before !== undefined || cursor.last === true,
  );
}

/** Whether any matching database sorts before (or after) a name: for the other page marker. */
export async function existsBeyond(
  q: Db,
  s: DatabaseScope,
  f: DatabaseFilter,
  name: string,
  side: 'before' | 'after',
): Promise<boolean> {
  const row = await filtered(q, s, f)
    .select('id')
    .where('name', side === 'before' ? '<' : '>', name)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export const listDatabaseNames = (q: Db, s: DatabaseScope, f: DatabaseFilter, cap: number) =>
  filtered(q, s, f).select('name').orderBy('name').limit(cap).execute();

export async function countDatabases(q: Db, s: DatabaseScope): Promise<number> {
  const r = await q
    .selectFrom('databases')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function insertDatabase(q: Db, row: DatabaseRow): Promise<void> {
  await q.insertInto('databases').values(row).execute();
}

export async function updateDatabaseIf(
  q: Db,
  s: DatabaseScope,
  name: string,
  version: number,
  patch: Partial<Omit<DatabaseRow, 'id' | 'instance_id' | 'catalog_name' | 'created_at' | 'version'>>,
): Promise<boolean> {
  const r = await q
    .updateTable('databases')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('name', '=', name)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteDatabase(q: Db, s: DatabaseScope, name: string): Promise<boolean> {
  const r = await q
    .deleteFrom('databases')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
