import { type Static, type TSchema, type TUnsafe, Type } from 'typebox';

// Shapes of the Apache Iceberg REST catalog (open-api/rest-catalog-open-api.yaml): names and
// types are the spec's. Objects accept fields this server does not know, as newer clients send
// them; what a field is when present is checked. Ids drawn from the whole 64-bit range (snapshot
// ids, sequence numbers, timestamps) arrive as bigint beyond 2^53 (services/iceberg/json.ts), so
// they are `Long`: an integer of either representation (the `iceberg-long` keyword of
// http/iceberg-wire.ts).

/**
 * Shapes several requests share, compiled once by the Iceberg validator (http/iceberg-wire.ts)
 * and referred to by `$ref` from each request that holds them.
 */
export const SHARED_SCHEMAS: Record<string, TSchema> = {};
function shared<T extends TSchema>(id: string, schema: T): TUnsafe<Static<T>> {
  SHARED_SCHEMAS[id] = schema;
  return Type.Unsafe<Static<T>>({ $ref: id });
}

/** A 64-bit integer: a safe-integer number, or a bigint from the lossless parser. */
export const Long = Type.Unsafe<number | bigint>({ 'iceberg-long': true });
const NullableLong = Type.Unsafe<number | bigint | null>({ anyOf: [{ type: 'null' }, { 'iceberg-long': true }] });
const Int = Type.Integer({ minimum: -2147483648, maximum: 2147483647 });
const StringMap = Type.Record(Type.String(), Type.String());
const Strings = Type.Array(Type.String());

export const Namespace = Type.Array(Type.String(), { description: 'the levels of a namespace' });
export const TableIdentifier = Type.Object({ namespace: Namespace, name: Type.String() });

// Paths and queries. The namespace of a path is its levels joined by the unit separator (%1F).
export const PrefixPath = Type.Object({ prefix: Type.String({ minLength: 1 }) });
export const NamespacePath = Type.Object({
  prefix: Type.String({ minLength: 1 }),
  namespace: Type.String({ minLength: 1 }),
});
export const TablePath = Type.Object({
  prefix: Type.String({ minLength: 1 }),
  namespace: Type.String({ minLength: 1 }),
  table: Type.String({ minLength: 1 }),
});
export const ViewPath = Type.Object({
  prefix: Type.String({ minLength: 1 }),
  namespace: Type.String({ minLength: 1 }),
  view: Type.String({ minLength: 1 }),
});
/** Each parameter once: a repeated one is an array, which these refuse (400). */
export const ConfigQuery = Type.Object({ warehouse: Type.Optional(Type.String()) });
export const PageQuery = Type.Object({
  pageToken: Type.Optional(Type.String()),
  pageSize: Type.Optional(Type.String()),
});
export const ListNamespacesQuery = Type.Object({
  pageToken: Type.Optional(Type.String()),
  pageSize: Type.Optional(Type.String()),
  parent: Type.Optional(Type.String()),
});
export const LoadTableQuery = Type.Object({
  snapshots: Type.Optional(Type.Union([Type.Literal('all'), Type.Literal('refs')])),
});
export const DropTableQuery = Type.Object({
  purgeRequested: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});
export const CredentialsQuery = Type.Object({ planId: Type.Optional(Type.String()) });
export const PlanPath = Type.Object({
  prefix: Type.String({ minLength: 1 }),
  namespace: Type.String({ minLength: 1 }),
  table: Type.String({ minLength: 1 }),
  /** The spec's `{plan-id}` (a dash ends a route parameter's name). */
  plan_id: Type.String({ minLength: 1 }),
});

