import { ServiceError } from '../../errors.js';
import type { CatalogService } from '../../lakecat/catalog-service.js';
import type { DatabaseService } from '../../lakecat/database-service.js';
import type { FunctionService } from '../../lakecat/function-service.js';
import type { PartitionService } from '../../lakecat/partition-service.js';
import type { TableService } from '../../lakecat/table-service.js';
import type { JobContext } from '../job-runner.js';
import type { HmsColumn, HmsSource } from './hms-source.js';

/** The kinds of difference a comparison run reports, in the order of its summary. */
export const DIFFERENCE_KINDS = [
  'missing_in_target',
  'missing_in_source',
  'columns_differ',
  'partition_keys_differ',
  'location_differs',
  'parameters_differ',
  'class_differs',
  'resources_differ',
  'partition_missing_in_target',
  'partition_missing_in_source',
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface ComparisonDeps {
  catalogs: CatalogService;
  databases: DatabaseService;
  tables: TableService;
  partitions: PartitionService;
  functions: FunctionService;
}

interface TargetColumn {
  column_name: string;
  column_type: string;
}
interface TargetTable {
  table_type: string;
  storage_descriptor?: { location?: string; columns?: TargetColumn[] };
  partition_keys?: TargetColumn[];
  parameters?: Record<string, string>;
}

const PAGE = 1000;
const SEP = '\u0001';
/** The object, or undefined when the target has none. */
async function orNone<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ServiceError && err.kind === 'not_found') return undefined;
    throw err;
  }
}
const columnsOf = (cs: HmsColumn[]) => cs.map((c) => `${c.name}:${c.type}`.toLowerCase()).join(', ');
const targetColumnsOf = (cs: TargetColumn[] | undefined) =>
  (cs ?? []).map((c) => `${c.column_name}:${c.column_type}`.toLowerCase()).join(', ');
