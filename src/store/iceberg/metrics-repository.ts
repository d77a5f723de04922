import type { Db } from '../store.js';

// Iceberg metrics reports: appended as they arrive, pruned by age and by count per table.

export interface ReportTable {
  instanceId: string;
  catalog: string;
  database: string;
  table: string;
}
export interface NewReport extends ReportTable {
  reportType: string;
  snapshotId: string | null;
  report: string;
  createdAt: string;
}

export async function insertReport(q: Db, r: NewReport): Promise<void> {
  await q
    .insertInto('lf_iceberg_metrics_reports')
    .values({
      instance_id: r.instanceId,
      catalog_name: r.catalog,
      database_name: r.database,
      table_name: r.table,
      report_type: r.reportType,
      snapshot_id: r.snapshotId,
      report: r.report,
      created_at: r.createdAt,
    })
    .execute();
}

const ofTable = (q: Db, t: ReportTable) =>
  q
    .selectFrom('lf_iceberg_metrics_reports')
    .where('instance_id', '=', t.instanceId)
    .where('catalog_name', '=', t.catalog)
    .where('database_name', '=', t.database)
    .where('table_name', '=', t.table);

/** A table's reports, newest first. */
export async function listReports(q: Db, t: ReportTable, limit: number) {
  return ofTable(q, t).selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** Drops every table's reports received before `before`. */
export async function pruneOlderThan(q: Db, before: string): Promise<void> {
  await q.deleteFrom('lf_iceberg_metrics_reports').where('created_at', '<', before).execute();
}

/** Keeps only a table's `keep` newest reports. */
export async function pruneBeyond(q: Db, t: ReportTable, keep: number): Promise<void> {
  const last = await ofTable(q, t)
    .select('id')
    .orderBy('id', 'desc')
    .offset(keep - 1)
    .limit(1)
    .executeTakeFirst();
  if (!last) return;
  await q
    .deleteFrom('lf_iceberg_metrics_reports')
    .where('instance_id', '=', t.instanceId)
    .where('catalog_name', '=', t.catalog)
    .where('database_name', '=', t.database)
    .where('table_name', '=', t.table)
    .where('id', '<', last.id)
    .execute();
}