// Types and schemas. A nested type is checked here to be a primitive name or an object with a
// type; how deep it goes is bounded by the body depth limit, and its content by the services.
const IcebergType = Type.Union([Type.String(), Type.Object({ type: Type.String() })]);
export const StructField = Type.Object({
  id: Int,
  name: Type.String({ minLength: 1 }),
  type: IcebergType,
  required: Type.Optional(Type.Boolean()),
  doc: Type.Optional(Type.String()),
});
const SchemaShape = Type.Object({
  type: Type.Literal('struct'),
  fields: Type.Array(StructField),
  'schema-id': Type.Optional(Int),
  'identifier-field-ids': Type.Optional(Type.Array(Int)),
});
export const Schema = shared('iceberg-Schema.json', SchemaShape);
const PartitionField = Type.Object({
  'field-id': Type.Optional(Int),
  'source-id': Int,
  name: Type.String({ minLength: 1 }),
  transform: Type.String(),
});
export const PartitionSpec = Type.Object({ 'spec-id': Type.Optional(Int), fields: Type.Array(PartitionField) });
// The spec requires direction and null-order; clients that leave them out get asc, nulls first (new-table.ts).
const SortField = Type.Object({
  'source-id': Int,
  transform: Type.String(),
  direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  'null-order': Type.Optional(Type.Union([Type.Literal('nulls-first'), Type.Literal('nulls-last')])),
});
export const SortOrder = Type.Object({ 'order-id': Type.Optional(Int), fields: Type.Array(SortField) });
export const Snapshot = Type.Object({
  'snapshot-id': Long,
  'parent-snapshot-id': Type.Optional(NullableLong),
  'sequence-number': Type.Optional(Long),
  'timestamp-ms': Long,
  'manifest-list': Type.Optional(Type.String()),
  summary: Type.Object({ operation: Type.String() }, { additionalProperties: Type.String() }),
  'schema-id': Type.Optional(Int),
  'first-row-id': Type.Optional(Long),
  'added-rows': Type.Optional(Long),
});
const StatisticsFile = Type.Object({
  'snapshot-id': Long,
  'statistics-path': Type.String(),
  'file-size-in-bytes': Long,
  'file-footer-size-in-bytes': Long,
  'blob-metadata': Type.Array(
    Type.Object({
      type: Type.String(),
      'snapshot-id': Long,
      'sequence-number': Long,
      fields: Type.Array(Int),
      properties: Type.Optional(StringMap),
    }),
  ),
});
const PartitionStatisticsFile = Type.Object({
  'snapshot-id': Long,
  'statistics-path': Type.String(),
  'file-size-in-bytes': Long,
});

/**
 * One of several objects told apart by `tag` (the `discriminator` keyword of the Iceberg
 * validator): an unknown tag is named as such, and a known one is checked against its own shape only.
 */
function tagged<T extends TSchema>(tag: string, variants: T[], description: string): TSchema {
  return shared(
    `iceberg-${description}.json`,
    Type.Unsafe({ type: 'object', required: [tag], discriminator: { propertyName: tag }, oneOf: variants }),
  );
}
const action = <P extends Record<string, TSchema>>(name: string, props: P) =>
  Type.Object({ action: Type.Literal(name), ...props });
const requirement = <P extends Record<string, TSchema>>(name: string, props: P) =>
  Type.Object({ type: Type.Literal(name), ...props });

export const TableRequirement = tagged(
  'type',
  [
    requirement('assert-create', {}),
    requirement('assert-table-uuid', { uuid: Type.String() }),
    requirement('assert-ref-snapshot-id', { ref: Type.String(), 'snapshot-id': NullableLong }),
    requirement('assert-last-assigned-field-id', { 'last-assigned-field-id': Int }),
    requirement('assert-current-schema-id', { 'current-schema-id': Int }),
    requirement('assert-last-assigned-partition-id', { 'last-assigned-partition-id': Int }),
    requirement('assert-default-spec-id', { 'default-spec-id': Int }),
    requirement('assert-default-sort-order-id', { 'default-sort-order-id': Int }),
  ],
  'TableRequirement',
);

const SnapshotRefFields = {
  type: Type.Union([Type.Literal('branch'), Type.Literal('tag')]),
  'snapshot-id': Long,
  'max-ref-age-ms': Type.Optional(Long),
  'max-snapshot-age-ms': Type.Optional(Long),
  'min-snapshots-to-keep': Type.Optional(Int),
};
const CommonUpdates = [
  action('assign-uuid', { uuid: Type.String({ minLength: 1 }) }),
  action('upgrade-format-version', { 'format-version': Int }),
  action('set-location', { location: Type.String() }),
  action('set-properties', { updates: StringMap }),
  action('remove-properties', { removals: Strings }),
];
export const TableUpdate = tagged(
  'action',
  [
    ...CommonUpdates,
    action('add-schema', { schema: Schema, 'last-column-id': Type.Optional(Int) }),
    action('set-current-schema', { 'schema-id': Int }),
    action('add-spec', { spec: PartitionSpec }),
    action('set-default-spec', { 'spec-id': Int }),
    action('add-sort-order', { 'sort-order': SortOrder }),
    action('set-default-sort-order', { 'sort-order-id': Int }),
    action('add-snapshot', { snapshot: Snapshot }),
    action('set-snapshot-ref', { 'ref-name': Type.String({ minLength: 1 }), ...SnapshotRefFields }),
    action('remove-snapshots', { 'snapshot-ids': Type.Array(Long) }),
    action('remove-snapshot-ref', { 'ref-name': Type.String() }),
    action('set-statistics', { 'snapshot-id': Type.Optional(Long), statistics: StatisticsFile }),
    action('remove-statistics', { 'snapshot-id': Long }),
    action('set-partition-statistics', { 'partition-statistics': PartitionStatisticsFile }),
    action('remove-partition-statistics', { 'snapshot-id': Long }),
  ],
  'TableUpdate',
);

