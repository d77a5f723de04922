import { invalid, notFound, ServiceError } from '../services/errors.js';
import type { AppServices } from '../services/app-services.js';
import type { Principal } from '../services/iam/principal.js';
import type { DatabaseView } from '../services/lakecat/database-service.js';
import type { EventLog } from '../services/lakecat/event-log.js';
import type { FunctionView } from '../services/lakecat/function-service.js';
import { PARTITION_BATCH_MAX, partitionName, type TablePath } from '../services/lakecat/partition-service.js';
import type { ColumnStatisticsObject } from '../services/lakecat/statistics-service.js';
import {
  databaseIn, databaseOut, functionIn, functionOut, partitionIn, partitionOut, statsObjectIn, statsObjectOut, tableIn, tableOut,
} from './convert.js';
import type { LocationMap } from './locations.js';
import { dbRef, namePattern, parseDbName, partitionSpecOf, partitionValuesOf } from './names.js';
import { notifications } from './notifications.js';
import { type HmsTypes as H, num, T } from './runtime.js';

/** What a method runs with: the services, the caller, the instance served and the location rule. */
export interface Ctx {
  s: AppServices; caller: Principal; projectId: string; instance: string; loc: LocationMap; eventLog: EventLog;
  /** Most partitions one answer may carry (a larger match is refused, as Hive's limit.partition.request). */
  maxPartitions: number;
  session: { setUser(user: string, groups: string[]): Promise<string[]>; end(): void };
}

type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * One served Thrift method: the domain action it performs (names per the action catalog; null
 * for protocol housekeeping that touches no metadata) and the one place it calls the services.
 * `open` methods run before a user is known (identity and connection housekeeping).
 */
export interface MethodEntry { action: string | null; open?: boolean; run(c: Ctx, a: Args): Promise<unknown> | unknown }

const PAGE = 1000;

const path = (c: Ctx, db: string, table: string, catName?: string | null): TablePath => {
  const r = dbRef(db, catName);
  if (!table) throw invalid('a table name is required');
  return { projectId: c.projectId, instanceRef: c.instance, catalogName: r.catalog, databaseName: r.database, tableName: table };
};
const lower = (xs: string[] | null | undefined) => (xs ?? []).map((x) => x.toLowerCase());
const int16 = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : Number.POSITIVE_INFINITY);

function tableInfo(c: Ctx, db: string, name: string, catName?: string | null) {
  const p = path(c, db, name, catName);
  return c.s.tables.show(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName)
    .then((raw) => JSON.parse((raw as { text: string }).text) as Record<string, unknown>);
}
const getTable = async (c: Ctx, db: string, name: string, catName?: string | null) => tableOut(await tableInfo(c, db, name, catName), c.loc);

async function tablesByName(c: Ctx, db: string, names: string[] | null | undefined, catName?: string | null): Promise<H.Table[]> {
  const r = dbRef(db, catName);
  const out: H.Table[] = [];
  const unique = [...new Set(lower(names))];
  for (let i = 0; i < unique.length; i += PAGE) {
    const views = await c.s.tables.byNames(c.caller, c.projectId, c.instance, r.catalog, r.database, unique.slice(i, i + PAGE));
    out.push(...views.map((v) => tableOut(v, c.loc)));
  }
  return out;
}

/** Partitions page by page (keyset, 1,000 a step) up to `max`; more than the server's cap is refused, not truncated. */
async function partitions(c: Ctx, p: TablePath, q: { filter?: string; partial?: string[] }, max: number): Promise<H.Partition[]> {
  if (q.filter !== undefined && q.filter.length > 65_536) throw invalid('the partition filter is longer than 65536 characters');
  const out: H.Partition[] = [];
  let marker: string | undefined;
  for (;;) {
    const want = Math.min(PAGE, max - out.length, c.maxPartitions + 1 - out.length);
    if (want <= 0) break;
    const raw = await c.s.partitions.list(c.caller, p, { filter: q.filter, partialValues: q.partial, limit: want, marker, reversePage: false });
    const page = JSON.parse(raw.text) as { partitions: Record<string, unknown>[]; page_info: { next_marker?: string } };
    for (const v of page.partitions) out.push(partitionOut(v, c.loc));
    if (out.length > c.maxPartitions) {
      throw invalid(`more than ${c.maxPartitions} partitions of ${p.tableName} match; pass max_parts or a narrower filter`);
    }
    marker = page.page_info.next_marker;
    if (!marker) break;
  }
  return out;
}

