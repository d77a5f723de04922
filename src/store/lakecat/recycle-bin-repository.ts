import { sql } from 'kysely';
import type { Db } from '../dialect.js';
import type { RecycleBinGrantRow, RecycleBinRow, TableRow } from '../schema.js';
import { pageFromRows } from './keyset.js';
import { hiveNamePattern, ownedOrGranted } from './name-pattern.js';

/**
 * The catalog dropped objects live in, one per instance. Requests lower-case every catalog name
 * they give and accept only [a-z0-9_], so no request can name it; live lookups pass it by.
 */
export const BIN_CATALOG = 'Recycle-Bin';
/** The bin database dropped tables live in, each renamed to its entry id (so same names never collide). */
export const BIN_TABLES = 'Tables';

export type BinKind = 'DATABASE' | 'TABLE';

async function ensureBin(q: Db, instanceId: string, now: string): Promise<void> {
  const owner = { owner: 'lakeform', owner_type: 'USER', owner_source: 'IAM', created_at: now, updated_at: now };
  await q
    .insertInto('catalogs')
    .values({
      instance_id: instanceId,
      name: BIN_CATALOG,
      description: 'recycle bin',
      location: '',
      database_locations: '[]',
      ...owner,
      version: 1,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await q
    .insertInto('databases')
    .values({
      id: `bin-${instanceId}`,
      instance_id: instanceId,
      catalog_name: BIN_CATALOG,
      name: BIN_TABLES,
      description: 'dropped tables',
      location: '',
      database_type: 'MANAGED_DATABASE',
      external_database_id: null,
      connection_name: null,
      data_statistic_enable: 0,
      parameters: '{}',
      function_locations: '[]',
      table_locations: '[]',
      ...owner,
      version: 1,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Moves a table into the bin under the entry's id; false when the table is gone. */
export async function binTable(q: Db, entry: RecycleBinRow, grants: RecycleBinGrantRow[]): Promise<boolean> {
  await ensureBin(q, entry.instance_id, entry.dropped_at);
  const r = await q
    .updateTable('tables')
    .set((eb) => ({
      catalog_name: BIN_CATALOG,
      database_name: BIN_TABLES,
      name: entry.id,
      version: eb('version', '+', 1),
    }))
    .where('instance_id', '=', entry.instance_id)
    .where('id', '=', entry.object_id)
    .where('catalog_name', '=', entry.catalog_name)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await insertEntry(q, entry, grants);
  return true;
}

/** Moves a database, with everything its keys carry along, into the bin; false when it is gone. */
export async function binDatabase(q: Db, entry: RecycleBinRow, grants: RecycleBinGrantRow[]): Promise<boolean> {
  await ensureBin(q, entry.instance_id, entry.dropped_at);
  const r = await q
    .updateTable('databases')
    .set((eb) => ({ catalog_name: BIN_CATALOG, name: entry.id, version: eb('version', '+', 1) }))
    .where('instance_id', '=', entry.instance_id)
    .where('id', '=', entry.object_id)
    .where('catalog_name', '=', entry.catalog_name)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await insertEntry(q, entry, grants);
  return true;
}

async function insertEntry(q: Db, entry: RecycleBinRow, grants: RecycleBinGrantRow[]): Promise<void> {
  await q.insertInto('recycle_bin').values(entry).execute();
  if (grants.length) await q.insertInto('recycle_bin_grants').values(grants).execute();
}

export const findEntry = (q: Db, instanceId: string, id: string) =>
  q.selectFrom('recycle_bin').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();

/** The entry of a dropped object by its former path: the one with `id`, or else the latest dropped. */
export const findDropped = (q: Db, s: BinScope & { databaseName: string }, name: string, id: string | undefined) => {
  const query = q
    .selectFrom('recycle_bin')
    .selectAll()
    .where('instance_id', '=', s.instanceId)
    .where('kind', '=', s.kind)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name);
  return (id !== undefined ? query.where('id', '=', id) : query.orderBy('dropped_at', 'desc').orderBy('id', 'desc'))
    .limit(1)
    .executeTakeFirst();
};

export const grantsOfEntry = (q: Db, id: string) =>
  q.selectFrom('recycle_bin_grants').selectAll().where('entry_id', '=', id).execute();

/** The dropped tables of a page of entries, in one query, by object id. */
export async function binnedTables(
  q: Db,
  instanceId: string,
  entries: RecycleBinRow[],
): Promise<Map<string, TableRow>> {
  if (!entries.length) return new Map();
  const rows = await q
    .selectFrom('tables')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where(
      'id',
      'in',
      entries.map((e) => e.object_id),
    )
    .where('catalog_name', '=', BIN_CATALOG)
    .execute();
  return new Map(rows.map((r) => [r.id, r as TableRow]));
}

export const binnedDatabase = (q: Db, entry: RecycleBinRow) =>
  q
    .selectFrom('databases')
    .selectAll()
    .where('instance_id', '=', entry.instance_id)
    .where('id', '=', entry.object_id)
    .where('catalog_name', '=', BIN_CATALOG)
    .executeTakeFirst();

/** The tables an entry holds: the one dropped, or every table of the dropped database. */
export function tablesOfEntry(
  q: Db,
  entry: RecycleBinRow,
): Promise<Pick<TableRow, 'id' | 'table_type' | 'definition'>[]> {
  const base = q
    .selectFrom('tables')
    .select(['id', 'table_type', 'definition'])
    .where('instance_id', '=', entry.instance_id)
    .where('catalog_name', '=', BIN_CATALOG);
  return entry.kind === 'TABLE'
    ? base.where('id', '=', entry.object_id).execute()
    : base.where('database_name', '=', entry.id).execute();
}

/** Brings a binned table back under a live name; false when the entry's table is gone. */
export async function restoreTable(
  q: Db,
  entry: RecycleBinRow,
  to: { catalog: string; database: string; name: string },
  now: string,
): Promise<boolean> {
  const r = await q
    .updateTable('tables')
    .set((eb) => ({
      catalog_name: to.catalog,
      database_name: to.database,
      name: to.name,
      updated_at: now,
      version: eb('version', '+', 1),
    }))
    .where('instance_id', '=', entry.instance_id)
    .where('id', '=', entry.object_id)
    .where('catalog_name', '=', BIN_CATALOG)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await dropDanglingForeignKeys(q, entry.instance_id, [entry.object_id]);
  return deleteEntry(q, entry.id);
}

/** Brings a binned database back (its tables, functions and datasets follow by the keys). */
export async function restoreDatabase(
  q: Db,
  entry: RecycleBinRow,
  to: { catalog: string; name: string },
  now: string,
): Promise<boolean> {
  const r = await q
    .updateTable('databases')
    .set((eb) => ({ catalog_name: to.catalog, name: to.name, updated_at: now, version: eb('version', '+', 1) }))
    .where('instance_id', '=', entry.instance_id)
    .where('id', '=', entry.object_id)
    .where('catalog_name', '=', BIN_CATALOG)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  const tables = await q
    .selectFrom('tables')
    .select('id')
    .where('instance_id', '=', entry.instance_id)
    .where('catalog_name', '=', to.catalog)
    .where('database_name', '=', to.name)
    .execute();
  await dropDanglingForeignKeys(
    q,
    entry.instance_id,
    tables.map((t) => t.id),
  );
  return deleteEntry(q, entry.id);
}

/**
 * Restored tables lose the foreign keys whose referenced table is still in the bin: a live table
 * never references a dropped one. (Those whose key was dropped or purged went then.)
 */
async function dropDanglingForeignKeys(q: Db, instanceId: string, tableIds: string[]): Promise<void> {
  for (let i = 0; i < tableIds.length; i += 500)
    await q
      .deleteFrom('table_constraints')
      .where('table_id', 'in', tableIds.slice(i, i + 500))
      .where('parent_constraint_id', 'in', (eb) =>
        eb
          .selectFrom('table_constraints as k')
          .innerJoin('tables as kt', 'kt.id', 'k.table_id')
          .select('k.id')
          .where('kt.instance_id', '=', instanceId)
          .where('kt.catalog_name', '=', BIN_CATALOG),
      )
      .execute();
}

/** Before a purge: other dropped tables' foreign keys into the purged tables' keys go (restore would drop them). */
async function dropForeignKeysInto(q: Db, purged: ReturnType<typeof purgedTables>): Promise<void> {
  await q
    .deleteFrom('table_constraints')
    .where('table_id', 'not in', purged)
    .where('parent_constraint_id', 'in', (eb) =>
      eb.selectFrom('table_constraints as k').select('k.id').where('k.table_id', 'in', purged),
    )
    .execute();
}

const purgedTables = (q: Db, entry: RecycleBinRow) => {
  const base = q
    .selectFrom('tables')
    .select('id')
    .where('instance_id', '=', entry.instance_id)
    .where('catalog_name', '=', BIN_CATALOG);
  return entry.kind === 'TABLE' ? base.where('id', '=', entry.object_id) : base.where('database_name', '=', entry.id);
};

async function deleteEntry(q: Db, id: string): Promise<boolean> {
  const r = await q.deleteFrom('recycle_bin').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Removes an entry and what it holds for good (the keys cascade to partitions, statistics, constraints). */
export async function purgeEntry(q: Db, entry: RecycleBinRow): Promise<boolean> {
  await dropForeignKeysInto(q, purgedTables(q, entry));
  if (entry.kind === 'TABLE')
    await q
      .deleteFrom('tables')
      .where('instance_id', '=', entry.instance_id)
      .where('catalog_name', '=', BIN_CATALOG)
      .where('id', '=', entry.object_id)
      .execute();
  else
    await q
      .deleteFrom('databases')
      .where('instance_id', '=', entry.instance_id)
      .where('catalog_name', '=', BIN_CATALOG)
      .where('name', '=', entry.id)
      .execute();
  return deleteEntry(q, entry.id);
}

/**
 * Claims an entry for purging: only one claimant wins, and a claim older than `staleBefore`
 * (a replica that died mid-purge) may be taken over.
 */
export async function claimEntry(q: Db, id: string, by: string, now: string, staleBefore: string): Promise<boolean> {
  const r = await q
    .updateTable('recycle_bin')
    .set({ claimed_by: by, claimed_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Entries whose time has come (across instances), oldest first. */
export const dueEntries = (q: Db, now: string, limit: number) =>
  q.selectFrom('recycle_bin').selectAll().where('purge_at', '<=', now).orderBy('purge_at').limit(limit).execute();

export const entriesOfInstance = (q: Db, instanceId: string, limit: number) =>
  q.selectFrom('recycle_bin').selectAll().where('instance_id', '=', instanceId).orderBy('id').limit(limit).execute();

export interface BinScope {
  instanceId: string;
  kind: BinKind;
  catalogName: string;
  /** For table entries: the database they were dropped from. */
  databaseName?: string;
}
export interface BinFilter {
  pattern?: string;
  types?: string[];
  format?: string;
  /** For callers who are not administrators: owned by this user, reached by these live grants... */
  ownedBy?: string;
  grantedBy?: { database?: string; name?: string }[];
  /** ...or by a grant it held on the object when it was dropped. */
  principals?: { type: string; name: string }[];
}

function filtered(q: Db, s: BinScope, f: BinFilter) {
  let query = q
    .selectFrom('recycle_bin')
    .where('instance_id', '=', s.instanceId)
    .where('kind', '=', s.kind)
    .where('catalog_name', '=', s.catalogName);
  if (s.databaseName !== undefined) query = query.where('database_name', '=', s.databaseName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  if (f.types?.length) query = query.where('object_type', 'in', f.types);
  if (f.format !== undefined) query = query.where('table_format', '=', f.format);
  if (f.ownedBy !== undefined) {
    const held = (f.principals ?? []).map(
      (p) => sql<boolean>`(g.principal_type = ${p.type} AND g.principal_name = ${p.name})`,
    );
    const heldBefore = held.length
      ? [
          sql<boolean>`EXISTS (SELECT 1 FROM recycle_bin_grants g WHERE g.entry_id = recycle_bin.id AND g.effect = 1
            AND (${sql.join(held, sql` OR `)}))`,
        ]
      : [];
    query = query.where(
      sql<boolean>`(${sql.join([ownedOrGranted(f.ownedBy, f.grantedBy ?? []), ...heldBefore], sql` OR `)})`,
    );
  }
  return query;
}

/** Listings go in (name, id) order, so same-name entries page apart. */
export interface BinKey {
  name: string;
  id: string;
}
export const entryKey = (r: RecycleBinRow): BinKey => ({ name: r.name, id: r.id });

export async function pageEntries(
  q: Db,
  s: BinScope,
  f: BinFilter,
  limit: number,
  cursor: { after?: BinKey; before?: BinKey },
) {
  let query = filtered(q, s, f).selectAll();
  const at = cursor.before ?? cursor.after;
  if (at) query = query.where(byNameThenId(at, cursor.before ? 'before' : 'after'));
  query = cursor.before ? query.orderBy('name', 'desc').orderBy('id', 'desc') : query.orderBy('name').orderBy('id');
  return pageFromRows(await query.limit(limit + 1).execute(), limit, cursor.before !== undefined);
}

function byNameThenId(k: BinKey, side: 'before' | 'after') {
  const op = sql.raw(side === 'before' ? '<' : '>');
  return sql<boolean>`(name ${op} ${k.name} OR (name = ${k.name} AND id ${op} ${k.id}))`;
}

export async function entryExistsBeyond(
  q: Db,
  s: BinScope,
  f: BinFilter,
  k: BinKey,
  side: 'before' | 'after',
): Promise<boolean> {
  return (await filtered(q, s, f).select('id').where(byNameThenId(k, side)).limit(1).executeTakeFirst()) !== undefined;
}

export async function findRetention(q: Db, instanceId: string): Promise<number | undefined> {
  const r = await q
    .selectFrom('recycle_bin_settings')
    .select('retention_days')
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return r?.retention_days;
}

export async function setRetention(q: Db, instanceId: string, days: number, now: string): Promise<void> {
  await q
    .insertInto('recycle_bin_settings')
    .values({ instance_id: instanceId, retention_days: days, updated_at: now })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet({ retention_days: days, updated_at: now }))
    .execute();
}

/** A live catalog or database was renamed: the entries dropped from it follow, so they restore into it. */
export async function containerRenamed(
  q: Db,
  instanceId: string,
  from: { catalog: string; database?: string },
  to: { catalog: string; database?: string },
): Promise<void> {
  if (from.database === undefined) {
    await q
      .updateTable('recycle_bin')
      .set({ catalog_name: to.catalog })
      .where('instance_id', '=', instanceId)
      .where('catalog_name', '=', from.catalog)
      .execute();
    return;
  }
  await q
    .updateTable('recycle_bin')
    .set({ database_name: to.database as string })
    .where('instance_id', '=', instanceId)
    .where('kind', '=', 'TABLE')
    .where('catalog_name', '=', from.catalog)
    .where('database_name', '=', from.database)
    .execute();
}
