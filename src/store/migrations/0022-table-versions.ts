import type { Kysely } from 'kysely';

// Table versions: every UpdateTable keeps the definition it replaces (ShowTable's version_id, the
// version listing). A version goes with its table; a retention setting bounds how many are kept.
export const migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('table_versions')
      .addColumn('table_id', 'text', (c) => c.notNull().references('tables.id').onDelete('cascade'))
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      /** The table as ShowTable showed it at that version (JSON). */
      .addColumn('snapshot', 'text', (c) => c.notNull())
      /** When the version was replaced by the next one. */
      .addColumn('replaced_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('table_versions_pk', ['table_id', 'version'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('table_versions').execute();
  },
};