async function partitionNames(c: Ctx, p: TablePath, max: number): Promise<string[]> {
  const out: string[] = [];
  let marker: string | undefined;
  while (out.length < max) {
    const page = await c.s.partitions.names(c.caller, p, { limit: Math.min(2000, max - out.length), marker, reversePage: false });
    out.push(...page.partition_name_list);
    marker = page.page_info.next_marker;
    if (!marker) break;
  }
  return out;
}

async function byValues(c: Ctx, p: TablePath, lists: string[][]): Promise<H.Partition[]> {
  const out: H.Partition[] = [];
  for (let i = 0; i < lists.length; i += PARTITION_BATCH_MAX) {
    const raw = await c.s.partitions.byValues(c.caller, p, lists.slice(i, i + PARTITION_BATCH_MAX));
    out.push(...(JSON.parse(raw.text) as Record<string, unknown>[]).map((v) => partitionOut(v, c.loc)));
  }
  return out;
}

async function onePartition(c: Ctx, p: TablePath, values: string[]): Promise<H.Partition> {
  const [found] = await byValues(c, p, [values]);
  if (!found) throw notFound(`table ${p.tableName} has no partition (${values.join(', ')})`);
  return found;
}

/** Adds partitions of one or more tables (grouped per table, each group all or nothing). */
async function addPartitions(c: Ctx, parts: H.Partition[], ifNotExists: boolean, catName?: string | null): Promise<Record<string, unknown>[]> {
  const groups = new Map<string, { p: TablePath; inputs: ReturnType<typeof partitionIn>[] }>();
  parts.forEach((part, i) => {
    const p = path(c, part.dbName, part.tableName, part.catName ?? catName);
    const key = `${p.catalogName}\u0000${p.databaseName.toLowerCase()}\u0000${p.tableName.toLowerCase()}`;
    const g = groups.get(key) ?? { p, inputs: [] };
    g.inputs.push(partitionIn(part, c.loc, `parts[${i}]`));
    groups.set(key, g);
  });
  const out: Record<string, unknown>[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.inputs.length; i += PARTITION_BATCH_MAX) {
      const raw = await c.s.partitions.add(c.caller, g.p, g.inputs.slice(i, i + PARTITION_BATCH_MAX), ifNotExists);
      out.push(...(JSON.parse(raw.text) as Record<string, unknown>[]));
    }
  }
  return out;
}

async function alterPartitions(c: Ctx, db: string, table: string, parts: H.Partition[]): Promise<void> {
  const p = path(c, db, table);
  const entries = parts.map((part, i) => ({ partition_values: part.values, partition: partitionIn(part, c.loc, `new_parts[${i}]`) }));
  for (let i = 0; i < entries.length; i += PARTITION_BATCH_MAX) await c.s.partitions.alter(c.caller, p, entries.slice(i, i + PARTITION_BATCH_MAX));
}

async function dropPartition(c: Ctx, db: string, table: string, values: string[], deleteData: boolean): Promise<boolean> {
  await c.s.partitions.drop(c.caller, path(c, db, table), [values], { ifExists: false, deleteData: Boolean(deleteData) });
  return true;
}

async function createTable(c: Ctx, t: H.Table): Promise<void> {
  const r = dbRef(t?.dbName, t?.catName);
  await c.s.tables.create(c.caller, c.projectId, c.instance, r.catalog, r.database, tableIn(t, c.loc));
}

async function alterTable(c: Ctx, db: string, name: string, t: H.Table): Promise<void> {
  const p = path(c, db, name);
  const input = tableIn(t, c.loc);
  const target = dbRef(t.dbName || db, t.catName);
  await c.s.tables.update(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName, {
    table: input, ...(target.database.toLowerCase() !== p.databaseName.toLowerCase() ? { moveTo: target.database } : {}),
  });
}

