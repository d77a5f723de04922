import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ObjectStorage } from '../../storage/object-storage.js';
import * as repo from '../../store/lakecat/dataset-repository.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import type { DatasetRow } from '../../store/schema.js';
import { type Db, isForeignKeyViolation, nowIso, type Store, type Tx } from '../../store/store.js';
import { Authorizer, type DatabaseScope } from '../authz/authorizer.js';
import { conflict, forbidden, invalid, notFound, unlessDuplicate } from '../errors.js';
import type { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type PageInfo, type Paging } from '../paging.js';
import { deleteLocationData } from './data-files.js';
import { eventRow } from './event-row.js';
import { allowAnyLocation, type LocationGuard, normalizeName, validateLocation } from './names.js';

export const DATASET_NAME = /^[a-zA-Z0-9\u4e00-\u9fa5_-]+$/;
export const STORAGE_TYPES = ['EXTERNAL', 'MANAGED'] as const;
export const DATASET_FORMATS = ['ROW', 'TEXT', 'IMAGE', 'AUDIO', 'VIDEO', 'CUSTOM'] as const;

/** The content types each format allows; formats not listed take any (the reference names none for them). */
const CONTENT_TYPES: Record<string, string[]> = {
  ROW: ['CSV', 'JSONL', 'AVRO'],
  IMAGE: ['JPG', 'PNG', 'TIFF'],
  AUDIO: ['WAV', 'MP3', 'FLAC'],
  VIDEO: ['MP4', 'MOV', 'AVI'],
};

export interface DatasetFormat {
  format: string;
  content_types: string[];
}
export interface DatasetInput {
  dataset_name: string;
  description?: string;
  storage_type: string;
  dataset_format?: DatasetFormat;
  owner?: string;
  owner_type?: string;
  owner_source?: string;
  location?: string;
  properties?: Record<string, string>;
}
/** What UpdateDataset changes; the fields it may not change are checked to be absent or unchanged. */
export interface DatasetChanges extends Partial<DatasetInput> {
  description?: string;
  dataset_format?: DatasetFormat;
  properties?: Record<string, string>;
}

export interface DatasetView {
  catalog_name: string;
  database_name: string;
  database_id: string;
  dataset_name: string;
  dataset_id: string;
  description: string;
  storage_type: string;
  dataset_format?: DatasetFormat;
  owner: string;
  owner_type: string;
  owner_source: string;
  location: string;
  properties: Record<string, string>;
  create_time: string;
  update_time: string;
}

const view = (r: DatasetRow, databaseId: string): DatasetView => ({
  catalog_name: r.catalog_name,
  database_name: r.database_name,
  database_id: databaseId,
  dataset_name: r.name,
  dataset_id: r.id,
  description: r.description,
  storage_type: r.storage_type,
  ...(r.format !== null
    ? { dataset_format: { format: r.format, content_types: JSON.parse(r.content_types ?? '[]') as string[] } }
    : {}),
  owner: r.owner,
  owner_type: r.owner_type,
  owner_source: r.owner_source,
  location: r.location,
  properties: JSON.parse(r.properties) as Record<string, string>,
  create_time: r.created_at,
  update_time: r.updated_at,
});

/** The format as stored: its content types checked against the format and without repeats. */
function checkedFormat(f: DatasetFormat | undefined): { format: string | null; content_types: string | null } {
  if (!f) return { format: null, content_types: null };
  const allowed = CONTENT_TYPES[f.format];
  const wrong = allowed ? f.content_types.filter((t) => !allowed.includes(t)) : [];
  if (wrong.length)
    throw invalid(
      `dataset_format.content_types: ${wrong.join(', ')} is not a ` +
        `content type of ${f.format} (one of ${allowed?.join(', ')})`,
    );
  return { format: f.format, content_types: JSON.stringify([...new Set(f.content_types)]) };
}

/**
 * Datasets: collections of files (rows, text, images, audio, video) registered under a
 * database. They have no grants of their own: whoever sees the database sees its datasets;
 * creating one takes what creating a table takes (CREATE_TABLE on the database), changing or
 * dropping one its owner, the database's owner, or ALTER or DROP on the database.
 */
