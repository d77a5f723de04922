import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { cacheBound } from '../../memory.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { StoredPolicy } from '../../store/governance/policy-repository.js';
import { foreignKeysIntoTable, listConstraints } from '../../store/lakecat/constraint-repository.js';
import { findDatabase } from '../../store/lakecat/database-repository.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import { cascadePartitionColumns, tableHasPartitions } from '../../store/lakecat/partition-repository.js';
import * as binRepo from '../../store/lakecat/recycle-bin-repository.js';
import {
  deleteAllPartitionStatistics,
  deleteStatisticsOfDroppedColumns,
  deleteTableStatistics,
} from '../../store/lakecat/statistics-repository.js';
import * as repo from '../../store/lakecat/table-repository.js';
import { findTableVersion, pageTableVersions } from '../../store/lakecat/table-version-repository.js';
import type { DatabaseRow, IcebergIdempotencyRow, RecycleBinRow, TableRow } from '../../store/schema.js';
import type { Db, Store, Tx } from '../../store/store.js';
import { isForeignKeyViolation, nowIso } from '../../store/store.js';
import { ACTIONS, type ActionName } from '../authz/actions.js';
import { Authorizer, type Prepared, type Resolved, type TargetOf } from '../authz/authorizer.js';
import { decide, manages, visibility } from '../authz/decision.js';
import { ConcurrentChange, conflict, forbidden, invalid, notFound, unlessDuplicate } from '../errors.js';
import { type Action, PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type Paging } from '../paging.js';
import { RawJson } from '../raw-json.js';
import { type AtMark, ReadAtMark } from '../read-at-mark.js';
import { cacheCounters, countedCache } from '../telemetry.js';
import { type AlterParams, alterParamsOf, withFileStats } from './alter-params.js';
import { createTimeOf } from './create-time.js';
import { deleteLocationData, locationFileStats } from './data-files.js';
import { eventRow } from './event-row.js';
import { allowAnyLocation, type LocationGuard, normalizeName, some, validateLocation } from './names.js';
import { parseFilter, typeTableFilter } from './partition-filter.js';
import { binFields, type RecycleBin } from './recycle-bin.js';

/** A table without a location read without its database: a defect, since its location comes from the database. */
const missingDatabaseRow = (table: string): never => {
  throw new Error(`the database of table ${table} was not read`);
};

export const TABLE_NAME = /^[a-zA-Z0-9\u4e00-\u9fa5_]+$/;
/**
 * Names an Iceberg client may give: letters and digits of any script, `_`, `-` and `.` (the
 * compatibility kit's "names with dots"), never starting with a dot, so no name is `.` or `..`.
 */
export const ICEBERG_TABLE_NAME = /^(?!\.)[\p{L}\p{N}_.-]+$/u;

/** Work a write does inside its transaction, such as recording an Iceberg idempotency key with the change. */
export interface WriteOptions {
  within?: Within;
}
/**
 * Work inside a write's transaction; with `answer`, that work is only this Iceberg Idempotency-Key answer's insert,
 * which a store that folds a table update into one statement writes as part of it (see updateMany).
 */
export interface Within {
  (trx: Tx): Promise<void>;
  readonly answer?: IcebergIdempotencyRow;
}
export interface TableWriteOptions extends WriteOptions {
  icebergNames?: boolean;
}
export interface TableUpdate {
  table: Partial<TableInput>;
  version_id?: string;
  /** Another database of the same catalog to move the table into (Iceberg's rename across namespaces). */
  moveTo?: string;
  /** UpdateTable's alter_params, as given (see alter-params.ts). */
  alterParams?: Record<string, unknown>;
  /** With updated file statistics asked for: recompute them after the answer, not before it. */
  isAsync?: boolean;
  /** File statistics measured before the transaction, to write with the change. */
  stats?: { numFiles: number; totalSize: number };
}
/**
 * A table authorized for ALTER and read once, outside a transaction, for a read-modify-write (an Iceberg commit):
 * updateMany takes it back instead of authorizing and reading again. Its update's compare-and-swap on the version
 * read stands in for the second read; a table changed since fails it (a concurrent change), to be read again.
 */
export interface TableForUpdate {
  readonly row: TableRow;
  readonly scope: Resolved<'table.alter'>;
  /** The row this process's last update left, not read (see TableService.kept). */
  readonly kept?: boolean;
}

interface PreparedUpdate {
  authorized: Prepared<'table.alter'>;
  name: string;
  body: TableUpdate;
  target?: { s: Required<repo.TableScope>; database: DatabaseRow; grants: StoredPolicy[] };
}

/** An update checked and read, ready to write (see TableService.planUpdate). */
interface PlannedUpdate {
  /** The table's name as addressed (lower case). */
  current: string;
  body: TableUpdate;
  /** The row read, at the version the update compares with. */
  row: TableRow;
  s: Required<repo.TableScope>;
  to: PreparedUpdate['target'];
  merged: TableInput;
  /** The row read as shown (kept as the version replaced), and the definition written. */
  old: Record<string, unknown>;
  definition: Record<string, unknown>;
  patch: repo.TablePatch;
  dropsColumn: boolean;
  dropsKey: boolean;
  cascade: boolean;
  /** Nothing written but the row, its kept version and the event: one statement where the store folds them. */
  alone: boolean;
}

/**
 * Creates tables of an open format with files of their own (Iceberg: the first metadata file);
 * the Iceberg catalog implements it, wired in by the composition root (it builds on this service).
 */
export interface OpenFormatTables {
  createFromLakeCat(
    caller: Principal & { projectId: string },
    w: { instanceId: string; catalog: string },
    database: string,
    input: TableInput,
  ): Promise<Record<string, unknown>>;
}

/** Actions on a table by the privilege they need (for callers that name the privilege: Iceberg, credential vending). */
export type TableAction = { [A in ActionName]: TargetOf<A> extends 'table' ? A : never }[ActionName];
const BY_PRIVILEGE: Record<string, TableAction> = {
  read: 'table.show',
  ALTER: 'table.alter',
  DROP: 'table.drop',
  DELETE: 'table.truncate',
  SELECT: 'table.select',
  INSERT: 'table.insert',
};

const tableName = (name: string, o: TableWriteOptions): string =>
  o.icebergNames
    ? normalizeName('table', name, ICEBERG_TABLE_NAME, 256)
    : normalizeName('table', name, TABLE_NAME, 256);
export const MAX_TABLE_NAMES = 100_000;
/** A table's path as TableService.kept knows it. */
const keptKey = (r: { projectId: string; instance: string; catalog: string; database: string; table: string }) =>
  [r.projectId, r.instance, r.catalog, r.database, r.table].join('\u0000').toLowerCase();

const NAMES_CACHE_BYTES = () => cacheBound(32 * 1024 * 1024);
/**
 * About what a cached name list holds: each name as a string, twice over for its Thrift encoding
 * (src/metastore/encode.ts keeps one per list), and a slot.
 */
const namesBytes = (names: readonly string[]) => {
  let n = 16;
  for (const name of names) n += 2 * name.length + 48;
  return n;
};
export const VIEW_TYPES = new Set(['VIRTUAL_VIEW', 'MATERIALIZED_VIEW']);

