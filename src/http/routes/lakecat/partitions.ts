import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import {
  PARTITION_BATCH_MAX,
  type TablePath as ServiceTablePath,
} from '../../../services/lakecat/partition-service.js';
import { type Operation, operation } from '../../operation.js';
import { PageInfo } from '../../schemas/lakecat.js';
import { Params, StorageDescriptor, TablePath } from './tables.js';

const GROUP = 'LakeCat/Partition';
const STATS_GROUP = 'LakeCat/Partition Statistics';
const TABLE_STATS_GROUP = 'LakeCat/Table Statistics';

const Value = Type.String({ maxLength: 256 });
const Values = Type.Array(Value, { minItems: 1, maxItems: 1000 });
const ValueLists = Type.Array(Values, { maxItems: PARTITION_BATCH_MAX });
const PartitionInput = Type.Object({
  partition_values: Values,
  storage_descriptor: StorageDescriptor,
  parameters: Type.Optional(Params),
  create_time: Type.Optional(Type.String({ maxLength: 64 })),
  last_access_time: Type.Optional(Type.String({ maxLength: 64 })),
});
const Filter = Type.String({ maxLength: 256 });

const ColumnNamePattern = '^[a-zA-Z0-9_\\-+*\\\\(), \\u4e00-\\u9fa5]+$';
const Count = Type.Integer({ minimum: 0 });
const BitVector = Type.Optional(
  Type.String({ maxLength: 66560, pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' }),
);
const Decimal = Type.Object({
  scale: Type.Optional(Type.Integer()),
  unscaled: Type.Optional(
    Type.String({ maxLength: 125, pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' }),
  ),
});
const ColumnStatisticsObject = Type.Object({
  column_name: Type.String({ minLength: 1, maxLength: 767, pattern: ColumnNamePattern }),
  column_type: Type.String({ minLength: 1, maxLength: 50 }),
  data_type: Type.Union(
    ['binaryStats', 'booleanStats', 'dateStats', 'decimalStats', 'doubleStats', 'longStats', 'stringStats'].map((v) =>
      Type.Literal(v),
    ),
  ),
  long_statistics_data: Type.Optional(
    Type.Object({
      minimum_value: Type.Integer(),
      maximum_value: Type.Integer(),
      number_of_distinct_value: Count,
      number_of_null: Count,
      bit_vector: BitVector,
    }),
  ),
  double_statistics_data: Type.Optional(
    Type.Object({
      minimum_value: Type.Number(),
      maximum_value: Type.Number(),
      number_of_distinct_value: Count,
      number_of_null: Count,
      bit_vector: BitVector,
    }),
  ),
  decimal_statistics_data: Type.Optional(
    Type.Object({
      minimum_value: Decimal,
      maximum_value: Decimal,
      number_of_distinct_value: Count,
      number_of_null: Count,
      bit_vector: BitVector,
    }),
  ),
  date_statistics_data: Type.Optional(
    Type.Object({
      minimum_value: Type.Optional(Type.String({ maxLength: 64 })),
      maximum_value: Type.Optional(Type.String({ maxLength: 64 })),
      number_of_distinct_value: Count,
      number_of_null: Count,
      bit_vector: BitVector,
    }),
  ),
  string_statistics_data: Type.Optional(
    Type.Object({
      average_length: Type.Number({ minimum: 0 }),
      maximum_length: Count,
      number_of_distinct_value: Count,
      number_of_null: Count,
      bit_vector: BitVector,
    }),
  ),
  boolean_statistics_data: Type.Optional(
    Type.Object({ number_of_false: Count, number_of_null: Count, number_of_true: Count }),
  ),
  binary_statistics_data: Type.Optional(
    Type.Object({ average_length: Type.Number({ minimum: 0 }), maximum_length: Count, number_of_null: Count }),
  ),
});
const ColumnStatisticsObjects = Type.Array(ColumnStatisticsObject, { maxItems: 256 });
const ColumnNames = Type.Array(Type.String({ minLength: 1, maxLength: 767, pattern: ColumnNamePattern }), {
  maxItems: 1000,
});

type PathParams = {
  project_id: string;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  table_name: string;
};
const at = (p: PathParams): ServiceTablePath => ({
  projectId: p.project_id,
  instanceRef: p.instance_id,
  catalogName: p.catalog_name,
  databaseName: p.database_name,
  tableName: p.table_name,
});

export function partitionOperations(s: AppServices): Operation[] {
  const parts = s.partitions;
  const stats = s.statistics;
  const table =
    '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/{database_name}/tables/{table_name}';
  const base = `${table}/partitions`;
  return [
    operation({
      name: 'AddPartitions',
      action: 'partition.add',
      group: GROUP,
      method: 'POST',
      path: `${base}/batch-create`,
      status: 201,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        if_not_exist: Type.Boolean({ default: false }),
        partitions: Type.Array(PartitionInput, { minItems: 1, maxItems: PARTITION_BATCH_MAX }),
      }),
      handler: ({ principal, params, body, short }) =>
        parts.add(principal, at(params), body.partitions, body.if_not_exist, short),
    }),
    operation({
      name: 'ListPartitions',
      action: 'partition.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({
        filter: Type.Optional(Filter),
        partition_values: Type.Optional(Type.Array(Value, { maxItems: 1000 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 500 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        parts.list(principal, at(params), {
          filter: query.filter,
          partialValues: query.partition_values,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListPartitionNames',
      action: 'partition.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/partition-names`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({
        filter: Type.Optional(Filter),
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      response: Type.Object({ partition_name_list: Type.Array(Type.String()), page_info: PageInfo }),
      handler: ({ principal, params, query }) =>
        parts.names(principal, at(params), {
          filter: query.filter,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListPartitionNamesWithoutLimit',
      action: 'partition.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/names`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({ limit: Type.Integer({ minimum: -1, maximum: 9999999, default: -1 }) }),
      handler: ({ principal, params, query }) => parts.allNames(principal, at(params), query.limit),
    }),
    operation({
      name: 'BatchListPartitionByValues',
      action: 'partition.list',
      group: GROUP,
      method: 'POST',
      path: `${base}/batch-get`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      // As the reference: each value must hold a letter, digit or underscore.
      body: Type.Object({
        values: Type.Array(
          Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: '[a-zA-Z0-9_]' }), {
            minItems: 1,
            maxItems: 1000,
          }),
          { maxItems: PARTITION_BATCH_MAX },
        ),
      }),
      handler: ({ principal, params, body }) => parts.byValues(principal, at(params), body.values),
    }),
    operation({
      name: 'BatchUpdatePartition',
      action: 'partition.alter',
      group: GROUP,
      method: 'POST',
      path: `${base}/batch-alter`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        partition_inputs: Type.Array(Type.Object({ partition_values: Values, partition: PartitionInput }), {
          minItems: 1,
          maxItems: PARTITION_BATCH_MAX,
        }),
      }),
      handler: ({ principal, params, body }) => parts.alter(principal, at(params), body.partition_inputs),
    }),
    operation({
      name: 'BatchDeletePartition',
      action: 'partition.drop',
      group: GROUP,
      method: 'POST',
      path: `${base}/batch-drop`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        partition_values: ValueLists,
        if_exist: Type.Boolean({ default: false }),
        delete_data: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, body }) =>
        parts.drop(principal, at(params), body.partition_values, {
          ifExists: body.if_exist,
          deleteData: body.delete_data,
        }),
    }),
    operation({
      name: 'BatchDeletePartitionedStatistics',
      action: 'partition.truncate',
      group: GROUP,
      method: 'POST',
      path: `${base}/batch-truncate`,
      status: 204,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({ partition_values: Type.Optional(ValueLists) }),
      handler: async ({ principal, params, body }) => {
        await parts.truncate(principal, at(params), body.partition_values ?? []);
      },
    }),

    operation({
      name: 'SetTableColumnStatistics',
      action: 'statistics.update',
      group: TABLE_STATS_GROUP,
      method: 'POST',
      path: `${table}/column-statistics`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        merge: Type.Boolean({ default: false }),
        table_column_statistics: Type.Object({
          column_statistics_desc: Type.Object({ last_analyzed_time: Type.Optional(Type.String({ maxLength: 64 })) }),
          column_statistics_objects: ColumnStatisticsObjects,
        }),
      }),
      handler: ({ principal, params, body }) =>
        stats.setTable(principal, at(params), body.table_column_statistics, body.merge),
    }),
    operation({
      name: 'ListTableColumnStatistics',
      action: 'statistics.show',
      group: TABLE_STATS_GROUP,
      method: 'POST',
      path: `${table}/column-statistics/batch-get`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({ column_names: ColumnNames }),
      handler: ({ principal, params, body }) => stats.listTable(principal, at(params), body.column_names),
    }),
    operation({
      name: 'DeleteTableColumnStatistics',
      action: 'statistics.delete',
      group: TABLE_STATS_GROUP,
      method: 'DELETE',
      path: `${table}/column-statistics`,
      status: 204,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({
        column_name: Type.Optional(Type.String({ minLength: 1, maxLength: 767, pattern: ColumnNamePattern })),
      }),
      handler: async ({ principal, params, query }) => {
        await stats.deleteTable(principal, at(params), query.column_name);
      },
    }),
    operation({
      name: 'SetPartitionColumnStatistics',
      action: 'statistics.update',
      group: STATS_GROUP,
      method: 'POST',
      path: `${base}/column-statistics`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        need_merge: Type.Boolean(),
        statistics: Type.Array(
          Type.Object({
            column_statistics_desc: Type.Object({
              last_analyzed_time: Type.Optional(Type.String({ maxLength: 64 })),
              partition_values: Type.Optional(Values),
            }),
            column_statistics_objects: ColumnStatisticsObjects,
          }),
          { minItems: 1, maxItems: PARTITION_BATCH_MAX },
        ),
      }),
      handler: async ({ principal, params, body }) => {
        await stats.setPartitions(principal, at(params), body.statistics, body.need_merge);
      },
    }),
    operation({
      name: 'BatchShowPartitionColumnStatistics',
      action: 'statistics.show',
      group: STATS_GROUP,
      method: 'POST',
      path: `${base}/column-statistics/batch-get`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        aggregate_statics: Type.Boolean(),
        column_names: ColumnNames,
        partition_values_list: ValueLists,
      }),
      handler: ({ principal, params, body }) =>
        stats.showPartitions(principal, at(params), {
          columnNames: body.column_names,
          partitionValues: body.partition_values_list,
          aggregate: body.aggregate_statics,
        }),
    }),
    operation({
      name: 'DeletePartitionColumnStatistics',
      action: 'statistics.delete',
      group: STATS_GROUP,
      method: 'DELETE',
      path: `${base}/column-statistics`,
      status: 204,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({
        partition_values: Values,
        column_name: Type.Optional(Type.String({ minLength: 1, maxLength: 767, pattern: ColumnNamePattern })),
      }),
      handler: async ({ principal, params, query }) => {
        await stats.deletePartition(principal, at(params), query.partition_values, query.column_name);
      },
    }),
  ];
}
