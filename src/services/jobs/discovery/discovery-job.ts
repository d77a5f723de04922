import type { ObjectStorage } from '../../../storage/object-storage.js';
import { StorageNotFoundError } from '../../../storage/object-storage.js';
import type { LocationService } from '../../console/location-service.js';
import { storageCoordinates } from '../../console/location-service.js';
import { ServiceError } from '../../errors.js';
import type { DatabaseService } from '../../lakecat/database-service.js';
import type { PartitionService } from '../../lakecat/partition-service.js';
import type { TableService } from '../../lakecat/table-service.js';
import type { JobContext, JobHandler } from '../job-runner.js';
import { type Column, type FileFormat, formatOf, readSchema, storageOf, widen } from './file-schemas.js';

export interface DiscoveryParameter {
  data_location: string;
  target_catalog: string;
  target_database: string;
  conflict_strategy?: string;
}

/** What one table folder holds: its files, their format and merged schema, and its partitions. */
interface FoundTable {
  name: string;
  folder: string;
  format?: FileFormat;
  columns: Column[];
  keys: string[];
  partitions: Map<string, string[]>;
  keyValues: string[][];
  files: number;
}

const PARTITION_BATCH = 500;
const LIST_PAGE = 1000;
const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** A Hive partition folder `key=value`, with the value unescaped as Hive writes it. */
function partitionSegment(segment: string): { key: string; value: string } | undefined {
  const i = segment.indexOf('=');
  if (i <= 0) return undefined;
  let value = segment.slice(i + 1);
  try {
    value = decodeURIComponent(value);
  } catch {
    /* a literal % stays */
  }
  return { key: segment.slice(0, i).toLowerCase(), value };
}

