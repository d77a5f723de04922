// The Apache Iceberg REST catalog over LakeCat: a namespace is a LakeCat database and an Iceberg
// table is a LakeCat EXTERNAL_TABLE of format ICEBERG whose parameters point at its current
// metadata file (the Hive convention), so both APIs see one catalog. Every call goes through the
// LakeCat services and gets their authorization, visibility, locations and metadata events.
import { parseIceberg, stringifyIceberg } from './json.js';
import { createHash, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { CatalogService } from '../lakecat/catalog-service.js';
import { DATABASE_NAME, type DatabaseService, type DatabaseView } from '../lakecat/database-service.js';
import { ICEBERG_TABLE_NAME, VIEW_TYPES, type TableService } from '../lakecat/table-service.js';
import { normalizeName } from '../lakecat/names.js';
import { deleteLocationData } from '../lakecat/data-files.js';
import { storageCoordinates } from '../console/location-service.js';
import { ConcurrentChange, ServiceError } from '../errors.js';
import { StorageNotFoundError, type ObjectStorage } from '../../storage/object-storage.js';
import { badRequest, IcebergError, named } from './errors.js';
import { hiveColumns, newTableMetadata, type CreateRequest } from './new-table.js';
import {
  applyUpdates, checkCreated, checkRequirements, CommitConflict, emptyMetadata, InvalidUpdate, withRefSnapshotsOnly,
  type Requirement, type TableMetadata, type Update,
} from './table-metadata.js';
import type { Recorder } from './idempotency.js';
import { allowAnyLocation, type LocationGuard } from '../lakecat/names.js';
import { assertTablePaths } from './paths.js';

/** Separates the instance id from the catalog name in the prefix the config endpoint hands out. */
export const PREFIX_SEPARATOR = '~';
/** Joins the levels of a multi-level namespace in a path (the spec's unit separator). */
export const LEVEL_SEPARATOR = '\u001f';
export const MAX_PAGE = 1000;
/** How often a commit that lost the race to a compatible one is redone before the client is told to retry. */
const COMMIT_ATTEMPTS = 20;

export type Caller = Principal & { projectId: string };
export interface Warehouse { instanceId: string; catalog: string }
export interface Identifier { namespace: string[]; name: string }
export interface Page { pageSize?: string; pageToken?: string }

/** An Iceberg table as found in LakeCat, with what a commit compares and swaps. */
export interface IcebergTable {
  w: Warehouse; namespace: string; name: string; location: string; metadataLocation: string;
  /** The LakeCat table's version and parameters: the commit's compare-and-swap is on them. */
  version: string; parameters: Record<string, string>;
}

export interface LoadResult { 'metadata-location': string; metadata: TableMetadata; config: Record<string, string> }

/** `<instance_id>~<catalog>`, as built by the config endpoint. */
export function parsePrefix(prefix: string): Warehouse {
  const at = prefix.indexOf(PREFIX_SEPARATOR);
  if (at <= 0 || at === prefix.length - 1) throw badRequest(`prefix ${prefix} is not <instance_id>${PREFIX_SEPARATOR}<catalog>; get it from GET /iceberg/v1/config`);
  return { instanceId: prefix.slice(0, at), catalog: prefix.slice(at + 1) };
}

/**
 * The LakeCat database of a namespace: its levels joined by `.` (["sales", "eu"] is database
 * `sales.eu`), so a level may not itself contain a dot. Levels are LakeCat database names.
 */
export function databaseNameOf(levels: string[]): string {
  if (!levels.length) throw badRequest('a namespace needs at least one level');
  for (const l of levels) {
    if (!DATABASE_NAME.test(l)) {
      throw badRequest(`namespace level '${l}' is invalid: a level is letters, digits, '_' or '-' (nested namespaces are stored as LakeCat databases named by their levels joined with '.')`);
    }
  }
  const name = levels.join('.');
  if ([...name].length > 128) throw badRequest('a namespace is at most 128 characters, its levels joined with \'.\'');
  return name;
}

export const levelsOf = (database: string): string[] => database.split('.');
export const pathLevels = (encoded: string): string[] => encoded.split(LEVEL_SEPARATOR);

/** The strong ETag of a table's state: its metadata file names it exactly. */
export const etagOf = (metadataLocation: string) => `"${createHash('sha256').update(metadataLocation).digest('hex')}"`;

const pageSizeOf = (q: Page): number => {
  const n = q.pageSize === undefined ? MAX_PAGE : Number(q.pageSize);
  if (!Number.isInteger(n) || n < 1) throw badRequest('pageSize must be a positive integer');
  return Math.min(n, MAX_PAGE);
};

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** A table or view name as Iceberg clients may give it (see ICEBERG_TABLE_NAME). */
export const icebergName = (kind: 'table' | 'view', name: string): string => {
  try {
    return normalizeName(kind, name, ICEBERG_TABLE_NAME, 256);
  } catch {
    throw badRequest(`${kind} name '${name}' is invalid: letters, digits, '_', '-' and '.', not starting with '.', at most 256 characters`);
  }
};
const tableName = (name: string): string => icebergName('table', name);

/** The number in a metadata file's name (`00003-<uuid>.metadata.json`), to name the next one. */
const fileVersion = (metadataLocation: string): number => Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(metadataLocation)?.[1] ?? 0);

