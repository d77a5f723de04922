import type { Kysely } from 'kysely';

// Catalogs keep the reference's branch_name (accepted before, but not stored).
export const migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('catalogs').addColumn('branch_name', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('catalogs').dropColumn('branch_name').execute();
  },
};