/** The narrowest type every value of a partition key fits. */
function keyType(values: string[]): string {
  const real = values.filter((v) => v !== HIVE_DEFAULT_PARTITION);
  if (real.length && real.every((v) => /^[+-]?\d{1,10}$/.test(v) && Math.abs(Number(v)) <= 2_147_483_647)) return 'int';
  if (real.length && real.every((v) => /^[+-]?\d{1,19}$/.test(v))) return 'bigint';
  if (real.length && real.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  return 'string';
}

const tableName = (folder: string) => folder.toLowerCase().replace(/[^a-z0-9_]/g, '_');

/**
 * METADATA_DISCOVERY: scans a storage location whose folders are tables (with Hive-style
 * `key=value/` partition folders below), reads each file's schema, merges compatible schemas
 * and reports incompatible files, then creates or updates the database, tables and partitions
 * through the LakeCat services as the job's creator, honouring the conflict strategy.
 */
export function discoveryJob(deps: {
  storage: ObjectStorage;
  localWarehouse: string | undefined;
  locations: LocationService;
  databases: DatabaseService;
  tables: TableService;
  partitions: PartitionService;
}): JobHandler {
  return async (ctx: JobContext) => {
    const p = ctx.parameter.metadata_discovery_parameter as DiscoveryParameter;
    const strategy = p.conflict_strategy ?? 'UPSERT';
    const projectId = ctx.job.project_id;
    const instance = ctx.job.instance_id;
    const root = storageCoordinates(p.data_location, deps.localWarehouse);
    if (!root?.bucket) throw new Error(`data_location ${p.data_location} is not a location of the object storage`);
    // Reading is held to the same rule as placing objects: the instance's own space or an authorized location.
    await deps.locations.assertUsable(ctx.actor, instance, p.data_location);
    const base = root.key ? `${root.key}/` : '';
    const scheme = p.data_location.startsWith('s3://') ? 's3' : 'obs';

    ctx.progress({ step: 'listing files' });
    const keys: string[] = [];
    const sizes = new Map<string, number>();
    for (let marker: string | undefined; ; ) {
      const page = await deps.storage
        .listObjects(root.bucket, { prefix: base, marker, limit: LIST_PAGE })
        .catch((err: unknown) => {
          if (err instanceof StorageNotFoundError)
            throw new Error(`data_location ${p.data_location}: bucket ${root.bucket} does not exist`);
          throw err;
        });
      for (const o of page.objects) {
        keys.push(o.key);
        sizes.set(o.key, o.size);
      }
      if (ctx.stopped) return;
      if (!page.nextMarker) break;
      marker = page.nextMarker;
    }
    const dataKeys = keys.filter(
      (k) =>
        !k
          .slice(base.length)
          .split('/')
          .some((s) => s.startsWith('_') || s.startsWith('.')),
    );
    ctx.progress({ step: 'reading schemas', done: 0, total: dataKeys.length });
    ctx.log('info', `found ${dataKeys.length} data file(s) under ${p.data_location}`);
    // An empty or missing location is a mistake to report, not a success with an empty database.
    if (!dataKeys.length) {
      throw new Error(
        `nothing to discover: ${p.data_location} ` +
          `${keys.length ? `holds only hidden files (${keys.length})` : 'does not exist or holds no files'}`,
      );
    }

    const tables = new Map<string, FoundTable>();
    let done = 0;
    for (const key of dataKeys) {
      if (ctx.stopped) return;
      ctx.progress({ done: done++ });
      const parts = key.slice(base.length).split('/');
      if (parts.length < 2) {
        ctx.log('warn', `${key}: a file directly under the data location belongs to no table folder; skipped`);
        ctx.count('skipped');
        continue;
      }
      const folder = parts[0] as string;
      const t: FoundTable = tables.get(folder) ?? {
        name: tableName(folder),
        folder,
        columns: [],
        keys: [],
        partitions: new Map(),
        keyValues: [],
        files: 0,
      };
      tables.set(folder, t);
      const segments = parts.slice(1, -1).map(partitionSegment);
      if (segments.some((s) => s === undefined)) {
        ctx.log('warn', `${key}: a folder between the table and the file is not key=value; skipped`);
        ctx.count('skipped');
        continue;
      }
      const pkeys = segments.map((s) => (s as { key: string }).key);
      if (t.files === 0 && t.partitions.size === 0) t.keys = pkeys;
      if (pkeys.join('/') !== t.keys.join('/')) {
        ctx.log(
          'error',
          `${key}: partition folders (${pkeys.join(', ') || 'none'}) ` +
            `differ from the table's (${t.keys.join(', ') || 'none'}); ` +
            `skipped`,
        );
        ctx.count('failed');
        continue;
      }
      const format = formatOf(key);
      if (!format) {
        ctx.log('warn', `${key}: not a Parquet, CSV, JSON or Avro file; skipped`);
        ctx.count('skipped');
        continue;
      }
      if (t.format && t.format !== format) {
        ctx.log('error', `${key}: a ${format} file in a ${t.format} table; skipped`);
        ctx.count('failed');
        continue;
      }
      let columns: Column[];
      try {
        columns = await readSchema(format, {
          size: sizes.get(key) ?? 0,
          range: (start, end) => deps.storage.getObjectRange(root.bucket, key, start, end),
        });
      } catch (err) {
        ctx.log('error', `${key}: cannot read its schema: ${err instanceof Error ? err.message : String(err)}`);
        ctx.count('failed');
        continue;
      }
      const merged = mergeColumns(t.columns, columns);
      if (typeof merged === 'string') {
        ctx.log('error', `${key}: ${merged}; skipped`);
        ctx.count('failed');
        continue;
      }
      t.format = format;
      t.columns = merged;
      t.files++;
      if (pkeys.length) {
        const values = segments.map((s) => (s as { value: string }).value);
        const dir = parts.slice(1, -1).join('/');
        if (!t.partitions.has(dir)) {
          t.partitions.set(dir, values);
          t.keyValues.push(values);
        }
      }
    }
    ctx.progress({ done: dataKeys.length });

    const usable = [...tables.values()].filter((t) => t.format && t.columns.length > 0);
    if (!usable.length)
      throw new Error(
        `no table found under ${p.data_location}: none of its ` +
          `${dataKeys.length} file(s) could be read as a table (see the log)`,
      );
    ctx.progress({ step: 'writing metadata' });
    try {
      await deps.databases.create(ctx.actor, projectId, instance, p.target_catalog, {
        database_name: p.target_database,
        description: `discovered from ${p.data_location}`,
      });
      ctx.log('info', `created database ${p.target_database}`);
    } catch (err) {
      if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err;
    }
    for (const t of tables.values()) {
      if (ctx.stopped) return;
      if (!t.format || t.columns.length === 0) continue;
      const partitionKeys = t.keys.map((k, i) => ({
        column_name: k,
        column_type: keyType(t.keyValues.map((v) => v[i] as string)),
      }));
      const columns = t.columns.filter((c) => !t.keys.includes(c.column_name.toLowerCase()));
      const location = `${scheme}://${root.bucket}/${base}${t.folder}`;
      const input = {
        table_name: t.name,
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        table_format: 'HIVE',
        storage_descriptor: { columns, location, ...storageOf(t.format) },
        partition_keys: partitionKeys,
        parameters: {
          classification: t.format,
          'lakeform.discovered_from': p.data_location,
          EXTERNAL: 'TRUE',
          ...(t.format === 'csv' ? { 'skip.header.line.count': '1' } : {}),
        },
      };
      const path = {
        projectId,
        instanceRef: instance,
        catalogName: p.target_catalog,
        databaseName: p.target_database,
        tableName: t.name,
      };
      let exists = false;
      try {
        await deps.tables.resolve(ctx.actor, projectId, instance, p.target_catalog, p.target_database, t.name);
        exists = true;
      } catch (err) {
        if (!(err instanceof ServiceError && err.kind === 'not_found')) throw err;
      }
      try {
        if (!exists) {
          if (strategy === 'UPDATE') {
            ctx.log('info', `table ${t.name}: new, and UPDATE changes existing tables only; skipped`);
            ctx.count('skipped');
            continue;
          }
          await deps.tables.create(ctx.actor, projectId, instance, p.target_catalog, p.target_database, input);
          ctx.count('created');
          ctx.log(
            'info',
            `table ${t.name}: created (${t.format}, ${columns.length} ` +
              `column(s), ${partitionKeys.length} partition key(s), ${t.files} ` +
              `file(s))`,
          );
        } else if (strategy === 'SKIP') {
          ctx.log('info', `table ${t.name}: exists; skipped (SKIP)`);
          ctx.count('skipped');
          continue;
        } else if (strategy === 'FAIL') {
          ctx.log('error', `table ${t.name}: exists (FAIL)`);
          ctx.count('failed');
          continue;
        } else {
          const { table_name: _n, owner_type: _o, ...changes } = input;
          await deps.tables.update(ctx.actor, projectId, instance, p.target_catalog, p.target_database, t.name, {
            table: changes,
          });
          ctx.count('updated');
          ctx.log('info', `table ${t.name}: updated`);
        }
      } catch (err) {
        ctx.log('error', `table ${t.name}: ${err instanceof Error ? err.message : String(err)}`);
        ctx.count('failed');
        continue;
      }
      const entries = [...t.partitions.entries()];
      let added = 0;
      for (let i = 0; i < entries.length; i += PARTITION_BATCH) {
        if (ctx.stopped) return;
        const batch = entries.slice(i, i + PARTITION_BATCH).map(([dir, values]) => ({
          partition_values: values,
          storage_descriptor: { columns, location: `${location}/${dir}`, ...storageOf(t.format as FileFormat) },
        }));
        try {
          const r = await deps.partitions.add(ctx.actor, path, batch, true);
          added += (JSON.parse(r.text) as unknown[]).length;
        } catch (err) {
          ctx.log(
            'error',
            `table ${t.name}: adding partitions failed: ${err instanceof Error ? err.message : String(err)}`,
          );
          ctx.count('failed');
        }
      }
      if (entries.length) ctx.log('info', `table ${t.name}: ${added} new partition(s) of ${entries.length} found`);
    }
  };
}

/** Adds a file's columns to a table's: types widen where they can, new columns join at the end. */
function mergeColumns(have: Column[], more: Column[]): Column[] | string {
  const out = have.map((c) => ({ ...c }));
  for (const c of more) {
    const same = out.find((x) => x.column_name.toLowerCase() === c.column_name.toLowerCase());
    if (!same) {
      out.push({ ...c });
      continue;
    }
    const t = widen(same.column_type, c.column_type);
    if (!t) return `column ${c.column_name} is ${c.column_type} here but ${same.column_type} in other files`;
    same.column_type = t;
  }
  return out;
}