export interface Column {
  column_name: string;
  column_type: string;
  comment?: string;
}
export interface StorageDescriptor {
  columns: Column[];
  location?: string;
  bucket_columns?: string[];
  sort_columns?: { column?: string; sort_order?: number }[];
  [field: string]: unknown;
}
export interface TableInput {
  table_name: string;
  table_type: string;
  table_format?: string;
  owner?: string;
  owner_type?: string;
  storage_descriptor: StorageDescriptor;
  partition_keys?: Column[];
  parameters?: Record<string, string>;
  view_original_text?: string;
  view_expanded_text?: string;
  create_open_table_format_input?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Fields kept in the definition JSON: everything written except what has a column of its own. */
const OWN_COLUMNS = new Set([
  'table_name',
  'table_type',
  'table_format',
  'owner',
  'owner_type',
  'create_time',
  'version_id',
]);

function view(r: TableRow): Record<string, unknown> {
  return viewWith(r, JSON.parse(r.definition) as Record<string, unknown>);
}

/** Definitions parsed, by row object, with the text parsed (a row changed in place is parsed again). */
const parsedDefinitions = new WeakMap<TableRow, { text: string; d: Readonly<Record<string, unknown>> }>();

/**
 * A row's definition parsed once for everyone who reads that row object (an Iceberg commit's lookup and its update
 * read the same one): shared, so frozen with its parameters; a reader copies what it changes.
 */
export function definitionOf(row: TableRow): Readonly<Record<string, unknown>> {
  const known = parsedDefinitions.get(row);
  if (known !== undefined && known.text === row.definition) return known.d;
  const d = JSON.parse(row.definition) as Record<string, unknown>;
  if (typeof d.parameters === 'object' && d.parameters !== null) Object.freeze(d.parameters);
  Object.freeze(d);
  parsedDefinitions.set(row, { text: row.definition, d });
  return d;
}

/** A row as the API shows it, with its definition already parsed (an update's, just written: not parsed again). */
function viewWith(r: TableRow, d: Record<string, unknown>): Record<string, unknown> {
  return {
    catalog_name: r.catalog_name,
    database_name: r.database_name,
    table_name: r.name,
    table_type: r.table_type,
    table_format: r.table_format,
    owner: r.owner,
    owner_type: r.owner_type,
    retention: 0,
    parameters: {},
    partition_keys: [],
    view_original_text: '',
    view_expanded_text: '',
    ...d,
    create_time: r.created_at,
    update_time: r.updated_at,
    last_access_time: (d.last_access_time as string | undefined) ?? r.created_at,
    version_id: String(r.version),
  };
}

/** The names of columns, lower case. */
const lowerNames = (cols: readonly Column[] | undefined) =>
  new Set((cols ?? []).map((c) => c.column_name.toLowerCase()));

/** Whether two column lists have the same names (ignoring case) in the same order. */
function sameNames(a: readonly Column[] | undefined, b: readonly Column[] | undefined): boolean {
  if (a === b) return true;
  const n = a?.length ?? 0;
  if (n !== (b?.length ?? 0)) return false;
  for (let i = 0; i < n; i++) {
    const x = (a as readonly Column[])[i]?.column_name;
    const y = (b as readonly Column[])[i]?.column_name;
    if (x !== y && (typeof x !== 'string' || typeof y !== 'string' || x.toLowerCase() !== y.toLowerCase()))
      return false;
  }
  return true;
}

/** Only the fields asked for (plus the name), for ListTables' include_fields. */
function pick(v: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k === 'table_name' || fields.includes(k)));
}

/** Tables of a database: the Hive model of columns, partition keys, storage and views. */
export class TableService {
  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly storage: ObjectStorage,
    private readonly localWarehouse: string | undefined,
    private readonly log: Logger,
    policies: PolicyService,
    private readonly bin: RecycleBin,
    private readonly guard: LocationGuard = allowAnyLocation,
    /** versionsKept: the most replaced versions kept per table (0: none). */
    private readonly settings: { versionsKept: number } = { versionsKept: 100 },
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  private readonly authz: Authorizer;
  private openFormats?: OpenFormatTables;

  /** The creator of Iceberg tables (set once by the composition root). */
  wireOpenFormats(o: OpenFormatTables): void {
    this.openFormats = o;
  }

  /**
   * A `create_open_table_format_input` makes a real table of that format or is refused: Iceberg
   * through the Iceberg catalog; Lance needs a writer of Lance datasets, which this server lacks.
   */
  private async createOpenFormat(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    input: TableInput,
  ) {
    const open = input.create_open_table_format_input ?? {};
    const unknown = Object.keys(open).filter(
      (k) => k !== 'create_iceberg_table_input' && k !== 'create_lance_table_input',
    );
    if (unknown.length) throw invalid(`create_open_table_format_input has unknown fields: ${unknown.join(', ')}`);
    const format = input.table_format ?? 'HIVE';
    if (open.create_lance_table_input !== undefined) {
      throw invalid(
        'create_lance_table_input is not supported: this server has no writer of Lance datasets; ' +
          'create the dataset with a Lance client and register it as a ' +
          'table of format LANCE (see docs/not-applicable.md)',
      );
    }
    if (open.create_iceberg_table_input === undefined)
      throw invalid('create_open_table_format_input needs create_iceberg_table_input');
    if (format !== 'ICEBERG') throw invalid('an Iceberg definition needs table_format ICEBERG');
    if (!this.openFormats) throw new Error('the Iceberg catalog is not wired to the table service');
    return this.openFormats.createFromLakeCat(
      { ...caller, projectId },
      { instanceId: instanceRef, catalog: catalogName },
      databaseName,
      input,
    );
  }

  private grantsOf(caller: Principal, instanceId: string, knownVersion?: number): Promise<StoredPolicy[]> {
    return this.authz.grantsOf(caller, instanceId, knownVersion);
  }

  /** The database a listing or a create works in: it must show to the caller. */
  private async databaseScope(
    caller: Principal,
    action: 'table.list' | 'table.create',
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
  ): Promise<{ s: Required<repo.TableScope>; database: DatabaseRow; grants: StoredPolicy[] }> {
    const d = await this.authz.check(caller, action, {
      kind: 'database',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
    });
    return {
      s: { instanceId: d.instance.id, catalogName: d.catalog.name, databaseName: d.database.name },
      database: d.database,
      grants: d.grants,
    };
  }

  private ref(projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string) {
    return {
      kind: 'table',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
      table: name,
    } as const;
  }

  private event(trx: Tx, s: Required<repo.TableScope>, type: string, name: string, caller: Principal, detail: unknown) {
    return appendEvent(trx, eventRow(s, type, name, caller, detail));
  }

