import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// A count per table that moves with every write to its partitions, so an encoded listing kept by the store's change
// mark need not be read again after a write to another table (see PartitionService.scanEncoded). Kept by triggers:
// every path that writes partitions (batches, cascades, staged moves, the admin CLI) moves it, none can forget to.
// Only SQLite keeps listings by a mark: PostgreSQL gets the table, empty, and no triggers to pay for on each write.
// No foreign key: a table's delete cascades to its partitions, whose triggers would then write a mark for a table
// already gone. Table ids are never reused, so a dropped table's mark is never read again.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('partition_marks')
        .addColumn('table_id', 'text', (c) => c.primaryKey())
        .addColumn('n', 'bigint', (c) => c.notNull())
        .execute();
      if (dialect !== 'sqlite') return;
      for (const [event, row] of [
        ['INSERT', 'NEW'],
        ['UPDATE', 'NEW'],
        ['DELETE', 'OLD'],
      ] as const)
        await sql
          .raw(
            `CREATE TRIGGER partitions_mark_${event.toLowerCase()} AFTER ${event} ON partitions BEGIN ` +
              `INSERT INTO partition_marks (table_id, n) VALUES (${row}.table_id, 1) ` +
              'ON CONFLICT (table_id) DO UPDATE SET n = n + 1; END',
          )
          .execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite')
        for (const event of ['insert', 'update', 'delete'])
          await sql.raw(`DROP TRIGGER IF EXISTS partitions_mark_${event}`).execute(db);
      await db.schema.dropTable('partition_marks').ifExists().execute();
    },
  };
}