export const ViewVersion = Type.Object({
  'version-id': Type.Optional(Int),
  'timestamp-ms': Type.Optional(Long),
  'schema-id': Int,
  summary: Type.Optional(StringMap),
  representations: Type.Array(Type.Object({ type: Type.String(), sql: Type.String(), dialect: Type.String() }), {
    minItems: 1,
  }),
  'default-catalog': Type.Optional(Type.Union([Type.String(), Type.Null()])),
  'default-namespace': Namespace,
});
export const ViewRequirement = tagged(
  'type',
  [requirement('assert-view-uuid', { uuid: Type.String() })],
  'ViewRequirement',
);
export const ViewUpdate = tagged(
  'action',
  [
    ...CommonUpdates,
    action('add-schema', { schema: Schema, 'last-column-id': Type.Optional(Int) }),
    action('add-view-version', { 'view-version': ViewVersion }),
    action('set-current-view-version', { 'view-version-id': Int }),
  ],
  'ViewUpdate',
);

// Request bodies.
export const CreateNamespaceRequest = Type.Object({ namespace: Namespace, properties: Type.Optional(StringMap) });
export const UpdateNamespacePropertiesRequest = Type.Object({
  removals: Type.Optional(Strings),
  updates: Type.Optional(StringMap),
});
export const CreateTableRequest = Type.Object({
  name: Type.String(),
  location: Type.Optional(Type.String()),
  schema: Schema,
  'partition-spec': Type.Optional(Type.Union([PartitionSpec, Type.Null()])),
  'write-order': Type.Optional(Type.Union([SortOrder, Type.Null()])),
  'stage-create': Type.Optional(Type.Boolean()),
  properties: Type.Optional(StringMap),
});
export const RegisterTableRequest = Type.Object({
  name: Type.String(),
  'metadata-location': Type.String({ minLength: 1 }),
  overwrite: Type.Optional(Type.Boolean()),
});
export const CommitTableRequest = Type.Object({
  identifier: Type.Optional(TableIdentifier),
  requirements: Type.Optional(Type.Array(TableRequirement)),
  updates: Type.Array(TableUpdate),
});
export const CommitTransactionRequest = Type.Object({
  'table-changes': Type.Array(
    Type.Object({
      identifier: TableIdentifier,
      requirements: Type.Optional(Type.Array(TableRequirement)),
      updates: Type.Array(TableUpdate),
    }),
    { minItems: 1 },
  ),
});
export const RenameTableRequest = Type.Object({ source: TableIdentifier, destination: TableIdentifier });
export const CreateViewRequest = Type.Object({
  name: Type.String(),
  location: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  schema: Schema,
  'view-version': ViewVersion,
  properties: Type.Optional(StringMap),
});
export const CommitViewRequest = Type.Object({
  identifier: Type.Optional(TableIdentifier),
  requirements: Type.Optional(Type.Array(ViewRequirement)),
  updates: Type.Array(ViewUpdate),
});
const MetricResult = Type.Union([
  Type.Object({ unit: Type.String(), value: Long }),
  Type.Object({ 'time-unit': Type.String(), count: Long, 'total-duration': Long }),
]);
const ReportCommon = {
  'table-name': Type.String(),
  'snapshot-id': Long,
  metrics: Type.Record(Type.String(), MetricResult),
  metadata: Type.Optional(StringMap),
};
export const ReportMetricsRequest = tagged(
  'report-type',
  [
    Type.Object({
      'report-type': Type.Literal('scan-report'),
      ...ReportCommon,
      filter: Type.Unknown(),
      'schema-id': Int,
      'projected-field-ids': Type.Array(Int),
      'projected-field-names': Strings,
    }),
    Type.Object({
      'report-type': Type.Literal('commit-report'),
      ...ReportCommon,
      'sequence-number': Long,
      operation: Type.String(),
    }),
  ],
  'ReportMetricsRequest',
);
/** A scan to plan; the filter's shape (the spec's Predicate) is checked when it is bound to the table's schema. */
export const PlanTableScanRequest = Type.Object({
  'snapshot-id': Type.Optional(Long),
  select: Type.Optional(Strings),
  filter: Type.Optional(Type.Unknown()),
  'min-rows-requested': Type.Optional(Long),
  'case-sensitive': Type.Optional(Type.Boolean()),
  'use-snapshot-schema': Type.Optional(Type.Boolean()),
  'start-snapshot-id': Type.Optional(Long),
  'end-snapshot-id': Type.Optional(Long),
  'stats-fields': Type.Optional(Strings),
});
export const FetchScanTasksRequest = Type.Object({ 'plan-task': Type.String({ minLength: 1 }) });
/** The OAuth2 token request (form-encoded; the spec deprecates the endpoint but clients still use it). */
export const OAuthTokenRequest = Type.Object({
  grant_type: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  subject_token: Type.Optional(Type.String()),
  subject_token_type: Type.Optional(Type.String()),
  actor_token: Type.Optional(Type.String()),
  actor_token_type: Type.Optional(Type.String()),
});