/**
 * Parsed metadata files by location. A metadata file never changes once written, so an entry
 * never goes stale; the cache is bounded by the files' total size (a table with many snapshots
 * has a large file), and a file above a quarter of it is not kept.
 */
const METADATA_CACHE_BYTES = 64 * 1024 * 1024;

export interface CommitRequest { identifier?: unknown; requirements?: unknown; updates?: unknown }

export class IcebergCatalog {
  private readonly cache = new LRUCache<string, TableMetadata>({ max: 1024, maxSize: METADATA_CACHE_BYTES, maxEntrySize: METADATA_CACHE_BYTES / 4 });

  constructor(
    private readonly instances: InstanceService,
    private readonly catalogs: CatalogService,
    private readonly databases: DatabaseService,
    private readonly tables: TableService,
    readonly storage: ObjectStorage,
    readonly localWarehouse: string | undefined,
    /** The LakeCat services' location guard: a table's location and write paths pass it before anything is written. */
    private readonly guard: LocationGuard = allowAnyLocation,
  ) {}

  /** The catalog a `warehouse` setting names (`<instance_id>/<catalog>`, or `<catalog>` of the default instance). */
  async configure(p: Caller, warehouse: string | undefined): Promise<Warehouse> {
    if (!warehouse) throw badRequest('warehouse is required: <instance_id>/<catalog> or <catalog> for the project\'s default instance');
    const parts = warehouse.split('/');
    if (parts.length > 2 || parts.some((x) => !x)) throw badRequest('warehouse must be <instance_id>/<catalog> or <catalog>');
    const instanceId = parts.length === 2
      ? parts[0] as string
      : (await named(this.instances.active(p.projectId, 'default'), { not_found: 'NoSuchWarehouseException' })).id;
    const catalog = (parts[parts.length - 1] as string).toLowerCase();
    await named(this.catalogs.show(p, p.projectId, instanceId, catalog), { not_found: 'NoSuchWarehouseException' });
    return { instanceId, catalog };
  }

  /** The catalog a prefix names, checked visible to the caller; a foreign or unknown instance is 404 alike. */
  async warehouse(p: Caller, prefix: string): Promise<Warehouse> {
    const w = parsePrefix(prefix);
    await named(this.catalogs.show(p, p.projectId, w.instanceId, w.catalog), { not_found: 'NoSuchWarehouseException' });
    return w;
  }

  // Namespaces

