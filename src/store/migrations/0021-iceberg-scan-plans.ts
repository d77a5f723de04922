import type { Kysely } from 'kysely';

// Server-side scan plans of the Iceberg REST catalog: a plan and its pages of file scan tasks
// (plan tasks) live in the store, so any replica answers fetchPlanningResult and fetchScanTasks
// for a plan another replica made; rows expire.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('iceberg_scan_plans')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull())
    .addColumn('table_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('task_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('iceberg_scan_plans_pk', ['project_id', 'plan_id'])
    .execute();
  await db.schema.createIndex('iceberg_scan_plans_expiry').on('iceberg_scan_plans').column('expires_at').execute();
  await db.schema
    .createTable('iceberg_scan_plan_tasks')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('task_no', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('iceberg_scan_plan_tasks_pk', ['project_id', 'plan_id', 'task_no'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('iceberg_scan_plan_tasks').execute();
  await db.schema.dropTable('iceberg_scan_plans').execute();
}
