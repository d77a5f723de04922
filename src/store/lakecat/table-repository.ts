import { type QueryCreator, type RawBuilder, sql } from 'kysely';
import { type Db, dialectOf, type SqlDialect } from '../dialect.js';
import { insertAnswer } from '../iceberg/idempotency-repository.js';
import { preparedColumn, preparedQuery, preparedStatement } from '../prepared.js';
import type { Database, IcebergIdempotencyRow, TableRow } from '../schema.js';
import { eventInsert, type NewMetadataEvent } from './event-repository.js';
import { beyondKey, type DatabaseNameKey, pageFromRows } from './keyset.js';
import { anyOf, type GrantPath, grantPathMatches, hiveNamePattern, ownedOrGranted } from './name-pattern.js';
import { type Filter, filterCondition, type TableField } from './partition-filter-sql.js';
import { BIN_CATALOG } from './recycle-bin-repository.js';
import { keepTableVersionWrites } from './table-version-repository.js';

export interface TableScope {
  instanceId: string;
  catalogName: string;
  databaseName?: string;
}
export interface TableFilter {
  pattern?: string;
  databasePattern?: string;
  types?: string[];
  format?: string;
  /** Table types left out (the Iceberg catalog lists tables without views). */
  excludeTypes?: string[];
  /** Hive's table filter (owner, parameters, last access time). */
  expression?: Filter<TableField>;
  /** Only tables this user owns (for callers who are not administrators)... */
  ownedBy?: string;
  /** ...or that these grants reach: (database, table) name patterns, `*` a wildcard, an absent part any. */
  grantedBy?: { database?: string; table?: string }[];
}

function filtered(q: Db, s: TableScope, f: TableFilter) {
  let query = q.selectFrom('tables').where('instance_id', '=', s.instanceId).where('catalog_name', '=', s.catalogName);
  if (s.databaseName !== undefined) query = query.where('database_name', '=', s.databaseName);
  const byName = hiveNamePattern('name', f.pattern);
  if (byName) query = query.where(byName);
  const byDatabase = hiveNamePattern('database_name', f.databasePattern);
  if (byDatabase) query = query.where(byDatabase);
  if (f.types?.length) query = query.where('table_type', 'in', f.types);
  if (f.excludeTypes?.length) query = query.where('table_type', 'not in', f.excludeTypes);
  if (f.format !== undefined) query = query.where('table_format', '=', f.format);
  if (f.ownedBy !== undefined)
    query = query.where(
      ownedOrGranted(
        f.ownedBy,
        (f.grantedBy ?? []).map((g) => ({ database: g.database, name: g.table })),
      ),
    );
  if (f.expression) query = query.where(filterCondition(f.expression, tableFieldColumn(dialectOf(q))));
  return query;
}

/**
 * A table-filter field as SQL: parameters and the last access time live in the definition
 * JSON. Text compares bytewise on both databases.
 */
function tableFieldColumn(d: SqlDialect) {
  return (field: TableField): RawBuilder<unknown> => {
    const text =
      field.kind === 'owner'
        ? sql`owner`
        : field.kind === 'last_access'
          ? sql`COALESCE(${d.jsonText('definition', ['last_access_time'])}, created_at)`
          : d.jsonText('definition', ['parameters', field.key]);
    return d.bytewise(text);
  };
}

export const findTable = (q: Db, s: Required<TableScope>, name: string) =>
  filtered(q, s, {}).selectAll().where('name', '=', name).executeTakeFirst();

export const findTableById = (q: Db, s: TableScope, id: string) =>
  filtered(q, s, {}).selectAll().where('id', '=', id).executeTakeFirst();

export const findTablesByName = (q: Db, s: Required<TableScope>, names: string[], f: TableFilter) =>
  names.length === 0
    ? Promise.resolve([])
    : filtered(q, s, f).selectAll().where('name', 'in', names).orderBy('name').execute();

