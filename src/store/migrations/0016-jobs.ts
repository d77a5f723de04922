import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../dialect.js';

// Jobs of an instance and their runs. A run is claimed through its lease: the replica that
// holds an unexpired lease runs it, so replicas sharing one database never run a job twice,
// and a run whose replica died is found by its expired lease.
export function migration(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('lf_jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        /** The parameter as given, with secrets sealed. */
        .addColumn('parameter', 'text', (c) => c.notNull())
        .addColumn('creator_id', 'text', (c) => c.notNull())
        .addColumn('creator_name', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('lf_jobs_name_idx').on('lf_jobs').columns(['instance_id', 'name']).unique().execute();
      await db.schema
        .createTable('lf_job_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .addColumn('stop_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('current_step', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('submitted_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .execute();
      await db.schema
        .createIndex('lf_job_runs_job_idx')
        .on('lf_job_runs')
        .columns(['job_id', 'submitted_at'])
        .execute();
      await db.schema
        .createIndex('lf_job_runs_status_idx')
        .on('lf_job_runs')
        .columns(['status', 'submitted_at'])
        .execute();
      // One active run per job, decided by the database.
      await sql`CREATE UNIQUE INDEX lf_job_runs_active_idx ON lf_job_runs (job_id) WHERE status IN ('SUBMITTED', 'RUNNING')`.execute(
        db,
      );
      await db.schema
        .createTable('lf_job_run_logs')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('lf_job_run_logs_run_idx').on('lf_job_run_logs').columns(['run_id', 'id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of ['lf_job_run_logs', 'lf_job_runs', 'lf_jobs']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
