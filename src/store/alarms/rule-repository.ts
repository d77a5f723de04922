import type { AlarmRuleRow } from '../schema.js';
import type { Db, Store } from '../store.js';

export const findRule = (q: Db, projectId: string, instanceId: string, id: string) =>
  q
    .selectFrom('alarm_rules')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();

export async function insertRule(q: Db, row: AlarmRuleRow): Promise<void> {
  await q.insertInto('alarm_rules').values(row).execute();
}

export async function countRules(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('alarm_rules')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Serialises rule creation per instance on PostgreSQL, so the quota check and the insert are one decision (SQLite has
 * one writer anyway).
 */
export async function lockInstance(store: Store, q: Db, instanceId: string): Promise<void> {
  await store.sql.lockRow(q, 'instances', instanceId);
}

export interface RuleFilter {
  projectId: string;
  instanceId: string;
  metric?: string;
  enabled?: boolean;
}

function filtered(q: Db, f: RuleFilter) {
  let query = q.selectFrom('alarm_rules').where('project_id', '=', f.projectId).where('instance_id', '=', f.instanceId);
  if (f.metric !== undefined) query = query.where('metric', '=', f.metric);
  if (f.enabled !== undefined) query = query.where('enabled', '=', f.enabled ? 1 : 0);
  return query;
}

/** A page in name order, and how many rules match in all. */
export async function listRules(
  q: Db,
  f: RuleFilter,
  offset: number,
  limit: number,
): Promise<{ rows: AlarmRuleRow[]; total: number }> {
  const [rows, total] = await Promise.all([
    filtered(q, f).selectAll().orderBy('name').offset(offset).limit(limit).execute(),
    filtered(q, f)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export type RulePatch = Partial<
  Pick<
    AlarmRuleRow,
    'name' | 'description' | 'metric' | 'comparison' | 'threshold' | 'period_seconds' | 'enabled' | 'webhook_url'
  >
> & { updated_at: string };

/** Changes a rule if it still has the version read; false when someone changed it first. */
export async function updateRuleIf(q: Db, id: string, version: number, patch: RulePatch): Promise<boolean> {
  const r = await q
    .updateTable('alarm_rules')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteRule(q: Db, projectId: string, instanceId: string, id: string): Promise<boolean> {
  const r = await q
    .deleteFrom('alarm_rules')
    .where('project_id', '=', projectId)
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** The evaluator's work: every enabled rule of an instance that is serving. */
export const enabledRules = (q: Db) =>
  q
    .selectFrom('alarm_rules')
    .innerJoin('instances', 'instances.id', 'alarm_rules.instance_id')
    .selectAll('alarm_rules')
    .where('alarm_rules.enabled', '=', 1)
    .where('instances.in_recycle_bin', '=', 0)
    .where('instances.status', 'in', ['RUNNING', 'SCALING'])
    .orderBy('alarm_rules.instance_id')
    .orderBy('alarm_rules.name')
    .execute();
