import * as records from '../../store/alarms/record-repository.js';
import * as rules from '../../store/alarms/rule-repository.js';
import { appendAudit } from '../../store/governance/audit-repository.js';
import type { AlarmRuleRow, InstanceRow } from '../../store/schema.js';
import type { Db, Store } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { type Clock, isoNow, systemClock } from '../clock.js';
import { conflict, invalid, notFound, ServiceError, unlessDuplicate } from '../errors.js';
import { newHexId } from '../iam/crypto-util.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { ALARM_RULE_QUOTA, type Comparison, type Metric, type ResolveReason, validateWebhookUrl } from './rules.js';
import { recordView, ruleView } from './views.js';

type AlarmAction = 'alarm.create' | 'alarm.list' | 'alarm.show' | 'alarm.alter' | 'alarm.drop' | 'alarm.acknowledge';

export interface RuleInput {
  rule_name: string;
  description?: string;
  metric: Metric;
  comparison_operator: Comparison;
  threshold: number;
  evaluation_period: number;
  enabled?: boolean;
  webhook_url?: string;
}

/** Fields of an update; absent ones keep their value, an empty or null webhook_url removes the webhook. */
export type RuleUpdate = Partial<Omit<RuleInput, 'webhook_url'>> & { webhook_url?: string | null };

/**
 * Alarm rules of an instance and the records the evaluator opens for them. Alarms are for the
 * project's administrators, like the audit trail they partly derive from: every operation
 * refuses anyone else.
 */