async function dropTable(c: Ctx, db: string, name: string, deleteData: boolean): Promise<void> {
  const p = path(c, db, name);
  await c.s.tables.delete(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName, { deleteData: Boolean(deleteData), isAsync: false });
}

async function fields(c: Ctx, db: string, name: string, withKeys: boolean): Promise<H.FieldSchema[]> {
  const t = await getTable(c, db, name);
  return withKeys ? [...t.sd.cols, ...t.partitionKeys] : t.sd.cols;
}

async function allDatabases(c: Ctx, pattern?: string | null): Promise<string[]> {
  const r = parseDbName(pattern);
  return c.s.databases.names(c.caller, c.projectId, c.instance, r.catalog, namePattern(r.database));
}

async function getDatabase(c: Ctx, name: string, catName?: string | null): Promise<H.Database> {
  const r = dbRef(name, catName);
  return databaseOut(await c.s.databases.show(c.caller, c.projectId, c.instance, r.catalog, r.database) as DatabaseView, c.loc);
}

async function tableNames(c: Ctx, db: string, pattern?: string | null, type?: string | null): Promise<string[]> {
  const r = dbRef(db);
  return c.s.tables.names(c.caller, c.projectId, c.instance, r.catalog, r.database, namePattern(pattern), type || undefined);
}

/** Statistics of a table or one partition, from a ColumnStatistics. */
async function setStatistics(c: Ctx, cs: H.ColumnStatistics, merge: boolean): Promise<boolean> {
  const d = cs?.statsDesc;
  if (!d) throw invalid('the statistics need a statsDesc');
  const p = path(c, d.dbName, d.tableName, d.catName);
  const objects = (cs.statsObj ?? []).map((o, i) => statsObjectIn(o, `statsObj[${i}]`));
  const analyzed = d.lastAnalyzed !== null && d.lastAnalyzed !== undefined && num(d.lastAnalyzed) > 0
    ? new Date(num(d.lastAnalyzed) * 1000).toISOString() : undefined;
  const desc = analyzed ? { last_analyzed_time: analyzed } : {};
  if (d.isTblLevel) {
    await c.s.statistics.setTable(c.caller, p, { column_statistics_desc: desc, column_statistics_objects: objects }, merge);
  } else {
    if (!d.partName) throw invalid('partition statistics need statsDesc.partName');
    await c.s.statistics.setPartitions(c.caller, p, [{ column_statistics_desc: { ...desc, partition_values: partitionValuesOf(d.partName) }, column_statistics_objects: objects }], merge);
  }
  return true;
}

async function partitionStatistics(c: Ctx, db: string, table: string, cols: string[], partNames: string[], aggregate: boolean, catName?: string | null) {
  const p = path(c, db, table, catName);
  return c.s.statistics.showPartitions(c.caller, p, { columnNames: cols ?? [], partitionValues: (partNames ?? []).map(partitionValuesOf), aggregate });
}

async function allFunctions(c: Ctx): Promise<H.Function[]> {
  const out: H.Function[] = [];
  for (const cat of await c.s.catalogs.list(c.caller, c.projectId, c.instance)) {
    let marker: string | undefined;
    for (;;) {
      const page = await c.s.functions.listAll(c.caller, c.projectId, c.instance, cat.catalog_name, { limit: PAGE, marker, reversePage: false }) as
        { functions: FunctionView[]; page_info: { next_marker?: string } };
      out.push(...page.functions.map(functionOut));
      marker = page.page_info.next_marker;
      if (!marker) break;
    }
  }
  return out;
}

const empty = <K extends string>(key: K) => async () => ({ [key]: [] }) as Record<K, never[]>;

