import type { Kysely } from 'kysely';

// StartJob's `cascade`: whether a run brings the child objects of the kinds it handles.
export const migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('lf_job_runs')
      .addColumn('cascade', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('lf_job_runs').dropColumn('cascade').execute();
  },
};
