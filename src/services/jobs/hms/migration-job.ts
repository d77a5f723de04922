import { ServiceError } from '../../errors.js';
import type { CatalogService } from '../../lakecat/catalog-service.js';
import type { DatabaseService } from '../../lakecat/database-service.js';
import type { FunctionService } from '../../lakecat/function-service.js';
import type { PartitionInput, PartitionService } from '../../lakecat/partition-service.js';
import type { StorageDescriptor, TableInput, TableService } from '../../lakecat/table-service.js';
import type { JobContext, JobHandler } from '../job-runner.js';
import { compareCatalogs } from './comparison.js';
import { type HmsDatasourceType, type HmsStorage, type HmsTable, openHmsSource } from './hms-source.js';

interface MigrationParameter {
  datasource_type: HmsDatasourceType;
  datasource_parameter: { jdbc_url: string; username?: string; password?: string };
  source_catalog: string;
  target_catalog: string;
  conflict_strategy?: string;
  sync_objects?: string[];
  locations?: { key: string; value: string }[];
  default_owner?: string;
}

const KINDS = ['DATABASE', 'TABLE', 'PARTITION', 'FUNCTION'];
const TABLE_TYPES = new Set(['MANAGED_TABLE', 'EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'MATERIALIZED_VIEW']);
const isoOf = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000).toISOString() : undefined);

/**
 * What to migrate: `sync_objects` names kinds (or ALL); a table's partitions need the table.
 * With `cascade` (StartJob) a kind brings its child metadata: a database its tables and
 * functions, a table its partitions.
 */
export function kindsOf(p: MigrationParameter, cascade = false): Set<string> {
  const asked = (p.sync_objects ?? []).map((k) => k.toUpperCase());
  if (asked.length === 0 || asked.includes('ALL')) return new Set(KINDS);
  const kinds = new Set(asked.filter((k) => KINDS.includes(k)));
  if (cascade && kinds.has('DATABASE')) {
    kinds.add('TABLE');
    kinds.add('FUNCTION');
  }
  if (cascade && kinds.has('TABLE')) kinds.add('PARTITION');
  return kinds;
}

