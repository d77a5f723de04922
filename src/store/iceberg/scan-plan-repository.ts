import { bulkInsert } from '../bulk-insert.js';
import type { IcebergScanPlanRow, IcebergScanPlanTaskRow } from '../schema.js';
import type { Db } from '../store.js';

export async function insertPlan(q: Db, row: IcebergScanPlanRow): Promise<void> {
  await q.insertInto('iceberg_scan_plans').values(row).execute();
}

export const findPlan = (q: Db, projectId: string, planId: string, now: string) =>
  q
    .selectFrom('iceberg_scan_plans')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('plan_id', '=', planId)
    .where('expires_at', '>', now)
    .executeTakeFirst();

/** Moves a plan from `from` to `to`; false when it is no longer in `from` (cancelled or finished meanwhile). */
export async function movePlan(
  q: Db,
  projectId: string,
  planId: string,
  from: string,
  to: { status: string; error?: string | null; task_count?: number },
): Promise<boolean> {
  const r = await q
    .updateTable('iceberg_scan_plans')
    .set(to)
    .where('project_id', '=', projectId)
    .where('plan_id', '=', planId)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Pages of tasks in bounded statements: a plan may have thousands. */
export async function insertTasks(q: Db, rows: IcebergScanPlanTaskRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await bulkInsert(
      q,
      'iceberg_scan_plan_tasks',
      ['project_id', 'plan_id', 'task_no', 'body'],
      rows.slice(i, i + 200),
    );
}

export const findTask = (q: Db, projectId: string, planId: string, taskNo: number) =>
  q
    .selectFrom('iceberg_scan_plan_tasks')
    .select('body')
    .where('project_id', '=', projectId)
    .where('plan_id', '=', planId)
    .where('task_no', '=', taskNo)
    .executeTakeFirst();

export async function deleteTasks(q: Db, projectId: string, planId: string): Promise<void> {
  await q
    .deleteFrom('iceberg_scan_plan_tasks')
    .where('project_id', '=', projectId)
    .where('plan_id', '=', planId)
    .execute();
}

/** Removes up to `limit` expired plans with their tasks; returns how many plans went. */
export async function deleteExpiredPlans(q: Db, now: string, limit: number): Promise<number> {
  const expired = await q
    .selectFrom('iceberg_scan_plans')
    .select(['project_id', 'plan_id'])
    .where('expires_at', '<=', now)
    .limit(limit)
    .execute();
  for (const p of expired) {
    await deleteTasks(q, p.project_id, p.plan_id);
    await q
      .deleteFrom('iceberg_scan_plans')
      .where('project_id', '=', p.project_id)
      .where('plan_id', '=', p.plan_id)
      .execute();
  }
  return expired.length;
}
