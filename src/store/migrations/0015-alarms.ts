import { type Kysely, sql } from 'kysely';

// Alarms: rules per instance, the records the evaluator opens and closes, and the request
// counts replicas share so a request-rate rule sees the traffic of every replica.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alarm_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('comparison', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('period_seconds', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addUniqueConstraint('alarm_rules_name_uq', ['instance_id', 'name'])
    .execute();

  // A record keeps what its rule said when it opened: the rule may change or go later.
  await db.schema
    .createTable('alarm_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('rule_name', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('comparison', 'text', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('period_seconds', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('acknowledged_by', 'text')
    .addColumn('acknowledged_at', 'text')
    .addColumn('ack_comment', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('resolve_reason', 'text')
    .addColumn('notification_status', 'text', (c) => c.notNull())
    .addColumn('notification_error', 'text')
    .addColumn('notified_at', 'text')
    .execute();
  // The database decides that a rule has at most one record not yet resolved: replicas
  // evaluating the same rule at the same moment cannot open two.
  await db.schema
    .createIndex('alarm_records_one_open_uq')
    .on('alarm_records')
    .column('rule_id')
    .unique()
    .where(sql.ref('status'), '<>', 'RESOLVED')
    .execute();
  await db.schema
    .createIndex('alarm_records_instance_idx')
    .on('alarm_records')
    .columns(['instance_id', 'opened_at', 'id'])
    .execute();
  await db.schema
    .createIndex('alarm_records_rule_idx')
    .on('alarm_records')
    .columns(['instance_id', 'rule_id', 'opened_at', 'id'])
    .execute();

  // Requests per instance counted by each replica between two evaluator passes.
  await db.schema
    .createTable('alarm_request_samples')
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
    .addColumn('replica_id', 'text', (c) => c.notNull())
    .addColumn('sampled_at', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('alarm_request_samples_pk', ['instance_id', 'sampled_at', 'replica_id'])
    .execute();
  await db.schema
    .createIndex('alarm_request_samples_age_idx')
    .on('alarm_request_samples')
    .column('sampled_at')
    .execute();

  // DENIED_REQUEST_RATE counts an instance's refusals in a time window.
  await db.schema
    .createIndex('audit_events_denied_idx')
    .on('audit_events')
    .columns(['instance_id', 'result', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_denied_idx').ifExists().execute();
  await db.schema.dropTable('alarm_request_samples').ifExists().execute();
  await db.schema.dropTable('alarm_records').ifExists().execute();
  await db.schema.dropTable('alarm_rules').ifExists().execute();
}
