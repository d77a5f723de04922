// The Apache Iceberg REST catalog over LakeCat: a namespace is a LakeCat database and an Iceberg
// table is a LakeCat EXTERNAL_TABLE of format ICEBERG whose parameters point at its current
// metadata file (the Hive convention), so both APIs see one catalog. Every call goes through the
// LakeCat services and gets their authorization, visibility, locations and metadata events.
import { createHash, randomUUID } from 'node:crypto';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { CatalogService } from '../lakecat/catalog-service.js';
import type { DatabaseService, DatabaseView } from '../lakecat/database-service.js';
import { TABLE_NAME, type TableService } from '../lakecat/table-service.js';
import { normalizeName } from '../lakecat/names.js';
import { deleteLocationData } from '../lakecat/data-files.js';
import { storageCoordinates } from '../console/location-service.js';
import { ServiceError } from '../errors.js';
import { StorageNotFoundError, type ObjectStorage } from '../../storage/object-storage.js';
import { badRequest, IcebergError, named } from './errors.js';
import { hiveColumns, newTableMetadata, type CreateRequest, type IcebergSchema } from './new-table.js';
import { applyUpdates, checkRequirements, CommitConflict, InvalidUpdate, type Requirement, type TableMetadata, type Update } from './table-metadata.js';
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

/** One namespace level; nested namespaces are refused until LakeCat has a place for them. */
export function singleLevel(levels: string[]): string {
  if (levels.length !== 1 || !levels[0]) throw badRequest('only single-level namespaces are supported: a namespace is one LakeCat database');
  return levels[0];
}

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

export class IcebergCatalog {
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
    if (q.parent !== undefined && q.parent !== '') {
      // Namespaces are single-level: an existing parent has no children.
      await this.namespace(p, w, pathLevels(q.parent));
      return { namespaces: [] };
    }
    const page = await this.databases.list(p, p.projectId, w.instanceId, w.catalog, { limit, marker: q.pageToken || undefined, reversePage: false, deleted: false });
    return {
      namespaces: page.databases.map((d) => [d.database_name]),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  async createNamespace(p: Caller, w: Warehouse, body: { namespace?: unknown; properties?: unknown } | undefined) {
    if (!body || !Array.isArray(body.namespace) || !body.namespace.every((l) => typeof l === 'string')) throw badRequest('namespace must be an array of strings');
    const properties = body.properties ?? {};
    if (!isStringMap(properties)) throw badRequest('properties must map strings to strings');
    const name = singleLevel(body.namespace as string[]);
    const created = await named(this.databases.create(p, p.projectId, w.instanceId, w.catalog, {
      database_name: name, parameters: properties,
      ...(properties.location ? { location: properties.location } : {}),
      ...(properties.comment ? { description: properties.comment } : {}),
    }), { conflict: 'AlreadyExistsException' });
    return { namespace: [created.database_name], properties: created.parameters };
  }

  /** The database behind a namespace, visible to the caller. */
  async namespace(p: Caller, w: Warehouse, levels: string[]): Promise<DatabaseView> {
    return named(this.databases.show(p, p.projectId, w.instanceId, w.catalog, singleLevel(levels)), { not_found: 'NoSuchNamespaceException' });
  }

  async loadNamespace(p: Caller, w: Warehouse, levels: string[]) {
    const db = await this.namespace(p, w, levels);
    return { namespace: [db.database_name], properties: db.parameters };
  }

  async dropNamespace(p: Caller, w: Warehouse, levels: string[]): Promise<void> {
    const db = await this.namespace(p, w, levels);
    await named(this.databases.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name, { cascade: false, deleteData: false, isAsync: false }),
      { not_found: 'NoSuchNamespaceException', conflict: 'NamespaceNotEmptyException' });
  }

  /** Removals and updates applied to the stored properties inside one transaction: a concurrent change is a 409, never a lost update. */
  async updateNamespaceProperties(p: Caller, w: Warehouse, levels: string[], body: { removals?: unknown; updates?: unknown }) {
    const removals = body.removals ?? [];
    const updates = body.updates ?? {};
    if (!Array.isArray(removals) || !removals.every((k) => typeof k === 'string')) throw badRequest('removals must be an array of strings');
    if (!isStringMap(updates)) throw badRequest('updates must map strings to strings');
    const both = (removals as string[]).filter((k) => Object.hasOwn(updates, k));
    if (both.length) throw new IcebergError(422, 'UnprocessableEntityException', `properties both updated and removed: ${both.join(', ')}`);
    const db = await this.namespace(p, w, levels);
    let removed: string[] = [];
    let missing: string[] = [];
    // Runs inside the update's transaction, and again if that transaction is retried.
    const patch = (current: Record<string, string>): Record<string, string> => {
      const next = { ...current };
      removed = [];
      missing = [];
      for (const k of removals as string[]) {
        if (Object.hasOwn(next, k)) { delete next[k]; removed.push(k); } else missing.push(k);
      }
      return Object.assign(next, updates);
    };
    await named(this.databases.update(p, p.projectId, w.instanceId, w.catalog, db.database_name, { database_name: db.database_name }, patch),
      { not_found: 'NoSuchNamespaceException', conflict: 'CommitFailedException' });
    return { updated: Object.keys(updates), removed, missing };
  }