  async listNamespaces(p: Caller, w: Warehouse, q: Page & { parent?: string }): Promise<{ namespaces: string[][]; 'next-page-token'?: string }> {
    const limit = pageSizeOf(q);
    const parent = q.parent !== undefined && q.parent !== '' ? (await this.namespace(p, w, pathLevels(q.parent))).database_name : null;
    const page = await this.databases.list(p, p.projectId, w.instanceId, w.catalog, {
      limit, marker: q.pageToken || undefined, reversePage: false, deleted: false, childrenOf: parent,
    });
    return {
      namespaces: page.databases.map((d) => levelsOf(d.database_name)),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  async createNamespace(p: Caller, w: Warehouse, body: { namespace?: unknown; properties?: unknown } | undefined, record?: Recorder) {
    if (!body || !Array.isArray(body.namespace) || !body.namespace.every((l) => typeof l === 'string')) throw badRequest('namespace must be an array of strings');
    const properties = body.properties ?? {};
    if (!isStringMap(properties)) throw badRequest('properties must map strings to strings');
    const levels = body.namespace as string[];
    const name = databaseNameOf(levels);
    // A nested namespace lives inside an existing one, so dropping a parent can be refused while it has children.
    if (levels.length > 1) await this.namespace(p, w, levels.slice(0, -1));
    const answer = { namespace: levelsOf(name.toLowerCase()), properties };
    await named(this.databases.create(p, p.projectId, w.instanceId, w.catalog, {
      database_name: name, parameters: properties,
      ...(properties.location ? { location: properties.location } : {}),
      ...(properties.comment ? { description: properties.comment } : {}),
    }, { nested: true, within: record?.(answer) }), { conflict: 'AlreadyExistsException' });
    return answer;
  }

  /** The database behind a namespace, visible to the caller. */
  async namespace(p: Caller, w: Warehouse, levels: string[]): Promise<DatabaseView> {
    return named(this.databases.show(p, p.projectId, w.instanceId, w.catalog, databaseNameOf(levels)), { not_found: 'NoSuchNamespaceException' });
  }

  async loadNamespace(p: Caller, w: Warehouse, levels: string[]) {
    const db = await this.namespace(p, w, levels);
    return { namespace: levelsOf(db.database_name), properties: db.parameters };
  }

  async dropNamespace(p: Caller, w: Warehouse, levels: string[], record?: Recorder): Promise<void> {
    const db = await this.namespace(p, w, levels);
    await named(this.databases.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name,
      { cascade: false, deleteData: false, isAsync: false, refuseWithChildren: true, within: record?.(undefined) }),
    { not_found: 'NoSuchNamespaceException', conflict: 'NamespaceNotEmptyException' });
  }

  /** Removals and updates applied to the stored properties inside one transaction: a concurrent change is a 409, never a lost update. */
  async updateNamespaceProperties(p: Caller, w: Warehouse, levels: string[], body: { removals?: unknown; updates?: unknown }, record?: Recorder) {
    const removals = body.removals ?? [];
    const updates = body.updates ?? {};
    if (!Array.isArray(removals) || !removals.every((k) => typeof k === 'string')) throw badRequest('removals must be an array of strings');
    if (!isStringMap(updates)) throw badRequest('updates must map strings to strings');
    const both = (removals as string[]).filter((k) => Object.hasOwn(updates, k));
    if (both.length) throw new IcebergError(422, 'UnprocessableEntityException', `properties both updated and removed: ${both.join(', ')}`);
    const db = await this.namespace(p, w, levels);
    const answer = { updated: Object.keys(updates), removed: [] as string[], missing: [] as string[] };
    // Runs inside the update's transaction, and again if that transaction is retried.
    const patch = (current: Record<string, string>): Record<string, string> => {
      const next = { ...current };
      answer.removed = [];
      answer.missing = [];
      for (const k of removals as string[]) {
        if (Object.hasOwn(next, k)) { delete next[k]; answer.removed.push(k); } else answer.missing.push(k);
      }
      return Object.assign(next, updates);
    };
    // The answer is recorded after the patch ran, in the same transaction.
    await named(this.databases.update(p, p.projectId, w.instanceId, w.catalog, db.database_name, { database_name: db.database_name }, patch,
      { within: record ? (trx) => (record(answer))(trx) : undefined }),
    { not_found: 'NoSuchNamespaceException', conflict: 'CommitFailedException' });
    return answer;
  }

  // Object storage

  coordinates(location: string) {
    const c = storageCoordinates(location, this.localWarehouse);
    if (!c?.bucket) throw badRequest(`location ${location} is not in the object storage this service writes`);
    return c;
  }

  async writeFile(location: string, body: string): Promise<void> {
    const c = this.coordinates(location);
    await this.storage.putObject(c.bucket, c.key, body);
  }

  /** Best effort: a file left behind is harmless, a failed cleanup must not fail the call. */
  async removeFile(location: string): Promise<void> {
    const c = storageCoordinates(location, this.localWarehouse);
    if (c?.bucket) await this.storage.deleteObject(c.bucket, c.key).catch(() => undefined);
  }

  /** A metadata file, parsed. The object returned may be shared: never change it (applyUpdates works on a copy). */
  async readMetadata(location: string): Promise<TableMetadata> {
    const cached = this.cache.get(location);
    if (cached) return cached;
    const { value, size } = await this.readJson<TableMetadata>(location, 'NoSuchTableException', 'table');
    this.cache.set(location, value, { size });
    return value;
  }

  /** A JSON file of our storage (lossless integers); a missing one is a 404 of `missingType`. */
  async readJson<T>(location: string, missingType: string, what: string): Promise<{ value: T; size: number }> {
    const c = this.coordinates(location);
    try {
      const text = (await this.storage.getObject(c.bucket, c.key)).toString('utf8');
      return { value: parseIceberg<T>(text), size: Math.max(1, text.length) };
    } catch (err) {
      if (err instanceof StorageNotFoundError) throw new IcebergError(404, missingType, `the metadata file ${location} of the ${what} is missing`);
      if (err instanceof SyntaxError) throw badRequest(`the file ${location} is not JSON ${what} metadata`);
      throw err;
    }
  }

  private async writeMetadata(location: string, m: TableMetadata): Promise<void> {
    const text = stringifyIceberg(m);
    await this.writeFile(location, text);
    this.cache.set(location, m, { size: Math.max(1, text.length) });
  }

  // Tables

  /**
   * The LakeCat table behind an Iceberg identifier; a table of another format is not an Iceberg
   * table (404). `ALTER` for a change: refused (403) before anything is written.
   */
  async table(p: Caller, w: Warehouse, levels: string[], table: string, action: 'read' | 'ALTER' = 'read'): Promise<IcebergTable> {
    const database = databaseNameOf(levels);
    // The table first (one read on the hot path); only a miss asks whether the namespace is there, to name the error.
    const missing = async (err: unknown): Promise<never> => {
      if (!(err instanceof ServiceError && err.kind === 'not_found')) throw err;
      await this.namespace(p, w, levels);
      throw new IcebergError(404, 'NoSuchTableException', err.message);
    };
    type Shown = { table_name: string; table_type: string; table_format: string; version_id: string; parameters?: Record<string, string>; storage_descriptor?: { location?: string } };
    let t: Shown;
    if (action === 'read') {
      t = JSON.parse((await this.tables.show(p, p.projectId, w.instanceId, w.catalog, database, table).catch(missing)).text) as Shown;
    } else {
      const row = await this.tables.resolve(p, p.projectId, w.instanceId, w.catalog, database, table, action).catch(missing);
      t = { ...JSON.parse(row.definition) as Shown, table_name: row.name, table_type: row.table_type, table_format: row.table_format, version_id: String(row.version) };
    }
    const metadataLocation = t.parameters?.metadata_location;
    // An Iceberg view has a metadata_location too, but it is not a table.
    if (VIEW_TYPES.has(t.table_type)) throw new IcebergError(404, 'NoSuchTableException', `${database}.${t.table_name} is a view, not a table`);
    if (t.table_format !== 'ICEBERG' || !metadataLocation) {
      throw new IcebergError(404, 'NoSuchTableException', `${database}.${t.table_name} is a ${t.table_format} table, not an Iceberg table with a metadata_location`);
    }
    return { w, namespace: database.toLowerCase(), name: t.table_name, location: t.storage_descriptor?.location ?? '', metadataLocation, version: t.version_id, parameters: t.parameters ?? {} };
  }

  async listTables(p: Caller, w: Warehouse, levels: string[], q: Page) {
    const limit = pageSizeOf(q);
    const db = await this.namespace(p, w, levels);
    const page = await named(this.tables.list(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
      limit, marker: q.pageToken || undefined, reversePage: false, deleted: false, format: 'ICEBERG', excludeTypes: [...VIEW_TYPES], includeFields: [],
    }), { not_found: 'NoSuchNamespaceException' });
    return {
      identifiers: page.tables.map((t) => ({ namespace: levelsOf(db.database_name), name: t.table_name as string })),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  /** The LakeCat definition of an Iceberg table at a metadata file. */
  private definition(name: string, metadata: TableMetadata, metadataLocation: string, previous?: IcebergTable) {
    const schema = metadata.schemas.find((x) => x['schema-id'] === metadata['current-schema-id']) ?? metadata.schemas[0];
    return {
      table_name: name, table_type: 'EXTERNAL_TABLE', table_format: 'ICEBERG',
      storage_descriptor: { columns: schema ? hiveColumns(schema) : [], location: metadata.location },
      parameters: {
        ...(previous?.parameters ?? {}), ...metadata.properties, table_type: 'ICEBERG', metadata_location: metadataLocation,
        ...(previous ? { previous_metadata_location: previous.metadataLocation } : {}),
      },
    };
  }

  async createTable(p: Caller, w: Warehouse, levels: string[],
    body: (CreateRequest & { name?: unknown; location?: unknown; 'stage-create'?: unknown }) | undefined, record?: Recorder): Promise<LoadResult> {
    if (!body || typeof body.name !== 'string') throw badRequest('name is required');
    if (body.location !== undefined && typeof body.location !== 'string') throw badRequest('location must be a string');
    const name = tableName(body.name);
    const db = await this.namespace(p, w, levels);
    const location = ((body.location as string | undefined) || `${db.location}/${name}`).replace(/\/+$/, '');
    const metadata = newTableMetadata(body, location) as unknown as TableMetadata;
    if (body['stage-create'] === true) {
      // Nothing exists until the client commits with assert-create; only a name already taken is refused now.
      const taken = await this.tables.show(p, p.projectId, w.instanceId, w.catalog, db.database_name, name).then(() => true, () => false);
      if (taken) throw new IcebergError(409, 'AlreadyExistsException', `table ${db.database_name}.${name} already exists`);
      return { metadata, config: {} } as unknown as LoadResult;
    }
    const metadataLocation = `${location}/metadata/00000-${randomUUID()}.metadata.json`;
    this.coordinates(metadataLocation); // a location outside our storage is refused before anything is written
    await assertTablePaths(this.guard, p, w.instanceId, this.localWarehouse, metadata);
    await this.writeMetadata(metadataLocation, metadata);
    const answer: LoadResult = { 'metadata-location': metadataLocation, metadata, config: {} };
    try {
      // The table service checks grants, the location and the name in the transaction that creates it.
      const definition = this.definition(name, metadata, metadataLocation);
      if (!body.location) delete (definition.storage_descriptor as { location?: string }).location;
      await named(this.tables.create(p, p.projectId, w.instanceId, w.catalog, db.database_name, definition, { icebergNames: true, within: record?.(answer) }),
        { conflict: 'AlreadyExistsException', not_found: 'NoSuchNamespaceException' });
    } catch (err) {
      await this.removeFile(metadataLocation);
      throw err;
    }
    return answer;
  }

  /** Registers an existing metadata file as a table (or, with overwrite, points an existing table at it). */
  async registerTable(p: Caller, w: Warehouse, levels: string[], body: { name?: unknown; 'metadata-location'?: unknown; overwrite?: unknown } | undefined, record?: Recorder): Promise<LoadResult> {
    if (!body || typeof body.name !== 'string' || typeof body['metadata-location'] !== 'string' || !body['metadata-location']) {
      throw badRequest('register needs a name and a metadata-location');
    }
    const name = tableName(body.name);
    const metadataLocation = body['metadata-location'];
    const db = await this.namespace(p, w, levels);
    const metadata = await this.readMetadata(metadataLocation).catch((err: unknown) => {
      if (err instanceof IcebergError && err.code === 404) throw badRequest(`there is no metadata file at ${metadataLocation}`);
      throw err;
    });
    if (typeof metadata.location !== 'string' || !metadata['table-uuid'] || !Array.isArray(metadata.schemas)) throw badRequest(`${metadataLocation} is not Iceberg table metadata`);
    await assertTablePaths(this.guard, p, w.instanceId, this.localWarehouse, metadata);
    const answer: LoadResult = { 'metadata-location': metadataLocation, metadata, config: {} };
    if (body.overwrite === true) {
      const existing = await this.table(p, w, levels, name).catch((err: unknown) => {
        if (err instanceof IcebergError && err.type === 'NoSuchTableException') return undefined;
        throw err;
      });
      if (existing) {
        await named(this.tables.update(p, p.projectId, w.instanceId, w.catalog, existing.namespace, existing.name,
          { version_id: existing.version, table: this.definition(existing.name, metadata, metadataLocation, existing) }, { within: record?.(answer) }),
        { conflict: 'CommitFailedException', not_found: 'NoSuchTableException' });
        return answer;
      }
    }
    // The location guard of the table service checks the metadata's location like any explicit table location.
    await named(this.tables.create(p, p.projectId, w.instanceId, w.catalog, db.database_name, this.definition(name, metadata, metadataLocation), { icebergNames: true, within: record?.(answer) }),
      { conflict: 'AlreadyExistsException', not_found: 'NoSuchNamespaceException' });
    return answer;
  }

  async loadTable(p: Caller, w: Warehouse, levels: string[], name: string, snapshots?: string): Promise<LoadResult & { etag: string; table: IcebergTable }> {
    if (snapshots !== undefined && snapshots !== 'all' && snapshots !== 'refs') throw badRequest('snapshots must be all or refs');
    const t = await this.table(p, w, levels, name);
    const metadata = await this.readMetadata(t.metadataLocation);
    return {
      'metadata-location': t.metadataLocation, metadata: snapshots === 'refs' ? withRefSnapshotsOnly(metadata) : metadata, config: {},
      etag: etagOf(t.metadataLocation), table: t,
    };
  }

  /**
   * The next metadata of one table of a commit: requirements checked, updates applied, and the
   * new metadata file written (before any pointer moves: a file no pointer names is harmless).
   * A table that does not exist is created by a commit that asserts it must not (a staged create).
   */
  private async prepare(p: Caller, w: Warehouse, c: { levels: string[]; name: string; requirements: Requirement[]; updates: Update[] }): Promise<PreparedCommit> {
    const current = await this.table(p, w, c.levels, c.name, 'ALTER').catch((err: unknown) => {
      if (err instanceof IcebergError && err.type === 'NoSuchTableException' && c.requirements.some((r) => r.type === 'assert-create')) return undefined;
      throw err;
    });
    const now = Date.now();
    let base: TableMetadata;
    let next: TableMetadata;
    let db: DatabaseView | undefined;
    try {
      if (current) {
        base = await this.readMetadata(current.metadataLocation);
        checkRequirements(base, c.requirements);
      } else {
        db = await this.namespace(p, w, c.levels);
        checkRequirements(undefined, c.requirements);
        base = emptyMetadata(`${db.location}/${tableName(c.name)}`, now);
      }
      next = applyUpdates(base, c.updates, now);
      if (!current) {
        checkCreated(next);
        if (!next['table-uuid']) next['table-uuid'] = randomUUID();
      }
    } catch (err) {
      if (err instanceof CommitConflict) throw new IcebergError(409, 'CommitFailedException', `commit of ${c.levels.join('.')}.${c.name} refused: ${err.message}`);
      if (err instanceof InvalidUpdate) throw badRequest(err.message);
      throw err;
    }
    // A new or moved location or write path is checked before the new metadata file is written there.
    await assertTablePaths(this.guard, p, w.instanceId, this.localWarehouse, next, current ? base : undefined);
    let expired: string[] = [];
    if (current) {
      // The log keeps the last `write.metadata.previous-versions-max` files (100 by default), as Iceberg's own writers do.
      const log = [...(base['metadata-log'] ?? []), { 'metadata-file': current.metadataLocation, 'timestamp-ms': base['last-updated-ms'] }];
      const max = Math.max(1, Number.parseInt(next.properties['write.metadata.previous-versions-max'] ?? '', 10) || 100);
      next['metadata-log'] = log.slice(-max);
      if (next.properties['write.metadata.delete-after-commit.enabled'] === 'true') expired = log.slice(0, -max).map((e) => e['metadata-file']);
    }
    const version = current ? fileVersion(current.metadataLocation) + 1 : 0;
    const metadataLocation = `${next.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    this.coordinates(metadataLocation);
    await this.writeMetadata(metadataLocation, next);
    return { levels: c.levels, name: current?.name ?? tableName(c.name), current, database: current?.namespace ?? (db as DatabaseView).database_name, next, metadataLocation, expired };
  }

  /**
   * Commit: the requirements are checked and the updates applied to the current metadata, a
   * new metadata file is written, and the table's pointer moves to it only if the LakeCat
   * table is still at the version read (compare-and-swap). A commit that lost the race to a
   * change its requirements do not reject is redone on the new metadata, a bounded number of
   * times; one whose requirements no longer hold fails with CommitFailedException.
   */
  async commitTable(p: Caller, w: Warehouse, levels: string[], name: string, body: CommitRequest | undefined, record?: Recorder) {
    const [change] = commitChanges([{ identifier: { namespace: levels, name }, requirements: body?.requirements ?? [], updates: body?.updates }]);
    const [done] = await this.commit(p, w, [change as TableChange], (prepared) => {
      const c = prepared[0] as PreparedCommit;
      return { 'metadata-location': c.metadataLocation, metadata: c.next };
    }, record);
    return done;
  }

  /** Iceberg's multi-table transaction: every table's change lands, or none does. */
  async commitTransaction(p: Caller, w: Warehouse, body: { 'table-changes'?: unknown } | undefined, record?: Recorder): Promise<void> {
    if (!body || !Array.isArray(body['table-changes']) || body['table-changes'].length === 0) throw badRequest('table-changes must be a non-empty array');
    const changes = commitChanges(body['table-changes'] as CommitRequest[]);
    const seen = new Set<string>();
    for (const c of changes) {
      const key = `${databaseNameOf(c.levels)}\u0000${c.name.toLowerCase()}`;
      if (seen.has(key)) throw badRequest(`table ${c.levels.join('.')}.${c.name} appears twice in the transaction`);
      seen.add(key);
    }
    await this.commit(p, w, changes, () => undefined, record);
  }

  private async commit<T>(p: Caller, w: Warehouse, changes: TableChange[], answerOf: (prepared: PreparedCommit[]) => T, record?: Recorder): Promise<T[]> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const prepared: PreparedCommit[] = [];
      try {
        for (const c of changes) prepared.push(await this.prepare(p, w, c));
        const answer = answerOf(prepared);
        const within = record?.(answer);
        // Staged creates (no current table) are inserted in the same transaction as the updates.
        await this.tables.updateMany(p, p.projectId, w.instanceId, w.catalog, prepared.filter((c) => c.current).map((c) => {
          const t = c.current as IcebergTable;
          return { databaseName: t.namespace, name: t.name, body: { version_id: t.version, table: this.definition(t.name, c.next, c.metadataLocation, t) } };
        }), {
          icebergNames: true, within,
          creates: prepared.filter((c) => !c.current).map((c) => ({ databaseName: c.database, input: this.definition(c.name, c.next, c.metadataLocation) })),
        });
        // Only files of this table's own location: a log entry pointing elsewhere is not ours to delete.
        for (const c of prepared) for (const f of c.expired) if (f.startsWith(`${c.next.location}/metadata/`)) await this.removeFile(f);
        return [answer];
      } catch (err) {
        await Promise.all(prepared.map((c) => this.removeFile(c.metadataLocation)));
        if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err;
        // A name taken by a staged create's rival, or a constraint: final. A version race: redone.
        if (!(err instanceof ConcurrentChange)) throw new IcebergError(409, 'CommitFailedException', err.message);
        // Another commit moved a pointer: try again on its metadata, after a short random pause.
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 15));
      }
    }
    throw new IcebergError(409, 'CommitFailedException', 'the commit kept losing to concurrent commits; retry');
  }

  async dropTable(p: Caller, w: Warehouse, levels: string[], name: string, purge: boolean, record?: Recorder): Promise<void> {
    const t = await this.table(p, w, levels, name);
    await named(this.tables.delete(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name, { deleteData: false, isAsync: false, within: record?.(undefined) }),
      { not_found: 'NoSuchTableException' });
    // TableService removes only a managed table's files; a purge asks for this external table's too.
    if (purge && t.location) await deleteLocationData(this.storage, t.location, this.localWarehouse);
  }

  /** Renames a table, into another namespace of the catalog too; its files stay where they are. */
  async renameTable(p: Caller, w: Warehouse, body: { source?: unknown; destination?: unknown }, record?: Recorder): Promise<void> {
    const src = identifier(body.source, 'source');
    const dst = identifier(body.destination, 'destination');
    const t = await this.table(p, w, src.namespace, src.name);
    const target = await this.namespace(p, w, dst.namespace);
    const name = tableName(dst.name);
    await named(this.tables.update(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name,
      { table: { table_name: name }, ...(target.database_name !== t.namespace ? { moveTo: target.database_name } : {}) },
      { icebergNames: true, within: record?.(undefined) }),
    { not_found: 'NoSuchTableException', conflict: 'AlreadyExistsException' });
  }
}

interface TableChange { levels: string[]; name: string; requirements: Requirement[]; updates: Update[] }
interface PreparedCommit {
  levels: string[]; name: string; database: string; next: TableMetadata; metadataLocation: string;
  /** Metadata files dropped from the log, to delete once the commit landed (write.metadata.delete-after-commit.enabled). */
  expired: string[];
  /** Absent for a staged create. */
  current?: IcebergTable;
}

/** The changes of a commit or transaction request, shape-checked. */
function commitChanges(items: CommitRequest[]): TableChange[] {
  return items.map((c, i) => {
    const id = identifier(c?.identifier, `table-changes[${i}].identifier`);
    const requirements = c?.requirements ?? [];
    if (!Array.isArray(requirements) || !Array.isArray(c?.updates)) throw badRequest('a commit needs requirements and updates arrays');
    if (![...requirements, ...c.updates].every((x) => typeof x === 'object' && x !== null)) throw badRequest('requirements and updates must be objects');
    return { levels: id.namespace, name: id.name, requirements: requirements as Requirement[], updates: c.updates as Update[] };
  });
}

/** A `{namespace, name}` table identifier of a request body. */
export function identifier(x: unknown, what: string): Identifier {
  const o = x as { namespace?: unknown; name?: unknown } | undefined;
  if (!o || !Array.isArray(o.namespace) || !o.namespace.every((l) => typeof l === 'string') || typeof o.name !== 'string') {
    throw badRequest(`${what} must be {namespace: [string], name: string}`);
  }
  return { namespace: o.namespace as string[], name: o.name };
}
