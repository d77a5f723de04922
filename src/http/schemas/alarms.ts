import { Type } from 'typebox';
import { COMPARISONS, MAX_PERIOD_SECONDS, METRICS, RECORD_STATUSES } from '../../services/alarms/rules.js';
import { ProjectId } from './common.js';
import { InstanceRef } from './lakecat.js';

// Shapes of the alarm operations (lakeform's own design: the reference names the group only).
// Bodies refuse unknown fields, so a misspelt one is an error rather than silently ignored.

export const AlarmId = Type.String({ pattern: '^[0-9a-f]{32}$' });
export const RulePath = Type.Object({ project_id: ProjectId, instance_id: InstanceRef, rule_id: AlarmId });
export const RecordPath = Type.Object({ project_id: ProjectId, instance_id: InstanceRef, record_id: AlarmId });

const Metric = Type.Enum([...METRICS]);
const Comparison = Type.Enum([...COMPARISONS]);
const RuleName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' });
const Description = Type.String({ maxLength: 255 });
const Threshold = Type.Number({ minimum: 0, maximum: 1e9 });
const Period = Type.Integer({ minimum: 1, maximum: MAX_PERIOD_SECONDS });
const WebhookUrl = Type.String({ maxLength: 2048 });

export const CreateRuleBody = Type.Object(
  {
    rule_name: RuleName,
    description: Type.Optional(Description),
    metric: Metric,
    comparison_operator: Comparison,
    threshold: Threshold,
    evaluation_period: Period,
    enabled: Type.Optional(Type.Boolean()),
    webhook_url: Type.Optional(WebhookUrl),
  },
  { additionalProperties: false },
);

export const UpdateRuleBody = Type.Object(
  {
    rule_name: Type.Optional(RuleName),
    description: Type.Optional(Description),
    metric: Type.Optional(Metric),
    comparison_operator: Type.Optional(Comparison),
    threshold: Type.Optional(Threshold),
    evaluation_period: Type.Optional(Period),
    enabled: Type.Optional(Type.Boolean()),
    /** Empty or null removes the webhook. */
    webhook_url: Type.Optional(Type.Union([WebhookUrl, Type.Null()])),
  },
  { additionalProperties: false },
);

export const ListRulesQuery = Type.Object({
  offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  metric: Type.Optional(Metric),
  enabled: Type.Optional(Type.Boolean()),
});

export const ListRecordsQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  marker: Type.Optional(AlarmId),
  status: Type.Optional(Type.Enum([...RECORD_STATUSES])),
  rule_id: Type.Optional(AlarmId),
});

export const AcknowledgeBody = Type.Object(
  { comment: Type.Optional(Type.String({ maxLength: 1024 })) },
  { additionalProperties: false },
);

export const AlarmRule = Type.Object({
  rule_id: Type.String(),
  rule_name: Type.String(),
  description: Type.String(),
  metric: Type.String(),
  comparison_operator: Type.String(),
  threshold: Type.Number(),
  evaluation_period: Type.Integer(),
  enabled: Type.Boolean(),
  webhook_url: Type.Optional(Type.String()),
  created_by: Type.String(),
  create_time: Type.String(),
  update_time: Type.String(),
});

export const AlarmRecord = Type.Object({
  record_id: Type.String(),
  rule_id: Type.String(),
  rule_name: Type.String(),
  metric: Type.String(),
  comparison_operator: Type.String(),
  threshold: Type.Number(),
  evaluation_period: Type.Integer(),
  status: Type.String(),
  value: Type.Number(),
  open_time: Type.String(),
  acknowledged_by: Type.Optional(Type.String()),
  acknowledge_time: Type.Optional(Type.String()),
  comment: Type.Optional(Type.String()),
  resolve_time: Type.Optional(Type.String()),
  resolve_reason: Type.Optional(Type.String()),
  notification_status: Type.String(),
  notification_time: Type.Optional(Type.String()),
  notification_error: Type.Optional(Type.String()),
});