  // Object storage

  coordinates(location: string) {
    const c = storageCoordinates(location, this.localWarehouse);
    if (!c || !c.bucket) throw badRequest(`location ${location} is not in the object storage this service writes`);
    return c;
  }

  async writeFile(location: string, body: string): Promise<void> {
    const c = this.coordinates(location);
    await this.storage.putObject(c.bucket, c.key, body);
  }

  async removeFile(location: string): Promise<void> {
    const c = this.coordinates(location);
    await this.storage.deleteObject(c.bucket, c.key).catch(() => undefined);
  }

  async readMetadata(location: string): Promise<TableMetadata> {
    const c = this.coordinates(location);
    try {
      return JSON.parse((await this.storage.getObject(c.bucket, c.key)).toString('utf8')) as TableMetadata;
    } catch (err) {
      if (err instanceof StorageNotFoundError) throw new IcebergError(404, 'NoSuchTableException', `the metadata file ${location} of the table is missing`);
      throw err;
    }
  }

  // Tables

  /** The LakeCat table behind an Iceberg identifier; a table of another format is not an Iceberg table (404). */
  async table(p: Caller, w: Warehouse, levels: string[], table: string): Promise<IcebergTable> {
    const db = await this.namespace(p, w, levels);
    const shown = await named(this.tables.show(p, p.projectId, w.instanceId, w.catalog, db.database_name, table), { not_found: 'NoSuchTableException' });
    const t = JSON.parse(shown.text) as { table_name: string; table_format: string; version_id: string; parameters?: Record<string, string>; storage_descriptor?: { location?: string } };
    const metadataLocation = t.parameters?.metadata_location;
    if (t.table_format !== 'ICEBERG' || !metadataLocation) {
      throw new IcebergError(404, 'NoSuchTableException', `table ${db.database_name}.${t.table_name} is a ${t.table_format} table, not an Iceberg table with a metadata_location`);
    }
    return { w, namespace: db.database_name, name: t.table_name, location: t.storage_descriptor?.location ?? '', metadataLocation, version: t.version_id, parameters: t.parameters ?? {} };
  }