/** Every served method. A method of the IDL missing here fails the start-up check (and the tests). */
export const METHODS: Record<string, MethodEntry> = {
  // fb303 and connection housekeeping
  getName: { action: null, open: true, run: () => 'lakeform' },
  getVersion: { action: null, open: true, run: (c) => c.s.version },
  getStatus: { action: null, open: true, run: () => 2 },
  getStatusDetails: { action: null, open: true, run: () => 'serving' },
  aliveSince: { action: null, open: true, run: () => STARTED },
  shutdown: { action: null, open: true, run: (c) => c.session.end() },
  set_ugi: { action: null, open: true, run: (c, a) => c.session.setUser(a.user_name, a.group_names ?? []) },
  get_config_value: { action: null, open: true, run: (_c, a) => configValue(a.name, a.defaultValue) },

  // catalogs
  get_catalogs: { action: 'catalog.list', run: async (c) => new T.GetCatalogsResponse({ names: (await c.s.catalogs.list(c.caller, c.projectId, c.instance)).map((x) => x.catalog_name) }) },
  get_catalog: {
    action: 'catalog.show',
    run: async (c, a) => {
      const v = await c.s.catalogs.show(c.caller, c.projectId, c.instance, a.catName?.name ?? '');
      return new T.GetCatalogResponse({ catalog: new T.Catalog({ name: v.catalog_name, description: v.description ?? '', locationUri: c.loc.toEngine(v.location) }) });
    },
  },

  // databases
  get_all_databases: { action: 'database.list', run: (c) => allDatabases(c) },
  get_databases: { action: 'database.list', run: (c, a) => allDatabases(c, a.pattern) },
  get_database: { action: 'database.show', run: (c, a) => getDatabase(c, a.name) },
  get_database_req: { action: 'database.show', run: (c, a) => getDatabase(c, a.request?.name, a.request?.catalogName) },
  create_database: {
    action: 'database.create',
    run: async (c, a) => {
      const r = parseDbName(a.database?.name, a.database?.catalogName);
      await c.s.databases.create(c.caller, c.projectId, c.instance, r.catalog, databaseIn({ ...a.database, name: r.database }, c.loc));
    },
  },
  alter_database: {
    action: 'database.alter',
    run: async (c, a) => {
      const r = dbRef(a.dbname);
      await c.s.databases.update(c.caller, c.projectId, c.instance, r.catalog, r.database, databaseIn({ ...a.db, name: a.db?.name || r.database }, c.loc));
    },
  },
  drop_database_req: {
    action: 'database.drop',
    run: async (c, a) => {
      const r = a.req as H.DropDatabaseRequest;
      const db = dbRef(r?.name, r?.catalogName);
      try {
        await c.s.databases.delete(c.caller, c.projectId, c.instance, db.catalog, db.database, { cascade: Boolean(r.cascade), deleteData: Boolean(r.deleteData), isAsync: false });
      } catch (err) {
        if (!(r.ignoreUnknownDb && err instanceof ServiceError && err.kind === 'not_found')) throw err;
      }
    },
  },
  drop_database: {
    action: 'database.drop',
    run: async (c, a) => {
      const r = dbRef(a.name);
      await c.s.databases.delete(c.caller, c.projectId, c.instance, r.catalog, r.database, { cascade: Boolean(a.cascade), deleteData: Boolean(a.deleteData), isAsync: false });
    },
  },

  // tables
  get_table: { action: 'table.show', run: (c, a) => getTable(c, a.dbname, a.tbl_name) },
  get_table_req: { action: 'table.show', run: async (c, a) => new T.GetTableResult({ table: await getTable(c, a.req?.dbName, a.req?.tblName, a.req?.catName) }) },
  get_table_objects_by_name: { action: 'table.list', run: (c, a) => tablesByName(c, a.dbname, a.tbl_names) },
  get_table_objects_by_name_req: {
    action: 'table.list',
    run: async (c, a) => new T.GetTablesResult({ tables: await tablesByName(c, a.req?.dbName, a.req?.tblNames, a.req?.catName) }),
  },
  get_tables: { action: 'table.list', run: (c, a) => tableNames(c, a.db_name, a.pattern) },
  get_all_tables: { action: 'table.list', run: (c, a) => tableNames(c, a.db_name) },
  get_tables_by_type: { action: 'table.list', run: (c, a) => tableNames(c, a.db_name, a.pattern, a.tableType) },
  get_table_names_by_filter: {
    action: 'table.list',
    run: async (c, a) => {
      const r = dbRef(a.dbname);
      const max = int16(a.max_tables);
      const out: string[] = [];
      let marker: string | undefined;
      while (out.length < max) {
        const page = await c.s.tables.list(c.caller, c.projectId, c.instance, r.catalog, r.database, {
          filter: a.filter || undefined, deleted: false, includeFields: ['table_name'], limit: Math.min(PAGE, max - out.length), marker, reversePage: false,
        });
        out.push(...page.tables.map((t) => t.table_name as string));
        marker = page.page_info.next_marker;
        if (!marker) break;
      }
      return out;
    },
  },
  get_table_meta: {
    action: 'table.list',
    run: async (c, a) => {
      const r = parseDbName(a.db_patterns);
      const out: H.TableMeta[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await c.s.tables.meta(c.caller, c.projectId, c.instance, r.catalog, {
          databasePattern: namePattern(r.database), pattern: namePattern(a.tbl_patterns), types: a.tbl_types?.length ? a.tbl_types : undefined,
          limit: 2000, marker, reversePage: false,
        });
        out.push(...page.table_metas.map((m) => new T.TableMeta({ dbName: m.database_name, tableName: m.table_name, tableType: m.table_type, comments: m.comments, catName: m.catalog_name })));
        marker = page.page_info.next_marker;
        if (!marker) break;
      }
      return out;
    },
  },
  get_fields: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, false) },
  get_fields_with_environment_context: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, false) },
  get_schema: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, true) },
  get_schema_with_environment_context: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, true) },
  create_table: { action: 'table.create', run: (c, a) => createTable(c, a.tbl) },
  create_table_req: { action: 'table.create', run: (c, a) => createTable(c, a.request?.table) },
  alter_table_req: {
    action: 'table.alter',
    run: async (c, a) => {
      const r = a.req as H.AlterTableRequest;
      await alterTable(c, r?.catName ? `@${r.catName}#${r.dbName}` : r?.dbName, r?.tableName, r?.table);
      return new T.AlterTableResponse();
    },
  },
  drop_table_req: {
    action: 'table.drop',
    run: (c, a) => {
      const r = a.dropTableReq as H.DropTableRequest;
      return dropTable(c, r?.catalogName ? `@${r.catalogName}#${r.dbName}` : r?.dbName, r?.tableName, Boolean(r?.deleteData));
    },
  },
  truncate_table_req: {
    action: 'table.truncate',
    run: async (c, a) => {
      await (METHODS.truncate_table as MethodEntry).run(c, { dbName: a.req?.dbName, tableName: a.req?.tableName, partNames: a.req?.partNames });
      return new T.TruncateTableResponse();
    },
  },
  get_fields_req: {
    action: 'table.show',
    run: async (c, a) => new T.GetFieldsResponse({ fields: await fields(c, a.req?.catName ? `@${a.req.catName}#${a.req.dbName}` : a.req?.dbName, a.req?.tblName, false) }),
  },
  get_schema_req: {
    action: 'table.show',
    run: async (c, a) => new T.GetSchemaResponse({ fields: await fields(c, a.req?.catName ? `@${a.req.catName}#${a.req.dbName}` : a.req?.dbName, a.req?.tblName, true) }),
  },
  create_table_with_environment_context: { action: 'table.create', run: (c, a) => createTable(c, a.tbl) },
  alter_table: { action: 'table.alter', run: (c, a) => alterTable(c, a.dbname, a.tbl_name, a.new_tbl) },
  alter_table_with_environment_context: { action: 'table.alter', run: (c, a) => alterTable(c, a.dbname, a.tbl_name, a.new_tbl) },
  drop_table: { action: 'table.drop', run: (c, a) => dropTable(c, a.dbname, a.name, a.deleteData) },
  drop_table_with_environment_context: { action: 'table.drop', run: (c, a) => dropTable(c, a.dbname, a.name, a.deleteData) },
  truncate_table: {
    action: 'table.truncate',
    run: async (c, a) => {
      const p = path(c, a.dbName, a.tableName);
      if (a.partNames?.length) await c.s.partitions.truncate(c.caller, p, (a.partNames as string[]).map(partitionValuesOf));
      else await c.s.tables.truncate(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName);
    },
  },

  // partitions
  add_partition: { action: 'partition.add', run: async (c, a) => partitionOut((await addPartitions(c, [a.new_part], false))[0] as Record<string, unknown>, c.loc) },
  add_partition_with_environment_context: {
    action: 'partition.add', run: async (c, a) => partitionOut((await addPartitions(c, [a.new_part], false))[0] as Record<string, unknown>, c.loc),
  },
  add_partitions: { action: 'partition.add', run: async (c, a) => (await addPartitions(c, a.new_parts ?? [], false)).length },
  add_partitions_req: {
    action: 'partition.add',
    run: async (c, a) => {
      const r = a.request as H.AddPartitionsRequest;
      const parts = (r?.parts ?? []).map((p) => Object.assign(p, { dbName: p.dbName || r.dbName, tableName: p.tableName || r.tblName }));
      const added = await addPartitions(c, parts, Boolean(r?.ifNotExists), r?.catName);
      return new T.AddPartitionsResult(r?.needResult === false ? {} : { partitions: added.map((v) => partitionOut(v, c.loc)) });
    },
  },
  get_partition: { action: 'partition.list', run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), a.part_vals ?? []) },
  get_partition_with_auth: { action: 'partition.list', run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), a.part_vals ?? []) },
  get_partition_by_name: { action: 'partition.list', run: (c, a) => onePartition(c, path(c, a.db_name, a.tbl_name), partitionValuesOf(a.part_name)) },
  get_partitions: { action: 'partition.list', run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), {}, int16(a.max_parts)) },
  get_partitions_req: {
    action: 'partition.list',
    run: async (c, a) => {
      const r = a.req as H.PartitionsRequest;
      const parts = await partitions(c, path(c, r?.dbName, r?.tblName, r?.catName), {}, int16(r?.maxParts));
      return new T.PartitionsResponse({ partitions: parts });
    },
  },
  get_partitions_by_names_req: {
    action: 'partition.list',
    run: async (c, a) => {
      const r = a.req as H.GetPartitionsByNamesRequest;
      return new T.GetPartitionsByNamesResult({ partitions: await byValues(c, path(c, r?.db_name, r?.tbl_name), (r?.names ?? []).map(partitionValuesOf)) });
    },
  },
  get_partitions_with_auth: { action: 'partition.list', run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), {}, int16(a.max_parts)) },
  get_partitions_ps: {
    action: 'partition.list', run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { partial: a.part_vals ?? [] }, int16(a.max_parts)),
  },
  get_partitions_ps_with_auth: {
    action: 'partition.list', run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { partial: a.part_vals ?? [] }, int16(a.max_parts)),
  },
  get_partition_names: { action: 'partition.list', run: (c, a) => partitionNames(c, path(c, a.db_name, a.tbl_name), int16(a.max_parts)) },
  get_partition_names_ps: {
    action: 'partition.list',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      const partial = (a.part_vals ?? []) as string[];
      if (!partial.some((v) => v !== '' && v !== '*')) return partitionNames(c, p, int16(a.max_parts));
      const keys = (await getTable(c, a.db_name, a.tbl_name)).partitionKeys.map((k) => ({ name: k.name, type: k.type }));
      const parts = await partitions(c, p, { partial }, int16(a.max_parts));
      return parts.map((x) => partitionName(keys, x.values));
    },
  },
  get_partitions_by_filter: {
    action: 'partition.list', run: (c, a) => partitions(c, path(c, a.db_name, a.tbl_name), { filter: a.filter ?? '' }, int16(a.max_parts)),
  },
  get_num_partitions_by_filter: {
    action: 'partition.list', run: async (c, a) => (await partitions(c, path(c, a.db_name, a.tbl_name), { filter: a.filter ?? '' }, Number.POSITIVE_INFINITY)).length,
  },
  get_partitions_by_names: {
    action: 'partition.list', run: (c, a) => byValues(c, path(c, a.db_name, a.tbl_name), ((a.names ?? []) as string[]).map(partitionValuesOf)),
  },
  alter_partition: { action: 'partition.alter', run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, [a.new_part]) },
  alter_partition_with_environment_context: { action: 'partition.alter', run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, [a.new_part]) },
  alter_partitions: { action: 'partition.alter', run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, a.new_parts ?? []) },
  alter_partitions_with_environment_context: { action: 'partition.alter', run: (c, a) => alterPartitions(c, a.db_name, a.tbl_name, a.new_parts ?? []) },
  rename_partition: {
    action: 'partition.alter',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      await c.s.partitions.alter(c.caller, p, [{ partition_values: a.part_vals ?? [], partition: partitionIn(a.new_part, c.loc, 'new_part') }]);
    },
  },
  drop_partition: { action: 'partition.drop', run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, a.part_vals ?? [], a.deleteData) },
  drop_partition_with_environment_context: { action: 'partition.drop', run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, a.part_vals ?? [], a.deleteData) },
  drop_partition_by_name: { action: 'partition.drop', run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, partitionValuesOf(a.part_name), a.deleteData) },
  drop_partition_by_name_with_environment_context: {
    action: 'partition.drop', run: (c, a) => dropPartition(c, a.db_name, a.tbl_name, partitionValuesOf(a.part_name), a.deleteData),
  },
  partition_name_to_vals: { action: null, open: true, run: (_c, a) => partitionValuesOf(a.part_name) },
  partition_name_to_spec: { action: null, open: true, run: (_c, a) => new Map(Object.entries(partitionSpecOf(a.part_name))) },

  // constraints: not kept through this endpoint yet; the table must be visible
  get_primary_keys: { action: 'table.show', run: async (c, a) => { await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName); return empty('primaryKeys')(); } },
  get_foreign_keys: {
    action: 'table.show',
    run: async (c, a) => {
      const r = a.request as H.ForeignKeysRequest;
      if (r?.foreign_tbl_name) await tableInfo(c, r.foreign_db_name, r.foreign_tbl_name, r.catName);
      else if (r?.parent_tbl_name) await tableInfo(c, r.parent_db_name, r.parent_tbl_name, r.catName);
      return empty('foreignKeys')();
    },
  },
  get_unique_constraints: { action: 'table.show', run: async (c, a) => { await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName); return empty('uniqueConstraints')(); } },
  get_not_null_constraints: { action: 'table.show', run: async (c, a) => { await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName); return empty('notNullConstraints')(); } },
  get_default_constraints: { action: 'table.show', run: async (c, a) => { await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName); return empty('defaultConstraints')(); } },
  get_check_constraints: { action: 'table.show', run: async (c, a) => { await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName); return empty('checkConstraints')(); } },

  // statistics
  update_table_column_statistics: { action: 'statistics.update', run: (c, a) => setStatistics(c, a.stats_obj, false) },
  update_partition_column_statistics: { action: 'statistics.update', run: (c, a) => setStatistics(c, a.stats_obj, false) },
  set_aggr_stats_for: {
    action: 'statistics.update',
    run: async (c, a) => {
      const r = a.request as H.SetPartitionsStatsRequest;
      for (const cs of r?.colStats ?? []) await setStatistics(c, cs, Boolean(r.needMerge));
      return true;
    },
  },
  get_table_column_statistics: {
    action: 'statistics.show',
    run: async (c, a) => {
      const p = path(c, a.db_name, a.tbl_name);
      const objs = await c.s.statistics.listTable(c.caller, p, [a.col_name]) as ColumnStatisticsObject[];
      if (!objs.length) throw notFound(`column ${a.col_name} of table ${a.tbl_name} has no statistics`);
      return new T.ColumnStatistics({ statsDesc: new T.ColumnStatisticsDesc({ isTblLevel: true, dbName: a.db_name, tableName: a.tbl_name }), statsObj: objs.map(statsObjectOut) });
    },
  },
  get_partition_column_statistics: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = await partitionStatistics(c, a.db_name, a.tbl_name, [a.col_name], [a.part_name], false);
      const objs = Object.values(r.column_statistics)[0] ?? [];
      if (!objs.length) throw notFound(`column ${a.col_name} of partition ${a.part_name} has no statistics`);
      return new T.ColumnStatistics({
        statsDesc: new T.ColumnStatisticsDesc({ isTblLevel: false, dbName: a.db_name, tableName: a.tbl_name, partName: a.part_name }), statsObj: objs.map(statsObjectOut),
      });
    },
  },
  get_table_statistics_req: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.TableStatsRequest;
      const objs = await c.s.statistics.listTable(c.caller, path(c, r?.dbName, r?.tblName, r?.catName), r?.colNames ?? []) as ColumnStatisticsObject[];
      return new T.TableStatsResult({ tableStats: objs.map(statsObjectOut) });
    },
  },
  get_partitions_statistics_req: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.PartitionsStatsRequest;
      const s = await partitionStatistics(c, r?.dbName, r?.tblName, r?.colNames, r?.partNames, false, r?.catName);
      return new T.PartitionsStatsResult({
        partStats: Object.fromEntries(Object.entries(s.column_statistics).map(([name, objs]) => [name, objs.map(statsObjectOut)])),
      });
    },
  },
  get_aggr_stats_for: {
    action: 'statistics.show',
    run: async (c, a) => {
      const r = a.request as H.PartitionsStatsRequest;
      const s = await partitionStatistics(c, r?.dbName, r?.tblName, r?.colNames, r?.partNames, true, r?.catName);
      return new T.AggrStats({ colStats: (Object.values(s.column_statistics)[0] ?? []).map(statsObjectOut), partsFound: s.found_partition_number });
    },
  },
  delete_table_column_statistics: {
    action: 'statistics.delete',
    run: async (c, a) => {
      await c.s.statistics.deleteTable(c.caller, path(c, a.db_name, a.tbl_name), a.col_name || undefined);
      return true;
    },
  },
  delete_partition_column_statistics: {
    action: 'statistics.delete',
    run: async (c, a) => {
      await c.s.statistics.deletePartition(c.caller, path(c, a.db_name, a.tbl_name), partitionValuesOf(a.part_name), a.col_name || undefined);
      return true;
    },
  },

  // functions
  create_function: {
    action: 'function.create',
    run: async (c, a) => {
      const r = dbRef(a.func?.dbName, a.func?.catName);
      await c.s.functions.create(c.caller, c.projectId, c.instance, r.catalog, r.database, functionIn(a.func));
    },
  },
  alter_function: {
    action: 'function.alter',
    run: async (c, a) => {
      const r = dbRef(a.dbName);
      await c.s.functions.update(c.caller, c.projectId, c.instance, r.catalog, r.database, a.funcName, functionIn(a.newFunc));
    },
  },
  drop_function: {
    action: 'function.drop',
    run: async (c, a) => {
      const r = dbRef(a.dbName);
      await c.s.functions.delete(c.caller, c.projectId, c.instance, r.catalog, r.database, a.funcName);
    },
  },
  get_function: {
    action: 'function.show',
    run: async (c, a) => {
      const r = dbRef(a.dbName);
      return functionOut(await c.s.functions.show(c.caller, c.projectId, c.instance, r.catalog, r.database, a.funcName));
    },
  },
  get_functions: {
    action: 'function.list',
    run: (c, a) => {
      const r = dbRef(a.dbName);
      return c.s.functions.names(c.caller, c.projectId, c.instance, r.catalog, r.database, namePattern(a.pattern));
    },
  },
  get_all_functions: { action: 'function.list', run: async (c) => new T.GetAllFunctionsResponse({ functions: await allFunctions(c) }) },

  // notification log
  ...notifications,
};

const STARTED = Math.floor(Date.now() / 1000);

/** Settings clients ask for at start-up; anything else gets the client's own default, as Hive answers unknown keys. */
function configValue(name: string, fallback: string): string {
  const known: Record<string, string> = {
    'hive.metastore.try.direct.sql': 'true',
    'metastore.try.direct.sql': 'true',
    'hive.metastore.client.capability.check': 'false',
  };
  return known[name] ?? fallback ?? '';
}