const paramsOf = (p: Record<string, string> | undefined) =>
  JSON.stringify(Object.entries(p ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * COMPARISON mode of METADATA_MIGRATION: reads the metastore and the target catalog and logs
 * every difference, writing nothing. Objects of the kinds asked are compared; a database's,
 * table's or function's absence on either side, its differing fields, and partitions on one
 * side only are each one log line; the run ends with a count per kind. Source partition names
 * of one table are held while that table is compared (to find the target's extra ones).
 */
export async function compareCatalogs(
  deps: ComparisonDeps,
  ctx: JobContext,
  source: HmsSource,
  o: {
    catalog: string;
    kinds: Set<string>;
    rewrite: (l: string | undefined) => string | undefined;
    step: (n?: number) => void;
  },
): Promise<Record<DifferenceKind, number> | undefined> {
  const { actor } = ctx;
  const projectId = ctx.job.project_id;
  const instance = ctx.job.instance_id;
  const { catalog, kinds, rewrite } = o;
  const summary = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<DifferenceKind, number>;
  const differ = (kind: DifferenceKind, what: string, detail = '') => {
    summary[kind] += 1;
    ctx.log('warn', `${kind}: ${what}${detail ? `: ${detail}` : ''}`);
  };
  const same = () => ctx.count('skipped');
  const field = (kind: DifferenceKind, what: string, label: string, source: string, target: string) => {
    if (source === target) return false;
    differ(kind, what, `${label} ${source || '(none)'} in the source, ${target || '(none)'} in the target`);
    return true;
  };
  const sourceDbs = new Set<string>();
  for await (const db of source.databases()) {
    if (ctx.stopped) return undefined;
    sourceDbs.add(db.name);
    const dbWhat = `database ${db.name}`;
    const target = await orNone(deps.databases.show(actor, projectId, instance, catalog, db.name));
    if (kinds.has('DATABASE')) {
      if (!target) differ('missing_in_target', dbWhat);
      else {
        const d1 = field('location_differs', dbWhat, 'location', rewrite(db.location) ?? '', target.location ?? '');
        const d2 = field(
          'parameters_differ',
          dbWhat,
          'parameters',
          paramsOf(db.parameters),
          paramsOf(target.parameters),
        );
        if (!d1 && !d2) same();
      }
      o.step();
    }
    if (!target) continue;
    if (kinds.has('TABLE') || kinds.has('PARTITION')) {
      const sourceTables = new Set<string>();
      for await (const t of source.tables(db.name)) {
        if (ctx.stopped) return undefined;
        sourceTables.add(t.name.toLowerCase());
        const what = `table ${db.name}.${t.name}`;
        const shown = await orNone(deps.tables.show(actor, projectId, instance, catalog, db.name, t.name));
        const tt = shown && (JSON.parse(shown.text) as TargetTable);
        if (kinds.has('TABLE')) {
          if (!tt) differ('missing_in_target', what);
          else {
            const isView = tt.table_type === 'VIRTUAL_VIEW' || tt.table_type === 'MATERIALIZED_VIEW';
            const d = [
              field(
                'columns_differ',
                what,
                'columns',
                columnsOf(t.storage.columns),
                targetColumnsOf(tt.storage_descriptor?.columns),
              ),
              field(
                'partition_keys_differ',
                what,
                'partition keys',
                columnsOf(t.partitionKeys),
                targetColumnsOf(tt.partition_keys),
              ),
              !isView &&
                field(
                  'location_differs',
                  what,
                  'location',
                  rewrite(t.storage.location) ?? '',
                  tt.storage_descriptor?.location ?? '',
                ),
              field('parameters_differ', what, 'parameters', paramsOf(t.parameters), paramsOf(tt.parameters)),
            ];
            if (!d.some(Boolean)) same();
          }
          o.step();
        }
        if (!tt || !kinds.has('PARTITION') || t.partitionKeys.length === 0) continue;
        await compareTablePartitions(deps, ctx, source, {
          path: { projectId, instanceRef: instance, catalogName: catalog, databaseName: db.name, tableName: t.name },
          database: db.name,
          table: t.name,
          differ,
          same,
          step: o.step,
        });
      }
      if (kinds.has('TABLE')) {
        for (const name of await deps.tables.names(actor, projectId, instance, catalog, db.name)) {
          if (!sourceTables.has(name.toLowerCase())) differ('missing_in_source', `table ${db.name}.${name}`);
        }
      }
    }
    if (kinds.has('FUNCTION')) {
      const sourceFns = new Set<string>();
      for await (const f of source.functions(db.name)) {
        if (ctx.stopped) return undefined;
        sourceFns.add(f.name.toLowerCase());
        const what = `function ${db.name}.${f.name}`;
        const tf = await orNone(deps.functions.show(actor, projectId, instance, catalog, db.name, f.name));
        if (!tf) differ('missing_in_target', what);
        else {
          const uris = (l: { type: string; uri: string }[]) => l.map((u) => `${u.type} ${u.uri}`).join(', ');
          const d1 = field('class_differs', what, 'class', f.className, tf.class_name);
          const d2 = field(
            'resources_differ',
            what,
            'resources',
            uris(f.resourceUris.map((u) => ({ type: u.type, uri: rewrite(u.uri) ?? '' }))),
            uris(tf.resource_uris),
          );
          if (!d1 && !d2) same();
        }
        o.step();
      }
      for (const name of await deps.functions.names(actor, projectId, instance, catalog, db.name)) {
        if (!sourceFns.has(name.toLowerCase())) differ('missing_in_source', `function ${db.name}.${name}`);
      }
    }
  }
  if (kinds.has('DATABASE')) {
    for (const name of await deps.databases.names(actor, projectId, instance, catalog)) {
      if (!sourceDbs.has(name)) differ('missing_in_source', `database ${name}`);
    }
  }
  return summary;
}

async function compareTablePartitions(
  deps: ComparisonDeps,
  ctx: JobContext,
  source: HmsSource,
  o: {
    path: Parameters<PartitionService['byValues']>[1];
    database: string;
    table: string;
    differ: (kind: DifferenceKind, what: string, detail?: string) => void;
    same: () => void;
    step: (n?: number) => void;
  },
) {
  const what = `table ${o.database}.${o.table}`;
  const seen = new Set<string>();
  for await (const batch of source.partitions(o.database, o.table, PAGE)) {
    if (ctx.stopped) return;
    const found = JSON.parse(
      (
        await deps.partitions.byValues(
          ctx.actor,
          o.path,
          batch.map((p) => p.values),
        )
      ).text,
    ) as { partition_values: string[] }[];
    const inTarget = new Set(found.map((p) => p.partition_values.join(SEP)));
    for (const p of batch) {
      const key = p.values.join(SEP);
      seen.add(key);
      if (inTarget.has(key)) o.same();
      else o.differ('partition_missing_in_target', what, `partition (${p.values.join(', ')})`);
    }
    o.step(batch.length);
  }
  let marker: string | undefined;
  do {
    const page = JSON.parse(
      (await deps.partitions.list(ctx.actor, o.path, { limit: PAGE, marker, reversePage: false })).text,
    ) as {
      partitions: { partition_values: string[] }[];
      page_info: { next_marker?: string };
    };
    for (const p of page.partitions) {
      if (!seen.has(p.partition_values.join(SEP)))
        o.differ('partition_missing_in_source', what, `partition (${p.partition_values.join(', ')})`);
    }
    marker = page.page_info.next_marker;
  } while (marker && !ctx.stopped);
}