/** The first matching `locations` pair rewrites a source prefix (hdfs://…) to a target one (obs://…). */
function rewriter(pairs: { key: string; value: string }[] | undefined) {
  return (location: string | undefined): string | undefined => {
    if (!location) return location;
    const pair = (pairs ?? []).find(
      (x) => location === x.key || location.startsWith(x.key.endsWith('/') ? x.key : `${x.key}/`),
    );
    return pair ? pair.value.replace(/\/+$/, '') + location.slice(pair.key.replace(/\/+$/, '').length) : location;
  };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isKind = (err: unknown, kind: string) => err instanceof ServiceError && err.kind === kind;

/**
 * METADATA_MIGRATION: reads a Hive Metastore's backing database (MySQL/MariaDB or PostgreSQL)
 * and writes its databases, tables, partitions and functions into the target catalog through
 * the LakeCat services as the job's creator: locations rewritten by the `locations` pairs,
 * owners kept (or `default_owner` where the source has none), the conflict strategy applied
 * to each object. A failing object is logged and counted; the run goes on. In COMPARISON mode
 * it compares instead (comparison.ts) and writes nothing.
 */
export function migrationJob(deps: {
  catalogs: CatalogService;
  databases: DatabaseService;
  tables: TableService;
  partitions: PartitionService;
  functions: FunctionService;
}): JobHandler {
  return async (ctx: JobContext) => {
    const p = ctx.parameter.metadata_migration_parameter as MigrationParameter;
    const strategy = p.conflict_strategy ?? 'UPSERT';
    const kinds = kindsOf(p, ctx.run.cascade === 1);
    const comparing = ctx.run.mode === 'COMPARISON';
    const rewrite = rewriter(p.locations);
    const projectId = ctx.job.project_id;
    const instance = ctx.job.instance_id;
    const catalog = p.target_catalog;
    await deps.catalogs.show(ctx.actor, projectId, instance, catalog);
    ctx.progress({ step: 'connecting to the metastore' });
    const source = await openHmsSource(p.datasource_type, p.datasource_parameter, p.source_catalog, {
      log: (level, m) => ctx.log(level, m),
    });
    try {
      const counts = await source.counts();
      const total =
        (kinds.has('DATABASE') ? counts.databases : 0) +
        (kinds.has('TABLE') ? counts.tables : 0) +
        (kinds.has('PARTITION') ? counts.partitions : 0) +
        (kinds.has('FUNCTION') ? counts.functions : 0);
      let done = 0;
      const step = (n = 1) => {
        done += n;
        ctx.progress({ done });
      };
      ctx.progress({ step: comparing ? 'comparing' : 'migrating', done: 0, total });
      ctx.log(
        'info',
        `source catalog ${p.source_catalog} (HMS ` +
          `${source.schemaGeneration}${source.schemaVersion ? ` ${source.schemaVersion}` : ''}): ` +
          `${counts.databases} database(s), ${counts.tables} table(s), ` +
          `${counts.partitions} partition(s), ${counts.functions} ` +
          `function(s)`,
      );
      if (comparing) {
        // Reads both sides and writes nothing to the target.
        const summary = await compareCatalogs(deps, ctx, source, { catalog, kinds, rewrite, step });
        if (summary) {
          const total = Object.values(summary).reduce((a, b) => a + b, 0);
          ctx.log(
            'info',
            `comparison summary: ${total} difference(s); ${Object.entries(summary)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')}`,
          );
        }
        return;
      }
      const owner = (o: string | undefined) => o || p.default_owner || undefined;

      /**
       * Creates, or applies the strategy to an existing object; returns whether the object now holds the source's
       * version.
       */
      const apply = async (
        what: string,
        create: () => Promise<unknown>,
        update: () => Promise<unknown>,
      ): Promise<boolean> => {
        try {
          if (strategy === 'UPDATE') {
            try {
              await update();
              ctx.count('updated');
              return true;
            } catch (err) {
              if (!isKind(err, 'not_found')) throw err;
              ctx.log('info', `${what}: not in the target, and UPDATE changes existing objects only; skipped`);
              ctx.count('skipped');
              return false;
            }
          }
          try {
            await create();
            ctx.count('created');
            return true;
          } catch (err) {
            if (!isKind(err, 'conflict')) throw err;
            if (strategy === 'SKIP') {
              ctx.count('skipped');
              return false;
            }
            if (strategy === 'FAIL') {
              ctx.log('error', `${what}: exists in the target (FAIL)`);
              ctx.count('failed');
              return false;
            }
            await update();
            ctx.count('updated');
            return true;
          }
        } catch (err) {
          ctx.log('error', `${what}: ${message(err)}`);
          ctx.count('failed');
          return false;
        }
      };

      for await (const db of source.databases()) {
        if (ctx.stopped) return;
        const dbInput = {
          database_name: db.name,
          description: db.description,
          location: rewrite(db.location),
          parameters: db.parameters,
          ...(owner(db.owner) ? { owner: owner(db.owner), owner_type: db.ownerType ?? 'USER' } : {}),
        };
        if (kinds.has('DATABASE')) {
          await apply(
            `database ${db.name}`,
            () => deps.databases.create(ctx.actor, projectId, instance, catalog, dbInput),
            () => deps.databases.update(ctx.actor, projectId, instance, catalog, db.name, dbInput),
          );
          step();
        }
        if (kinds.has('TABLE') || kinds.has('PARTITION')) {
          for await (const t of source.tables(db.name)) {
            if (ctx.stopped) return;
            const what = `table ${db.name}.${t.name}`;
            let ready = true;
            if (kinds.has('TABLE')) {
              const input = tableInput(t, rewrite, owner(t.owner));
              const { table_name: _n, owner_type: _o, ...changes } = input;
              ready = await apply(
                what,
                () => deps.tables.create(ctx.actor, projectId, instance, catalog, db.name, input),
                () => deps.tables.update(ctx.actor, projectId, instance, catalog, db.name, t.name, { table: changes }),
              );
              step();
            }
            if (!kinds.has('PARTITION') || t.partitionKeys.length === 0) continue;
            if (!ready && strategy !== 'SKIP') continue;
            const path = {
              projectId,
              instanceRef: instance,
              catalogName: catalog,
              databaseName: db.name,
              tableName: t.name,
            };
            let added = 0;
            let seen = 0;
            for await (const batch of source.partitions(db.name, t.name, 1000)) {
              if (ctx.stopped) return;
              seen += batch.length;
              const inputs: PartitionInput[] = batch.map((x) => ({
                partition_values: x.values,
                storage_descriptor: storageDescriptor(x.storage, rewrite),
                parameters: x.parameters,
                ...(isoOf(x.createTime) ? { create_time: isoOf(x.createTime) } : {}),
              }));
              try {
                // Partitions already in the target stay as they are: the batch adds what is missing.
                const r = await deps.partitions.add(ctx.actor, path, inputs, true);
                const n = (JSON.parse(r.text) as unknown[]).length;
                added += n;
                ctx.count('created', n);
                ctx.count('skipped', batch.length - n);
              } catch (err) {
                ctx.log('error', `${what}: a batch of ${batch.length} partition(s) failed: ${message(err)}`);
                ctx.count('failed', batch.length);
              }
              step(batch.length);
            }
            if (seen) ctx.log('info', `${what}: ${added} partition(s) added of ${seen}`);
          }
        }
        if (kinds.has('FUNCTION')) {
          for await (const f of source.functions(db.name)) {
            if (ctx.stopped) return;
            const input = {
              function_name: f.name,
              class_name: f.className,
              function_type: 'JAVA',
              resource_uris: f.resourceUris.map((u) => ({ type: u.type, uri: rewrite(u.uri) as string })),
              ...(owner(f.owner)
                ? { owner: owner(f.owner), owner_type: f.ownerType ?? 'USER' }
                : { owner_type: 'USER' }),
            };
            await apply(
              `function ${db.name}.${f.name}`,
              () => deps.functions.create(ctx.actor, projectId, instance, catalog, db.name, input),
              () => deps.functions.update(ctx.actor, projectId, instance, catalog, db.name, f.name, input),
            );
            step();
          }
        }
      }
    } finally {
      await source.close();
    }
  };
}

function storageDescriptor(s: HmsStorage, rewrite: (l: string | undefined) => string | undefined): StorageDescriptor {
  const location = rewrite(s.location);
  return {
    columns: s.columns.map((c) => ({
      column_name: c.name,
      column_type: c.type,
      ...(c.comment ? { comment: c.comment } : {}),
    })),
    ...(location ? { location } : {}),
    ...(s.inputFormat ? { input_format: s.inputFormat } : {}),
    ...(s.outputFormat ? { output_format: s.outputFormat } : {}),
    compressed: s.compressed,
    number_of_buckets: s.numBuckets,
    bucket_columns: s.bucketColumns,
    sort_columns: s.sortColumns.map((x) => ({ column: x.column, sort_order: x.order })),
    parameters: s.parameters,
    stored_as_sub_directories: s.storedAsSubDirectories,
    serde_info: {
      ...(s.serdeName ? { name: s.serdeName } : {}),
      ...(s.serdeLib ? { serialization_library: s.serdeLib } : {}),
      parameters: s.serdeParameters,
    },
  };
}

function tableInput(
  t: HmsTable,
  rewrite: (l: string | undefined) => string | undefined,
  owner: string | undefined,
): TableInput {
  const type = TABLE_TYPES.has(t.tableType) ? t.tableType : 'EXTERNAL_TABLE';
  const isView = type === 'VIRTUAL_VIEW' || type === 'MATERIALIZED_VIEW';
  const sd = storageDescriptor(t.storage, rewrite);
  if (isView) delete sd.location;
  return {
    table_name: t.name,
    table_type: type,
    owner_type: 'USER',
    ...(owner ? { owner } : {}),
    storage_descriptor: sd,
    partition_keys: t.partitionKeys.map((c) => ({
      column_name: c.name,
      column_type: c.type,
      ...(c.comment ? { comment: c.comment } : {}),
    })),
    parameters: t.parameters,
    retention: t.retention,
    ...(isView ? { view_original_text: t.viewOriginalText ?? '', view_expanded_text: t.viewExpandedText ?? '' } : {}),
    ...(isoOf(t.createTime) ? { create_time: isoOf(t.createTime) } : {}),
  };
}