/** A keyset page in (database_name, name) order, forward after `after` or backward before `before`. */
export async function pageTables(
  q: Db,
  s: TableScope,
  f: TableFilter,
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

export async function tableExistsBeyond(
  q: Db,
  s: TableScope,
  f: TableFilter,
  k: DatabaseNameKey,
  side: 'before' | 'after',
): Promise<boolean> {
  return (await filtered(q, s, f).select('id').where(beyondKey(k, side)).limit(1).executeTakeFirst()) !== undefined;
}

// Every name of a database (an administrator's get_all_tables, SHOW TABLES): compiled once (see preparedQuery).
const allTableNames = preparedColumn(
  (q: Db, instanceId: string, catalogName: string, databaseName: string, cap: number) =>
    filtered(q, { instanceId, catalogName, databaseName }, {}).select('name').orderBy('name').limit(cap),
  4,
);

export const listTableNames = async (q: Db, s: Required<TableScope>, f: TableFilter, cap: number) =>
  Object.values(f).every((v) => v === undefined)
    ? allTableNames(q, s.instanceId, s.catalogName, s.databaseName, cap)
    : (await filtered(q, s, f).select('name').orderBy('name').limit(cap).execute()).map((r) => r.name);

export async function countTables(
  q: Db,
  instanceId: string,
  catalogName?: string,
  databaseName?: string,
): Promise<number> {
  let query = q
    .selectFrom('tables')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId);
  // Tables in the recycle bin are not the instance's tables.
  if (catalogName !== undefined) query = query.where('catalog_name', '=', catalogName);
  else query = query.where('catalog_name', '!=', BIN_CATALOG);
  if (databaseName !== undefined) query = query.where('database_name', '=', databaseName);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertTable(q: Db, row: TableRow): Promise<void> {
  await q.insertInto('tables').values(row).execute();
}

/** What a table update writes (every column, whether it changed or not: one statement, compiled once). */
export type TablePatch = Pick<
  TableRow,
  'name' | 'database_name' | 'table_type' | 'table_format' | 'owner' | 'owner_type' | 'definition' | 'updated_at'
>;

/** An update of a table's row: where it is and the version read, then the new values of its columns. */
type RowUpdate = [
  instanceId: string,
  catalogName: string,
  databaseName: string,
  name: string,
  version: number,
  newName: string,
  newDatabaseName: string,
  tableType: string,
  tableFormat: TableRow['table_format'],
  owner: string,
  ownerType: string,
  definition: string,
  updatedAt: string,
];
const ROW_UPDATE_ARITY = 13;

/** The UPDATE of a table's row if it is still at the version read (which moves by one). */
function rowUpdate(
  q: QueryCreator<Database>,
  ...[
    instanceId,
    catalogName,
    databaseName,
    name,
    version,
    newName,
    newDatabaseName,
    tableType,
    tableFormat,
    owner,
    ownerType,
    definition,
    updatedAt,
  ]: RowUpdate
) {
  return q
    .updateTable('tables')
    .set({
      name: newName,
      database_name: newDatabaseName,
      table_type: tableType,
      table_format: tableFormat,
      owner,
      owner_type: ownerType,
      definition,
      updated_at: updatedAt,
      version: sql<number>`version + 1`,
    })
    .where('instance_id', '=', instanceId)
    .where('catalog_name', '=', catalogName)
    .where('database_name', '=', databaseName)
    .where('name', '=', name)
    .where('version', '=', version);
}

/** The RowUpdate of table `name` at `version` in scope `s` to the patch `p`. */
function rowUpdateOf(s: Required<TableScope>, name: string, version: number, p: TablePatch): RowUpdate {
  return [
    s.instanceId,
    s.catalogName,
    s.databaseName,
    name,
    version,
    p.name,
    p.database_name,
    p.table_type,
    p.table_format,
    p.owner,
    p.owner_type,
    p.definition,
    p.updated_at,
  ];
}

// The row as updated comes back with the update: no second read of it.
const updateTableStatement = preparedStatement(
  (q: Db, ...u: RowUpdate) => rowUpdate(q, ...u).returningAll(),
  ROW_UPDATE_ARITY,
);

// An update that keeps the table's name, place, type, format and owner (an Iceberg commit) sets only these: SQLite
// rewrites the index entries of every column an UPDATE sets, changed or not (the key's and the owner's: two pages more
// to the WAL per commit), and checks the database's foreign key when the key's columns are set.
const updateDefinitionStatement = preparedStatement(
  (
    q: Db,
    instanceId: string,
    catalogName: string,
    databaseName: string,
    name: string,
    version: number,
    definition: string,
    updatedAt: string,
  ) =>
    q
      .updateTable('tables')
      .set({ definition, updated_at: updatedAt, version: sql<number>`version + 1` })
      .where('instance_id', '=', instanceId)
      .where('catalog_name', '=', catalogName)
      .where('database_name', '=', databaseName)
      .where('name', '=', name)
      .where('version', '=', version)
      .returningAll(),
  7,
);

/**
 * Replaces the row of table `name` if it is still at `version` (else undefined: it changed or is gone). `was`, the row
 * as read: columns the patch leaves as they were are not set.
 */
export async function updateTableIf(
  q: Db,
  s: Required<TableScope>,
  name: string,
  version: number,
  p: TablePatch,
  was?: TableRow,
): Promise<TableRow | undefined> {
  const same =
    was !== undefined &&
    p.name === was.name &&
    p.database_name === was.database_name &&
    p.table_type === was.table_type &&
    p.table_format === was.table_format &&
    p.owner === was.owner &&
    p.owner_type === was.owner_type &&
    name === was.name &&
    s.databaseName === was.database_name;
  const statement = same
    ? updateDefinitionStatement(
        q,
        s.instanceId,
        s.catalogName,
        s.databaseName,
        name,
        version,
        p.definition,
        p.updated_at,
      )
    : updateTableStatement(q, ...rowUpdateOf(s, name, version, p));
  return (await q.executeQuery(statement.compile())).rows[0] as TableRow | undefined;
}

/**
 * updateTableIf with the writes that go with it, all only if the table is still at `version`: the row it replaces kept
 * as a version (those beyond the newest `keep` dropped), the change's event and, given one, the Iceberg
 * Idempotency-Key answer that records it. On PostgreSQL one statement whose parts take their row from the update's
 * (data-modifying WITH): atomic on its own, so it needs no transaction, and one round trip. SQLite, without round
 * trips, runs them in turn (inside the caller's transaction). False when the table is not at `version` (nothing
 * written); the row written is the patch on the one read, at `version + 1`. `was`: the row as read (see updateTableIf).
 */
export async function updateTableKeeping(
  q: Db,
  s: Required<TableScope>,
  name: string,
  version: number,
  p: TablePatch,
  kept: { snapshot: string; keep: number },
  event: NewMetadataEvent,
  answer?: IcebergIdempotencyRow,
  was?: TableRow,
): Promise<boolean> {
  const d = dialectOf(q);
  if (d.name !== 'postgres') {
    const after = await updateTableIf(q, s, name, version, p, was);
    if (after)
      await d.writeAll(q, [
        ...keepTableVersionWrites(
          q,
          {
            table_id: after.id,
            instance_id: after.instance_id,
            version,
            snapshot: kept.snapshot,
            replaced_at: p.updated_at,
          },
          kept.keep,
        ),
        eventInsert(q, event),
      ]);
    if (after && answer) await insertAnswer(q, answer);
    return after !== undefined;
  }
  if (!was) throw new Error('an update in one statement needs the row it was read as');
  const statement = (answer ? updateKeepingAnswered : updateKeeping)(
    q,
    ...rowUpdateOf(s, name, version, p),
    was.id,
    kept.snapshot,
    kept.keep > 0,
    version - kept.keep,
    event.event_type,
    event.catalog_name,
    event.database_name ?? null,
    event.object_name ?? null,
    event.principal,
    event.created_at,
    event.detail ?? null,
    answer?.project_id,
    answer?.idempotency_key,
    answer?.fingerprint,
    answer?.status,
    answer?.body ?? null,
    answer?.created_at,
    answer?.expires_at,
  );
  return (await q.executeQuery(statement.compile())).rows.length === 1;
}

// PostgreSQL's form of updateTableKeeping, with or without an Iceberg Idempotency-Key's answer. Every part after the
// update selects from it, so a table not at the version read (no row updated) writes nothing. The parts run on one
// snapshot: the trim cannot see the version inserted beside it, and needs not (it keeps the newest `keep`, that one
// among them).
/** What updateKeeping writes beside the row: the version it replaces, the trim, the event, and maybe an answer. */
type Keeping = [
  tableId: string,
  snapshot: string,
  keepOne: boolean,
  trimUpTo: number,
  eventType: string,
  eventCatalog: string,
  eventDatabase: string | null,
  eventObject: string | null,
  principal: string,
  createdAt: string,
  detail: string | null,
  answerProject?: string,
  answerKey?: string,
  fingerprint?: string,
  status?: number,
  body?: string | null,
  answeredAt?: string,
  expiresAt?: string,
];
const updateKeepingStatement = (answered: boolean) =>
  preparedStatement(
    (q: Db, ...a: [...RowUpdate, ...Keeping]) => {
      const u = a.slice(0, ROW_UPDATE_ARITY) as RowUpdate;
      const [
        tableId,
        snapshot,
        keepOne,
        trimUpTo,
        eventType,
        eventCatalog,
        eventDatabase,
        eventObject,
        principal,
        createdAt,
        detail,
        answerProject,
        answerKey,
        fingerprint,
        status,
        body,
        answeredAt,
        expiresAt,
      ] = a.slice(ROW_UPDATE_ARITY) as Keeping;
      const answering = answered
        ? sql`, answered as (
  insert into iceberg_idempotency_keys
    (project_id, idempotency_key, fingerprint, status, body, created_at, expires_at)
  select ${answerProject}, ${answerKey}, ${fingerprint}, ${status}, ${body}, ${answeredAt}, ${expiresAt} from u
)`
        : sql``;
      // The row's update is the one both stores run (embedded in raw SQL, Kysely adds no parentheses around it), here
      // also only if it is still the row read (not another table since given its name and version) and its instance
      // still serves: what a commit starting from a kept row (see TableService.kept) has not read again.
      const update = rowUpdate(q, ...u)
        .where('id', '=', tableId)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('instances')
              .select('instances.id')
              .whereRef('instances.id', '=', 'tables.instance_id')
              .where('instances.status', 'in', [sql.lit('RUNNING'), sql.lit('SCALING')])
              .where('instances.in_recycle_bin', '=', sql.lit(0)),
          ),
        );
      const text = sql<{ id: string }>`with u as (
  ${update.returning(['id', 'instance_id', 'version', 'updated_at'])}
), kept as (
  insert into table_versions (table_id, instance_id, version, snapshot, replaced_at)
  select id, instance_id, version - 1, ${snapshot}, updated_at from u where ${keepOne}::boolean
), trimmed as (
  delete from table_versions where table_id = (select id from u) and instance_id = ${u[0]}
    and version <= ${trimUpTo}
), logged as (
  insert into metadata_events
    (instance_id, event_type, catalog_name, database_name, object_name, principal, created_at, detail)
  select instance_id, ${eventType}, ${eventCatalog}, ${eventDatabase}, ${eventObject}, ${principal}, ${createdAt},
    ${detail}
  from u
)${answering}
select id from u`;
      return { compile: () => text.compile(q) };
    },
    answered ? 31 : 24, // the row's 13, then Keeping's 18 or its first 11
  );
