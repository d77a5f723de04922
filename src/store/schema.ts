import type { Generated } from 'kysely';

/**
 * Row types of the metadata store, shared by both dialects. Timestamps are ISO-8601 UTC text
 * (sortable, identical on SQLite and PostgreSQL); booleans are 0/1 integers for the same reason.
 */

export interface DomainRow {
  id: string;
  name: string;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  domain_id: string;
  name: string;
  description: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface UserRow {
  id: string;
  domain_id: string;
  name: string;
  password_hash: string;
  enabled: number;
  description: string;
  email: string | null;
  password_expires_at: string | null;
  failed_logins: number;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface GroupRow {
  id: string;
  domain_id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface GroupMemberRow {
  group_id: string;
  user_id: string;
}

export interface TokenRow {
  token_hash: string;
  user_id: string;
  domain_id: string;
  project_id: string | null;
  methods: string;
  issued_at: string;
  expires_at: string;
}

export interface AccessKeyRow {
  access: string;
  user_id: string;
  secret_enc: string;
  status: string;
  description: string;
  /** 'permanent' or 'temporary'. */
  kind: string;
  session_token_hash: string | null;
  project_id: string | null;
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
  /** JSON StorageScope of a vended storage credential; null for keys that act as their user. */
  storage_scope?: string | null;
}

export interface ServerSettingRow {
  name: string;
  value: string;
}

export interface InstanceRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  charge_mode: string;
  shared: number;
  enterprise_project_id: string;
  status: string;
  in_recycle_bin: number;
  default_instance: number;
  created_at: string;
  updated_at: string;
  recycled_at: string | null;
  /** Bumped on every change so concurrent writers can detect lost updates. */
  version: number;
  /** Moves with every change to grants, role members or IAM group members: cached grant sets check it. */
  governance_version: number;
}

export interface InstanceSpecRow {
  instance_id: string;
  spec_code: string;
  stride_num: number;
  product_id: string;
}

export interface InstanceTagRow {
  instance_id: string;
  tag_key: string;
  tag_value: string;
}

export interface CatalogRow {
  instance_id: string;
  name: string;
  /** The reference's branch_name, stored and returned as given. */
  branch_name?: string | null;
  description: string | null;
  location: string;
  /** JSON array of storage locations databases of this catalog may use. */
  database_locations: string;
  owner: string;
  owner_type: string;
  owner_source: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface DatabaseRow {
  /** Stable surrogate id: the page marker of listings (markers are at most 32 characters). */
  id: string;
  instance_id: string;
  catalog_name: string;
  name: string;
  description: string;
  location: string;
  database_type: string;
  external_database_id: string | null;
  connection_name: string | null;
  data_statistic_enable: number;
  owner: string;
  owner_type: string;
  owner_source: string;
  /** JSON object of string parameters. */
  parameters: string;
  function_locations: string;
  table_locations: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface FunctionRow {
  id: string;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  name: string;
  class_name: string;
  function_type: string;
  owner: string;
  owner_type: string;
  owner_source: string;
  /** JSON array of {type, uri}. */
  resource_uris: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface TableVersionRow {
  table_id: string;
  instance_id: string;
  version: number;
  snapshot: string;
  replaced_at: string;
}

export interface TableRow {
  id: string;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  name: string;
  table_type: string;
  table_format: string;
  owner: string;
  owner_type: string;
  /** JSON of the table's definition as written (everything but the columns above). */
  definition: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface DatasetRow {
  /** Stable surrogate id: the dataset_id of the API and the page marker of listings. */
  id: string;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  name: string;
  description: string;
  storage_type: string;
  /** dataset_format.format (null when none was given) and its content_types as a JSON array. */
  format: string | null;
  content_types: string | null;
  location: string;
  owner: string;
  owner_type: string;
  owner_source: string;
  /** JSON object of string properties. */
  properties: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface TableConstraintRow {
  id: string;
  table_id: string;
  name: string;
  /** PRIMARY_KEY, FOREIGN_KEY, NOT_NULL_CSTR, UNIQUE_CSTR, CHECK_CSTR or DEFAULT_CSTR. */
  constraint_type: string;
  /** JSON array of column names, in key order. */
  columns: string;
  /**
   * A foreign key's referenced primary key or unique constraint, and its columns (JSON) matching `columns` one to one.
   */
  parent_constraint_id: string | null;
  parent_columns: string | null;
  update_rule: number | null;
  delete_rule: number | null;
  check_expression: string | null;
  default_value: string | null;
  enable_constraint: number;
  validate_constraint: number;
  rely_constraint: number;
  created_at: string;
}

export interface MetadataEventRow {
  id: Generated<number>;
  instance_id: string;
  event_type: string;
  catalog_name: string;
  database_name: string | null;
  object_name: string | null;
  principal: string;
  created_at: string;
  /** JSON with what changed, for consumers that follow the log. */
  detail: string | null;
}

export interface PartitionRow {
  id: Generated<number>;
  table_id: string;
  /** Hive's partition name, `key=value/…` with values path-escaped; unique per table, the listing order. */
  name: string;
  /** JSON array of the values, in partition-key order. */
  partition_values: string;
  /** JSON of storage_descriptor and parameters as written. */
  definition: string;
  created_at: string;
  updated_at: string;
  last_access_time: string;
}

export interface PartitionValueRow {
  partition_id: number;
  table_id: string;
  key_index: number;
  value: string;
  num_value: number | null;
}

/** A partition of a batch staged before it lands (migration 0026); never read but by the landing. */
export interface StagedPartitionRow extends Omit<PartitionRow, 'id'> {
  batch_id: string;
  /** Position in the batch. */
  seq: number;
  staged_at: string;
}

export interface StagedPartitionValueRow extends Omit<PartitionValueRow, 'partition_id' | 'table_id'> {
  batch_id: string;
  seq: number;
}

export interface ColumnStatisticsRow {
  column_name: string;
  column_type: string;
  data_type: string;
  /** JSON of the statistics data of the data_type. */
  data: string;
  last_analyzed_time: string;
}
export interface TableColumnStatisticsRow extends ColumnStatisticsRow {
  table_id: string;
}
export interface PartitionColumnStatisticsRow extends ColumnStatisticsRow {
  partition_id: number;
  table_id: string;
}

export interface RoleRow {
  /** Stable surrogate id: the page marker of listings. */
  id: string;
  instance_id: string;
  name: string;
  description: string;
  principal_source: string;
  created_at: string;
  updated_at: string;
}

export interface RoleMemberRow {
  id: string;
  instance_id: string;
  role_name: string;
  /** `name/type/source`: unique within the role, and the listing order. */
  member_key: string;
  principal_type: string;
  principal_source: string;
  principal_name: string;
  created_at: string;
}

export interface PolicyRow {
  id: Generated<number>;
  instance_id: string;
  principal_type: string;
  principal_source: string;
  principal_name: string;
  resource_type: string;
  /** Dotted path of the resource (catalog.database.table[.columns]) or its URI. */
  resource_name: string;
  /** JSON: the resource as the reference's ResourceInfo models it. */
  resource: string;
  /** 1 allow, 0 deny. */
  effect: number;
  /** JSON arrays of permission names. */
  permissions: string;
  grantable: string;
  condition: string | null;
  data_filter: string | null;
  data_mask: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface PolicyChangeRow {
  id: Generated<number>;
  instance_id: string;
  policy_id: number;
  change_type: number;
  policy: string;
  created_at: string;
}

export interface AuditEventRow {
  id: Generated<number>;
  project_id: string;
  instance_id: string | null;
  principal: string;
  /** What was done or attempted: GRANT, REVOKE, CREATE_ROLE, …, or the refused operation. */
  action: string;
  resource: string;
  /** 'success' or 'denied'. */
  result: string;
  detail: string | null;
  created_at: string;
}

export interface AgreementRow {
  project_id: string;
  name: string;
  version: string;
  signed_by: string;
  signed_at: string;
}
export interface AccessServiceRow {
  project_id: string;
  name: string;
  granted: number;
  description: string;
  updated_at: string;
}
export interface AgencyRow {
  domain_id: string;
  agency_type: string;
  name: string;
  created_by: string;
  created_at: string;
}
export interface AuthorizedLocationRow {
  domain_id: string;
  location: string;
  created_by: string;
  created_at: string;
}
export interface AccessInfoRow {
  instance_id: string;
  domain: string;
  vpcep_id: string;
  created_at: string;
}
export interface AccessClientRow {
  id: string;
  instance_id: string;
  name: string;
  access_mode: string;
  vpc_id: string | null;
  subnet_id: string | null;
  /** JSON array of the client's connections. */
  connections: string;
  status: string;
  ready_at: string;
  created_by: string;
  created_at: string;
}

export interface JobRow {
  id: string;
  instance_id: string;
  name: string;
  description: string;
  type: string;
  parameter: string;
  creator_id: string;
  creator_name: string;
  project_id: string;
  created_at: string;
  updated_at: string;
}
export interface JobRunRow {
  id: string;
  job_id: string;
  instance_id: string;
  status: string;
  mode: string;
  cascade: number;
  lease_owner: string | null;
  lease_expires_at: string | null;
  stop_requested: number;
  current_step: string;
  done: number;
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  message: string;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
}
export interface JobRunLogRow {
  id: Generated<number>;
  run_id: string;
  at: string;
  level: string;
  message: string;
}

export interface IcebergMetricsReportRow {
  id: Generated<number>;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  table_name: string;
  report_type: string;
  snapshot_id: string | null;
  report: string;
  created_at: string;
}

export interface AlarmRuleRow {
  /** 32 hex characters. */
  id: string;
  project_id: string;
  instance_id: string;
  /** Unique per instance, stored lower-case. */
  name: string;
  description: string;
  metric: string;
  /** One of > >= < <= =. */
  comparison: string;
  threshold: number;
  period_seconds: number;
  enabled: number;
  webhook_url: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface AlarmRecordRow {
  id: string;
  project_id: string;
  instance_id: string;
  rule_id: string;
  /** The rule as it was when the record opened. */
  rule_name: string;
  metric: string;
  comparison: string;
  threshold: number;
  period_seconds: number;
  /** OPEN, ACKNOWLEDGED or RESOLVED; at most one record per rule is not RESOLVED (a unique partial index). */
  status: string;
  /** The metric's value when the record opened. */
  value: number;
  opened_at: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  ack_comment: string | null;
  resolved_at: string | null;
  /** CONDITION_CLEARED, RULE_CHANGED, RULE_DISABLED or RULE_DELETED. */
  resolve_reason: string | null;
  /** NONE (no webhook), PENDING, SENT or FAILED. */
  notification_status: string;
  notification_error: string | null;
  notified_at: string | null;
}

export interface AlarmRequestSampleRow {
  instance_id: string;
  replica_id: string;
  sampled_at: string;
  requests: number;
}

/** A count that every write to a table's partitions moves (SQLite triggers; see migration 0028). */
export interface PartitionMarkRow {
  table_id: string;
  n: number;
}

/** An instance's token bucket, shared by the replicas (see src/store/instances/rate-buckets.ts). */
export interface RateBucketRow {
  instance_id: string;
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  refilled_at: number;
  version: number;
}

export interface IcebergIdempotencyRow {
  project_id: string;
  idempotency_key: string;
  fingerprint: string;
  status: number;
  body: string | null;
  created_at: string;
  expires_at: string;
}

export interface IcebergScanPlanRow {
  project_id: string;
  plan_id: string;
  instance_id: string;
  /** catalog, namespace and table the plan is of, so another table's path cannot reach it. */
  table_key: string;
  /** submitted, completed, failed or cancelled. */
  status: string;
  error: string | null;
  task_count: number;
  created_at: string;
  expires_at: string;
}

export interface IcebergScanPlanTaskRow {
  project_id: string;
  plan_id: string;
  task_no: number;
  /** The ScanTasks JSON of the page (lossless integers). */
  body: string;
}

export interface RecycleBinRow {
  id: string;
  instance_id: string;
  /** DATABASE or TABLE. */
  kind: string;
  catalog_name: string;
  /** A table's database; a database entry's own name. */
  database_name: string;
  name: string;
  object_id: string;
  object_type: string;
  table_format: string | null;
  owner: string;
  owner_type: string;
  delete_data: number;
  dropped_at: string;
  dropped_by: string;
  purge_at: string;
  claimed_by: string | null;
  claimed_at: string | null;
}

export interface RecycleBinGrantRow {
  entry_id: string;
  principal_type: string;
  principal_name: string;
  effect: number;
  /** JSON of the policy row, without its id. */
  policy: string;
}

export interface RecycleBinSettingRow {
  instance_id: string;
  retention_days: number;
  updated_at: string;
}

export interface Database {
  domains: DomainRow;
  projects: ProjectRow;
  users: UserRow;
  groups: GroupRow;
  group_members: GroupMemberRow;
  tokens: TokenRow;
  access_keys: AccessKeyRow;
  server_settings: ServerSettingRow;
  instances: InstanceRow;
  instance_specs: InstanceSpecRow;
  instance_tags: InstanceTagRow;
  catalogs: CatalogRow;
  databases: DatabaseRow;
  functions: FunctionRow;
  tables: TableRow;
  recycle_bin: RecycleBinRow;
  recycle_bin_grants: RecycleBinGrantRow;
  recycle_bin_settings: RecycleBinSettingRow;
  table_versions: TableVersionRow;
  datasets: DatasetRow;
  table_constraints: TableConstraintRow;
  metadata_events: MetadataEventRow;
  partitions: PartitionRow;
  partition_values: PartitionValueRow;
  staged_partitions: StagedPartitionRow;
  staged_partition_values: StagedPartitionValueRow;
  table_column_statistics: TableColumnStatisticsRow;
  partition_column_statistics: PartitionColumnStatisticsRow;
  roles: RoleRow;
  role_members: RoleMemberRow;
  policies: PolicyRow;
  policy_changes: PolicyChangeRow;
  audit_events: AuditEventRow;
  agreements: AgreementRow;
  access_services: AccessServiceRow;
  agencies: AgencyRow;
  authorized_locations: AuthorizedLocationRow;
  access_infos: AccessInfoRow;
  access_clients: AccessClientRow;
  lf_jobs: JobRow;
  lf_job_runs: JobRunRow;
  lf_job_run_logs: JobRunLogRow;
  alarm_rules: AlarmRuleRow;
  iceberg_idempotency_keys: IcebergIdempotencyRow;
  alarm_records: AlarmRecordRow;
  alarm_request_samples: AlarmRequestSampleRow;
  rate_buckets: RateBucketRow;
  partition_marks: PartitionMarkRow;
  lf_iceberg_metrics_reports: IcebergMetricsReportRow;
  iceberg_scan_plans: IcebergScanPlanRow;
  iceberg_scan_plan_tasks: IcebergScanPlanTaskRow;
}
