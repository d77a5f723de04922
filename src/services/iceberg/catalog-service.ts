// The Apache Iceberg REST catalog over LakeCat: a namespace is a LakeCat database and an Iceberg
// table is a LakeCat EXTERNAL_TABLE of format ICEBERG whose parameters point at its current
// metadata file (the Hive convention), so both APIs see one catalog. Every call goes through the
// LakeCat services and gets their authorization, visibility, locations and metadata events.
// Its parts: names.ts, namespaces.ts, tables.ts, commits.ts, register.ts, metadata-files.ts.

import type { ObjectStorage } from '../../storage/object-storage.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { CatalogService } from '../lakecat/catalog-service.js';
import type { DatabaseService } from '../lakecat/database-service.js';
import { allowAnyLocation, type LocationGuard } from '../lakecat/names.js';
import type { TableService } from '../lakecat/table-service.js';
import { IcebergCommits } from './commits.js';
import { MetadataFiles } from './metadata-files.js';
import { IcebergNamespaces } from './namespaces.js';
import { IcebergRegistration } from './register.js';
import { IcebergTables } from './tables.js';

export type { CommitRequest } from './commits.js';
export * from './names.js';
export type { IcebergTable, Loaded, LoadResult } from './tables.js';

export class IcebergCatalog {
  readonly files: MetadataFiles;
  readonly namespaces: IcebergNamespaces;
  readonly tables: IcebergTables;
  readonly commits: IcebergCommits;
  readonly registration: IcebergRegistration;

  constructor(
    instances: InstanceService,
    catalogs: CatalogService,
    databases: DatabaseService,
    tables: TableService,
    storage: ObjectStorage,
    localWarehouse: string | undefined,
    /** The LakeCat services' location guard: a table's location and write paths pass it before anything is written. */
    guard: LocationGuard = allowAnyLocation,
    /** The store's change mark: loads are kept by it (see IcebergTables.load). */
    changeMark: () => string | undefined = () => undefined,
  ) {
    this.files = new MetadataFiles(storage, localWarehouse);
    this.namespaces = new IcebergNamespaces(instances, catalogs, databases);
    this.tables = new IcebergTables(this.namespaces, tables, this.files, guard, changeMark);
    this.commits = new IcebergCommits(this.namespaces, this.tables, tables, this.files, guard);
    this.registration = new IcebergRegistration(this.namespaces, this.tables, tables, this.files, guard);
  }
}