// Responses (documentation of the answer; the lossless codec writes it, so 64-bit ids survive).
const PageAnswer = { 'next-page-token': Type.Optional(Type.Union([Type.String(), Type.Null()])) };
export const CatalogConfig = Type.Object({
  defaults: StringMap,
  overrides: StringMap,
  endpoints: Type.Optional(Strings),
  'idempotency-key-lifetime': Type.Optional(Type.String()),
});
export const ListNamespacesResponse = Type.Object({ namespaces: Type.Array(Namespace), ...PageAnswer });
export const NamespaceResponse = Type.Object({ namespace: Namespace, properties: Type.Optional(StringMap) });
export const UpdateNamespacePropertiesResponse = Type.Object({
  updated: Strings,
  removed: Strings,
  missing: Type.Optional(Strings),
});
export const ListTablesResponse = Type.Object({ identifiers: Type.Array(TableIdentifier), ...PageAnswer });
const StorageCredential = Type.Object({ prefix: Type.String(), config: StringMap });
export const LoadTableResult = Type.Object({
  'metadata-location': Type.Optional(Type.String()),
  metadata: Type.Object({ 'format-version': Int }),
  config: Type.Optional(StringMap),
  'storage-credentials': Type.Optional(Type.Array(StorageCredential)),
});
export const CommitTableResponse = Type.Object({
  'metadata-location': Type.String(),
  metadata: Type.Object({ 'format-version': Int }),
});
export const LoadCredentialsResponse = Type.Object({ 'storage-credentials': Type.Array(StorageCredential) });
export const LoadViewResult = Type.Object({
  'metadata-location': Type.String(),
  metadata: Type.Object({ 'view-uuid': Type.String() }),
  config: Type.Optional(StringMap),
});
const PlanStatus = Type.Union([
  Type.Literal('completed'),
  Type.Literal('submitted'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
]);
const ScanTasksShape = {
  'plan-tasks': Type.Optional(Strings),
  'file-scan-tasks': Type.Optional(
    Type.Array(Type.Object({ 'data-file': Type.Object({ 'file-path': Type.String() }) })),
  ),
  'delete-files': Type.Optional(Type.Array(Type.Object({ 'file-path': Type.String() }))),
};
/** planTableScan and fetchPlanningResult answers: a status, and with "completed" the tasks. */
export const PlanningResult = Type.Object({
  status: PlanStatus,
  'plan-id': Type.Optional(Type.String()),
  ...ScanTasksShape,
  'storage-credentials': Type.Optional(Type.Array(StorageCredential)),
});
export const FetchScanTasksResult = Type.Object(ScanTasksShape);
export const OAuthTokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Optional(Type.Integer()),
  issued_token_type: Type.Optional(Type.String()),
});
export const IcebergErrorModel = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String(),
    code: Type.Integer({ minimum: 400, maximum: 600 }),
  }),
});
