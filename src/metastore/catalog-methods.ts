import { ServiceError } from '../services/errors.js';
import type { DatabaseView } from '../services/lakecat/database-service.js';
import type { FunctionView } from '../services/lakecat/function-service.js';
import { type Ctx, type MethodEntry, PAGE } from './context.js';
import { databaseIn, databaseOut, functionIn, functionOut } from './convert.js';
import { dbRef, namePattern, parseDbName } from './names.js';
import { type HmsTypes as H, T } from './runtime.js';

async function allDatabases(c: Ctx, pattern?: string | null): Promise<string[]> {
  const r = parseDbName(pattern);
  return c.s.databases.names(c.caller, c.projectId, c.instance, r.catalog, namePattern(r.database));
}

async function getDatabase(c: Ctx, name: string, catName?: string | null): Promise<H.Database> {
  const r = dbRef(name, catName);
  return databaseOut(
    (await c.s.databases.show(c.caller, c.projectId, c.instance, r.catalog, r.database)) as DatabaseView,
    c.loc,
  );
}

async function allFunctions(c: Ctx): Promise<H.Function[]> {
  const out: H.Function[] = [];
  for (const cat of await c.s.catalogs.list(c.caller, c.projectId, c.instance)) {
    let marker: string | undefined;
    for (;;) {
      const page = (await c.s.functions.listAll(c.caller, c.projectId, c.instance, cat.catalog_name, {
        limit: PAGE,
        marker,
        reversePage: false,
      })) as { functions: FunctionView[]; page_info: { next_marker?: string } };
      out.push(...page.functions.map(functionOut));
      marker = page.page_info.next_marker;
      if (!marker) break;
    }
  }
  return out;
}

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

/** Connection housekeeping, catalogs, databases and functions. */
export const CATALOG_METHODS: Record<string, MethodEntry> = {
  // fb303 and connection housekeeping
  getName: { action: 'service.status', open: true, run: () => 'lakeform' },
  getVersion: { action: 'service.status', open: true, run: (c) => c.s.version },
  getStatus: { action: 'service.status', open: true, run: () => 2 },
  getStatusDetails: { action: 'service.status', open: true, run: () => 'serving' },
  aliveSince: { action: 'service.status', open: true, run: () => STARTED },
  shutdown: { action: 'session.identify', open: true, run: (c) => c.session.end() },
  set_ugi: {
    action: 'session.identify',
    open: true,
    run: (c, a) => c.session.setUser(a.user_name, a.group_names ?? []),
  },
  get_config_value: { action: 'service.status', open: true, run: (_c, a) => configValue(a.name, a.defaultValue) },

  // catalogs
  get_catalogs: {
    action: 'catalog.list',
    run: async (c) =>
      new T.GetCatalogsResponse({
        names: (await c.s.catalogs.list(c.caller, c.projectId, c.instance)).map((x) => x.catalog_name),
      }),
  },
  get_catalog: {
    action: 'catalog.show',
    run: async (c, a) => {
      const v = await c.s.catalogs.show(c.caller, c.projectId, c.instance, a.catName?.name ?? '');
      return new T.GetCatalogResponse({
        catalog: new T.Catalog({
          name: v.catalog_name,
          description: v.description ?? '',
          locationUri: c.loc.toEngine(v.location),
        }),
      });
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
      await c.s.databases.create(
        c.caller,
        c.projectId,
        c.instance,
        r.catalog,
        databaseIn({ ...a.database, name: r.database }, c.loc),
      );
    },
  },
  alter_database: {
    action: 'database.alter',
    run: async (c, a) => {
      const r = dbRef(a.dbname);
      await c.s.databases.update(
        c.caller,
        c.projectId,
        c.instance,
        r.catalog,
        r.database,
        databaseIn({ ...a.db, name: a.db?.name || r.database }, c.loc),
      );
    },
  },
  drop_database_req: {
    action: 'database.drop',
    run: async (c, a) => {
      const r = a.req as H.DropDatabaseRequest;
      const db = dbRef(r?.name, r?.catalogName);
      try {
        await c.s.databases.delete(c.caller, c.projectId, c.instance, db.catalog, db.database, {
          cascade: Boolean(r.cascade),
          deleteData: Boolean(r.deleteData),
          isAsync: false,
        });
      } catch (err) {
        if (!(r.ignoreUnknownDb && err instanceof ServiceError && err.kind === 'not_found')) throw err;
      }
    },
  },
  drop_database: {
    action: 'database.drop',
    run: async (c, a) => {
      const r = dbRef(a.name);
      await c.s.databases.delete(c.caller, c.projectId, c.instance, r.catalog, r.database, {
        cascade: Boolean(a.cascade),
        deleteData: Boolean(a.deleteData),
        isAsync: false,
      });
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
      await c.s.functions.update(
        c.caller,
        c.projectId,
        c.instance,
        r.catalog,
        r.database,
        a.funcName,
        functionIn(a.newFunc),
      );
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
      return functionOut(
        await c.s.functions.show(c.caller, c.projectId, c.instance, r.catalog, r.database, a.funcName),
      );
    },
  },
  get_functions: {
    action: 'function.list',
    run: (c, a) => {
      const r = dbRef(a.dbName);
      return c.s.functions.names(c.caller, c.projectId, c.instance, r.catalog, r.database, namePattern(a.pattern));
    },
  },
  get_all_functions: {
    action: 'function.list',
    run: async (c) => new T.GetAllFunctionsResponse({ functions: await allFunctions(c) }),
  },
};
