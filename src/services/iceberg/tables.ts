// Iceberg tables: LakeCat EXTERNAL_TABLEs of format ICEBERG whose parameters point at their
// current metadata file (the Hive convention): finding, listing, creating, loading, dropping and
// renaming them. Commits are in commits.ts, registering an existing file in register.ts.
import { createHash, randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import type { TableRow } from '../../store/schema.js';
import { ServiceError } from '../errors.js';
import { deleteLocationData } from '../lakecat/data-files.js';
import type { LocationGuard } from '../lakecat/names.js';
import {
  type Column,
  definitionOf,
  type TableForUpdate,
  type TableInput,
  type TableService,
  VIEW_TYPES,
} from '../lakecat/table-service.js';
import type { RawJson } from '../raw-json.js';
import { type AtMark, ReadAtMark } from '../read-at-mark.js';
import { badRequest, exists, missing, named } from './errors.js';
import type { Recorder } from './idempotency.js';
import { icebergCreateRequest } from './lakecat-input.js';
import type { MetadataFiles } from './metadata-files.js';
import { checkMetadata } from './metadata-rules.js';
import type { ShownTable } from './names.js';
import {
  type Caller,
  databaseNameOf,
  identifier,
  LEVEL_SEPARATOR,
  levelsOf,
  type Page,
  pageSizeOf,
  tableName,
  type Warehouse,
} from './names.js';
import type { IcebergNamespaces } from './namespaces.js';
import { type CreateRequest, hiveColumns, newTableMetadata } from './new-table.js';
import { assertTablePaths } from './paths.js';
import { type TableMetadata, withRefSnapshotsOnly } from './table-metadata.js';

/** What a load answers, with the table as found (for vended credentials, never kept) and the warehouse it is in. */
export interface Loaded {
  w: Warehouse;
  etag: string;
  table: IcebergTable;
  result: LoadResult;
}

/** An Iceberg table as found in LakeCat, with what a commit compares and swaps. */
export interface IcebergTable {
  w: Warehouse;
  namespace: string;
  name: string;
  location: string;
  metadataLocation: string;
  /** The LakeCat table's version and parameters: the commit's compare-and-swap is on them. */
  version: string;
  parameters: Record<string, string>;
  /** Found for ALTER: authorized and read once, for the commit's update to take back. */
  read?: TableForUpdate;
}

type Shown = ShownTable;

export interface LoadResult {
  'metadata-location': string;
  metadata: TableMetadata;
  config: Record<string, string>;
}

/** The strong ETag of a table's state: its metadata file names it exactly. */
export const etagOf = (metadataLocation: string) => `"${createHash('sha256').update(metadataLocation).digest('hex')}"`;

/**
 * The Hive columns of schemas, by schema object: a commit shares its base's schemas (see applyUpdates), so a table's
 * columns are made once per schema, not once per commit. Never changed by their users.
 */
const schemaColumns = new WeakMap<object, Column[]>();
const columnsOf = (schema: TableMetadata['schemas'][number]): Column[] => {
  let columns = schemaColumns.get(schema);
  if (columns === undefined) {
    columns = hiveColumns(schema);
    schemaColumns.set(schema, columns);
  }
  return columns;
};

/** Shown tables parsed, by the text ShowTable gave: it gives the same text while the table is unchanged. */
const shownTables = new WeakMap<RawJson, Shown>();

export class IcebergTables {
  constructor(
    private readonly namespaces: IcebergNamespaces,
    private readonly tables: TableService,
    private readonly files: MetadataFiles,
    /** The LakeCat services' location guard: a table's location and write paths pass it before anything is written. */
    private readonly guard: LocationGuard,
    /** The store's change mark (see Store.changeMark): undefined where nothing may be kept between calls. */
    changeMark: () => string | undefined = () => undefined,
  ) {
    this.loads = new ReadAtMark(changeMark, new LRUCache<string, AtMark<Loaded>>({ max: cacheBound(4096) }));
  }

  /** Loads by caller, path and options, as of the store change mark they were made at (see load). */
  private readonly loads: ReadAtMark<Loaded>;

  /** ETags by metadata location: every load of a table answers one (a hash each time otherwise). */
  private readonly etags = new LRUCache<string, string>({ max: cacheBound(1024) });

  private etagAt(metadataLocation: string): string {
    let etag = this.etags.get(metadataLocation);
    if (etag === undefined) {
      etag = etagOf(metadataLocation);
      this.etags.set(metadataLocation, etag);
    }
    return etag;
  }

  /**
   * The LakeCat table behind an Iceberg identifier; a table of another format is not an Iceberg
   * table (not found). `ALTER` for a change: refused (forbidden) before anything is written.
   */
  async table(
    p: Caller,
    w: Warehouse,
    levels: string[],
    table: string,
    action: 'read' | 'ALTER' | 'SELECT' = 'read',
  ): Promise<IcebergTable> {
    const database = databaseNameOf(levels);
    // The table first (one read on the hot path); only a miss asks whether the namespace is there, to name the error.
    const absent = async (err: unknown): Promise<never> => {
      if (!(err instanceof ServiceError && err.kind === 'not_found')) throw err;
      await this.namespaces.namespace(p, w, levels);
      throw missing('table', err.message);
    };
    const fromRow = (row: TableRow) => ({
      ...(definitionOf(row) as unknown as Shown),
      table_name: row.name,
      table_type: row.table_type,
      table_format: row.table_format,
      version_id: String(row.version),
    });
    let t: Shown;
    let read: TableForUpdate | undefined;
    // A warehouse not checked yet (see Warehouse.settle) is not read when the table's hot path finds the table.
    const managed = w.settle
      ? await this.tables.managedForUpdate(p, p.projectId, w.instanceId, w.catalog, database, table, {
          kept: action === 'ALTER',
        })
      : undefined;
    await w.settle?.(managed !== undefined);
    if (managed && action !== 'ALTER') {
      // Its manager may do anything with it: shown whole, as ShowTable would show it to them.
      t = fromRow(managed.row);
    } else if (action === 'read') {
      const shown = await this.tables.show(p, p.projectId, w.instanceId, w.catalog, database, table).catch(absent);
      const known = shownTables.get(shown);
      if (known) t = known;
      else {
        t = JSON.parse(shown.text) as Shown;
        // Shared by every lookup that gets the same text: frozen, so none can change it for the others.
        if (t.parameters) Object.freeze(t.parameters);
        shownTables.set(shown, t);
      }
    } else if (action === 'ALTER') {
      // Authorized and read once for the commit, which hands it back to its update.
      read =
        managed ??
        (await this.tables.forUpdate(p, p.projectId, w.instanceId, w.catalog, database, table).catch(absent));
      t = fromRow(read.row);
    } else {
      t = fromRow(
        await this.tables.resolve(p, p.projectId, w.instanceId, w.catalog, database, table, action).catch(absent),
      );
    }
    const metadataLocation = t.parameters?.metadata_location;
    // An Iceberg view has a metadata_location too, but it is not a table.
    if (VIEW_TYPES.has(t.table_type)) throw missing('table', `${database}.${t.table_name} is a view, not a table`);
    if (t.table_format !== 'ICEBERG' || !metadataLocation) {
      throw missing(
        'table',
        `${database}.${t.table_name} is a ${t.table_format} table, not an Iceberg table with a metadata_location`,
      );
    }
    return {
      w,
      namespace: database.toLowerCase(),
      name: t.table_name,
      location: t.storage_descriptor?.location ?? '',
      metadataLocation,
      version: t.version_id,
      parameters: t.parameters ?? {},
      ...(read ? { read } : {}),
    };
  }

  async listTables(p: Caller, w: Warehouse, levels: string[], q: Page) {
    const limit = pageSizeOf(q);
    const db = await this.namespaces.namespace(p, w, levels);
    const page = await named(
      this.tables.list(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
        limit,
        marker: q.pageToken || undefined,
        reversePage: false,
        deleted: false,
        format: 'ICEBERG',
        excludeTypes: [...VIEW_TYPES],
        includeFields: [],
      }),
      { not_found: 'namespace' },
    );
    return {
      identifiers: page.tables.map((t) => ({ namespace: levelsOf(db.database_name), name: t.table_name as string })),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  /** The LakeCat definition of an Iceberg table at a metadata file. */
  definition(
    name: string,
    metadata: TableMetadata,
    metadataLocation: string,
    previous?: IcebergTable,
    removedProperties: string[] = [],
  ) {
    const kept = { ...(previous?.parameters ?? {}) };
    for (const k of removedProperties) delete kept[k];
    const schema =
      metadata.schemas.find((x) => x['schema-id'] === metadata['current-schema-id']) ?? metadata.schemas[0];
    return {
      table_name: name,
      table_type: 'EXTERNAL_TABLE',
      table_format: 'ICEBERG',
      storage_descriptor: { columns: schema ? columnsOf(schema) : [], location: metadata.location },
      parameters: {
        ...kept,
        ...metadata.properties,
        table_type: 'ICEBERG',
        metadata_location: metadataLocation,
        ...(previous ? { previous_metadata_location: previous.metadataLocation } : {}),
      },
    };
  }

  async createTable(
    p: Caller,
    w: Warehouse,
    levels: string[],
    body: (CreateRequest & { name?: unknown; location?: unknown; 'stage-create'?: unknown }) | undefined,
    record?: Recorder,
  ): Promise<LoadResult> {
    if (!body || typeof body.name !== 'string') throw badRequest('name is required');
    if (body.location !== undefined && typeof body.location !== 'string') throw badRequest('location must be a string');
    const name = tableName(body.name);
    const db = await this.namespaces.namespace(p, w, levels);
    const location = ((body.location as string | undefined) || `${db.location}/${name}`).replace(/\/+$/, '');
    const metadata = newTableMetadata(body, location) as unknown as TableMetadata;
    checkMetadata(metadata);
    if (body['stage-create'] === true) {
      // Nothing exists until the client commits with assert-create; only a name already taken is refused now.
      const taken = await this.tables.show(p, p.projectId, w.instanceId, w.catalog, db.database_name, name).then(
        () => true,
        () => false,
      );
      if (taken) throw exists(`table ${db.database_name}.${name} already exists`);
      return { metadata, config: {} } as unknown as LoadResult;
    }
    const metadataLocation = `${location}/metadata/00000-${randomUUID()}.metadata.json`;
    this.files.coordinates(metadataLocation); // a location outside our storage is refused before anything is written
    await assertTablePaths(this.guard, p, w.instanceId, this.files.localWarehouse, metadata);
    await this.files.writeMetadata(metadataLocation, metadata);
    const answer: LoadResult = { 'metadata-location': metadataLocation, metadata, config: {} };
    try {
      // The table service checks grants, the location and the name in the transaction that creates it.
      const definition = this.definition(name, metadata, metadataLocation);
      if (!body.location) delete (definition.storage_descriptor as { location?: string }).location;
      await named(
        this.tables.create(p, p.projectId, w.instanceId, w.catalog, db.database_name, definition, {
          icebergNames: true,
          within: record?.(answer),
        }),
        { conflict: 'exists', not_found: 'namespace' },
      );
    } catch (err) {
      await this.files.removeFile(metadataLocation);
      throw err;
    }
    return answer;
  }

  /**
   * LakeCat's CreateTable with a `create_iceberg_table_input`: the same table an Iceberg create
   * makes (first metadata file, metadata_location), with the LakeCat fields the caller gave
   * (type, owner, comments). Its parameters are the Iceberg properties; its columns come from
   * the schema, so columns given must match it, and partitions are the spec's, not Hive keys.
   */
  async createFromLakeCat(p: Caller, w: Warehouse, database: string, input: TableInput) {
    const { create_open_table_format_input: open, partition_keys: keys, ...rest } = input;
    if (VIEW_TYPES.has(input.table_type)) throw badRequest(`a ${input.table_type} cannot be an Iceberg table`);
    if (keys?.length)
      throw badRequest(
        'an Iceberg table is partitioned by create_iceberg_table_input.partition_spec, not partition_keys',
      );
    const request = icebergCreateRequest(open?.create_iceberg_table_input, input.parameters);
    const db = await this.namespaces.namespace(p, w, levelsOf(database));
    const given = input.storage_descriptor.location?.replace(/\/+$/, '');
    const location = given || `${db.location}/${input.table_name.toLowerCase()}`;
    const metadata = newTableMetadata(request, location) as unknown as TableMetadata;
    checkMetadata(metadata);
    const columns = hiveColumns(metadata.schemas[0] as never);
    const shape = (c: { column_name: string; column_type: string }[]) =>
      c.map((x) => `${x.column_name.toLowerCase()} ${x.column_type.replace(/\s+/g, '').toLowerCase()}`).join(', ');
    if (input.storage_descriptor.columns.length && shape(input.storage_descriptor.columns) !== shape(columns))
      throw badRequest(
        `storage_descriptor.columns (${shape(input.storage_descriptor.columns)}) do not match the Iceberg schema ` +
          `(${shape(columns)}): leave them empty or give the schema's`,
      );
    const metadataLocation = `${location}/metadata/00000-${randomUUID()}.metadata.json`;
    this.files.coordinates(metadataLocation);
    await assertTablePaths(this.guard, p, w.instanceId, this.files.localWarehouse, metadata);
    await this.files.writeMetadata(metadataLocation, metadata);
    try {
      const made = this.definition(input.table_name, metadata, metadataLocation);
      return await this.tables.create(p, p.projectId, w.instanceId, w.catalog, database, {
        ...rest,
        table_format: 'ICEBERG',
        storage_descriptor: { ...input.storage_descriptor, columns, ...(given ? { location: given } : {}) },
        parameters: made.parameters,
      });
    } catch (err) {
      await this.files.removeFile(metadataLocation);
      throw err;
    }
  }

  /**
   * loadTable by the parts of its path: the warehouse the prefix names checked visible, then the call counted
   * (`count`: the instance's request rate), then the table loaded. While the store's change mark holds (SQLite:
   * nothing written since), a caller's load of a path answers as that caller's last one did: the key holds the caller
   * (whatever its decisions depend on besides the store), the path and the options, so the warehouse and the table are
   * found and authorized as before with the same outcome. The call is counted either way; vended credentials are the
   * caller's to attach to each answer, never kept.
   */
  async load(
    p: Caller,
    prefix: string,
    levels: string[],
    name: string,
    snapshots: string | undefined,
    count: (w: Warehouse) => Promise<void>,
  ): Promise<Loaded> {
    const mark = this.loads.mark();
    let counted = false;
    const loaded = await this.loads.at(
      mark,
      () =>
        [
          p.userId,
          p.userName,
          p.domainId,
          p.projectId,
          p.isAdmin ? 'admin' : '',
          prefix,
          levels.join(LEVEL_SEPARATOR),
          name,
          snapshots ?? '',
        ].join('\u0000'),
      () =>
        // The warehouse is read only when the table's hot path does not find the table (see lazyWarehouse).
        this.namespaces.lazyWarehouse(
          p,
          prefix,
          (w) => {
            counted = true;
            return count(w);
          },
          async (lazy) => {
            const { etag, table, ...result } = await this.loadTable(p, lazy, levels, name, snapshots);
            Object.freeze(result.config);
            const w = { instanceId: lazy.instanceId, catalog: lazy.catalog };
            return { w, etag, table: { ...table, w }, result };
          },
        ),
    );
    if (!counted) await count(loaded.w);
    return loaded;
  }

  async loadTable(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    snapshots?: string,
  ): Promise<LoadResult & { etag: string; table: IcebergTable }> {
    if (snapshots !== undefined && snapshots !== 'all' && snapshots !== 'refs')
      throw badRequest('snapshots must be all or refs');
    const t = await this.table(p, w, levels, name);
    const metadata = await this.files.readMetadata(t.metadataLocation);
    return {
      'metadata-location': t.metadataLocation,
      metadata: snapshots === 'refs' ? withRefSnapshotsOnly(metadata) : metadata,
      config: {},
      etag: this.etagAt(t.metadataLocation),
      table: t,
    };
  }

  async dropTable(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    purge: boolean,
    record?: Recorder,
  ): Promise<void> {
    const t = await this.table(p, w, levels, name);
    await named(
      this.tables.delete(p, p.projectId, w.instanceId, w.catalog, t.namespace, t.name, {
        deleteData: false,
        isAsync: false,
        // Without purge the table waits in the recycle bin, restorable; purgeRequested removes it at once.
        purge,
        within: record?.(undefined),
      }),
      { not_found: 'table' },
    );
    // The purge removes only an internal table's files; purgeRequested asks for this external table's too.
    if (purge && t.location) await deleteLocationData(this.files.storage, t.location, this.files.localWarehouse);
  }

  /** Renames a table, into another namespace of the catalog too; its files stay where they are. */
  async renameTable(
    p: Caller,
    w: Warehouse,
    body: { source?: unknown; destination?: unknown },
    record?: Recorder,
  ): Promise<void> {
    const src = identifier(body.source, 'source');
    const dst = identifier(body.destination, 'destination');
    const t = await this.table(p, w, src.namespace, src.name);
    const target = await this.namespaces.namespace(p, w, dst.namespace);
    const name = tableName(dst.name);
    await named(
      this.tables.update(
        p,
        p.projectId,
        w.instanceId,
        w.catalog,
        t.namespace,
        t.name,
        {
          table: { table_name: name },
          ...(target.database_name !== t.namespace ? { moveTo: target.database_name } : {}),
        },
        { icebergNames: true, within: record?.(undefined) },
      ),
      { not_found: 'table', conflict: 'exists' },
    );
  }
}
