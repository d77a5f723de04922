import { randomBytes } from 'node:crypto';
import { foreignKeysIntoDatabase } from '../../store/lakecat/constraint-repository.js';
import * as repo from '../../store/lakecat/database-repository.js';
import { countDatasets } from '../../store/lakecat/dataset-repository.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import { countFunctions } from '../../store/lakecat/function-repository.js';
import * as binRepo from '../../store/lakecat/recycle-bin-repository.js';
import { countTables } from '../../store/lakecat/table-repository.js';
import type { CatalogRow, DatabaseRow, RecycleBinRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import { isForeignKeyViolation, nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, forbidden, invalid, notFound, unlessDuplicate } from '../errors.js';
import { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { allowAnyLocation, type LocationGuard, normalizeName, validateLocation } from './names.js';
import { type BinFields, binFields, type RecycleBin } from './recycle-bin.js';
import type { WriteOptions } from './table-service.js';

export const DATABASE_NAME = /^[a-zA-Z0-9\u4e00-\u9fa5_-]+$/;
/** A nested Iceberg namespace: LakeCat database names joined by `.` (`sales.eu` is `eu` inside `sales`). */
export const NESTED_DATABASE_NAME = /^[a-zA-Z0-9\u4e00-\u9fa5_-]+(\.[a-zA-Z0-9\u4e00-\u9fa5_-]+)*$/;
export const DEFAULT_DATABASE = 'default';
/** ListDatabaseNames is unpaged in the reference; it still never returns more than this. */
export const MAX_DATABASE_NAMES = 100_000;

export interface DatabaseInput {
  database_name: string;
  description?: string;
  location?: string;
  database_type?: string;
  external_database_id?: string;
  connection_name?: string;
  data_statistic_enable?: boolean;
  owner?: string;
  owner_type?: string;
  owner_auth_source_type?: string;
  parameters?: Record<string, string>;
  function_location_list?: string[];
  table_location_list?: string[];
}

export interface DatabaseView {
  catalog_name: string;
  database_name: string;
  description: string;
  location: string;
  database_type: string;
  external_database_id?: string;
  connection_name?: string;
  data_statistic_enable: boolean;
  owner: string;
  owner_type: string;
  owner_auth_source_type: string;
  parameters: Record<string, string>;
  function_location_list: string[];
  table_location_list: string[];
  create_time: string;
  update_time: string;
}

export type { PageInfo } from '../paging.js';

import { keysetPage, type PageInfo } from '../paging.js';

const view = (r: DatabaseRow): DatabaseView => ({
  catalog_name: r.catalog_name,
  database_name: r.name,
  description: r.description,
  location: r.location,
  database_type: r.database_type,
  ...(r.external_database_id !== null ? { external_database_id: r.external_database_id } : {}),
  ...(r.connection_name !== null ? { connection_name: r.connection_name } : {}),
  data_statistic_enable: r.data_statistic_enable === 1,
  owner: r.owner,
  owner_type: r.owner_type,
  owner_auth_source_type: r.owner_source,
  parameters: JSON.parse(r.parameters) as Record<string, string>,
  function_location_list: JSON.parse(r.function_locations) as string[],
  table_location_list: JSON.parse(r.table_locations) as string[],
  create_time: r.created_at,
  update_time: r.updated_at,
});

const newId = (): string => randomBytes(16).toString('hex');

/** The row of a catalog's `default` database, made with the catalog in the same transaction. */
export function defaultDatabaseRow(catalog: CatalogRow): DatabaseRow {
  return {
    id: newId(),
    instance_id: catalog.instance_id,
    catalog_name: catalog.name,
    name: DEFAULT_DATABASE,
    description: 'Default database',
    location: catalog.location,
    database_type: 'MANAGED_DATABASE',
    external_database_id: null,
    connection_name: null,
    data_statistic_enable: 0,
    owner: catalog.owner,
    owner_type: catalog.owner_type,
    owner_source: catalog.owner_source,
    parameters: '{}',
    function_locations: '[]',
    table_locations: '[]',
    created_at: catalog.created_at,
    updated_at: catalog.created_at,
    version: 1,
  };
}

/** Databases of a catalog. */
export class DatabaseService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly localWarehouse: string | undefined,
    policies: PolicyService,
    private readonly bin: RecycleBin,
    private readonly guard: LocationGuard = allowAnyLocation,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  /** What a listing shows the caller: everything for administrators; else what they own or a grant reaches into. */
  private async visibility(
    caller: Principal,
    s: repo.DatabaseScope,
  ): Promise<Pick<repo.DatabaseFilter, 'ownedBy' | 'grantedNames'>> {
    if (caller.isAdmin) return {};
    const v = PolicyService.visibleDatabases(await this.authz.grantsOf(caller, s.instanceId), s.catalogName);
    return v === 'all' ? {} : { ownedBy: caller.userName, grantedNames: v };
  }

  private ref(projectId: string, instanceRef: string, catalogName: string) {
    return { kind: 'catalog', projectId, instance: instanceRef, catalog: catalogName } as const;
  }

  private dbRef(projectId: string, instanceRef: string, catalogName: string, name: string) {
    return { kind: 'database', projectId, instance: instanceRef, catalog: catalogName, database: name } as const;
  }

  private event(
    trx: Tx,
    instanceId: string,
    type: string,
    catalog: string,
    database: string,
    caller: Principal,
    detail?: unknown,
  ) {
    return appendEvent(trx, {
      instance_id: instanceId,
      event_type: type,
      catalog_name: catalog,
      database_name: database,
      object_name: null,
      principal: caller.userName,
      created_at: nowIso(),
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
  }

  private locations(input: DatabaseInput) {
    const check = (what: string, l: string) => validateLocation(what, l, this.localWarehouse);
    return {
      location: input.location === undefined || input.location === '' ? undefined : check('location', input.location),
      functions: input.function_location_list?.map((l) => check('function_location_list item', l)),
      tables: input.table_location_list?.map((l) => check('table_location_list item', l)),
    };
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    input: DatabaseInput,
    o: WriteOptions & { nested?: boolean } = {},
  ): Promise<DatabaseView> {
    const { instance, catalog } = await this.authz.check(
      caller,
      'database.create',
      this.ref(projectId, instanceRef, catalogName),
    );
    if (input.owner !== undefined && input.owner !== '' && input.owner !== caller.userName && !caller.isAdmin) {
      throw forbidden('only an administrator may create a database for another owner');
    }
    const name = normalizeName('database', input.database_name, o.nested ? NESTED_DATABASE_NAME : DATABASE_NAME, 128);
    const loc = this.locations(input);
    for (const l of [...(loc.location ? [loc.location] : []), ...(loc.functions ?? []), ...(loc.tables ?? [])])
      await this.guard(caller, instance.id, l);
    const now = nowIso();
    const row: DatabaseRow = {
      id: newId(),
      instance_id: instance.id,
      catalog_name: catalog.name,
      name,
      description: input.description ?? '',
      location: loc.location ?? `${catalog.location}/${name}.db`,
      database_type: input.database_type ?? 'MANAGED_DATABASE',
      external_database_id: input.external_database_id ?? null,
      connection_name: input.connection_name ?? null,
      data_statistic_enable: input.data_statistic_enable ? 1 : 0,
      owner: input.owner || caller.userName,
      owner_type: input.owner_type ?? 'USER',
      owner_source: input.owner_auth_source_type ?? 'IAM',
      parameters: JSON.stringify(input.parameters ?? {}),
      function_locations: JSON.stringify(loc.functions ?? []),
      table_locations: JSON.stringify(loc.tables ?? []),
      created_at: now,
      updated_at: now,
      version: 1,
    };
    if (row.database_type === 'FOREIGN_DATABASE' && !row.connection_name)
      throw invalid('a FOREIGN_DATABASE needs a connection_name');
    await unlessDuplicate(`database ${name} already exists in catalog ${catalog.name}`, () =>
      this.store.transaction(async (trx) => {
        await repo.insertDatabase(trx, row);
        await this.event(trx, instance.id, 'CREATE_DATABASE', catalog.name, name, caller, { object: view(row) });
        await o.within?.(trx);
      }),
    );
    return view(row);
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    q: {
      pattern?: string;
      limit: number;
      marker?: string;
      reversePage: boolean;
      externalDatabaseId?: string;
      deleted: boolean;
      childrenOf?: string | null;
    },
  ): Promise<{ databases: DatabaseView[]; page_info: PageInfo }> {
    const { instance, catalog } = await this.authz.check(
      caller,
      'database.list',
      this.ref(projectId, instanceRef, catalogName),
    );
    const s = { instanceId: instance.id, catalogName: catalog.name };
    if (q.deleted) {
      if (q.externalDatabaseId !== undefined)
        throw invalid('external_database_id does not apply with deleted=true; use database_name_pattern');
      return this.listDropped(caller, s, q);
    }
    const filter: repo.DatabaseFilter = {
      pattern: q.pattern,
      externalDatabaseId: q.externalDatabaseId,
      childrenOf: q.childrenOf,
      ...(await this.visibility(caller, s)),
    };
    const db = this.store.db;
    const page = await keysetPage<DatabaseRow, string>(
      { limit: q.limit === 0 ? 1000 : q.limit, marker: q.marker, reversePage: q.reversePage },
      {
        what: 'a database of this catalog',
        locate: async (marker) => (await repo.findDatabaseById(db, s, marker))?.name,
        fetch: (limit, c) => repo.pageDatabases(db, s, filter, limit, c),
        exists: (name, side) => repo.existsBeyond(db, s, filter, name, side),
        keyOf: (r) => r.name,
        markerOf: (r) => r.id,
      },
    );
    return { databases: page.rows.map(view), page_info: page.info };
  }

  /** The recycle bin's databases of a catalog: what the caller could see before the drop, paged as the live list. */
  private async listDropped(
    caller: Principal,
    s: repo.DatabaseScope,
    q: { pattern?: string; limit: number; marker?: string; reversePage: boolean },
  ): Promise<{ databases: (DatabaseView & BinFields)[]; page_info: PageInfo }> {
    const bs: binRepo.BinScope = { instanceId: s.instanceId, kind: 'DATABASE', catalogName: s.catalogName };
    const live = await this.visibility(caller, s);
    const f: binRepo.BinFilter = {
      pattern: q.pattern,
      ...(live.ownedBy !== undefined
        ? {
            ownedBy: live.ownedBy,
            grantedBy: (live.grantedNames ?? []).map((n) => ({ database: n })),
            ...(await this.bin.visibility(caller, s.instanceId)),
          }
        : {}),
    };
    const db = this.store.db;
    const page = await keysetPage<RecycleBinRow, binRepo.BinKey>(
      { limit: q.limit === 0 ? 1000 : q.limit, marker: q.marker, reversePage: q.reversePage },
      {
        what: 'a dropped database of this catalog',
        locate: async (marker) => {
          const e = await binRepo.findEntry(db, s.instanceId, marker);
          return e && e.kind === 'DATABASE' && e.catalog_name === s.catalogName ? binRepo.entryKey(e) : undefined;
        },
        fetch: (limit, c) => binRepo.pageEntries(db, bs, f, limit, c),
        exists: (k, side) => binRepo.entryExistsBeyond(db, bs, f, k, side),
        keyOf: binRepo.entryKey,
        markerOf: (r) => r.id,
      },
    );
    const databases: (DatabaseView & BinFields)[] = [];
    for (const e of page.rows) {
      const row = await binRepo.binnedDatabase(db, e);
      if (row) databases.push({ ...view({ ...row, catalog_name: e.catalog_name, name: e.name }), ...binFields(e) });
    }
    return { databases, page_info: page.info };
  }

  /**
   * Brings a dropped database back from the recycle bin, under its old name or `newName`, with
   * its tables, functions, datasets and the grants on them. Needs what the drop needed (DROP), on the catalog.
   */
  async restore(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    dropped: { name: string; id?: string },
    newName?: string,
  ): Promise<DatabaseView> {
    const authorized = await this.authz.prepare(
      caller,
      'database.restore',
      this.ref(projectId, instanceRef, catalogName),
      false,
    );
    const restored = await this.store.transaction(async (trx) => {
      const { instance, catalog } = await authorized.resolve(trx);
      const was = dropped.name.toLowerCase();
      const e = await binRepo.findDropped(
        trx,
        { instanceId: instance.id, kind: 'DATABASE', catalogName: catalog.name, databaseName: was },
        was,
        dropped.id,
      );
      if (!e)
        throw notFound(
          `no dropped database ` +
            `${was}${dropped.id ? ` with recycle bin id ${dropped.id}` : ''} ` +
            `in catalog ${catalog.name}`,
        );
      const name = newName === undefined ? e.name : normalizeName('database', newName, DATABASE_NAME, 128);
      // The grants first: the entry (and the grants it keeps) goes with the restore.
      await this.bin.restoreGrants(trx, projectId, e, [catalog.name, name]);
      const ok = await unlessDuplicate(`database ${name} already exists in catalog ${catalog.name}`, () =>
        binRepo.restoreDatabase(trx, e, { catalog: catalog.name, name }, nowIso()),
      );
      if (!ok) throw notFound(`recycle bin entry ${e.id} is being purged`);
      const row = await repo.findDatabase(trx, { instanceId: instance.id, catalogName: catalog.name }, name);
      if (!row) throw notFound(`database ${name} does not exist`);
      await this.event(trx, instance.id, 'RESTORE_DATABASE', catalog.name, name, caller, {
        object: view(row),
        recycle_bin_id: e.id,
        ...(name !== e.name ? { old_name: e.name } : {}),
      });
      return row;
    });
    return view(restored);
  }

  async names(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    pattern?: string,
  ): Promise<string[]> {
    const { instance, catalog } = await this.authz.check(
      caller,
      'database.list',
      this.ref(projectId, instanceRef, catalogName),
    );
    const s = { instanceId: instance.id, catalogName: catalog.name };
    const rows = await repo.listDatabaseNames(
      this.store.db,
      s,
      { pattern, ...(await this.visibility(caller, s)) },
      MAX_DATABASE_NAMES,
    );
    return rows.map((r) => r.name);
  }

  async show(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    name: string,
  ): Promise<DatabaseView> {
    return view(
      (await this.authz.check(caller, 'database.show', this.dbRef(projectId, instanceRef, catalogName, name))).database,
    );
  }

  /**
   * Replaces the given fields; a different database_name renames the database. `patchParameters`
   * derives the new parameters from the stored ones inside the transaction (Iceberg's property
   * updates), so a concurrent change is a 409, never a lost update.
   */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    name: string,
    input: DatabaseInput,
    patchParameters?: (current: Record<string, string>) => Record<string, string>,
    o: WriteOptions = {},
  ): Promise<DatabaseView> {
    const authorized = await this.authz.prepare(
      caller,
      'database.alter',
      this.dbRef(projectId, instanceRef, catalogName, name),
      false,
    );
    const current = name.toLowerCase();
    const target = normalizeName('database', input.database_name, DATABASE_NAME, 128);
    const loc = this.locations(input);
    const c = catalogName.toLowerCase();
    const updated = await unlessDuplicate(`database ${target} already exists in catalog ${c}`, () =>
      this.store.transaction(async (trx) => {
        const { instance, database: row } = await authorized.resolve(trx);
        const s = { instanceId: instance.id, catalogName: row.catalog_name };
        const before = new Set([
          row.location,
          ...(JSON.parse(row.function_locations) as string[]),
          ...(JSON.parse(row.table_locations) as string[]),
        ]);
        for (const l of [...(loc.location ? [loc.location] : []), ...(loc.functions ?? []), ...(loc.tables ?? [])])
          if (!before.has(l)) await this.guard(caller, s.instanceId, l, trx);
        if (input.owner !== undefined && input.owner !== '' && input.owner !== row.owner && !caller.isAdmin) {
          throw forbidden('only an administrator may give a database to another owner');
        }
        if (current === DEFAULT_DATABASE && target !== current) throw invalid('the default database cannot be renamed');
        const ok = await repo.updateDatabaseIf(trx, s, current, row.version, {
          name: target,
          description: input.description ?? row.description,
          location: loc.location ?? row.location,
          database_type: input.database_type ?? row.database_type,
          external_database_id: input.external_database_id ?? row.external_database_id,
          connection_name: input.connection_name ?? row.connection_name,
          data_statistic_enable:
            input.data_statistic_enable === undefined ? row.data_statistic_enable : input.data_statistic_enable ? 1 : 0,
          owner: input.owner || row.owner,
          owner_type: input.owner_type ?? row.owner_type,
          owner_source: input.owner_auth_source_type ?? row.owner_source,
          parameters: patchParameters
            ? JSON.stringify(patchParameters(JSON.parse(row.parameters) as Record<string, string>))
            : input.parameters === undefined
              ? row.parameters
              : JSON.stringify(input.parameters),
          function_locations: loc.functions === undefined ? row.function_locations : JSON.stringify(loc.functions),
          table_locations: loc.tables === undefined ? row.table_locations : JSON.stringify(loc.tables),
          updated_at: nowIso(),
        });
        if (!ok) throw conflict(`database ${current} was changed concurrently; retry`);
        if (target !== current)
          await binRepo.containerRenamed(
            trx,
            instance.id,
            { catalog: s.catalogName, database: current },
            { catalog: s.catalogName, database: target },
          );
        await o.within?.(trx);
        const after = await repo.findDatabase(trx, s, target);
        await this.event(
          trx,
          instance.id,
          target === current ? 'ALTER_DATABASE' : 'RENAME_DATABASE',
          s.catalogName,
          target,
          caller,
          { ...(after ? { object: view(after) } : {}), ...(target === current ? {} : { old_name: current }) },
        );
        return after;
      }),
    );
    if (!updated) throw notFound(`database ${target} does not exist`);
    return view(updated);
  }

  /**
   * Drops a database into the recycle bin. Its tables, functions and datasets go with it only when `cascade` asks;
   * `deleteData`: each internal table's own files go when the entry is purged (never the database folder by prefix).
   * Returns the bin entry's id.
   */
  async delete(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    name: string,
    o: { cascade: boolean; deleteData: boolean; isAsync: boolean; refuseWithChildren?: boolean } & WriteOptions,
  ): Promise<string> {
    const current = name.toLowerCase();
    const dropped = await this.authz
      .transact(
        caller,
        'database.drop',
        this.dbRef(projectId, instanceRef, catalogName, name),
        async ({ instance, database: row }, trx) => {
          const s = { instanceId: instance.id, catalogName: row.catalog_name };
          // As the reference: a catalog's default database lives as long as the catalog.
          if (current === DEFAULT_DATABASE)
            throw invalid(`the default database of catalog ${s.catalogName} cannot be deleted`);
          const [functions, tables, datasets] = await Promise.all([
            countFunctions(trx, instance.id, s.catalogName, current),
            countTables(trx, instance.id, s.catalogName, current),
            countDatasets(trx, instance.id, s.catalogName, current),
          ]);
          // An Iceberg namespace with nested namespaces is not empty (whoever may see them).
          if (o.refuseWithChildren && (await repo.pageDatabases(trx, s, { childrenOf: current }, 1, {})).rows.length) {
            throw conflict(`namespace ${current} has nested namespaces; drop them first`);
          }
          if ((functions > 0 || tables > 0 || datasets > 0) && !o.cascade) {
            throw conflict(
              `database ${current} is not empty (${tables} tables, ` +
                `${functions} functions, ${datasets} datasets); drop them first ` +
                `or pass cascade=true`,
            );
          }
          // Its tables go with it, but not from under foreign keys of tables elsewhere.
          const refs = tables > 0 ? await foreignKeysIntoDatabase(trx, instance.id, s.catalogName, current, 5) : [];
          if (refs.length) {
            throw conflict(
              `database ${current} holds tables referenced by ` +
                `${refs.map((r) => `foreign key ${r.name} of table ${r.database_name}.${r.table_name}`).join(', ')}; ` +
                `drop those first`,
            );
          }
          const e = await this.bin.dropDatabase(trx, caller, projectId, row, o.deleteData);
          await this.event(trx, instance.id, 'DROP_DATABASE', s.catalogName, current, caller, {
            object: view(row),
            cascade: o.cascade,
            delete_data: o.deleteData,
            recycle_bin_id: e.id,
          });
          await o.within?.(trx);
          return e;
        },
      )
      .catch((err: unknown) => {
        if (isForeignKeyViolation(err))
          throw conflict(
            `a table of database ${current} was just referenced by a foreign key elsewhere; drop that first`,
          );
        throw err;
      });
    return dropped.id;
  }
}