  async listTables(p: Caller, w: Warehouse, levels: string[], q: Page) {
    const limit = pageSizeOf(q);
    const db = await this.namespace(p, w, levels);
    const page = await named(this.tables.list(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
      limit, marker: q.pageToken || undefined, reversePage: false, deleted: false, format: 'ICEBERG', includeFields: [],
    }), { not_found: 'NoSuchNamespaceException' });
    return {
      identifiers: page.tables.map((t) => ({ namespace: [db.database_name], name: t.table_name as string })),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  async createTable(p: Caller, w: Warehouse, levels: string[], body: (CreateRequest & { name?: unknown; location?: unknown; 'stage-create'?: unknown }) | undefined): Promise<LoadResult> {
    if (!body || typeof body.name !== 'string') throw badRequest('name is required');
    if (body['stage-create'] === true) throw badRequest('staged table creation (stage-create) is not supported yet');
    if (body.location !== undefined && typeof body.location !== 'string') throw badRequest('location must be a string');
    const name = normalizeName('table', body.name, TABLE_NAME, 256);
    const db = await this.namespace(p, w, levels);
    const location = ((body.location as string | undefined) || `${db.location}/${name}`).replace(/\/+$/, '');
    const metadata = newTableMetadata(body, location) as unknown as TableMetadata;
    const metadataLocation = `${location}/metadata/00000-${randomUUID()}.metadata.json`;
    this.coordinates(metadataLocation); // a location outside our storage is refused before the table exists
    await assertTablePaths(this.guard, p, w.instanceId, this.localWarehouse, metadata);
    // The table first: the table service checks grants, the location and the name before anything is written.
    await named(this.tables.create(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
      table_name: name, table_type: 'EXTERNAL_TABLE', table_format: 'ICEBERG',
      storage_descriptor: { columns: hiveColumns((metadata.schemas as IcebergSchema[])[0] as IcebergSchema), ...(body.location ? { location } : {}) },
      parameters: { ...metadata.properties, table_type: 'ICEBERG', metadata_location: metadataLocation },
    }), { conflict: 'AlreadyExistsException', not_found: 'NoSuchNamespaceException' });
    try {
      await this.writeFile(metadataLocation, JSON.stringify(metadata));
    } catch (err) {
      // A table whose metadata could not be written must not stay behind.
      await this.tables.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name, name, { deleteData: false, isAsync: false }).catch(() => undefined);
      throw err;
    }
    return { 'metadata-location': metadataLocation, metadata, config: {} };
  }

  async loadTable(p: Caller, w: Warehouse, levels: string[], name: string): Promise<LoadResult> {
    const t = await this.table(p, w, levels, name);
    return { 'metadata-location': t.metadataLocation, metadata: await this.readMetadata(t.metadataLocation), config: {} };
  }

  /**
   * Commit: the requirements are checked and the updates applied to the current metadata, a
   * new metadata file is written, and the table's pointer moves to it only if the LakeCat
   * table is still at the version read (compare-and-swap). A commit that lost the race to a
   * change its requirements do not reject is redone on the new metadata, a bounded number of
   * times; one whose requirements no longer hold fails with CommitFailedException.
   */
  async commitTable(p: Caller, w: Warehouse, levels: string[], name: string, body: { requirements?: unknown; updates?: unknown } | undefined) {
    const requirements = (body?.requirements ?? []) as Requirement[];
    const updates = body?.updates as Update[] | undefined;
    if (!Array.isArray(requirements) || !Array.isArray(updates)) throw badRequest('a commit needs requirements and updates arrays');
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const t = await this.table(p, w, levels, name);
      const base = await this.readMetadata(t.metadataLocation);
      let next: TableMetadata;
      try {
        checkRequirements(base, requirements);
        next = applyUpdates(base, updates, Date.now());
      } catch (err) {
        if (err instanceof CommitConflict) throw new IcebergError(409, 'CommitFailedException', `commit of ${t.namespace}.${t.name} refused: ${err.message}`);
        if (err instanceof InvalidUpdate) throw badRequest(err.message);
        throw err;
      }
      // A moved location or write path is checked before the new metadata file is written there.
      await assertTablePaths(this.guard, p, w.instanceId, this.localWarehouse, next, base);
      next['metadata-log'] = [...(base['metadata-log'] ?? []), { 'metadata-file': t.metadataLocation, 'timestamp-ms': base['last-updated-ms'] }];
      const version = Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(t.metadataLocation)?.[1] ?? 0) + 1;
      const metadataLocation = `${next.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
      // Written before the swap: a file no pointer names is harmless if the swap loses.
      await this.writeFile(metadataLocation, JSON.stringify(next));
      const schema = next.schemas.find((x) => x['schema-id'] === next['current-schema-id']) ?? next.schemas[0];
      try {
        await this.tables.update(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name, {
          version_id: t.version,
          table: {
            storage_descriptor: { columns: schema ? hiveColumns(schema) : [], location: next.location },
            parameters: { ...t.parameters, ...next.properties, table_type: 'ICEBERG', metadata_location: metadataLocation, previous_metadata_location: t.metadataLocation },
          },
        });
        return { 'metadata-location': metadataLocation, metadata: next };
      } catch (err) {
        await this.removeFile(metadataLocation);
        if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err;
        // Another commit moved the pointer: try again on its metadata, after a short random pause.
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 15));
      }
    }
    throw new IcebergError(409, 'CommitFailedException', 'commit of the table kept losing to concurrent commits; retry');
  }

  async dropTable(p: Caller, w: Warehouse, levels: string[], name: string, purge: boolean): Promise<void> {
    const t = await this.table(p, w, levels, name);
    await named(this.tables.delete(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name, { deleteData: false, isAsync: false }),
      { not_found: 'NoSuchTableException' });
    // TableService removes only a managed table's files; a purge asks for this external table's too.
    if (purge && t.location) await deleteLocationData(this.storage, t.location, this.localWarehouse);
  }

  async renameTable(p: Caller, w: Warehouse, body: { source?: unknown; destination?: unknown }): Promise<void> {
    const src = identifier(body.source, 'source');
    const dst = identifier(body.destination, 'destination');
    const t = await this.table(p, w, src.namespace, src.name);
    const target = await this.namespace(p, w, dst.namespace);
    if (target.database_name !== t.namespace) throw badRequest('renaming a table into another namespace is not supported yet');
    const name = normalizeName('table', dst.name, TABLE_NAME, 256);
    await named(this.tables.update(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name, { table: { table_name: name } }),
      { not_found: 'NoSuchTableException', conflict: 'AlreadyExistsException' });
  }
}

/** A `{namespace, name}` table identifier of a request body. */
export function identifier(x: unknown, what: string): Identifier {
  const o = x as { namespace?: unknown; name?: unknown } | undefined;
  if (!o || !Array.isArray(o.namespace) || !o.namespace.every((l) => typeof l === 'string') || typeof o.name !== 'string') {
    throw badRequest(`${what} must be {namespace: [string], name: string}`);
  }
  return { namespace: o.namespace as string[], name: o.name };
}
