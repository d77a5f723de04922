/**
 * An example request body per operation, shown in /openapi.json and docs/api.md, and sent by the
 * test suite (test/api-examples.test.ts) in this order to a real server, each expecting success.
 * Together they build one small world: the user `ana` and the group `analysts`, the catalog
 * `sales` with the database `shop`, the partitioned table `orders`, the role `analyst`, and the
 * Iceberg namespace `lake` with the table `clicks` and the view `recent_clicks`. A value in braces
 * (`{user_id}`) is an id from an earlier answer. Adapted from the reference's request examples.
 */
export const EXAMPLE_BODIES: Record<string, unknown> = {
  KeystoneCreateUserToken: {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'admin', password: '{admin_password}', domain: { name: 'default' } } },
      },
      scope: { project: { name: 'default' } },
    },
  },
  KeystoneCreateProject: { project: { name: 'analytics' } },
  KeystoneUpdateProject: { project: { name: 'analytics_team' } },
  KeystoneCreateUser: { user: { name: 'ana', password: 'Ana-pass-1234', email: 'ana@example.com' } },
  KeystoneUpdateUser: { user: { email: 'ana@example.org' } },
  KeystoneCreateGroup: { group: { name: 'analysts', description: 'people who read the sales data' } },
  KeystoneUpdateGroup: { group: { description: 'analysts of the sales data' } },
  CreatePermanentAccessKey: { credential: { user_id: '{user_id}', description: 'engine access' } },
  UpdatePermanentAccessKey: { credential: { status: 'active' } },
  CreateTemporaryAccessKeyByToken: { auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } },
  CreateLakeFormationInstance: {
    name: 'example',
    description: 'an instance for the examples',
    charge_mode: 'postPaid',
    shared: true,
    specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 5 }],
  },
  UpdateLakeFormationInstance: { name: 'example_2', description: 'renamed' },
  UpdateLakeFormationInstanceScale: { specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 10 }] },
  BatchUpdateLakeFormationInstanceTags: {
    tags: [
      { key: 'team', value: 'sales' },
      { key: 'env', value: 'test' },
    ],
  },
  CreateCatalog: {
    catalog_name: 'sales',
    description: 'Sales data',
    location: 'obs://lakeform/sales',
    owner: 'admin',
    owner_source: 'IAM',
    owner_type: 'USER',
  },
  UpdateCatalog: { catalog_name: 'sales', description: 'Sales data, by day', location: 'obs://lakeform/sales' },
  CreateDatabase: {
    database_name: 'shop',
    description: 'the web shop',
    location: 'obs://lakeform/sales/shop.db',
    owner: 'admin',
    owner_type: 'USER',
    parameters: { classification: 'other' },
  },
  UpdateDatabase: {
    database_name: 'shop',
    description: 'the web shop, orders and clicks',
    location: 'obs://lakeform/sales/shop.db',
    owner: 'admin',
    owner_type: 'USER',
    parameters: { classification: 'other' },
  },
  CreateTable: {
    table_name: 'orders',
    table_type: 'MANAGED_TABLE',
    table_format: 'HIVE',
    owner: 'admin',
    owner_type: 'USER',
    comments: 'one row per order',
    parameters: { classification: 'parquet' },
    partition_keys: [{ column_name: 'dt', column_type: 'string', comment: 'order day' }],
    storage_descriptor: {
      columns: [
        { column_name: 'id', column_type: 'bigint' },
        { column_name: 'amount', column_type: 'double' },
      ],
      location: 'obs://lakeform/sales/shop.db/orders',
      input_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      output_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serde_info: { serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
  },
  ListTablesByName: { table_names: ['orders'] },
  UpdateTable: {
    table: {
      table_name: 'orders',
      table_type: 'MANAGED_TABLE',
      owner: 'admin',
      owner_type: 'USER',
      comments: 'one row per order, in the shop currency',
      parameters: { classification: 'parquet' },
      partition_keys: [{ column_name: 'dt', column_type: 'string', comment: 'order day' }],
      storage_descriptor: {
        columns: [
          { column_name: 'id', column_type: 'bigint' },
          { column_name: 'amount', column_type: 'double' },
        ],
        location: 'obs://lakeform/sales/shop.db/orders',
      },
    },
  },
  AddPartitions: {
    if_not_exist: true,
    partitions: [
      {
        partition_values: ['2026-01-01'],
        storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
      },
      {
        partition_values: ['2026-01-02'],
        storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
      },
    ],
  },
  BatchDeletePartition: { partition_values: [['2026-01-02']], if_exist: true, delete_data: false },
  BatchListPartitionByValues: { values: [['2026-01-01'], ['2026-01-02']] },
  BatchUpdatePartition: {
    partition_inputs: [
      {
        partition_values: ['2026-01-02'],
        partition: {
          partition_values: ['2026-01-02'],
          parameters: { note: 'late data' },
          storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
        },
      },
    ],
  },
  SetTableColumnStatistics: {
    merge: false,
    table_column_statistics: {
      column_statistics_desc: {},
      column_statistics_objects: [
        {
          column_name: 'id',
          column_type: 'bigint',
          data_type: 'longStats',
          long_statistics_data: {
            minimum_value: 1,
            maximum_value: 900,
            number_of_distinct_value: 850,
            number_of_null: 0,
          },
        },
      ],
    },
  },
  ListTableColumnStatistics: { column_names: ['id'] },
  SetPartitionColumnStatistics: {
    need_merge: false,
    statistics: [
      {
        column_statistics_desc: { partition_values: ['2026-01-01'] },
        column_statistics_objects: [
          {
            column_name: 'id',
            column_type: 'bigint',
            data_type: 'longStats',
            long_statistics_data: {
              minimum_value: 1,
              maximum_value: 90,
              number_of_distinct_value: 90,
              number_of_null: 0,
            },
          },
        ],
      },
    ],
  },
  BatchShowPartitionColumnStatistics: {
    aggregate_statics: false,
    column_names: ['id'],
    partition_values_list: [['2026-01-01']],
  },
  BatchDeletePartitionedStatistics: { partition_values: [['2026-01-01']] },
  BatchCreateConstraint: {
    primary_keys: [
      {
        column_name: 'id',
        primary_key_name: 'pk_orders',
        key_sequence: 1,
        enable_constraint: true,
        validate_constraint: false,
        rely_constraint: true,
      },
    ],
  },
  CreateFunction: {
    function_name: 'to_upper',
    class_name: 'com.example.udf.ToUpper',
    function_type: 'JAVA',
    owner: 'admin',
    owner_type: 'USER',
    resource_uris: [{ type: 'JAR', uri: 'obs://lakeform/udf/to-upper.jar' }],
  },
  UpdateFunction: {
    function_name: 'to_upper',
    class_name: 'com.example.udf.ToUpperV2',
    function_type: 'JAVA',
    owner: 'admin',
    owner_type: 'USER',
    resource_uris: [{ type: 'JAR', uri: 'obs://lakeform/udf/to-upper-2.jar' }],
  },
  CreateDataset: {
    dataset_name: 'receipts',
    storage_type: 'EXTERNAL',
    dataset_format: { format: 'IMAGE', content_types: ['PNG'] },
    location: 'obs://lakeform/sales/receipts',
    properties: { source: 'scanner' },
  },
  UpdateDataset: { properties: { source: 'scanner', quality: 'checked' } },
  CreateRole: { role_name: 'analyst', description: 'reads the sales data' },
  UpdateRole: { role_name: 'analyst', description: 'reads and describes the sales data' },
  AssociatePrincipals: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
  UpdatePrincipals: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
  RevokePrincipals: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
  AssociateRoles: [{ role_name: 'analyst', principal_source: 'LOCAL' }],
  UpdateRoles: [{ role_name: 'analyst', principal_source: 'LOCAL' }],
  RevokeRoles: [{ role_name: 'analyst', principal_source: 'LOCAL' }],
  BatchAuthorizeInterface: {
    principal_list: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
    resource: {
      type: 'TABLE',
      catalogs: [{ name: 'sales', databases: [{ name: 'shop', tables: [{ name: 'orders' }] }] }],
    },
    permissions: ['SELECT', 'DESCRIBE'],
    effect: true,
  },
  BatchCheckPermission: {
    access_request: [
      {
        action: 'SELECT',
        principal: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
        resource: { resource_type: 'TABLE', catalog: 'sales', database: 'shop', table: 'orders' },
      },
    ],
  },
  BatchCancelAuthorizationInterface: {
    principal_list: [{ principal_name: 'ana', principal_source: 'IAM', principal_type: 'USER' }],
    resource: {
      type: 'TABLE',
      catalogs: [{ name: 'sales', databases: [{ name: 'shop', tables: [{ name: 'orders' }] }] }],
    },
    permissions: ['DESCRIBE'],
    effect: true,
  },
  CreateAgreement: { agreements: [{ agreement_name: 'lakeformation_service', agreement_version: 'v1' }] },
  AuthorizeAccessService: {
    access_services: [{ name: 'DLI', description: 'Data Lake Insight', grant: true }],
  },
  CreateAgency: { agency_type: 'JOB_TRUST' },
  DeleteAgency: { agency_type: 'JOB_TRUST' },
  AuthorizeLocation: { locations: ['obs://lakeform/sales', 'obs://lakeform/landing'] },
  CancelAuthorizeLocation: { locations: ['obs://lakeform/landing'] },
  ApplyForAccess: [{ domain: 'lakeformation.example.com', vpcep_id: '0612ab34cd56ef7890ab12cd34ef5678a8fb' }],
  CreateAccessClient: {
    name: 'spark_client',
    access_mode: 'SYSTEM',
    vpc_id: '11111111-2222-4333-8444-555555555555',
    subnet_id: '66666666-7777-4888-9999-000000000000',
  },
  UpdateAccessClient: { name: 'spark_client_2' },
  ShowCredential: {
    table: { catalog_name: 'sales', database_name: 'shop', table_name: 'orders' },
    access: 'READ',
    duration_seconds: 900,
  },
  CreateJobByInstance: {
    name: 'discover_landing',
    type: 'METADATA_DISCOVERY',
    description: 'tables from the files under landing/',
    parameter: {
      metadata_discovery_parameter: {
        data_location: 'obs://lakeform/landing',
        target_catalog: 'sales',
        target_database: 'landing',
      },
    },
  },
  UpdateJobByInstance: {
    name: 'discover_landing',
    description: 'tables from the files under landing/, nightly',
    parameter: {
      metadata_discovery_parameter: {
        data_location: 'obs://lakeform/landing',
        target_catalog: 'sales',
        target_database: 'landing',
      },
    },
  },
  CreateAlarmRule: {
    rule_name: 'quota_watch',
    metric: 'QUOTA_USAGE_RATIO',
    comparison_operator: '>=',
    threshold: 0,
    evaluation_period: 60,
  },
  UpdateAlarmRule: { threshold: 0, evaluation_period: 60, enabled: true },
  AcknowledgeAlarmRecord: { comment: 'looking into it' },
  IcebergOAuthToken: {
    grant_type: 'client_credentials',
    client_id: '{access_key}',
    client_secret: '{secret_key}',
    scope: 'catalog',
  },
  IcebergCreateNamespace: { namespace: ['lake'], properties: { owner: 'admin' } },
  IcebergUpdateNamespaceProperties: { removals: [], updates: { comment: 'web events' } },
  IcebergCreateTable: {
    name: 'clicks',
    schema: {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'ts', type: 'timestamp', required: false },
        { id: 3, name: 'url', type: 'string', required: false },
      ],
    },
    'partition-spec': {
      'spec-id': 0,
      fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }],
    },
    properties: { 'write.format.default': 'parquet' },
  },
  IcebergCommitTable: {
    requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
    updates: [{ action: 'set-properties', updates: { 'commit.retry.num-retries': '4' } }],
  },
  IcebergRegisterTable: { name: 'clicks_copy', 'metadata-location': '{metadata_location}' },
  IcebergRenameTable: {
    source: { namespace: ['lake'], name: 'clicks_copy' },
    destination: { namespace: ['lake'], name: 'clicks_archive' },
  },
  IcebergCommitTransaction: {
    'table-changes': [
      {
        identifier: { namespace: ['lake'], name: 'clicks' },
        requirements: [],
        updates: [{ action: 'set-properties', updates: { team: 'web' } }],
      },
    ],
  },
  IcebergReportMetrics: {
    'report-type': 'commit-report',
    'table-name': 'sales.lake.clicks',
    'snapshot-id': 1,
    'sequence-number': 1,
    operation: 'append',
    metrics: {
      'total-duration': { count: 1, 'time-unit': 'nanoseconds', 'total-duration': 1200 },
      attempts: { unit: 'count', value: 1 },
      'added-data-files': { unit: 'count', value: 2 },
    },
  },
  IcebergCreateView: {
    name: 'recent_clicks',
    schema: {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'url', type: 'string', required: false },
      ],
    },
    'view-version': {
      'version-id': 1,
      'timestamp-ms': 1767225600000,
      'schema-id': 0,
      summary: { 'engine-name': 'spark' },
      representations: [{ type: 'sql', sql: 'SELECT id, url FROM lake.clicks', dialect: 'spark' }],
      'default-namespace': ['lake'],
    },
    properties: {},
  },
  IcebergReplaceView: {
    requirements: [{ type: 'assert-view-uuid', uuid: '{view_uuid}' }],
    updates: [{ action: 'set-properties', updates: { comment: 'clicks of the last day' } }],
  },
  IcebergRenameView: {
    source: { namespace: ['lake'], name: 'recent_clicks' },
    destination: { namespace: ['lake'], name: 'latest_clicks' },
  },
  UpdateRecycleBin: { retention_days: 14 },
  RestoreTable: { recycle_bin_id: '{table_bin_id}' },
  RestoreDatabase: { recycle_bin_id: '{database_bin_id}', new_database_name: 'shop_restored' },
  IcebergPlanTableScan: { select: ['id', 'ts'], filter: { type: 'gt-eq', term: 'ts', value: '2026-12-01T00:00:00' } },
  IcebergFetchScanTasks: { 'plan-task': '{plan_task}' },
};