  /** The rules a table definition must satisfy beyond its schema. Returns the definition to store. */
  private definition(
    input: TableInput,
    name: string,
    database: DatabaseRow | undefined,
    /** The columns and partition keys have the names of the stored ones, which passed the duplicate check then. */
    namesKept = false,
  ): { format: string; definition: Record<string, unknown> } {
    const format = input.table_format ?? 'HIVE';
    const sd = input.storage_descriptor;
    if (!namesKept) {
      const seen = new Set<string>();
      for (const c of [...sd.columns, ...(input.partition_keys ?? [])]) {
        const key = c.column_name.toLowerCase();
        if (seen.has(key)) throw invalid(`column ${c.column_name} appears twice among the columns and partition keys`);
        seen.add(key);
      }
    }
    if (sd.bucket_columns?.length || sd.sort_columns?.length) {
      const columnNames = lowerNames(sd.columns);
      for (const b of sd.bucket_columns ?? [])
        if (!columnNames.has(b.toLowerCase())) throw invalid(`bucket column ${b} is not a column of the table`);
      for (const o of sd.sort_columns ?? [])
        if (o.column && !columnNames.has(o.column.toLowerCase()))
          throw invalid(`sort column ${o.column} is not a column of the table`);
    }
    const isView = VIEW_TYPES.has(input.table_type);
    if (isView && !input.view_original_text) throw invalid(`a ${input.table_type} needs view_original_text`);
    if (!isView && (input.view_original_text || input.view_expanded_text)) throw invalid('only views carry view text');
    if (input.create_open_table_format_input !== undefined)
      throw invalid('create_open_table_format_input is read by CreateTable only; the table keeps no copy of it');
    const location = sd.location
      ? validateLocation('storage_descriptor.location', sd.location, this.localWarehouse)
      : isView
        ? undefined
        : `${(database ?? missingDatabaseRow(name)).location}/${name}`;
    const definition: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) if (!OWN_COLUMNS.has(k) && v !== undefined) definition[k] = v;
    definition.storage_descriptor = { ...sd, ...(location ? { location } : {}) };
    return { format, definition };
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    input: TableInput,
    o: TableWriteOptions = {},
  ) {
    if (input.create_open_table_format_input !== undefined)
      return this.createOpenFormat(caller, projectId, instanceRef, catalogName, databaseName, input);
    const { s, row } = await this.prepareCreate(caller, projectId, instanceRef, catalogName, databaseName, input, o);
    await unlessDuplicate(`table ${row.name} already exists in database ${s.databaseName}`, () =>
      this.store.transaction(async (trx) => {
        await this.insertIn(trx, caller, s, row);
        await o.within?.(trx);
      }),
    );
    this.store
      .noteRowsWritten('tables', 1)
      .catch((err: unknown) => this.log.warn({ err }, 'refreshing the planner statistics failed'));
    return view(row);
  }

  /** Everything a create checks before its transaction, and the row it will insert. */
  private async prepareCreate(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    input: TableInput,
    o: TableWriteOptions,
  ) {
    const { s, database } = await this.databaseScope(
      caller,
      'table.create',
      projectId,
      instanceRef,
      catalogName,
      databaseName,
    );
    if (input.owner && input.owner !== caller.userName && !caller.isAdmin)
      throw forbidden('only an administrator may create a table for another owner');
    const name = tableName(input.table_name, o);
    const { format, definition } = this.definition(input, name, database);
    if (input.storage_descriptor.location)
      await this.guard(caller, s.instanceId, (definition.storage_descriptor as StorageDescriptor).location as string);
    const now = nowIso();
    const row: TableRow = {
      id: randomBytes(16).toString('hex'),
      instance_id: s.instanceId,
      catalog_name: s.catalogName,
      database_name: s.databaseName,
      name,
      table_type: input.table_type,
      table_format: format,
      owner: input.owner || caller.userName,
      owner_type: input.owner_type ?? 'USER',
      definition: JSON.stringify(definition),
      created_at: createTimeOf(input.create_time, now),
      updated_at: now,
      version: 1,
    };
    return { s, row };
  }

  private async insertIn(trx: Tx, caller: Principal, s: Required<repo.TableScope>, row: TableRow): Promise<void> {
    await repo.insertTable(trx, row);
    await this.event(trx, s, 'CREATE_TABLE', row.name, caller, { object: view(row) });
  }

  /**
   * The table at a path that the caller may act on, or the exact error (instance not serving,
   * missing catalog, database or table, no rights). Partitions and statistics start here.
   */
  async resolve(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    privilege: Action = 'read',
  ): Promise<TableRow> {
    return this.authorized(caller, BY_PRIVILEGE[privilege] ?? 'table.show', {
      projectId,
      instanceRef,
      catalogName,
      databaseName,
      tableName: name,
    });
  }

  /** The table at a path, authorized for ALTER and read for an update through updateMany (see TableForUpdate). */
  async forUpdate(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
  ): Promise<TableForUpdate> {
    const ref = this.ref(projectId, instanceRef, catalogName, databaseName, name);
    const kept = this.takeKept(caller, ref);
    if (kept) return kept;
    // The one-read hot path when it applies: the update reads the database only if it needs its location.
    const scope = await (await this.authz.prepare(caller, 'table.alter', ref, true)).resolve();
    return { row: scope.table, scope };
  }

  /**
   * forUpdate's hot path alone: the table of a caller who manages it (see Authorizer.managedTable), or undefined where
   * forUpdate would read more to answer. `kept`: the caller updates it next through updateMany, which may then start
   * from the row this process's last such update left (see `kept` below) instead of reading it.
   */
  async managedForUpdate(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    o: { kept?: boolean } = {},
  ): Promise<TableForUpdate | undefined> {
    const ref = this.ref(projectId, instanceRef, catalogName, databaseName, name);
    const kept = o.kept ? this.takeKept(caller, ref) : undefined;
    if (kept) return kept;
    const scope = await this.authz.managedTable(caller, ref);
    return scope && { row: scope.table, scope };
  }

  /** The kept row of a path, for a caller who manages the table; taken, not shared (a stale one costs one redo). */
  private takeKept(caller: Principal, ref: ReturnType<TableService['ref']>): TableForUpdate | undefined {
    const key = keptKey(ref);
    const row = this.kept.get(key);
    if (!row) return undefined;
    this.kept.delete(key);
    this.keptTaken.set(key, true);
    const scope = this.authz.managedScope(caller, row);
    return scope && { row: scope.table, scope, kept: true };
  }

  /**
   * The row each Iceberg commit of this process left, by path (PostgreSQL, where reading it again is a round trip):
   * the next commit's update starts from it. Its compare-and-swap covers what the read would have checked: the row's
   * id and version (every change of a table moves it: its owner, its place, its definition) and the instance still
   * serving (see updateTableKeeping); a row changed meanwhile fails it, and the commit is redone from a fresh read.
   * Whether the caller manages the table is decided again at each use, from the row and the caller of the time.
   */
  private readonly kept = new LRUCache<string, repo.TableWithInstance>({
    max: cacheBound(10_000),
    // Bounded by size too: a definition of thousands of columns is large.
    maxSize: cacheBound(16 * 1024 * 1024),
    sizeCalculation: (row) => row.definition.length + 512,
  });
  /** Paths whose last commit started from a kept row: a redo that follows may be that row's staleness alone. */
  private readonly keptTaken = new LRUCache<string, true>({ max: cacheBound(10_000) });

  /**
   * The table at a path after the wrapper authorized the action on it (partitions, statistics and constraints start
   * here).
   */
  async authorized(
    caller: Principal,
    action: TableAction,
    p: { projectId: string; instanceRef: string; catalogName: string; databaseName: string; tableName: string },
  ): Promise<TableRow> {
    return (
      await this.authz.check(
        caller,
        action,
        this.ref(p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName),
      )
    ).table;
  }

  /**
   * Serialised views of recently shown tables. The row is still read on every call (so every
   * replica answers with the stored state); only turning it into JSON is skipped while the
   * stamp (version and path) is unchanged. Bounded, so memory does not grow with the tables.
   */
  private readonly shown = countedCache(
    'table_answers',
    new LRUCache<string, { stamp: string; json: RawJson }>({ max: cacheBound(10_000) }),
  );

  /** The stamp and view of a path as of a store change mark: while the mark holds, nothing changed (SQLite). */
  private readonly shownAt = new LRUCache<string, { mark: string; stamp: repo.TableStamp; json: RawJson }>({
    max: cacheBound(10_000),
  });

  async show(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    versionId?: string,
  ) {
    const [c, d, n] = [catalogName.toLowerCase(), databaseName.toLowerCase(), name.toLowerCase()];
    if (versionId === undefined) {
      // Hottest path (SQLite): nothing was committed since this path was last read.
      const mark = this.store.changeMark();
      const path = `${projectId}/${instanceRef}/${c}/${d}/${n}`;
      const known = mark === undefined ? undefined : this.shownAt.get(path);
      if (known && known.mark === mark && (await this.maySee(caller, known.stamp, c, d, n)))
        return this.forCaller(caller, known.stamp.instance_id, known.json, c, d, n, known.stamp);
      // Hot path: a narrow read of the table's stamp; a cached view with the same stamp is current.
      const t = await repo.findTableStampByPath(this.store.db, projectId, instanceRef, c, d, n);
      if (
        t &&
        t.instance_status === 'RUNNING' &&
        !t.instance_in_recycle_bin &&
        (await this.maySee(caller, t, c, d, n))
      ) {
        const hit = this.shown.get(t.id);
        if (hit?.stamp === `${t.version}/${t.updated_at}/${c}/${d}/${n}`) {
          if (mark !== undefined) this.shownAt.set(path, { mark, stamp: t, json: hit.json });
          return this.forCaller(caller, t.instance_id, hit.json, c, d, n, t);
        }
      }
    }
    const row = await this.resolve(caller, projectId, instanceRef, catalogName, databaseName, name);
    if (versionId !== undefined && versionId !== String(row.version)) {
      const kept = /^\d{1,15}$/.test(versionId)
        ? await findTableVersion(this.store.db, row.instance_id, row.id, Number(versionId))
        : undefined;
      if (!kept) throw notFound(`table ${row.name} has no version ${versionId} (or it is no longer kept)`);
      // Read as the table is now: a caller limited to some columns sees only those of the old version too.
      return this.forCaller(
        caller,
        row.instance_id,
        new RawJson(kept.snapshot),
        row.catalog_name,
        row.database_name,
        row.name,
        row,
      );
    }
    const json = new RawJson(JSON.stringify(view(row)));
    this.shown.set(row.id, {
      stamp: `${row.version}/${row.updated_at}/${row.catalog_name}/${row.database_name}/${row.name}`,
      json,
    });
    return this.forCaller(caller, row.instance_id, json, row.catalog_name, row.database_name, row.name, row);
  }

  /**
   * The table as this caller may read it: whole for its owner, administrators and grants on
   * the table or above; with only the columns its column grants allow otherwise.
   */
  private async forCaller(
    caller: Principal,
    instanceId: string,
    json: RawJson,
    catalog: string,
    database: string,
    name: string,
    owner?: { owner: string; owner_type: string; governance_version?: number },
  ): Promise<RawJson> {
    if (caller.isAdmin || (owner && manages(caller, owner))) return json;
    const grants = await this.grantsOf(caller, instanceId, owner?.governance_version);
    const r = { resource_type: 'TABLE', catalog, database, table: name };
    if (PolicyService.permitsWholeTable(grants, r)) return json;
    const table = JSON.parse(json.text) as {
      owner: string;
      owner_type: string;
      storage_descriptor?: { columns?: Column[] };
    };
    if (manages(caller, table)) return json;
    const columns = table.storage_descriptor?.columns ?? [];
    const visible = PolicyService.visibleColumns(
      grants,
      r,
      columns.map((x) => x.column_name),
    );
    if (visible === 'all') return json;
    if (table.storage_descriptor) table.storage_descriptor.columns = columns.filter((x) => visible.has(x.column_name));
    return new RawJson(JSON.stringify(table));
  }

  /**
   * The columns of a table the caller may read, as ShowTable shows them: all for its owner,
   * administrators and grants on the table or above; else those its column grants allow
   * (partition keys always show).
   */
  async readableColumns(caller: Principal, table: TableRow): Promise<'all' | Set<string>> {
    if (manages(caller, table)) return 'all';
    const grants = await this.grantsOf(caller, table.instance_id);
    const r = { resource_type: 'TABLE', catalog: table.catalog_name, database: table.database_name, table: table.name };
    if (PolicyService.permitsWholeTable(grants, r)) return 'all';
    const d = JSON.parse(table.definition) as {
      storage_descriptor?: { columns?: Column[] };
      partition_keys?: Column[];
    };
    const visible = PolicyService.visibleColumns(
      grants,
      r,
      (d.storage_descriptor?.columns ?? []).map((c) => c.column_name),
    );
    return visible === 'all' ? visible : new Set([...visible, ...(d.partition_keys ?? []).map((c) => c.column_name)]);
  }

  /**
   * Whether the caller may see a table known by its stamp: its owner, an administrator, or a grant reaching it (the
   * grant set is cached while the store is unchanged).
   */
  private async maySee(
    caller: Principal,
    t: repo.TableStamp,
    catalog: string,
    database: string,
    name: string,
  ): Promise<boolean> {
    if (manages(caller, t)) return true;
    const grants = await this.grantsOf(caller, t.instance_id, t.governance_version);
    return visibility(caller, { kind: 'table', catalog, database, name, row: t }, grants).visible;
  }

  /** Replaces the definition; a different table_name renames; a version_id must match the stored version. */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    body: TableUpdate,
    o: TableWriteOptions = {},
  ) {
    const alter = alterParamsOf(body.alterParams);
    const locationOf = (t: { storage_descriptor?: { location?: string } }) => t.storage_descriptor?.location;
    let stats: TableUpdate['stats'];
    if (alter.updateStats && !body.isAsync) {
      // Measured before the transaction (storage is slow), at the location the table will have.
      const row = await this.resolve(caller, projectId, instanceRef, catalogName, databaseName, name, 'ALTER');
      const location =
        locationOf(body.table as { storage_descriptor?: { location?: string } }) ??
        locationOf(JSON.parse(row.definition) as { storage_descriptor?: { location?: string } });
      if (location) stats = await locationFileStats(this.storage, location, this.localWarehouse);
    }
    const [updated] = (await this.updateMany(
      caller,
      projectId,
      instanceRef,
      catalogName,
      [{ databaseName, name, body: { ...body, stats } }],
      o,
    )) as Record<string, unknown>[];
    const view = updated as Record<string, unknown> & { storage_descriptor?: { location?: string } };
    const location = locationOf(view);
    if (alter.updateStats && body.isAsync && location) {
      // As the deletes' is_async: the change is made now, the slow part (listing the files) after the answer.
      const later = async () => {
        const measured = await locationFileStats(this.storage, location, this.localWarehouse);
        await this.update(
          caller,
          projectId,
          instanceRef,
          catalogName,
          view.database_name as string,
          view.table_name as string,
          {
            table: {
              parameters: withFileStats(
                (view.parameters ?? {}) as Record<string, string>,
                measured,
                alter.statsGenerated,
              ),
            },
            version_id: view.version_id as string,
          },
        );
      };
      later().catch((err: unknown) =>
        this.log.warn({ err, table: view.table_name }, 'recomputing the file statistics of a table failed'),
      );
    }
    return view;
  }

  /** Commit lock names by when they were last seen contended across replicas (see withCommitLock). */
  private readonly contended = new LRUCache<string, number>({ max: cacheBound(4096) });

  /**
   * Runs fn holding the commit locks of these tables (named, whether they exist yet or not): one
   * holder per table at a time. Iceberg commits read their base and swap under it. In this process always; across
   * replicas (a database round trip or three) only on a retry, and for a minute after one on any of these tables:
   * the compare-and-swap keeps a commit correct without it, and the shared lock then queues replicas that race.
   */
  withCommitLock<T>(
    projectId: string,
    instanceRef: string,
    catalogName: string,
    tables: { databaseName: string; name: string }[],
    fn: () => Promise<T>,
    attempt = 0,
  ): Promise<T> {
    const names = tables.map((t) =>
      ['table-commit', projectId, instanceRef, catalogName, t.databaseName, t.name].join('/').toLowerCase(),
    );
    const now = Date.now();
    // A first redo after a start from kept rows (see kept), which may just have been stale, reads afresh before it
    // counts as replicas racing.
    const paths = tables.map((t) => keptKey(this.ref(projectId, instanceRef, catalogName, t.databaseName, t.name)));
    const fromKept = attempt === 1 && paths.every((k) => this.keptTaken.has(k));
    for (const k of paths) this.keptTaken.delete(k);
    if (attempt > 0 && !fromKept) for (const n of names) this.contended.set(n, now);
    const acrossReplicas = attempt > 0 || names.some((n) => now - (this.contended.get(n) ?? -Infinity) < 60_000);
    return this.store.serialized(names, fn, { acrossReplicas });
  }

  /**
   * Several table updates (and creates) in one transaction: all land or none (Iceberg's
   * multi-table commit). Each is checked exactly as a single update or create is.
   */
  async updateMany(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    items: { databaseName: string; name: string; body: TableUpdate; read?: TableForUpdate }[],
    o: TableWriteOptions & { creates?: { databaseName: string; input: TableInput }[] } = {},
  ) {
    const creates: { s: Required<repo.TableScope>; row: TableRow }[] = [];
    for (const c of o.creates ?? [])
      creates.push(await this.prepareCreate(caller, projectId, instanceRef, catalogName, c.databaseName, c.input, o));
    const prepared: PreparedUpdate[] = [];
    for (const it of items) {
      const read = it.read;
      const authorized = read
        ? ({ resolve: async () => read.scope } as Prepared<'table.alter'>)
        : await this.authz.prepare(
            caller,
            'table.alter',
            this.ref(projectId, instanceRef, catalogName, it.databaseName, it.name),
            false,
          );
      const target =
        it.body.moveTo !== undefined && it.body.moveTo.toLowerCase() !== it.databaseName.toLowerCase()
          ? await this.databaseScope(caller, 'table.list', projectId, instanceRef, catalogName, it.body.moveTo)
          : undefined;
      prepared.push({ authorized, name: it.name.toLowerCase(), body: it.body, target });
    }
    if (!prepared.length && !creates.length) return [];
    const [only] = prepared;
    const within = o.within;
    if (
      only &&
      prepared.length === 1 &&
      !creates.length &&
      (!within || within.answer) &&
      this.store.capabilities.oneStatementWrites
    ) {
      const it = items[0] as (typeof items)[number];
      const path = keptKey(this.ref(projectId, instanceRef, catalogName, it.databaseName, it.name));
      // Written otherwise than by a commit that keeps its row: what was kept is stale.
      if (!it.read) this.kept.delete(path);
      // One table's update (an Iceberg commit): its checks read first, and when it writes nothing but the row, the
      // kept version, the event (and an Idempotency-Key's answer), that is one statement, atomic alone: no
      // transaction (BEGIN, COMMIT) around it.
      const plan = await this.planUpdate(this.store.db, caller, only, o);
      const after = plan.alone
        ? await this.store.statement((q) => this.applyUpdate(q, caller, plan, within?.answer))
        : await this.store.transaction(async (trx) => {
            const row = await this.applyUpdate(trx, caller, plan);
            await within?.(trx);
            return row;
          });
      this.keptTaken.delete(path);
      // A read-modify-write (an Iceberg commit) by its table's path and instance id, that left both as they were: its
      // next one may start from the row it wrote (with the instance state read with it).
      if ('instance_status' in after && instanceRef === after.instance_id && after.name === plan.current && !plan.to)
        this.kept.set(keptKey(this.ref(projectId, instanceRef, after.catalog_name, after.database_name, after.name)), {
          ...(after as repo.TableWithInstance),
        });
      return [viewWith(after, plan.definition)];
    }
    const updated = await this.store.transaction(async (trx) => {
      for (const c of creates)
        await unlessDuplicate(`table ${c.row.name} already exists in database ${c.s.databaseName}`, () =>
          this.insertIn(trx, caller, c.s, c.row),
        );
      const out: Record<string, unknown>[] = [];
      for (const it of prepared) {
        const plan = await this.planUpdate(trx, caller, it, o);
        // Shown from the definition the plan made, not parsed back from its text.
        out.push(viewWith(await this.applyUpdate(trx, caller, plan), plan.definition));
      }
      await o.within?.(trx);
      return out;
    });
    return [...creates.map((c) => view(c.row)), ...updated];
  }

  /**
   * An update's checks and reads, before anything is written (in `q`, the update's transaction, or the database when
   * the update may be one statement: see updateMany). Reads there see what reads in a READ COMMITTED transaction do.
   */
  private async planUpdate(q: Db, caller: Principal, it: PreparedUpdate, o: TableWriteOptions): Promise<PlannedUpdate> {
    const { name: current, body } = it;
    const { table: row, database: known } = await it.authorized.resolve(q);
    const s = { instanceId: row.instance_id, catalogName: row.catalog_name, databaseName: row.database_name };
    const expected = body.version_id ?? (body.table.version_id as string | undefined);
    if (expected !== undefined && expected !== String(row.version)) {
      throw new ConcurrentChange(
        `table ${current} is at version ${row.version}, not ${expected}: it changed since it was read`,
      );
    }
    const old = viewWith(row, definitionOf(row));
    // The reference: the client's table id is given at creation and never changes.
    const externalId = body.table.external_table_id;
    if (externalId !== undefined && externalId !== old.external_table_id)
      throw invalid(
        `external_table_id is set when a table is created and cannot ` +
          `change (table ${current} has ` +
          `${old.external_table_id === undefined ? 'none' : `"${String(old.external_table_id)}"`})`,
      );
    const merged = { ...old, ...body.table } as unknown as TableInput;
    // Tables created before it was read stored the create input; an update does not carry it on.
    if (body.table.create_open_table_format_input === undefined) delete merged.create_open_table_format_input;
    // A name the table already has stays valid (an Iceberg name may be wider than LakeCat's own).
    const target = merged.table_name.toLowerCase() === current ? current : tableName(merged.table_name, o);
    if (body.table.owner !== undefined && body.table.owner !== row.owner && !caller.isAdmin)
      throw forbidden('only an administrator may give a table to another owner');
    // Moving to another database: the caller must be allowed to create tables there.
    const to = it.target;
    if (
      to &&
      !decide(
        ACTIONS['table.create'],
        caller,
        { kind: 'database', catalog: to.s.catalogName, database: to.database.name, row: to.database, ownsInside: true },
        to.grants,
      ).allowed
    ) {
      throw forbidden(
        `moving table ${current} into database ${to.database.name} needs a grant of CREATE_TABLE on that database`,
      );
    }
    // The hot path's read carries no database: its row is read only for a table without a location of its own.
    const database =
      to?.database ??
      known ??
      (merged.storage_descriptor?.location || VIEW_TYPES.has(merged.table_type)
        ? undefined
        : await findDatabase(q, s, s.databaseName));
    // Most updates (an Iceberg commit adding a snapshot) keep every column and key: nothing about them to check again.
    const oldColumns = (old.storage_descriptor as StorageDescriptor | undefined)?.columns;
    const oldKeys = (old as Partial<TableInput>).partition_keys;
    const namesKept =
      sameNames(merged.storage_descriptor.columns, oldColumns) && sameNames(merged.partition_keys, oldKeys);
    const { format, definition } = this.definition(merged, target, database, namesKept);
    const alter: AlterParams = alterParamsOf(body.alterParams);
    if (body.stats)
      definition.parameters = withFileStats(
        (definition.parameters ?? {}) as Record<string, string>,
        body.stats,
        alter.statsGenerated,
      );
    const location = (definition.storage_descriptor as StorageDescriptor).location;
    if (location && location !== (old.storage_descriptor as StorageDescriptor | undefined)?.location)
      await this.guard(caller, s.instanceId, location, q);
    for (const k of ['catalog_name', 'database_name', 'update_time']) delete definition[k];
    // Partitions are named and typed by the keys: they cannot change under existing partitions.
    const keysOf = (t: Partial<TableInput>) =>
      JSON.stringify((t.partition_keys ?? []).map((c) => [c.column_name.toLowerCase(), c.column_type.toLowerCase()]));
    if (keysOf(merged) !== keysOf(old as Partial<TableInput>) && (await tableHasPartitions(q, row.id))) {
      throw invalid(`table ${current} has partitions: its partition keys cannot change`);
    }
    // Statistics and constraints name only columns the table had when they were written: an update that drops no
    // column (most do, as an Iceberg commit adding a snapshot) leaves them valid, so they are not read or cleaned.
    let dropsColumn = false;
    let dropsKey = false;
    if (!namesKept) {
      const columnsNow = lowerNames(merged.storage_descriptor.columns);
      const keysNow = lowerNames(merged.partition_keys);
      dropsColumn = [...lowerNames(oldColumns)].some((c) => !columnsNow.has(c));
      dropsKey = [...lowerNames(oldKeys)].some((c) => !keysNow.has(c) && !columnsNow.has(c));
    }
    // CASCADE: the partitions take the new columns in the update's transaction (Hive's ALTER TABLE ... CASCADE).
    const columnsOf = (t: Partial<TableInput>) => JSON.stringify(t.storage_descriptor?.columns ?? []);
    const cascade = alter.cascade && columnsOf(merged) !== columnsOf(old as Partial<TableInput>);
    return {
      current,
      body,
      row,
      s,
      to,
      merged,
      old,
      definition,
      patch: {
        name: target,
        table_type: merged.table_type,
        table_format: format,
        owner: merged.owner ?? row.owner,
        owner_type: merged.owner_type ?? row.owner_type,
        definition: JSON.stringify(definition),
        updated_at: nowIso(),
        database_name: to ? to.s.databaseName : s.databaseName,
      },
      dropsColumn,
      dropsKey,
      cascade,
      alone: !dropsColumn && !dropsKey && !cascade,
    };
  }

  /**
   * An update's writes, after planUpdate: in a transaction, or alone (one statement, atomic by itself) when the plan
   * says it writes nothing else.
   */
  private async applyUpdate(
    q: Db,
    caller: Principal,
    plan: PlannedUpdate,
    answer?: IcebergIdempotencyRow,
  ): Promise<TableRow> {
    const { current, body, row, s, to, merged, patch } = plan;
    if (plan.dropsColumn)
      await deleteStatisticsOfDroppedColumns(q, row.id, [...lowerNames(merged.storage_descriptor.columns)]);
    const where = to?.s ?? s;
    const renamed = patch.name !== current || to !== undefined;
    // The row as the update leaves it (every column but the version is written, and the version moves by one from
    // the one compared), for the event written with it.
    const after: TableRow = { ...row, ...patch, version: row.version + 1 };
    // The definition replaced stays readable as a version (ShowTable's version_id, ListTableVersions); the update, it
    // and the event are written together (one statement on PostgreSQL).
    const updated = await unlessDuplicate(`table ${patch.name} already exists in database ${where.databaseName}`, () =>
      repo.updateTableKeeping(
        q,
        s,
        current,
        row.version,
        patch,
        { snapshot: JSON.stringify(plan.old), keep: this.settings.versionsKept },
        eventRow(where, renamed ? 'RENAME_TABLE' : 'ALTER_TABLE', patch.name, caller, {
          object: viewWith(after, plan.definition),
          ...(body.alterParams ? { alter_params: body.alterParams } : {}),
          ...(renamed ? { old_name: current, ...(to ? { old_database: s.databaseName } : {}) } : {}),
        }),
        answer,
        row,
      ),
    );
    if (!updated) throw new ConcurrentChange(`table ${current} was changed concurrently; retry`);
    if (plan.cascade) await cascadePartitionColumns(q, row.id, merged.storage_descriptor.columns, nowIso());
    // Checked under the row lock the update took, which constraint writes take too.
    if (!plan.dropsColumn && !plan.dropsKey) return after;
    const kept = lowerNames([...merged.storage_descriptor.columns, ...(merged.partition_keys ?? [])]);
    for (const c of await listConstraints(q, row.id)) {
      const gone = (JSON.parse(c.columns) as string[]).filter((x) => !kept.has(x.toLowerCase()));
      if (gone.length)
        throw conflict(
          `column ${gone.join(', ')} of table ${current} is used by ` +
            `${c.constraint_type} ${c.name}; drop the constraint first`,
        );
    }
    return after;
  }

  /** The kept versions of a table, newest first; the marker is the last version_id of the previous page. */
  async versions(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    q: { limit: number; marker?: string },
  ) {
    const row = await this.authorized(caller, 'table.versions', {
      projectId,
      instanceRef,
      catalogName,
      databaseName,
      tableName: name,
    });
    if (q.marker !== undefined && !/^\d{1,15}$/.test(q.marker))
      throw invalid(`marker ${q.marker} is not a version_id of this listing`);
    // The first page starts with the current version; the kept ones follow, newest first.
    const current =
      q.marker === undefined ? [{ version: row.version, snapshot: JSON.stringify(view(row)), replaced_at: '' }] : [];
    const rows = [
      ...current,
      ...(await pageTableVersions(
        this.store.db,
        row.instance_id,
        row.id,
        q.limit + 1 - current.length,
        q.marker === undefined ? undefined : Number(q.marker),
      )),
    ];
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const columnsOk = await this.readableColumns(caller, row);
    return {
      table_versions: page.map((v) => {
        const t = JSON.parse(v.snapshot) as Record<string, unknown> & { storage_descriptor?: { columns?: Column[] } };
        if (columnsOk !== 'all' && t.storage_descriptor?.columns)
          t.storage_descriptor.columns = t.storage_descriptor.columns.filter((c) => columnsOk.has(c.column_name));
        return {
          version_id: String(v.version),
          is_current: v.version === row.version,
          ...(v.replaced_at ? { replaced_time: v.replaced_at } : {}),
          table: t,
        };
      }),
      page_info: {
        current_count: page.length,
        ...(rows.length > q.limit && last ? { next_marker: String(last.version) } : {}),
      },
    };
  }

  /**
   * Drops a table into the recycle bin, with its partitions, statistics, constraints and grants.
   * `deleteData`: an internal table's files go when the entry is purged. `purge`: purged at once
   * (Iceberg's purgeRequested). Returns the bin entry's id.
   */
  async delete(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    o: { deleteData: boolean; isAsync: boolean; purge?: boolean } & WriteOptions,
  ): Promise<string> {
    const current = name.toLowerCase();
    const entry = await this.authz
      .transact(
        caller,
        'table.drop',
        this.ref(projectId, instanceRef, catalogName, databaseName, name),
        async ({ table: row }, trx) => {
          const s = { instanceId: row.instance_id, catalogName: row.catalog_name, databaseName: row.database_name };
          // As Hive: a table other tables' foreign keys reference stays until they are dropped (its own constraints go
          // with it).
          const refs = await foreignKeysIntoTable(trx, row.id, 5);
          if (refs.length)
            throw conflict(
              `table ${current} is referenced by ${some(
                refs.map((r) => `foreign key ${r.name} of table ${r.database_name}.${r.table_name}`),
                4,
              )}; drop those first`,
            );
          const e = await this.bin.dropTable(trx, caller, projectId, row, o.deleteData || o.purge === true);
          await this.event(trx, s, 'DROP_TABLE', current, caller, {
            object: view(row),
            delete_data: o.deleteData,
            recycle_bin_id: e.id,
          });
          await o.within?.(trx);
          return e;
        },
      )
      .catch((err: unknown) => {
        // A foreign key into the table was added after the check above (the database's own key refused the drop).
        if (isForeignKeyViolation(err))
          throw conflict(`table ${current} was just referenced by a foreign key of another table; drop that first`);
        throw err;
      });
    if (o.purge) await this.bin.purgeNow(entry, caller.userName);
    return entry.id;
  }

  /**
   * Brings a dropped table back from the recycle bin into the database it was dropped from,
   * under its old name or `newName`, with everything that went with it. Needs what the drop
   * needed (DROP), on the database.
   */
  async restore(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    dropped: { name: string; id?: string },
    newName?: string,
  ) {
    const authorized = await this.authz.prepare(
      caller,
      'table.restore',
      { kind: 'database', projectId, instance: instanceRef, catalog: catalogName, database: databaseName },
      false,
    );
    const restored = await this.store.transaction(async (trx) => {
      const { instance, database } = await authorized.resolve(trx);
      const was = dropped.name.toLowerCase();
      const e = await binRepo.findDropped(
        trx,
        { instanceId: instance.id, kind: 'TABLE', catalogName: database.catalog_name, databaseName: database.name },
        was,
        dropped.id,
      );
      if (!e)
        throw notFound(
          `no dropped table ` +
            `${was}${dropped.id ? ` with recycle bin id ${dropped.id}` : ''} ` +
            `in database ${database.name}`,
        );
      const name = newName === undefined ? e.name : tableName(newName, { icebergNames: e.table_format === 'ICEBERG' });
      const s = { instanceId: instance.id, catalogName: database.catalog_name, databaseName: database.name };
      // The grants first: the entry (and the grants it keeps) goes with the restore.
      await this.bin.restoreGrants(trx, projectId, e, [s.catalogName, s.databaseName, name]);
      const ok = await unlessDuplicate(`table ${name} already exists in database ${database.name}`, () =>
        binRepo.restoreTable(trx, e, { catalog: s.catalogName, database: s.databaseName, name }, nowIso()),
      );
      if (!ok) throw notFound(`recycle bin entry ${e.id} is being purged`);
      const row = await repo.findTable(trx, s, name);
      if (!row) throw notFound(`table ${name} does not exist`);
      await this.event(trx, s, 'RESTORE_TABLE', name, caller, {
        object: view(row),
        recycle_bin_id: e.id,
        ...(name !== e.name ? { old_name: e.name } : {}),
      });
      return row;
    });
    return view(restored);
  }

  /**
   * Empties a managed table's data and keeps its definition, as Hive's TRUNCATE: an external
   * table's files belong to whoever writes them, and a view has none.
   */
  async truncate(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
  ): Promise<number> {
    const current = name.toLowerCase();
    const row = await this.authz.transact(
      caller,
      'table.truncate',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
      async ({ table: r }, trx) => {
        const s = { instanceId: r.instance_id, catalogName: r.catalog_name, databaseName: r.database_name };
        if (r.table_type !== 'MANAGED_TABLE')
          throw invalid(`table ${current} is a ${r.table_type}; only a MANAGED_TABLE can be truncated`);
        // The data goes, so what was measured of it goes too.
        await deleteTableStatistics(trx, r.id);
        await deleteAllPartitionStatistics(trx, r.id);
        await this.event(trx, s, 'TRUNCATE_TABLE', current, caller, { object: view(r) });
        return r;
      },
    );
    const location = (JSON.parse(row.definition) as { storage_descriptor?: { location?: string } }).storage_descriptor
      ?.location;
    return location ? deleteLocationData(this.storage, location, this.localWarehouse) : 0;
  }

  /**
   * Name listings (get_all_tables, SHOW TABLES) as of a store change mark (SQLite): current while the mark holds, as
   * every commit (a create, drop or rename, a grant or revoke) moves it. Bounded by the bytes of the names held; the
   * lists are shared by the calls that find them, so frozen.
   */
  private readonly namesAt = new ReadAtMark<readonly string[]>(
    () => this.store.changeMark(),
    new LRUCache<string, AtMark<readonly string[]>>({
      max: cacheBound(1_000),
      maxSize: NAMES_CACHE_BYTES(),
      maxEntrySize: NAMES_CACHE_BYTES() / 4,
      sizeCalculation: (e, key) => namesBytes(e.value) + key.length,
    }),
    cacheCounters('table_names'),
  );

  async names(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    pattern?: string,
    type?: string,
  ): Promise<readonly string[]> {
    const { s } = await this.databaseScope(caller, 'table.list', projectId, instanceRef, catalogName, databaseName);
    const filter = { pattern, ...(type ? { types: [type] } : {}), ...(await this.visibility(caller, s)) };
    // The list is a function of the database and the filter (which holds what this caller may see): keyed by both.
    return this.namesAt.get(
      () => JSON.stringify([s.instanceId, s.catalogName, s.databaseName, filter]),
      () => repo.listTableNames(this.store.db, s, filter, MAX_TABLE_NAMES),
    );
  }

  async byNames(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    names: string[],
  ) {
    const { s } = await this.databaseScope(caller, 'table.list', projectId, instanceRef, catalogName, databaseName);
    const rows = await repo.findTablesByName(
      this.store.db,
      s,
      [...new Set(names.map((n) => n.toLowerCase()))],
      await this.visibility(caller, s),
    );
    return rows.map(view);
  }

  /** What a listing may show the caller: everything for administrators; else what they own or a grant reaches. */
  private async visibility(caller: Principal, s: repo.TableScope): Promise<repo.TableFilter> {
    if (caller.isAdmin) return {};
    return {
      ownedBy: caller.userName,
      grantedBy: PolicyService.visibleObjects(await this.grantsOf(caller, s.instanceId), s.catalogName, 'TABLE').map(
        (g) => ({ database: g.database, table: g.name }),
      ),
    };
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    q: Paging & {
      pattern?: string;
      format?: string;
      type?: string;
      excludeTypes?: string[];
      filter?: string;
      deleted: boolean;
      includeFields?: string[];
    },
  ) {
    // The reference: at most 1,000 tables a page, 5,000 when include_fields asks for the name only.
    const namesOnly = q.includeFields?.length && q.includeFields.every((f) => f === 'name' || f === 'table_name');
    if (q.limit > 1000 && !namesOnly) throw invalid('limit above 1000 needs include_fields=name (at most 5000)');
    const { s } = await this.databaseScope(caller, 'table.list', projectId, instanceRef, catalogName, databaseName);
    const parsed = q.filter ? parseFilter(q.filter) : undefined;
    const typed = parsed && q.filter ? typeTableFilter(q.filter, parsed) : undefined;
    // The reference's priority: a name pattern or a table type decides; the filter applies only without both.
    const expression = q.pattern !== undefined || q.type !== undefined ? undefined : typed;
    if (q.deleted) {
      // The bin keeps what listings filter dropped tables by: names, type and format.
      if (q.filter)
        throw invalid('filter does not apply with deleted=true; use table_name_pattern, table_type or table_format');
      return this.listDropped(caller, s, q);
    }
    const page = await this.page(
      s,
      {
        pattern: q.pattern,
        format: q.format,
        expression,
        ...(q.type ? { types: [q.type] } : {}),
        ...(q.excludeTypes ? { excludeTypes: q.excludeTypes } : {}),
        ...(await this.visibility(caller, s)),
      },
      q,
    );
    return { tables: page.rows.map((r) => pick(view(r), q.includeFields)), page_info: page.info };
  }

  /** The recycle bin's tables of a database: what the caller could see before the drop, paged as the live list. */
  private async listDropped(
    caller: Principal,
    s: Required<repo.TableScope>,
    q: Paging & { pattern?: string; format?: string; type?: string; includeFields?: string[] },
  ) {
    const bs: binRepo.BinScope = {
      instanceId: s.instanceId,
      kind: 'TABLE',
      catalogName: s.catalogName,
      databaseName: s.databaseName,
    };
    const live = await this.visibility(caller, s);
    const f: binRepo.BinFilter = {
      pattern: q.pattern,
      format: q.format,
      ...(q.type ? { types: [q.type] } : {}),
      ...(live.ownedBy !== undefined
        ? {
            ownedBy: live.ownedBy,
            grantedBy: (live.grantedBy ?? []).map((g) => ({ database: g.database, name: g.table })),
            ...(await this.bin.visibility(caller, s.instanceId)),
          }
        : {}),
    };
    const db = this.store.db;
    const page = await keysetPage<RecycleBinRow, binRepo.BinKey>(q, {
      what: 'a dropped table of this database',
      locate: async (marker) => {
        const e = await binRepo.findEntry(db, s.instanceId, marker);
        return e && e.kind === 'TABLE' && e.catalog_name === s.catalogName && e.database_name === s.databaseName
          ? binRepo.entryKey(e)
          : undefined;
      },
      fetch: (limit, c) => binRepo.pageEntries(db, bs, f, limit, c),
      exists: (k, side) => binRepo.entryExistsBeyond(db, bs, f, k, side),
      keyOf: binRepo.entryKey,
      markerOf: (r) => r.id,
    });
    const tables: Record<string, unknown>[] = [];
    const binned = await binRepo.binnedTables(db, s.instanceId, page.rows);
    for (const e of page.rows) {
      const row = binned.get(e.object_id);
      if (!row) continue;
      const v = view({ ...row, catalog_name: e.catalog_name, database_name: e.database_name, name: e.name });
      tables.push({ ...pick(v, q.includeFields), ...binFields(e) });
    }
    return { tables, page_info: page.info };
  }

  /** Table summaries across the catalog's databases, in (database, table) order. */
  async meta(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    q: Paging & { databasePattern?: string; pattern?: string; types?: string[] },
  ) {
    const c = await this.authz.check(caller, 'table.search', {
      kind: 'catalog',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
    });
    const s = { instanceId: c.instance.id, catalogName: c.catalog.name };
    const page = await this.page(
      s,
      { databasePattern: q.databasePattern, pattern: q.pattern, types: q.types, ...(await this.visibility(caller, s)) },
      q,
    );
    return {
      table_metas: page.rows.map((r) => {
        const d = JSON.parse(r.definition) as {
          comments?: string;
          partition_keys?: Column[];
          storage_descriptor?: { columns?: Column[] };
        };
        return {
          catalog_name: r.catalog_name,
          database_name: r.database_name,
          table_name: r.name,
          table_type: r.table_type,
          comments: d.comments ?? '',
          columns: d.storage_descriptor?.columns ?? [],
          partition_keys: d.partition_keys ?? [],
        };
      }),
      page_info: page.info,
    };
  }

  private page(s: repo.TableScope, f: repo.TableFilter, p: Paging) {
    const db = this.store.db;
    return keysetPage<TableRow, TableRow>(p, {
      what: 'a table of this listing',
      locate: (marker) => repo.findTableById(db, s, marker),
      fetch: (limit, c) => repo.pageTables(db, s, f, limit, c),
      exists: (k, side) => repo.tableExistsBeyond(db, s, f, k, side),
      keyOf: (r) => r,
      markerOf: (r) => r.id,
    });
  }
}
