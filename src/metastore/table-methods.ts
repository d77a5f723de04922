import {
  type Ctx,
  getTable,
  int16,
  type MethodEntry,
  PAGE,
  path,
  tableInfo,
  tablesByName,
  tableView,
} from './context.js';
import { tableIn } from './convert.js';
import { EncodedStrings } from './encode.js';
import { EncodedTable, EncodedTables, tableBytes } from './encode-table.js';
import { dbRef, namePattern, parseDbName, partitionValuesOf } from './names.js';
import { type HmsTypes as H, T } from './runtime.js';

async function createTable(c: Ctx, t: H.Table): Promise<void> {
  const r = dbRef(t?.dbName, t?.catName);
  await c.s.tables.create(c.caller, c.projectId, c.instance, r.catalog, r.database, tableIn(t, c.loc));
}

async function alterTable(c: Ctx, db: string, name: string, t: H.Table): Promise<void> {
  const p = path(c, db, name);
  const input = tableIn(t, c.loc);
  const target = dbRef(t.dbName || db, t.catName);
  await c.s.tables.update(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName, {
    table: input,
    ...(target.database.toLowerCase() !== p.databaseName.toLowerCase() ? { moveTo: target.database } : {}),
  });
}

async function dropTable(c: Ctx, db: string, name: string, deleteData: boolean): Promise<void> {
  const p = path(c, db, name);
  await c.s.tables.delete(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName, {
    deleteData: Boolean(deleteData),
    isAsync: false,
  });
}

async function fields(c: Ctx, db: string, name: string, withKeys: boolean): Promise<H.FieldSchema[]> {
  const t = await getTable(c, db, name);
  return withKeys ? [...t.sd.cols, ...t.partitionKeys] : t.sd.cols;
}

async function tableNames(c: Ctx, db: string, pattern?: string | null, type?: string | null): Promise<EncodedStrings> {
  const r = dbRef(db);
  return new EncodedStrings(
    await c.s.tables.names(
      c.caller,
      c.projectId,
      c.instance,
      r.catalog,
      r.database,
      namePattern(pattern),
      type || undefined,
    ),
  );
}

const empty =
  <K extends string>(key: K) =>
  async () =>
    ({ [key]: [] }) as Record<K, never[]>;

/** Empties a managed table's data, or only that of the partitions named. */
async function truncate(c: Ctx, db: string, table: string, partNames: string[] | null | undefined): Promise<void> {
  const p = path(c, db, table);
  if (partNames?.length) await c.s.partitions.truncate(c.caller, p, partNames.map(partitionValuesOf));
  else await c.s.tables.truncate(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName);
}

