import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

// Metrics reports that Iceberg clients send after a scan or a commit, kept for a while per
// table. The id grows with every report, so "the newest N of a table" is an index range.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('lf_iceberg_metrics_reports')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('catalog_name', 'text', (c) => c.notNull())
        .addColumn('database_name', 'text', (c) => c.notNull())
        .addColumn('table_name', 'text', (c) => c.notNull())
        /** `scan-report` or `commit-report`. */
        .addColumn('report_type', 'text', (c) => c.notNull())
        /** Text: a 64-bit snapshot id does not fit every client's numbers. */
        .addColumn('snapshot_id', 'text')
        /** The report as received, JSON. */
        .addColumn('report', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('lf_iceberg_metrics_reports_table_idx')
        .on('lf_iceberg_metrics_reports')
        .columns(['instance_id', 'catalog_name', 'database_name', 'table_name', 'created_at'])
        .execute();
      // Age-based retention deletes across all tables.
      await db.schema
        .createIndex('lf_iceberg_metrics_reports_created_idx')
        .on('lf_iceberg_metrics_reports')
        .column('created_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('lf_iceberg_metrics_reports').ifExists().execute();
    },
  };
}