export class AlarmService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly clock: Clock = systemClock,
  ) {
    this.authz = new Authorizer(store, instances);
  }

  /** The instance of an alarm action, authorized by its declaration. */
  private async admin(caller: Principal, action: AlarmAction, projectId: string, instanceRef: string) {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance;
  }

  private audit(
    q: Db,
    caller: Principal,
    instance: InstanceRow,
    action: string,
    rule: { id: string; name: string },
    detail?: unknown,
  ) {
    return appendAudit(q, {
      project_id: instance.project_id,
      instance_id: instance.id,
      principal: caller.userName,
      action,
      resource: `alarm rule ${rule.name} (${rule.id})`,
      result: 'success',
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
  }

  private async rule(q: Db, instance: InstanceRow, id: string): Promise<AlarmRuleRow> {
    const row = await rules.findRule(q, instance.project_id, instance.id, id);
    if (!row) throw notFound(`alarm rule ${id} does not exist`);
    return row;
  }

  async createRule(caller: Principal, projectId: string, instanceRef: string, input: RuleInput) {
    const instance = await this.admin(caller, 'alarm.create', projectId, instanceRef);
    const webhook = input.webhook_url ? validateWebhookUrl(input.webhook_url) : null;
    const now = isoNow(this.clock);
    const row: AlarmRuleRow = {
      id: newHexId(),
      project_id: instance.project_id,
      instance_id: instance.id,
      name: input.rule_name.toLowerCase(),
      description: input.description ?? '',
      metric: input.metric,
      comparison: input.comparison_operator,
      threshold: input.threshold,
      period_seconds: input.evaluation_period,
      enabled: input.enabled === false ? 0 : 1,
      webhook_url: webhook,
      created_by: caller.userName,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    await unlessDuplicate(`alarm rule ${row.name} already exists in this instance`, () =>
      this.store.transaction(async (trx) => {
        await rules.lockInstance(this.store, trx, instance.id);
        if ((await rules.countRules(trx, instance.id)) >= ALARM_RULE_QUOTA) {
          throw new ServiceError(
            'quota_exceeded',
            `an instance holds at most ${ALARM_RULE_QUOTA} alarm rules; delete one first`,
          );
        }
        await rules.insertRule(trx, row);
        await this.audit(trx, caller, instance, 'CREATE_ALARM_RULE', row, ruleView(row));
      }),
    );
    return ruleView(row);
  }

  async listRules(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { offset: number; limit: number; metric?: string; enabled?: boolean },
  ) {
    const instance = await this.admin(caller, 'alarm.list', projectId, instanceRef);
    const { rows, total } = await rules.listRules(
      this.store.db,
      { projectId: instance.project_id, instanceId: instance.id, metric: q.metric, enabled: q.enabled },
      q.offset,
      q.limit,
    );
    return { rules: rows.map(ruleView), total };
  }

  async showRule(caller: Principal, projectId: string, instanceRef: string, id: string) {
    const instance = await this.admin(caller, 'alarm.show', projectId, instanceRef);
    return ruleView(await this.rule(this.store.db, instance, id));
  }

  /**
   * Changes the fields given. A record still open describes the condition it was opened for,
   * so changing the condition (metric, comparison, threshold, period) or disabling the rule
   * resolves it; the evaluator opens a new one if the new condition holds.
   */
  async updateRule(caller: Principal, projectId: string, instanceRef: string, id: string, input: RuleUpdate) {
    const instance = await this.admin(caller, 'alarm.alter', projectId, instanceRef);
    if (Object.keys(input).length === 0) throw invalid('an update needs at least one field to change');
    const webhook =
      input.webhook_url === undefined ? undefined : input.webhook_url ? validateWebhookUrl(input.webhook_url) : null;
    return unlessDuplicate(`alarm rule ${input.rule_name?.toLowerCase() ?? ''} already exists in this instance`, () =>
      this.store.transaction(async (trx) => {
        const current = await this.rule(trx, instance, id);
        const patch: rules.RulePatch = {
          ...(input.rule_name !== undefined ? { name: input.rule_name.toLowerCase() } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.metric !== undefined ? { metric: input.metric } : {}),
          ...(input.comparison_operator !== undefined ? { comparison: input.comparison_operator } : {}),
          ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
          ...(input.evaluation_period !== undefined ? { period_seconds: input.evaluation_period } : {}),
          ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
          ...(webhook !== undefined ? { webhook_url: webhook } : {}),
          updated_at: isoNow(this.clock),
        };
        if (!(await rules.updateRuleIf(trx, current.id, current.version, patch)))
          throw conflict(`alarm rule ${id} was changed concurrently; retry`);
        const next: AlarmRuleRow = { ...current, ...patch, version: current.version + 1 };
        let reason: ResolveReason | undefined;
        if (next.enabled === 0) reason = 'RULE_DISABLED';
        else if (
          next.metric !== current.metric ||
          next.comparison !== current.comparison ||
          next.threshold !== current.threshold ||
          next.period_seconds !== current.period_seconds
        )
          reason = 'RULE_CHANGED';
        if (reason) await records.resolveOfRule(trx, current.id, patch.updated_at, reason);
        await this.audit(trx, caller, instance, 'UPDATE_ALARM_RULE', current, ruleView(next));
        return ruleView(next);
      }),
    );
  }

  /** Deletes a rule; its records stay as history, an open one resolved (RULE_DELETED). */
  async deleteRule(caller: Principal, projectId: string, instanceRef: string, id: string): Promise<void> {
    const instance = await this.admin(caller, 'alarm.drop', projectId, instanceRef);
    await this.store.transaction(async (trx) => {
      const current = await this.rule(trx, instance, id);
      if (!(await rules.deleteRule(trx, instance.project_id, instance.id, id)))
        throw notFound(`alarm rule ${id} does not exist`);
      await records.resolveOfRule(trx, id, isoNow(this.clock), 'RULE_DELETED');
      await this.audit(trx, caller, instance, 'DELETE_ALARM_RULE', current);
    });
  }

  /** Newest first, paged by marker (the last record_id of the previous page). */
  async listRecords(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { limit: number; marker?: string; status?: string; rule_id?: string },
  ) {
    const instance = await this.admin(caller, 'alarm.list', projectId, instanceRef);
    const db = this.store.db;
    let after: { opened_at: string; id: string } | undefined;
    if (q.marker !== undefined) {
      after = await records.findRecord(db, instance.project_id, instance.id, q.marker);
      if (!after)
        throw invalid(
          `marker '${q.marker}' does not point at an alarm record of this instance; list again from the first page`,
        );
    }
    const { rows, more } = await records.pageRecords(
      db,
      { projectId: instance.project_id, instanceId: instance.id, status: q.status, ruleId: q.rule_id },
      q.limit,
      after,
    );
    const last = rows[rows.length - 1];
    return {
      records: rows.map(recordView),
      page_info: { current_count: rows.length, ...(more && last ? { next_marker: last.id } : {}) },
    };
  }

  async showRecord(caller: Principal, projectId: string, instanceRef: string, id: string) {
    const instance = await this.admin(caller, 'alarm.show', projectId, instanceRef);
    const row = await records.findRecord(this.store.db, instance.project_id, instance.id, id);
    if (!row) throw notFound(`alarm record ${id} does not exist`);
    return recordView(row);
  }

  /**
   * An operator takes an open alarm: it stays the rule's one unresolved record until its
   * condition clears. Acknowledging it again changes nothing; a resolved record cannot be.
   */
  async acknowledge(caller: Principal, projectId: string, instanceRef: string, id: string, comment?: string) {
    const instance = await this.admin(caller, 'alarm.acknowledge', projectId, instanceRef);
    return this.store.transaction(async (trx) => {
      const load = async () => {
        const row = await records.findRecord(trx, instance.project_id, instance.id, id);
        if (!row) throw notFound(`alarm record ${id} does not exist`);
        if (row.status === 'RESOLVED')
          throw conflict(
            `alarm record ${id} is already resolved ` +
              `(${row.resolve_reason ?? 'CONDITION_CLEARED'}); there is ` +
              `nothing to acknowledge`,
          );
        return row;
      };
      const row = await load();
      if (row.status === 'ACKNOWLEDGED') return recordView(row);
      const now = isoNow(this.clock);
      // Conditional on OPEN: the evaluator may resolve it at the same moment.
      if (!(await records.acknowledge(trx, id, caller.userName, now, comment ?? null))) return recordView(await load());
      await this.audit(
        trx,
        caller,
        instance,
        'ACKNOWLEDGE_ALARM',
        { id: row.rule_id, name: row.rule_name },
        { record_id: id, ...(comment ? { comment } : {}) },
      );
      return recordView({
        ...row,
        status: 'ACKNOWLEDGED',
        acknowledged_by: caller.userName,
        acknowledged_at: now,
        ack_comment: comment ?? null,
      });
    });
  }
}
