import type { Logger } from 'pino';
import {
  deniedSince,
  insertRequestSamples,
  pruneRequestSamples,
  requestsSince,
} from '../../store/alarms/metric-repository.js';
import { openRecord, resolveOfRule, rulesWithUnresolved } from '../../store/alarms/record-repository.js';
import { enabledRules } from '../../store/alarms/rule-repository.js';
import { failedRunsSince } from '../../store/jobs/job-repository.js';
import { countCatalogs } from '../../store/lakecat/catalog-repository.js';
import type { AlarmRecordRow, AlarmRuleRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { type Clock, systemClock } from '../clock.js';
import { newHexId } from '../iam/crypto-util.js';
import type { InstanceService } from '../instances/instance-service.js';
import { CATALOG_QUOTA } from '../lakecat/catalog-service.js';
import type { RequestCounter } from './request-counter.js';
import { type Comparison, holds, MAX_PERIOD_SECONDS, type Metric } from './rules.js';
import { recordView } from './views.js';
import type { WebhookNotifier } from './webhook.js';

export interface EvaluatorSettings {
  intervalMs: number;
  qpsPerStride: number;
  /** Tells this replica's request samples apart from the others'. */
  replicaId: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The alarm loop: every interval it stores this replica's request counts, computes each enabled
 * rule's metric over its window, opens a record where the condition holds and none is open, and
 * resolves the open one where it no longer holds. Every replica runs it over every rule: the
 * metrics come from the shared store, opening is one conditional insert the database decides
 * (at most one unresolved record per rule), and resolving is a conditional update.
 */
export class AlarmEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private prunedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
    private readonly counter: RequestCounter,
    private readonly notifier: WebhookNotifier,
    private readonly log: Logger,
    private readonly settings: EvaluatorSettings,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** A pass still running when the next is due makes that one skip: passes never overlap. */
  private tick(): void {
    if (this.stopped || this.running) return;
    this.pass().catch((err: unknown) => this.log.error({ err }, 'alarm evaluation pass failed'));
  }

  /**
   * One pass at the clock's time, after the pass under way if any: a test that moves the clock runs its passes
   * itself instead of waiting for the interval.
   */
  async pass(): Promise<{ opened: number; resolved: number }> {
    while (this.running) await this.running;
    const pass = this.evaluate();
    this.running = pass
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
    return pass;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.notifier.stop();
  }

  /** One pass at `now` (ms since the epoch). */
  async evaluate(now = this.clock.now()): Promise<{ opened: number; resolved: number }> {
    const db = this.store.db;
    const rules = await enabledRules(db);
    await this.storeRequestCounts(rules, now);
    const unresolved = await rulesWithUnresolved(db);
    const measured = new Map<string, Promise<number>>();
    let opened = 0;
    let resolved = 0;
    for (const rule of rules) {
      let value: number;
      try {
        const windowSeconds = this.windowOf(rule);
        const key = `${rule.metric}/${rule.instance_id}/${windowSeconds}`;
        let m = measured.get(key);
        if (!m) {
          m = this.measure(rule, windowSeconds, now);
          measured.set(key, m);
        }
        value = await m;
      } catch (err) {
        this.log.error({ err, rule_id: rule.id }, 'could not measure the metric of an alarm rule');
        continue;
      }
      const breached = holds(value, rule.comparison as Comparison, rule.threshold);
      if (breached && !unresolved.has(rule.id)) {
        if (await this.open(rule, value, now)) opened++;
      } else if (!breached && unresolved.has(rule.id)) {
        if (await resolveOfRule(db, rule.id, iso(now), 'CONDITION_CLEARED')) {
          resolved++;
          this.log.info(
            { rule_id: rule.id, instance_id: rule.instance_id, metric: rule.metric, value },
            'alarm resolved',
          );
        }
      }
    }
    if (now - this.prunedAt > 60_000) {
      this.prunedAt = now;
      await pruneRequestSamples(db, iso(now - MAX_PERIOD_SECONDS * 1000 - this.settings.intervalMs));
    }
    return { opened, resolved };
  }

  /** A rule looks back over its period, but never less than one pass: samples are taken once a pass. */
  private windowOf(rule: AlarmRuleRow): number {
    return Math.max(rule.period_seconds, this.settings.intervalMs / 1000);
  }

  /** The metric's value over the last `windowSeconds` (definitions in the README). */
  private async measure(rule: AlarmRuleRow, windowSeconds: number, now: number): Promise<number> {
    const since = iso(now - windowSeconds * 1000);
    switch (rule.metric as Metric) {
      case 'REQUEST_RATE_RATIO': {
        const limit = await this.instances.rateLimitOf(rule.project_id, rule.instance_id);
        const perSecond = Math.max(1, (limit?.stride ?? 0) * this.settings.qpsPerStride);
        return (await requestsSince(this.store.db, rule.instance_id, since)) / windowSeconds / perSecond;
      }
      case 'QUOTA_USAGE_RATIO':
        return (await countCatalogs(this.store.db, rule.instance_id)) / CATALOG_QUOTA;
      case 'DENIED_REQUEST_RATE':
        return ((await deniedSince(this.store.db, rule.project_id, rule.instance_id, since)) * 60) / windowSeconds;
      case 'JOB_FAILURES':
        return failedRunsSince(this.store.db, rule.instance_id, since);
    }
  }

  /** This replica's request counts since the last pass, kept only for instances a rate rule watches. */
  private async storeRequestCounts(rules: AlarmRuleRow[], now: number): Promise<void> {
    const counts = this.counter.drain();
    const watched = new Set(rules.filter((r) => r.metric === 'REQUEST_RATE_RATIO').map((r) => r.instance_id));
    const rows = [...counts]
      .filter(([id]) => watched.has(id))
      .map(([instanceId, requests]) => ({ instanceId, requests }));
    try {
      await insertRequestSamples(this.store.db, this.settings.replicaId, iso(now), rows);
    } catch (err) {
      // An instance deleted since the rules were read: its counts have nowhere to go.
      this.log.warn({ err }, 'could not store request counts for alarms');
    }
  }

  private async open(rule: AlarmRuleRow, value: number, now: number): Promise<boolean> {
    const record: AlarmRecordRow = {
      id: newHexId(),
      project_id: rule.project_id,
      instance_id: rule.instance_id,
      rule_id: rule.id,
      rule_name: rule.name,
      metric: rule.metric,
      comparison: rule.comparison,
      threshold: rule.threshold,
      period_seconds: rule.period_seconds,
      status: 'OPEN',
      value,
      opened_at: iso(now),
      acknowledged_by: null,
      acknowledged_at: null,
      ack_comment: null,
      resolved_at: null,
      resolve_reason: null,
      notification_status: rule.webhook_url ? 'PENDING' : 'NONE',
      notification_error: null,
      notified_at: null,
    };
    const mine = await openRecord(this.store.db, {
      id: record.id,
      ruleId: rule.id,
      ruleVersion: rule.version,
      value,
      openedAt: record.opened_at,
      notificationStatus: record.notification_status,
    });
    if (!mine) return false; // another replica opened it, or the rule changed since it was read
    this.log.warn(
      {
        record_id: record.id,
        rule_id: rule.id,
        instance_id: rule.instance_id,
        metric: rule.metric,
        value,
        threshold: rule.threshold,
      },
      'alarm opened',
    );
    if (rule.webhook_url) {
      this.notifier.send(rule.webhook_url, {
        event: 'ALARM_OPENED',
        project_id: rule.project_id,
        instance_id: rule.instance_id,
        record: recordView(record),
      });
    }
    return true;
  }
}