/** Tables and their (empty) constraints. */
export const TABLE_METHODS: Record<string, MethodEntry> = {
  // tables
  // Encoded: the hottest calls of every engine, answered with the bytes kept for the view the service returns.
  get_table: {
    action: 'table.show',
    encoded: true,
    run: async (c, a) => new EncodedTable(tableBytes(await tableView(c, a.dbname, a.tbl_name), c.loc), false),
  },
  get_table_req: {
    action: 'table.show',
    encoded: true,
    run: async (c, a) =>
      new EncodedTable(tableBytes(await tableView(c, a.req?.dbName, a.req?.tblName, a.req?.catName), c.loc), true),
  },
  get_table_objects_by_name: {
    action: 'table.list',
    encoded: true,
    run: async (c, a) => new EncodedTables(await tablesByName(c, a.dbname, a.tbl_names), c.loc, false),
  },
  get_table_objects_by_name_req: {
    action: 'table.list',
    encoded: true,
    run: async (c, a) =>
      new EncodedTables(await tablesByName(c, a.req?.dbName, a.req?.tblNames, a.req?.catName), c.loc, true),
  },
  get_tables: { action: 'table.list', encoded: true, run: (c, a) => tableNames(c, a.db_name, a.pattern) },
  get_all_tables: { action: 'table.list', encoded: true, run: (c, a) => tableNames(c, a.db_name) },
  get_tables_by_type: {
    action: 'table.list',
    encoded: true,
    run: (c, a) => tableNames(c, a.db_name, a.pattern, a.tableType),
  },
  get_table_names_by_filter: {
    action: 'table.list',
    run: async (c, a) => {
      const r = dbRef(a.dbname);
      const max = int16(a.max_tables);
      const out: string[] = [];
      let marker: string | undefined;
      while (out.length < max) {
        const page = await c.s.tables.list(c.caller, c.projectId, c.instance, r.catalog, r.database, {
          filter: a.filter || undefined,
          deleted: false,
          includeFields: ['table_name'],
          limit: Math.min(PAGE, max - out.length),
          marker,
          reversePage: false,
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
          databasePattern: namePattern(r.database),
          pattern: namePattern(a.tbl_patterns),
          types: a.tbl_types?.length ? a.tbl_types : undefined,
          limit: 2000,
          marker,
          reversePage: false,
        });
        out.push(
          ...page.table_metas.map(
            (m) =>
              new T.TableMeta({
                dbName: m.database_name,
                tableName: m.table_name,
                tableType: m.table_type,
                comments: m.comments,
                catName: m.catalog_name,
              }),
          ),
        );
        marker = page.page_info.next_marker;
        if (!marker) break;
      }
      return out;
    },
  },
  get_fields: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, false) },
  get_fields_with_environment_context: {
    action: 'table.show',
    run: (c, a) => fields(c, a.db_name, a.table_name, false),
  },
  get_schema: { action: 'table.show', run: (c, a) => fields(c, a.db_name, a.table_name, true) },
  get_schema_with_environment_context: {
    action: 'table.show',
    run: (c, a) => fields(c, a.db_name, a.table_name, true),
  },
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
      return dropTable(
        c,
        r?.catalogName ? `@${r.catalogName}#${r.dbName}` : r?.dbName,
        r?.tableName,
        Boolean(r?.deleteData),
      );
    },
  },
  truncate_table_req: {
    action: 'table.truncate',
    run: async (c, a) => {
      await truncate(c, a.req?.dbName, a.req?.tableName, a.req?.partNames);
      return new T.TruncateTableResponse();
    },
  },
  get_fields_req: {
    action: 'table.show',
    run: async (c, a) =>
      new T.GetFieldsResponse({
        fields: await fields(
          c,
          a.req?.catName ? `@${a.req.catName}#${a.req.dbName}` : a.req?.dbName,
          a.req?.tblName,
          false,
        ),
      }),
  },
  get_schema_req: {
    action: 'table.show',
    run: async (c, a) =>
      new T.GetSchemaResponse({
        fields: await fields(
          c,
          a.req?.catName ? `@${a.req.catName}#${a.req.dbName}` : a.req?.dbName,
          a.req?.tblName,
          true,
        ),
      }),
  },
  create_table_with_environment_context: { action: 'table.create', run: (c, a) => createTable(c, a.tbl) },
  alter_table: { action: 'table.alter', run: (c, a) => alterTable(c, a.dbname, a.tbl_name, a.new_tbl) },
  alter_table_with_environment_context: {
    action: 'table.alter',
    run: (c, a) => alterTable(c, a.dbname, a.tbl_name, a.new_tbl),
  },
  drop_table: { action: 'table.drop', run: (c, a) => dropTable(c, a.dbname, a.name, a.deleteData) },
  drop_table_with_environment_context: {
    action: 'table.drop',
    run: (c, a) => dropTable(c, a.dbname, a.name, a.deleteData),
  },
  truncate_table: { action: 'table.truncate', run: (c, a) => truncate(c, a.dbName, a.tableName, a.partNames) },

  // constraints: not kept through this endpoint yet; the table must be visible
  get_primary_keys: {
    action: 'table.show',
    run: async (c, a) => {
      await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName);
      return empty('primaryKeys')();
    },
  },
  get_foreign_keys: {
    action: 'table.show',
    run: async (c, a) => {
      const r = a.request as H.ForeignKeysRequest;
      if (r?.foreign_tbl_name) await tableInfo(c, r.foreign_db_name, r.foreign_tbl_name, r.catName);
      else if (r?.parent_tbl_name) await tableInfo(c, r.parent_db_name, r.parent_tbl_name, r.catName);
      return empty('foreignKeys')();
    },
  },
  get_unique_constraints: {
    action: 'table.show',
    run: async (c, a) => {
      await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName);
      return empty('uniqueConstraints')();
    },
  },
  get_not_null_constraints: {
    action: 'table.show',
    run: async (c, a) => {
      await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName);
      return empty('notNullConstraints')();
    },
  },
  get_default_constraints: {
    action: 'table.show',
    run: async (c, a) => {
      await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName);
      return empty('defaultConstraints')();
    },
  },
  get_check_constraints: {
    action: 'table.show',
    run: async (c, a) => {
      await tableInfo(c, a.request?.db_name, a.request?.tbl_name, a.request?.catName);
      return empty('checkConstraints')();
    },
  },
};