export class DatasetService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly storage: ObjectStorage,
    private readonly localWarehouse: string | undefined,
    private readonly log: Logger,
    policies: PolicyService,
    private readonly guard: LocationGuard = allowAnyLocation,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  /** The database at the path; it must be visible to the caller (else 404, as if absent). */
  private async scope(
    caller: Principal,
    action: 'dataset.create' | 'dataset.list',
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
  ): Promise<{ s: repo.DatasetScope; d: DatabaseScope }> {
    const d = await this.authz.check(caller, action, {
      kind: 'database',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
    });
    return { s: { instanceId: d.instance.id, catalogName: d.catalog.name, databaseName: d.database.name }, d };
  }

  private ref(projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string) {
    return {
      kind: 'dataset',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
      dataset: name,
    } as const;
  }

  private scopeOf(d: DatabaseScope): repo.DatasetScope {
    return { instanceId: d.instance.id, catalogName: d.catalog.name, databaseName: d.database.name };
  }

  private async load(q: Db, s: repo.DatasetScope, name: string): Promise<DatasetRow> {
    const row = await repo.findDataset(q, s, name);
    if (!row) throw notFound(`dataset ${name} does not exist in database ${s.databaseName}`);
    return row;
  }

  private event(trx: Tx, s: repo.DatasetScope, type: string, name: string, caller: Principal, detail: unknown) {
    return appendEvent(trx, eventRow(s, type, name, caller, detail));
  }

  /** Runs a write in one transaction; the database vanishing meanwhile is a 404, not a 500. */
  private async write<T>(s: repo.DatasetScope, fn: (trx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.store.transaction(fn);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw notFound(`database ${s.databaseName} no longer exists`);
      throw err;
    }
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    input: DatasetInput,
  ): Promise<DatasetView> {
    const { s, d } = await this.scope(caller, 'dataset.create', projectId, instanceRef, catalogName, databaseName);
    const database = d.database;
    if (input.owner !== undefined && input.owner !== caller.userName && !caller.isAdmin)
      throw forbidden('only an administrator may create a dataset for another owner');
    const name = normalizeName('dataset', input.dataset_name, DATASET_NAME, 256);
    const format = checkedFormat(input.dataset_format);
    let location: string;
    if (input.storage_type === 'MANAGED') {
      // The service places managed data; `.dataset` keeps it apart from tables (whose names take no dot) in the same
      // folder.
      if (input.location !== undefined && input.location !== '')
        throw invalid(
          'a MANAGED dataset is stored where the service places it; give a location only with storage_type EXTERNAL',
        );
      location = `${database.location}/${name}.dataset`;
    } else {
      if (!input.location) throw invalid('an EXTERNAL dataset needs a location');
      location = validateLocation('location', input.location, this.localWarehouse);
      await this.guard(caller, s.instanceId, location);
    }
    const now = nowIso();
    const row: DatasetRow = {
      id: randomBytes(16).toString('hex'),
      instance_id: s.instanceId,
      catalog_name: s.catalogName,
      database_name: s.databaseName,
      name,
      description: input.description ?? '',
      storage_type: input.storage_type,
      ...format,
      location,
      owner: input.owner ?? caller.userName,
      owner_type: input.owner_type ?? 'USER',
      owner_source: input.owner_source ?? 'IAM',
      properties: JSON.stringify(input.properties ?? {}),
      created_at: now,
      updated_at: now,
      version: 1,
    };
    await unlessDuplicate(`dataset ${name} already exists in database ${s.databaseName}`, () =>
      this.write(s, async (trx) => {
        await repo.insertDataset(trx, row);
        await this.event(trx, s, 'CREATE_DATASET', name, caller, { object: view(row, database.id) });
      }),
    );
    return view(row, database.id);
  }

  async show(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
  ): Promise<DatasetView> {
    const r = await this.authz.check(
      caller,
      'dataset.show',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
    );
    return view(r.dataset, r.database.id);
  }

  /** Replaces the description, format and properties given; the rest of a dataset is fixed once created. */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    input: DatasetChanges,
  ): Promise<DatasetView> {
    const authorized = await this.authz.prepare(
      caller,
      'dataset.alter',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
      false,
    );
    const current = name.toLowerCase();
    const format = input.dataset_format === undefined ? undefined : checkedFormat(input.dataset_format);
    const s = { instanceId: '', catalogName: catalogName.toLowerCase(), databaseName: databaseName.toLowerCase() };
    return this.write(s, async (trx) => {
      const d = await authorized.resolve(trx);
      const row = d.dataset;
      const s = this.scopeOf(d);
      const fixed: [string, unknown, unknown][] = [
        ['dataset_name', input.dataset_name?.toLowerCase(), row.name],
        ['storage_type', input.storage_type, row.storage_type],
        ['location', input.location, row.location],
        ['owner', input.owner, row.owner],
        ['owner_type', input.owner_type, row.owner_type],
        ['owner_source', input.owner_source, row.owner_source],
      ];
      const changed = fixed
        .filter(([, given, stored]) => given !== undefined && given !== stored)
        .map(([field]) => field);
      if (changed.length)
        throw invalid(
          `UpdateDataset cannot change ${changed.join(', ')}: only description, dataset_format and properties`,
        );
      const ok = await repo.updateDatasetIf(trx, s, current, row.version, {
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(format ?? {}),
        ...(input.properties !== undefined ? { properties: JSON.stringify(input.properties) } : {}),
        updated_at: nowIso(),
      });
      if (!ok) throw conflict(`dataset ${current} was changed concurrently; retry`);
      const after = await this.load(trx, s, current);
      await this.event(trx, s, 'ALTER_DATASET', current, caller, { object: view(after, d.database.id) });
      return view(after, d.database.id);
    });
  }

  /**
   * Drops a dataset. `deleteData` also removes a MANAGED dataset's files (after the commit, and
   * only in storage this server serves); an EXTERNAL dataset's files belong to whoever wrote them.
   */
  async delete(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    o: { deleteData: boolean },
  ): Promise<void> {
    const authorized = await this.authz.prepare(
      caller,
      'dataset.drop',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
      false,
    );
    const current = name.toLowerCase();
    let s = { instanceId: '', catalogName: catalogName.toLowerCase(), databaseName: databaseName.toLowerCase() };
    const dropped = await this.write(s, async (trx) => {
      const d = await authorized.resolve(trx);
      const row = d.dataset;
      s = this.scopeOf(d);
      if (o.deleteData && row.storage_type !== 'MANAGED') {
        throw invalid(
          `dataset ${current} is EXTERNAL: its files are not the catalog's to delete; drop it without delete_data`,
        );
      }
      if (!(await repo.deleteDataset(trx, s, current))) throw notFound(`dataset ${current} does not exist`);
      await this.event(trx, s, 'DROP_DATASET', current, caller, {
        object: view(row, d.database.id),
        delete_data: o.deleteData,
      });
      return row;
    });
    if (o.deleteData) {
      const removed = await deleteLocationData(this.storage, dropped.location, this.localWarehouse);
      this.log.info(
        { dataset: `${s.catalogName}.${s.databaseName}.${current}`, location: dropped.location, removed },
        'deleted the files of a dropped dataset',
      );
    }
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    p: Paging & { pattern?: string; format?: string },
  ): Promise<{ datasets: DatasetView[]; page_info: PageInfo }> {
    const { s, d } = await this.scope(caller, 'dataset.list', projectId, instanceRef, catalogName, databaseName);
    const filter: repo.DatasetFilter = { pattern: p.pattern, format: p.format };
    const db = this.store.db;
    const page = await keysetPage<DatasetRow, string>(
      { ...p, limit: p.limit === 0 ? 1000 : p.limit },
      {
        what: 'a dataset of this listing',
        locate: async (marker) => (await repo.findDatasetById(db, s, marker))?.name,
        fetch: (limit, c) => repo.pageDatasets(db, s, filter, limit, c),
        exists: (k, side) => repo.datasetExistsBeyond(db, s, filter, k, side),
        keyOf: (r) => r.name,
        markerOf: (r) => r.id,
      },
    );
    return { datasets: page.rows.map((r) => view(r, d.database.id)), page_info: page.info };
  }
}
