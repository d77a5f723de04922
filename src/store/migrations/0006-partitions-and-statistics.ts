import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// Partitions and column statistics. A partition belongs to its table by the table's stable id,
// so renaming a table touches no partition. Each partition value also has a row of its own in
// partition_values, which is what filters are compiled against: values of numeric and date keys
// carry a number and are indexed by it, values of other keys by their text (two partial
// indexes, so each value costs one index entry). Adding partitions fast matters as much as
// finding them, so nothing else is indexed: partitions are counted per instance through tables.
export function migration(dialect: Dialect) {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const ref = dialect === 'postgres' ? 'bigint' : 'integer';
  // Names and values order and compare by code point on both databases (SQLite's default).
  const bytewise = dialect === 'postgres' ? sql`text COLLATE "C"` : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('partitions')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
        .addColumn('name', bytewise, (c) => c.notNull())
        .addColumn('partition_values', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_access_time', 'text', (c) => c.notNull())
        .addUniqueConstraint('partitions_table_name_uq', ['table_id', 'name'])
        .execute();

      let values = db.schema
        .createTable('partition_values')
        .addColumn('partition_id', ref, (c) => c.notNull().references('partitions.id').onDelete('cascade'))
        .addColumn('table_id', 'text', (c) => c.notNull())
        .addColumn('key_index', 'integer', (c) => c.notNull())
        .addColumn('value', bytewise, (c) => c.notNull())
        .addColumn('num_value', 'double precision')
        .addPrimaryKeyConstraint('partition_values_pk', ['partition_id', 'key_index']);
      if (dialect === 'sqlite') values = values.modifyEnd(sql`WITHOUT ROWID`); // the key is the row: one B-tree fewer
      await values.execute();
      await db.schema
        .createIndex('partition_values_text_idx')
        .on('partition_values')
        .columns(['table_id', 'key_index', 'value'])
        .where(sql.ref('num_value'), 'is', null)
        .execute();
      await db.schema
        .createIndex('partition_values_num_idx')
        .on('partition_values')
        .columns(['table_id', 'key_index', 'num_value'])
        .where(sql.ref('num_value'), 'is not', null)
        .execute();

      await db.schema
        .createTable('table_column_statistics')
        .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
        .addColumn('column_name', 'text', (c) => c.notNull())
        .addColumn('column_type', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('last_analyzed_time', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('table_column_statistics_pk', ['table_id', 'column_name'])
        .execute();

      await db.schema
        .createTable('partition_column_statistics')
        .addColumn('partition_id', ref, (c) => c.notNull().references('partitions.id').onDelete('cascade'))
        .addColumn('table_id', 'text', (c) => c.notNull())
        .addColumn('column_name', 'text', (c) => c.notNull())
        .addColumn('column_type', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('last_analyzed_time', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('partition_column_statistics_pk', ['partition_id', 'column_name'])
        .execute();
      if (dialect === 'sqlite') await pinPlannerStatistics(db);
      await db.schema
        .createIndex('partition_column_statistics_table_idx')
        .on('partition_column_statistics')
        .columns(['table_id', 'column_name'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['partition_column_statistics', 'table_column_statistics', 'partition_values', 'partitions'])
        await db.schema.dropTable(t).ifExists().execute();
    },
  };
}

/**
 * SQLite plans from sqlite_stat1, and statistics taken while a table is small mislead it once the
 * table is large (it then scans a million partitions to check a 1,000-name batch). So the
 * partition tables are planned as if large, always: index lookups, which cost little on small
 * tables too. `ANALYZE sqlite_schema` creates the statistics tables and reloads them.
 */
async function pinPlannerStatistics(db: Kysely<unknown>): Promise<void> {
  await sql`ANALYZE sqlite_schema`.execute(db);
  const pinned: [string, string, string][] = [
    // rows, rows per table, rows per (table, name)
    ['partitions', 'sqlite_autoindex_partitions_1', '1000000 100000 1'],
    // rows, rows per partition, rows per (partition, key)
    ['partition_values', 'partition_values', '3000000 3 1'],
    // rows, rows per table, per (table, key), per (table, key, value)
    ['partition_values', 'partition_values_num_idx', '3000000 300000 100000 100'],
    ['partition_values', 'partition_values_text_idx', '3000000 300000 100000 100'],
  ];
  await sql`DELETE FROM sqlite_stat1 WHERE tbl IN ('partitions', 'partition_values')`.execute(db);
  for (const [tbl, idx, stat] of pinned)
    await sql`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (${tbl}, ${idx}, ${stat})`.execute(db);
  await sql`ANALYZE sqlite_schema`.execute(db);
}
