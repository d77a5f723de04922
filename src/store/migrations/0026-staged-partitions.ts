import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// Partition batches staged before they land (SQLite): a long batch writes its rows here in short
// transactions, so other writes run between them, then one short transaction moves them into
// partitions, partition_values and metadata_events. Nothing reads these tables but that move;
// rows a crashed or abandoned batch left are swept (issue 18). No foreign keys: the move's insert
// into partitions checks the table still exists.
export function migration(dialect: Dialect) {
  // Key values are small: the key is the row (one B-tree), and a batch's values one key range to delete. Staged
  // partitions are large rows (their definitions), which SQLite keeps better in a rowid table.
  const clustered = <T extends { modifyEnd(s: ReturnType<typeof sql>): T }>(b: T) =>
    dialect === 'sqlite' ? b.modifyEnd(sql`WITHOUT ROWID`) : b;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('staged_partitions')
        .addColumn('batch_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('table_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('partition_values', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_access_time', 'text', (c) => c.notNull())
        /** When the chunk was staged (ISO-8601): abandoned batches are swept by age. */
        .addColumn('staged_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('staged_partitions_pk', ['batch_id', 'seq'])
        .execute();
      await clustered(
        db.schema
          .createTable('staged_partition_values')
          .addColumn('batch_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('key_index', 'integer', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('num_value', 'double precision')
          .addPrimaryKeyConstraint('staged_partition_values_pk', ['batch_id', 'seq', 'key_index']),
      ).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('staged_partition_values').ifExists().execute();
      await db.schema.dropTable('staged_partitions').ifExists().execute();
    },
  };
}
