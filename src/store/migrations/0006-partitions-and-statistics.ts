import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../store.js';

// Partitions and column statistics. A partition belongs to its table by the table's stable id,
// so renaming a table touches no partition. Each partition value also has a row of its own in
// partition_values (text, and a number for numeric and date keys), which is what filters are
// compiled against: an index on (table, key, value) answers `dt = '…'` among millions.
export function migration(dialect: Dialect) {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const ref = dialect === 'postgres' ? 'bigint' : 'integer';
  // Names and values order and compare by code point on both databases (SQLite's default).
  const bytewise = dialect === 'postgres' ? sql`text COLLATE "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createTable('partitions')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('name', bytewise, (c) => c.notNull())
        .addColumn('partition_values', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_access_time', 'text', (c) => c.notNull())
        .addUniqueConstraint('partitions_table_name_uq', ['table_id', 'name'])
        .execute();
      await db.schema.createIndex('partitions_instance_idx').on('partitions').columns(['instance_id']).execute();

      await db.schema.createTable('partition_values')
        .addColumn('partition_id', ref, (c) => c.notNull().references('partitions.id').onDelete('cascade'))
        .addColumn('table_id', 'text', (c) => c.notNull())
        .addColumn('key_index', 'integer', (c) => c.notNull())
        .addColumn('value', bytewise, (c) => c.notNull())
        .addColumn('num_value', 'double precision')
        .addPrimaryKeyConstraint('partition_values_pk', ['partition_id', 'key_index'])
        .execute();
      await db.schema.createIndex('partition_values_text_idx').on('partition_values').columns(['table_id', 'key_index', 'value']).execute();
      await db.schema.createIndex('partition_values_num_idx').on('partition_values').columns(['table_id', 'key_index', 'num_value']).execute();

      await db.schema.createTable('table_column_statistics')
        .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
        .addColumn('column_name', 'text', (c) => c.notNull())
        .addColumn('column_type', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('last_analyzed_time', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('table_column_statistics_pk', ['table_id', 'column_name'])
        .execute();

      await db.schema.createTable('partition_column_statistics')
        .addColumn('partition_id', ref, (c) => c.notNull().references('partitions.id').onDelete('cascade'))
        .addColumn('table_id', 'text', (c) => c.notNull())
        .addColumn('column_name', 'text', (c) => c.notNull())
        .addColumn('column_type', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('last_analyzed_time', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('partition_column_statistics_pk', ['partition_id', 'column_name'])
        .execute();
      await db.schema.createIndex('partition_column_statistics_table_idx').on('partition_column_statistics').columns(['table_id', 'column_name']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['partition_column_statistics', 'table_column_statistics', 'partition_values', 'partitions']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
