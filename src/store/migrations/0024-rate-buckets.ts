import type { Kysely } from 'kysely';

// One token bucket per instance, shared by every replica on the database: replicas lease tokens
// from it in batches, so the instance's QPS spec holds across them (issue 18).
export const migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('rate_buckets')
      .addColumn('instance_id', 'text', (c) => c.primaryKey().references('instances.id').onDelete('cascade'))
      .addColumn('tokens', 'double precision', (c) => c.notNull())
      // Milliseconds since the epoch (a double holds them exactly).
      .addColumn('refilled_at', 'double precision', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('rate_buckets').execute();
  },
};
