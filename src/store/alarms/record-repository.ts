import { sql } from 'kysely';
import type { AlarmRecordRow } from '../schema.js';
import type { Db } from '../store.js';

// Unresolved is status <> 'RESOLVED', written as a literal: the databases use a partial index
// only for a query whose condition they can match to its predicate, which a parameter hides.
const RESOLVED = sql.lit('RESOLVED');

export interface OpenRecord {
  id: string;
  ruleId: string;
  ruleVersion: number;
  value: number;
  openedAt: string;
  notificationStatus: string;
}

/**
 * Opens a record for a rule, copying the rule as it stands, in one statement. Nothing is
 * written when the rule is gone, disabled or changed since it was evaluated (its version), or
 * when it already has a record that is not resolved: the unique partial index decides that, so
 * replicas racing on the same rule open one record between them. True when this call opened it.
 */
export async function openRecord(q: Db, r: OpenRecord): Promise<boolean> {
  const result = await q
    .insertInto('alarm_records')
    .columns([
      'id',
      'project_id',
      'instance_id',
      'rule_id',
      'rule_name',
      'metric',
      'comparison',
      'threshold',
      'period_seconds',
      'status',
      'value',
      'opened_at',
      'notification_status',
    ])
    .expression((eb) =>
      eb
        .selectFrom('alarm_rules')
        .select([
          sql<string>`${r.id}`.as('id'),
          'alarm_rules.project_id',
          'alarm_rules.instance_id',
          'alarm_rules.id as rule_id',
          'alarm_rules.name as rule_name',
          'alarm_rules.metric',
          'alarm_rules.comparison',
          'alarm_rules.threshold',
          'alarm_rules.period_seconds',
          sql<string>`${'OPEN'}`.as('status'),
          // PostgreSQL types a bare parameter in a SELECT list as text.
          sql<number>`CAST(${r.value} AS double precision)`.as('value'),
          sql<string>`${r.openedAt}`.as('opened_at'),
          sql<string>`${r.notificationStatus}`.as('notification_status'),
        ])
        .where('alarm_rules.id', '=', r.ruleId)
        .where('alarm_rules.version', '=', r.ruleVersion)
        .where('alarm_rules.enabled', '=', 1),
    )
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Rules that have a record not yet resolved (read through the partial unique index). */
export async function rulesWithUnresolved(q: Db): Promise<Set<string>> {
  return new Set(
    (await q.selectFrom('alarm_records').select('rule_id').where('status', '<>', RESOLVED).execute()).map(
      (r) => r.rule_id,
    ),
  );
}

/** Resolves a rule's unresolved record, if it has one; true when this call resolved it. */
export async function resolveOfRule(q: Db, ruleId: string, at: string, reason: string): Promise<boolean> {
  const r = await q
    .updateTable('alarm_records')
    .set({ status: 'RESOLVED', resolved_at: at, resolve_reason: reason })
    .where('rule_id', '=', ruleId)
    .where('status', '<>', RESOLVED)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export const findRecord = (q: Db, projectId: string, instanceId: string, id: string) =>
  q
    .selectFrom('alarm_records')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();

/** Acknowledges an open record; false when it is not open (already acknowledged or resolved). */
export async function acknowledge(q: Db, id: string, by: string, at: string, comment: string | null): Promise<boolean> {
  const r = await q
    .updateTable('alarm_records')
    .set({ status: 'ACKNOWLEDGED', acknowledged_by: by, acknowledged_at: at, ack_comment: comment })
    .where('id', '=', id)
    .where('status', '=', 'OPEN')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setNotification(
  q: Db,
  id: string,
  status: 'SENT' | 'FAILED',
  at: string,
  error: string | null,
): Promise<void> {
  await q
    .updateTable('alarm_records')
    .set({ notification_status: status, notified_at: at, notification_error: error })
    .where('id', '=', id)
    .execute();
}

export interface RecordFilter {
  projectId: string;
  instanceId: string;
  status?: string;
  ruleId?: string;
}

/** Newest first, keyset-paged by (opened_at, id); `after` is the last record of the previous page. */
export async function pageRecords(
  q: Db,
  f: RecordFilter,
  limit: number,
  after?: { opened_at: string; id: string },
): Promise<{ rows: AlarmRecordRow[]; more: boolean }> {
  let query = q
    .selectFrom('alarm_records')
    .selectAll()
    .where('project_id', '=', f.projectId)
    .where('instance_id', '=', f.instanceId);
  if (f.status !== undefined) query = query.where('status', '=', f.status);
  if (f.ruleId !== undefined) query = query.where('rule_id', '=', f.ruleId);
  if (after) query = query.where(sql<boolean>`(opened_at, id) < (${after.opened_at}, ${after.id})`);
  const rows = await query
    .orderBy('opened_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