const updateKeeping = updateKeepingStatement(false);
const updateKeepingAnswered = updateKeepingStatement(true);

export async function deleteTable(q: Db, s: Required<TableScope>, name: string): Promise<boolean> {
  const r = await q
    .deleteFrom('tables')
    .where('instance_id', '=', s.instanceId)
    .where('catalog_name', '=', s.catalogName)
    .where('database_name', '=', s.databaseName)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export type TableWithInstance = TableRow & { instance_status: string; instance_in_recycle_bin: number };

const byInstanceId = preparedQuery(
  (q: Db, projectId: string, instanceId: string, catalog: string, database: string, name: string) =>
    q
      .selectFrom('tables')
      .innerJoin('instances', 'instances.id', 'tables.instance_id')
      .selectAll('tables')
      .select(['instances.status as instance_status', 'instances.in_recycle_bin as instance_in_recycle_bin'])
      .where('instances.project_id', '=', projectId)
      .where('instances.id', '=', instanceId)
      .where('tables.catalog_name', '=', catalog)
      .where('tables.database_name', '=', database)
      .where('tables.name', '=', name),
  5,
);

const byDefaultInstance = preparedQuery(
  (q: Db, projectId: string, catalog: string, database: string, name: string) =>
    q
      .selectFrom('tables')
      .innerJoin('instances', 'instances.id', 'tables.instance_id')
      .selectAll('tables')
      .select(['instances.status as instance_status', 'instances.in_recycle_bin as instance_in_recycle_bin'])
      .where('instances.project_id', '=', projectId)
      .where('instances.default_instance', '=', sql.lit(1)) // a literal: prepared queries take only their arguments
      .where('tables.catalog_name', '=', catalog)
      .where('tables.database_name', '=', database)
      .where('tables.name', '=', name),
  4,
);

/**
 * A table and the state of its instance in one prepared read (the foreign keys guarantee the
 * catalog and database exist). Undefined when any link of the path is missing.
 */
export async function findTableByPath(
  q: Db,
  projectId: string,
  instanceRef: string,
  catalog: string,
  database: string,
  name: string,
): Promise<TableWithInstance | undefined> {
  const rows =
    instanceRef === 'default'
      ? await byDefaultInstance(q, projectId, catalog, database, name)
      : await byInstanceId(q, projectId, instanceRef, catalog, database, name);
  return rows[0] as TableWithInstance | undefined;
}

/** What decides whether a cached view of a table is still current, and who may see it. */
export interface TableStamp {
  id: string;
  instance_id: string;
  governance_version: number;
  version: number;
  updated_at: string;
  owner: string;
  owner_type: string;
  instance_status: string;
  instance_in_recycle_bin: number;
}

const STAMP_COLUMNS = [
  'tables.id',
  'tables.instance_id',
  'tables.version',
  'tables.updated_at',
  'tables.owner',
  'tables.owner_type',
  'instances.status as instance_status',
  'instances.in_recycle_bin as instance_in_recycle_bin',
  'instances.governance_version',
] as const;

const stampByInstanceId = preparedQuery(
  (q: Db, projectId: string, instanceId: string, catalog: string, database: string, name: string) =>
    q
      .selectFrom('tables')
      .innerJoin('instances', 'instances.id', 'tables.instance_id')
      .select(STAMP_COLUMNS)
      .where('instances.project_id', '=', projectId)
      .where('instances.id', '=', instanceId)
      .where('tables.catalog_name', '=', catalog)
      .where('tables.database_name', '=', database)
      .where('tables.name', '=', name),
  5,
);

const stampByDefaultInstance = preparedQuery(
  (q: Db, projectId: string, catalog: string, database: string, name: string) =>
    q
      .selectFrom('tables')
      .innerJoin('instances', 'instances.id', 'tables.instance_id')
      .select(STAMP_COLUMNS)
      .where('instances.project_id', '=', projectId)
      .where('instances.default_instance', '=', sql.lit(1)) // a literal: prepared queries take only their arguments
      .where('tables.catalog_name', '=', catalog)
      .where('tables.database_name', '=', database)
      .where('tables.name', '=', name),
  4,
);

/** The stamp of the table at a path (no definition: the read a cached view needs). */
export async function findTableStampByPath(
  q: Db,
  projectId: string,
  instanceRef: string,
  catalog: string,
  database: string,
  name: string,
): Promise<TableStamp | undefined> {
  const rows =
    instanceRef === 'default'
      ? await stampByDefaultInstance(q, projectId, catalog, database, name)
      : await stampByInstanceId(q, projectId, instanceRef, catalog, database, name);
  return rows[0] as TableStamp | undefined;
}

/**
 * A table's storage location as the expression index tables_location_idx holds it (migration
 * 0025): spelled exactly so, a condition on it is an index range; byte-wise on both databases.
 */
export function storedLocation(q: Db, definition = 'definition'): RawBuilder<string | null> {
  return dialectOf(q).name === 'postgres'
    ? sql<string | null>`((${sql.ref(definition)}::json -> 'storage_descriptor' ->> 'location') COLLATE "C")`
    : sql<string | null>`json_extract(${sql.ref(definition)}, '$.storage_descriptor.location')`;
}

/**
 * A condition: the table's storage location is one of `locations` or lies below one by whole
 * path segments (`s3://b/t1` is not under `s3://b/t10`): `l/` up to `l0` ('0' follows '/'), a
 * range rather than LIKE, so no character of a location is a wildcard. Every arm repeats the
 * instance condition, so each is one range of the index (SQLite's OR plan needs that).
 */
export function tableLocationAtOrUnder(
  q: Db,
  locations: string[],
  instance: RawBuilder<boolean>,
  definition = 'definition',
): RawBuilder<boolean> {
  const at = storedLocation(q, definition);
  return anyOf(
    locations.flatMap((l) => [
      sql<boolean>`(${instance} AND ${at} = ${l})`,
      sql<boolean>`(${instance} AND ${at} >= ${`${l}/`} AND ${at} < ${`${l}0`})`,
    ]),
  );
}

/**
 * A table of the instance, other than `exceptId`, whose storage location lies under `root`
 * (a bucket path `bucket/key`), in any of the spellings a location may take; undefined if none.
 */
export async function otherTableUnder(
  q: Db,
  instanceId: string,
  root: { bucket: string; key: string; file?: string },
  exceptId: string | string[],
) {
  return otherTableUnderAny(q, instanceId, [root], exceptId);
}

/** The same for several roots at once: a table, other than `exceptId`, under any of them. */
export async function otherTableUnderAny(
  q: Db,
  instanceId: string,
  roots: { bucket: string; key: string; file?: string }[],
  exceptId: string | string[],
) {
  const except = typeof exceptId === 'string' ? [exceptId] : exceptId;
  const spellings = roots.flatMap((root) => [
    `obs://${root.bucket}/${root.key}`,
    `s3://${root.bucket}/${root.key}`,
    ...(root.file ? [`file://${root.file}`] : []),
  ]);
  return (
    q
      .selectFrom('tables')
      .select(['catalog_name', 'database_name', 'name'])
      // The instance only inside each arm: a condition on it out here lets SQLite, without statistics of the tables,
      // prefer reading the whole instance to the arms' ranges.
      .where('catalog_name', '!=', BIN_CATALOG) // a dropped table no longer holds its location against others
      .where('id', 'not in', except.length ? except : [''])
      .where(tableLocationAtOrUnder(q, spellings, sql<boolean>`instance_id = ${instanceId}`))
      .limit(1)
      .executeTakeFirst()
  );
}

/** Who an identity is, as table owners are named: users and groups exactly, roles in any case. */
export interface OwnerNames {
  users: string[];
  groups: string[];
  roles: string[];
}

/** A live table with a storage location that an identity may reach (tablesReachedBy). */
export interface ReachedTable {
  id: string;
  catalog_name: string;
  database_name: string;
  name: string;
  owner: string;
  owner_type: string;
  location: string | null;
}

/**
 * What one statement of tablesReachedBy holds at most: parameters for the owners or grants it
 * searches and for the denials it excludes (together well below SQLite's 32,766 and PostgreSQL's
 * 65,535 bound parameters), and OR arms, each of which the planner weighs against every index.
 */
const REACH_PARAMETERS = 5_000;
const DENY_PARAMETERS = 5_000;
const ARMS = 200;

/** A condition and the parameters it binds. */
interface Bound {
  condition: RawBuilder<boolean>;
  parameters: number;
}

/**
 * Grant paths as conditions: the paths naming whole tables exactly, as most do, one IN list per
 * database (one index search however many tables it names, in lists that fit a statement); each
 * other path (a wildcard, a catalog or a database) a condition of its own.
 */
function pathConditions(paths: GrantPath[], inInstance: RawBuilder<boolean> | undefined, budget: number): Bound[] {
  const scoped = (c: RawBuilder<boolean>) => (inInstance ? sql<boolean>`(${inInstance} AND ${c})` : c);
  const extra = inInstance ? 1 : 0;
  const exact = new Map<string, { catalog: string; database: string; names: string[] }>();
  const out: Bound[] = [];
  for (const g of paths) {
    const parts = [g.catalog, g.database, g.name];
    if (parts.every((p) => p !== undefined && !p.includes('*'))) {
      const key = JSON.stringify([g.catalog, g.database]);
      const names = exact.get(key)?.names ?? [];
      if (!names.length) exact.set(key, { catalog: g.catalog as string, database: g.database as string, names });
      names.push(g.name as string);
      continue;
    }
    const parameters = parts.filter((p) => p !== undefined && p !== '*').length + extra;
    out.push({ condition: scoped(grantPathMatches(g)), parameters });
  }
  const step = budget - 2 - extra;
  for (const { catalog, database, names } of exact.values())
    for (let i = 0; i < names.length; i += step) {
      const some = names.slice(i, i + step);
      out.push({
        condition: scoped(
          sql<boolean>`(catalog_name = ${catalog} AND database_name = ${database} AND name IN (${sql.join(some)}))`,
        ),
        parameters: some.length + 2 + extra,
      });
    }
  return out;
}

/** Conditions in runs within a statement's budget of parameters and arms. */
function runsWithin(conditions: Bound[], budget: number): RawBuilder<boolean>[][] {
  const runs: RawBuilder<boolean>[][] = [];
  let run: RawBuilder<boolean>[] = [];
  let used = 0;
  for (const c of conditions) {
    if (run.length && (used + c.parameters > budget || run.length === ARMS)) {
      runs.push(run);
      run = [];
      used = 0;
    }
    run.push(c.condition);
    used += c.parameters;
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Live tables of an instance with a storage location that an identity owns, or that its grants
 * reach (`allow`) and none of its denials (`deny`) do, each decided again by `accept` (the grant
 * rules: the SQL narrows, never widens); at most `limit`, in no order.
 *
 * However many grants the identity holds, each statement stays bounded: one statement searches
 * the owners, one each run of allow conditions, and their answers are merged by id. Each allow
 * statement also excludes what the first denials reach (a row they reach the rules refuse too,
 * unless owned, which the owners' statement finds); denials beyond the budget are left to
 * `accept`. A statement whose page came back full with rows refused reads on in id order (keyset
 * pages), so refused rows cannot hide the rest.
 */
export async function tablesReachedBy(
  q: Db,
  instanceId: string,
  owners: OwnerNames,
  grants: { allow: GrantPath[]; deny: GrantPath[] },
  limit: number,
  accept: (t: ReachedTable) => boolean,
): Promise<ReachedTable[]> {
  const location = storedLocation(q);
  // Each arm names the instance, so each can be an index search (owner, names) rather than one scan of the instance.
  const inInstance = sql<boolean>`instance_id = ${instanceId}`;
  const arm = (c: RawBuilder<boolean>) => ({ condition: sql<boolean>`(${inInstance} AND ${c})`, parameters: 2 });
  const owned = [
    ...owners.users.map((u) => arm(sql`owner_type = 'USER' AND owner = ${u}`)),
    ...owners.groups.map((g) => arm(sql`owner_type = 'GROUP' AND owner = ${g}`)),
    // A role owner matches in any case: tables_role_owner_idx holds role-owned tables by their lower-cased owner.
    ...[...new Set(owners.roles.map((r) => r.toLowerCase()))].map((r) =>
      arm(sql`owner_type = 'ROLE' AND lower(owner) = ${r}`),
    ),
  ];
  const [denied] = runsWithin(pathConditions(grants.deny, undefined, DENY_PARAMETERS), DENY_PARAMETERS);
  const notDenied = denied ? sql<boolean>`NOT ${anyOf(denied)}` : undefined;
  const statements = [
    ...runsWithin(owned, REACH_PARAMETERS).map((arms) => ({ arms, notDenied: undefined })),
    ...runsWithin(pathConditions(grants.allow, inInstance, REACH_PARAMETERS), REACH_PARAMETERS).map((arms) => ({
      arms,
      notDenied,
    })),
  ];
  const found = new Map<string, ReachedTable>();
  for (const s of statements) {
    for (let after: string | undefined; ; ) {
      let query = q
        .selectFrom('tables')
        .select(['id', 'catalog_name', 'database_name', 'name', 'owner', 'owner_type'])
        .select(location.as('location'))
        // The instance is in each arm only (see otherTableUnderAny).
        .where('catalog_name', '!=', BIN_CATALOG)
        .where(sql<boolean>`${location} <> ''`) // a view holds no data
        .where(anyOf(s.arms));
      if (s.notDenied) query = query.where(s.notDenied);
      if (after !== undefined) query = query.where('id', '>', after).orderBy('id');
      const rows: ReachedTable[] = await query.limit(limit).execute();
      for (const r of rows) {
        if (!accept(r)) continue;
        found.set(r.id, r);
        if (found.size === limit) return [...found.values()];
      }
      // A page short of the limit is all there is; a full one had rows refused (else `limit` were found): read on.
      if (rows.length < limit) break;
      after = after === undefined ? '' : (rows[rows.length - 1] as ReachedTable).id;
    }
  }
  return [...found.values()];
}

/**
 * Holds the table's row lock until the transaction ends, changing nothing: a write that depends
 * on the table's columns (a constraint) then serialises with updates of the table (PostgreSQL;
 * SQLite has one writer). False when the table is gone.
 */
export async function lockTable(q: Db, id: string): Promise<boolean> {
  const r = await q
    .updateTable('tables')
    .set((eb) => ({ version: eb.ref('version') }))
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Whether a table of the instance other than `exceptIds` (live or in the bin) has its location at or under `location`.
 */
export async function locationInUse(
  q: Db,
  instanceId: string,
  location: string,
  exceptIds: string[],
): Promise<boolean> {
  let query = q
    .selectFrom('tables')
    .select('id')
    .where(tableLocationAtOrUnder(q, [location.replace(/\/+$/, '')], sql<boolean>`instance_id = ${instanceId}`));
  if (exceptIds.length) query = query.where('id', 'not in', exceptIds);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}
