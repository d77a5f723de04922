// Iceberg views over LakeCat: a view is a LakeCat VIRTUAL_VIEW of format ICEBERG whose
// parameters point at its current view metadata file, so Hive and Spark (through LakeFormation)
// see a view with its SQL and columns, and Iceberg clients see the view metadata. Tables and views
// share LakeCat's names, so one cannot shadow the other. A replace moves the pointer by the same
// compare-and-swap on the LakeCat table's version as a table commit.

import { randomUUID } from 'node:crypto';
import { ConcurrentChange, ServiceError } from '../errors.js';
import type { TableService } from '../lakecat/table-service.js';
import type { IcebergCatalog } from './catalog-service.js';
import { badRequest, commitFailed, isMissing, missing, named } from './errors.js';
import type { Recorder } from './idempotency.js';
import { stringifyIceberg } from './json.js';
import {
  type Caller,
  icebergName,
  identifier,
  levelsOf,
  type Page,
  pageSizeOf,
  type ShownTable,
  type Warehouse,
} from './names.js';
import { hiveColumns } from './new-table.js';
import {
  applyViewUpdates,
  CommitConflict,
  type CreateViewRequest,
  checkViewRequirements,
  currentSchema,
  hiveViewText,
  InvalidUpdate,
  newViewMetadata,
  type ViewMetadata,
} from './view-metadata.js';

/** The LakeCat table type of an Iceberg view, and the marker parameter Iceberg's Hive catalog uses. */
export const VIEW_TABLE_TYPE = 'VIRTUAL_VIEW';
export const VIEW_MARKER = 'ICEBERG-VIEW';
/** A property that moves a view's metadata files away from `<location>/metadata`. */
const METADATA_PATH_PROPERTY = 'write.metadata.path';
/** How often a replace that lost the race to a compatible one is redone before the client is told to retry. */
const COMMIT_ATTEMPTS = 20;

export interface IcebergView {
  namespace: string;
  name: string;
  metadataLocation: string;
  /** The LakeCat table's version, parameters and own location: the replace compares and swaps on them. */
  version: string;
  parameters: Record<string, string>;
  storedLocation?: string;
}
export interface LoadViewResult {
  'metadata-location': string;
  metadata: ViewMetadata;
  config: Record<string, string>;
}

const noSuchView = (namespace: string, name: string) => missing('view', `view ${namespace}.${name} does not exist`);

