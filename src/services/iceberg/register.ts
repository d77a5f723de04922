// Registering an existing Iceberg metadata file as a table (or, with overwrite, pointing an
// existing table at it): the file is read and checked, its paths pass the location guard.

import type { LocationGuard } from '../lakecat/names.js';
import type { TableService } from '../lakecat/table-service.js';
import { badRequest, isMissing, named } from './errors.js';
import type { Recorder } from './idempotency.js';
import type { MetadataFiles } from './metadata-files.js';
import { checkMetadata } from './metadata-rules.js';
import { type Caller, tableName, type Warehouse } from './names.js';
import type { IcebergNamespaces } from './namespaces.js';
import { assertTablePaths } from './paths.js';
import type { IcebergTables, LoadResult } from './tables.js';

export class IcebergRegistration {
  constructor(
    private readonly namespaces: IcebergNamespaces,
    private readonly icebergTables: IcebergTables,
    private readonly tables: TableService,
    private readonly files: MetadataFiles,
    private readonly guard: LocationGuard,
  ) {}

  /** Registers an existing metadata file as a table (or, with overwrite, points an existing table at it). */
  async registerTable(
    p: Caller,
    w: Warehouse,
    levels: string[],
    body: { name?: unknown; 'metadata-location'?: unknown; overwrite?: unknown } | undefined,
    record?: Recorder,
  ): Promise<LoadResult> {
    if (
      !body ||
      typeof body.name !== 'string' ||
      typeof body['metadata-location'] !== 'string' ||
      !body['metadata-location']
    ) {
      throw badRequest('register needs a name and a metadata-location');
    }
    const name = tableName(body.name);
    const metadataLocation = body['metadata-location'];
    const db = await this.namespaces.namespace(p, w, levels);
    const metadata = await this.files.readMetadata(metadataLocation).catch((err: unknown) => {
      if (isMissing(err)) throw badRequest(`there is no metadata file at ${metadataLocation}`);
      throw err;
    });
    if (typeof metadata.location !== 'string' || !metadata['table-uuid'] || !Array.isArray(metadata.schemas))
      throw badRequest(`${metadataLocation} is not Iceberg table metadata`);
    checkMetadata(metadata, undefined, `${metadataLocation} is not valid Iceberg table metadata`);
    await assertTablePaths(this.guard, p, w.instanceId, this.files.localWarehouse, metadata);
    const answer: LoadResult = { 'metadata-location': metadataLocation, metadata, config: {} };
    if (body.overwrite === true) {
      const existing = await this.icebergTables.table(p, w, levels, name).catch((err: unknown) => {
        if (isMissing(err, 'table')) return undefined;
        throw err;
      });
      if (existing) {
        await named(
          this.tables.update(
            p,
            p.projectId,
            w.instanceId,
            w.catalog,
            existing.namespace,
            existing.name,
            {
              version_id: existing.version,
              table: this.icebergTables.definition(existing.name, metadata, metadataLocation, existing),
            },
            { within: record?.(answer) },
          ),
          { conflict: 'commit_failed', not_found: 'table' },
        );
        return answer;
      }
    }
    // The location guard of the table service checks the metadata's location like any explicit table location.
    await named(
      this.tables.create(
        p,
        p.projectId,
        w.instanceId,
        w.catalog,
        db.database_name,
        this.icebergTables.definition(name, metadata, metadataLocation),
        { icebergNames: true, within: record?.(answer) },
      ),
      { conflict: 'exists', not_found: 'namespace' },
    );
    return answer;
  }
}
