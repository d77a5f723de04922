import type { AlarmRecordRow, AlarmRuleRow } from '../../store/schema.js';

/** A rule as the API returns it. */
export const ruleView = (r: AlarmRuleRow) => ({
  rule_id: r.id,
  rule_name: r.name,
  description: r.description,
  metric: r.metric,
  comparison_operator: r.comparison,
  threshold: r.threshold,
  evaluation_period: r.period_seconds,
  enabled: r.enabled === 1,
  ...(r.webhook_url !== null ? { webhook_url: r.webhook_url } : {}),
  created_by: r.created_by,
  create_time: r.created_at,
  update_time: r.updated_at,
});

/** A record as the API (and the webhook payload) returns it; absent fields have not happened. */
export const recordView = (r: AlarmRecordRow) => ({
  record_id: r.id,
  rule_id: r.rule_id,
  rule_name: r.rule_name,
  metric: r.metric,
  comparison_operator: r.comparison,
  threshold: r.threshold,
  evaluation_period: r.period_seconds,
  status: r.status,
  value: r.value,
  open_time: r.opened_at,
  ...(r.acknowledged_by !== null ? { acknowledged_by: r.acknowledged_by } : {}),
  ...(r.acknowledged_at !== null ? { acknowledge_time: r.acknowledged_at } : {}),
  ...(r.ack_comment !== null ? { comment: r.ack_comment } : {}),
  ...(r.resolved_at !== null ? { resolve_time: r.resolved_at } : {}),
  ...(r.resolve_reason !== null ? { resolve_reason: r.resolve_reason } : {}),
  notification_status: r.notification_status,
  ...(r.notified_at !== null ? { notification_time: r.notified_at } : {}),
  ...(r.notification_error !== null ? { notification_error: r.notification_error } : {}),
});

export type RecordView = ReturnType<typeof recordView>;