/** The metadata file after `previous` (numbered as table metadata files are). */
function nextMetadataLocation(m: ViewMetadata, previous: string | undefined): string {
  const dir = (m.properties[METADATA_PATH_PROPERTY] || `${m.location}/metadata`).replace(/\/+$/, '');
  const n = previous ? Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(previous)?.[1] ?? 0) + 1 : 0;
  return `${dir}/${String(n).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

export class IcebergViews {
  constructor(
    private readonly catalog: IcebergCatalog,
    private readonly tables: TableService,
  ) {}

  private async readMetadata(v: { namespace: string; name: string }, location: string): Promise<ViewMetadata> {
    return (await this.catalog.files.readJson<ViewMetadata>(location, 'view', `view ${v.namespace}.${v.name}`)).value;
  }

  /**
   * The LakeCat view behind an identifier; a table, or a view that is not an Iceberg view, is no view here (not found).
   */
  async view(p: Caller, w: Warehouse, levels: string[], name: string): Promise<IcebergView> {
    const db = await this.catalog.namespaces.namespace(p, w, levels);
    const shown = await this.tables
      .show(p, p.projectId, w.instanceId, w.catalog, db.database_name, name)
      .catch((err: unknown) => {
        if (err instanceof ServiceError && err.kind === 'not_found') throw noSuchView(db.database_name, name);
        throw err;
      });
    const t = JSON.parse(shown.text) as ShownTable;
    const metadataLocation = t.parameters?.metadata_location;
    if (t.table_type !== VIEW_TABLE_TYPE || t.table_format !== 'ICEBERG' || !metadataLocation)
      throw noSuchView(db.database_name, t.table_name);
    return {
      namespace: db.database_name,
      name: t.table_name,
      metadataLocation,
      version: t.version_id,
      parameters: t.parameters ?? {},
      ...(t.storage_descriptor?.location ? { storedLocation: t.storage_descriptor.location } : {}),
    };
  }

  /** As view(), but a view in a missing namespace is a missing view (Iceberg's drop and rename answer so). */
  private existing(p: Caller, w: Warehouse, levels: string[], name: string): Promise<IcebergView> {
    return this.view(p, w, levels, name).catch((err: unknown) => {
      if (isMissing(err, 'namespace')) throw noSuchView(levels.join('.'), name);
      throw err;
    });
  }

  async listViews(p: Caller, w: Warehouse, levels: string[], q: Page) {
    const limit = pageSizeOf(q);
    const db = await this.catalog.namespaces.namespace(p, w, levels);
    const page = await named(
      this.tables.list(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
        limit,
        marker: q.pageToken || undefined,
        reversePage: false,
        deleted: false,
        format: 'ICEBERG',
        type: VIEW_TABLE_TYPE,
        includeFields: [],
      }),
      { not_found: 'namespace' },
    );
    return {
      identifiers: page.tables.map((t) => ({ namespace: levelsOf(db.database_name), name: t.table_name as string })),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  async createView(
    p: Caller,
    w: Warehouse,
    levels: string[],
    body: CreateViewRequest | undefined,
    record?: Recorder,
  ): Promise<LoadViewResult> {
    if (!body || typeof body.name !== 'string') throw badRequest('name is required');
    if (body.location !== undefined && body.location !== null && typeof body.location !== 'string')
      throw badRequest('location must be a string');
    const name = icebergName('view', body.name);
    const db = await this.catalog.namespaces.namespace(p, w, levels);
    const location = ((body.location as string | undefined) || `${db.location}/${name}`).replace(/\/+$/, '');
    let metadata: ViewMetadata;
    try {
      metadata = newViewMetadata(body, location);
    } catch (err) {
      if (err instanceof InvalidUpdate) throw badRequest(err.message);
      throw err;
    }
    const metadataLocation = nextMetadataLocation(metadata, undefined);
    // a location outside our storage is refused before anything is written
    this.catalog.files.coordinates(metadataLocation);
    const schema = currentSchema(metadata);
    const text = hiveViewText(metadata);
    // The file first, then the view and (with an Idempotency-Key) its answer in one transaction;
    // a refused create removes the file again.
    await this.catalog.files.writeFile(metadataLocation, stringifyIceberg(metadata));
    const answer: LoadViewResult = { 'metadata-location': metadataLocation, metadata, config: {} };
    try {
      await named(
        this.tables.create(
          p,
          p.projectId,
          w.instanceId,
          w.catalog,
          db.database_name,
          {
            table_name: name,
            table_type: VIEW_TABLE_TYPE,
            table_format: 'ICEBERG',
            storage_descriptor: { columns: schema ? hiveColumns(schema) : [], ...(body.location ? { location } : {}) },
            view_original_text: text,
            view_expanded_text: text,
            parameters: { ...metadata.properties, table_type: VIEW_MARKER, metadata_location: metadataLocation },
          },
          { icebergNames: true, within: record?.(answer) },
        ),
        { conflict: 'exists', not_found: 'namespace' },
      );
    } catch (err) {
      await this.catalog.files.removeFile(metadataLocation);
      throw err;
    }
    return answer;
  }

  async loadView(p: Caller, w: Warehouse, levels: string[], name: string): Promise<LoadViewResult> {
    const v = await this.view(p, w, levels, name);
    return {
      'metadata-location': v.metadataLocation,
      metadata: await this.readMetadata(v, v.metadataLocation),
      config: {},
    };
  }

  /**
   * Replace: the requirements are checked and the updates applied to the current metadata, a
   * new metadata file is written, and the view's pointer moves to it only if the LakeCat table
   * is still at the version read. A replace that lost the race to another is redone on the
   * winner's metadata (the only requirement, the view's uuid, survives any replace), so
   * concurrent replaces serialize and none is lost.
   */
  async replaceView(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    body: { requirements?: unknown; updates?: unknown } | undefined,
    record?: Recorder,
  ): Promise<LoadViewResult> {
    const requirements = body?.requirements ?? [];
    const updates = body?.updates;
    if (!Array.isArray(requirements) || !Array.isArray(updates))
      throw badRequest('a view commit needs requirements and updates arrays');
    // ALTER is checked before any file is written, so a caller who may only read the view writes nothing.
    const first = await this.view(p, w, levels, name);
    await named(this.tables.resolve(p, p.projectId, w.instanceId, w.catalog, first.namespace, first.name, 'ALTER'), {
      not_found: 'view',
    });
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const v = attempt === 0 ? first : await this.view(p, w, levels, name);
      const base = await this.readMetadata(v, v.metadataLocation);
      let next: ViewMetadata;
      try {
        checkViewRequirements(base, requirements);
        next = applyViewUpdates(base, updates, Date.now());
      } catch (err) {
        if (err instanceof CommitConflict)
          throw commitFailed(`replace of view ${v.namespace}.${v.name} refused: ${err.message}`);
        if (err instanceof InvalidUpdate) throw badRequest(err.message);
        throw err;
      }
      const metadataLocation = nextMetadataLocation(next, v.metadataLocation);
      await this.catalog.files.writeFile(metadataLocation, stringifyIceberg(next));
      const schema = currentSchema(next);
      const text = hiveViewText(next);
      // Properties the replace removed leave the LakeCat parameters too; others set there stay.
      const parameters = { ...v.parameters };
      for (const k of Object.keys(base.properties)) if (!Object.hasOwn(next.properties, k)) delete parameters[k];
      const location = v.storedLocation || next.location !== base.location ? { location: next.location } : {};
      const answer: LoadViewResult = { 'metadata-location': metadataLocation, metadata: next, config: {} };
      try {
        await this.tables.update(
          p,
          p.projectId,
          w.instanceId,
          w.catalog,
          v.namespace,
          v.name,
          {
            version_id: v.version,
            table: {
              storage_descriptor: { columns: schema ? hiveColumns(schema) : [], ...location },
              view_original_text: text,
              view_expanded_text: text,
              parameters: {
                ...parameters,
                ...next.properties,
                table_type: VIEW_MARKER,
                metadata_location: metadataLocation,
                previous_metadata_location: v.metadataLocation,
              },
            },
          },
          { icebergNames: true, within: record?.(answer) },
        );
        return answer;
      } catch (err) {
        await this.catalog.files.removeFile(metadataLocation);
        if (!(err instanceof ConcurrentChange)) throw err;
        // Another replace moved the pointer: redo this one on its metadata, after a short random pause.
        await new Promise((r) => setTimeout(r, 2 + Math.random() * 15));
      }
    }
    throw commitFailed('replace of the view kept losing to concurrent replaces; retry');
  }

  /** Drops the view from the catalog; its metadata files stay, as readers may hold them. */
  async dropView(p: Caller, w: Warehouse, levels: string[], name: string, record?: Recorder): Promise<void> {
    const v = await this.existing(p, w, levels, name);
    await named(
      this.tables.delete(p, p.projectId, w.instanceId, w.catalog, v.namespace, v.name, {
        deleteData: false,
        isAsync: false,
        within: record?.(undefined),
      }),
      { not_found: 'view' },
    );
  }

  /** Renames a view, into another namespace of the catalog too. */
  async renameView(
    p: Caller,
    w: Warehouse,
    body: { source?: unknown; destination?: unknown },
    record?: Recorder,
  ): Promise<void> {
    const src = identifier(body.source, 'source');
    const dst = identifier(body.destination, 'destination');
    const v = await this.existing(p, w, src.namespace, src.name);
    // Unlike the source's, a missing destination namespace is named as such.
    const target = await this.catalog.namespaces.namespace(p, w, dst.namespace);
    const name = icebergName('view', dst.name);
    await named(
      this.tables.update(
        p,
        p.projectId,
        w.instanceId,
        w.catalog,
        v.namespace,
        v.name,
        {
          table: { table_name: name },
          ...(target.database_name !== v.namespace ? { moveTo: target.database_name } : {}),
        },
        { icebergNames: true, within: record?.(undefined) },
      ),
      { not_found: 'view', conflict: 'exists' },
    );
  }
}
