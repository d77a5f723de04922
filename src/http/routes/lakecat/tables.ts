import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { ProjectId } from '../../schemas/common.js';
import {
  CatalogName,
  CatalogPath,
  DatabasePath,
  DatabaseRef,
  InstanceRef,
  OwnerType,
  PageInfo,
  TableRef,
} from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Table';
export const TableName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_]+$' });
export const TablePath = Type.Object({
  project_id: ProjectId,
  instance_id: InstanceRef,
  catalog_name: CatalogName,
  database_name: DatabaseRef,
  table_name: TableRef,
});
const TableType = Type.Union(
  ['MANAGED_TABLE', 'EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'MATERIALIZED_VIEW', 'DICTIONARY_TABLE', 'LAKE_TABLE'].map((v) =>
    Type.Literal(v),
  ),
);
const TableFormat = Type.Union(['HIVE', 'ICEBERG', 'LANCE', 'HUDI', 'DELTA', 'PAIMON'].map((v) => Type.Literal(v)));
export const Params = Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 409600 }), {
  maxProperties: 2000,
});
export const Column = Type.Object({
  column_name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_\\-+*\\\\(), \\u4e00-\\u9fa5]+$' }),
  column_type: Type.String({ minLength: 1, maxLength: 40000 }),
  comment: Type.Optional(Type.String({ maxLength: 4000 })),
});
export const StorageDescriptor = Type.Object({
  columns: Type.Array(Column, { maxItems: 10000 }),
  location: Type.Optional(Type.String({ maxLength: 4000 })),
  input_format: Type.Optional(Type.String({ maxLength: 4000 })),
  output_format: Type.Optional(Type.String({ maxLength: 4000 })),
  compressed: Type.Optional(Type.Boolean()),
  number_of_buckets: Type.Optional(Type.Integer({ minimum: -1 })),
  bucket_columns: Type.Optional(Type.Array(Type.String({ maxLength: 256 }))),
  sort_columns: Type.Optional(
    Type.Array(
      Type.Object({
        column: Type.Optional(Type.String({ maxLength: 256 })),
        sort_order: Type.Optional(Type.Integer()),
      }),
    ),
  ),
  parameters: Type.Optional(Params),
  serde_info: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String()),
      serialization_library: Type.Optional(Type.String()),
      parameters: Type.Optional(Params),
    }),
  ),
  skewed_info: Type.Optional(
    Type.Object({
      skewed_column_names: Type.Array(Type.String()),
      skewed_column_values: Type.Array(Type.Array(Type.String())),
      skewed_column_value_location_maps: Type.Record(Type.String(), Type.String()),
    }),
  ),
  stored_as_sub_directories: Type.Optional(Type.Boolean()),
});
const tableFields = {
  table_type: TableType,
  table_format: Type.Optional(TableFormat),
  owner: Type.Optional(Type.String({ maxLength: 128, pattern: '^[a-zA-Z0-9_.-]*$' })),
  owner_type: Type.Optional(OwnerType),
  comments: Type.Optional(Type.String({ maxLength: 4000 })),
  parameters: Type.Optional(Params),
  partition_keys: Type.Optional(Type.Array(Column, { maxItems: 1000 })),
  retention: Type.Optional(Type.Integer({ minimum: 0 })),
  storage_descriptor: StorageDescriptor,
  view_original_text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
  view_expanded_text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
  data_statistic_enable: Type.Optional(Type.Boolean()),
  ignore_obs_checked: Type.Optional(Type.Boolean()),
  last_access_time: Type.Optional(Type.String()),
  last_analyzed_time: Type.Optional(Type.String()),
  create_time: Type.Optional(Type.String()),
  external_table_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  create_open_table_format_input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};
const CreateTableInput = Type.Object({ table_name: TableName, ...tableFields, owner_type: OwnerType });
const UpdateTableInput = Type.Object({
  table_name: Type.Optional(TableName),
  ...Object.fromEntries(Object.entries(tableFields).map(([k, v]) => [k, Type.Optional(v)])),
  version_id: Type.Optional(Type.String({ maxLength: 64 })),
});
const Pattern = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_|*.-]*$' });
const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  marker: Type.Optional(Type.String({ maxLength: 256 })),
  reverse_page: Type.Boolean({ default: false }),
};

export function tableOperations(s: AppServices): Operation[] {
  const t = s.tables;
  const base = '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/{database_name}/tables';
  return [
    operation({
      name: 'CreateTable',
      action: 'table.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 201,
      params: DatabasePath,
      body: CreateTableInput,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        t.create(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, body),
    }),
    operation({
      name: 'ListTables',
      action: 'table.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      query: Type.Object({
        table_name_pattern: Type.Optional(Type.String({ maxLength: 256 })),
        table_format: Type.Optional(TableFormat),
        table_type: Type.Optional(TableType),
        filter: Type.Optional(Type.String({ maxLength: 4096 })),
        deleted: Type.Boolean({ default: false }),
        include_fields: Type.Optional(Type.String({ maxLength: 1024 })),
        ...Paging,
        // Up to 5,000 when only names are asked for (checked by the service).
        limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100 }),
      }),
      response: Type.Object({ tables: Type.Array(Type.Record(Type.String(), Type.Unknown())), page_info: PageInfo }),
      handler: ({ principal, params, query }) =>
        t.list(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, {
          pattern: query.table_name_pattern || undefined,
          format: query.table_format,
          type: query.table_type,
          filter: query.filter || undefined,
          deleted: query.deleted,
          includeFields: query.include_fields
            ? query.include_fields.split(',').map((f) => f.trim().toLowerCase())
            : undefined,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListTableNames',
      action: 'table.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/names`,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      query: Type.Object({ table_pattern: Type.Optional(Pattern), table_type: Type.Optional(TableType) }),
      response: Type.Array(Type.String()),
      handler: ({ principal, params, query }) =>
        t.names(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          query.table_pattern,
          query.table_type,
        ),
    }),
    operation({
      name: 'ListTableMeta',
      action: 'table.search',
      group: GROUP,
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/tables',
      status: 200,
      params: CatalogPath,
      rateLimited: true,
      query: Type.Object({
        database_name_pattern: Type.Optional(Pattern),
        table_name_pattern: Type.Optional(Pattern),
        table_types: Type.Optional(Type.Array(TableType, { maxItems: 10 })),
        ...Paging,
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 1000 }),
      }),
      handler: ({ principal, params, query }) =>
        t.meta(principal, params.project_id, params.instance_id, params.catalog_name, {
          databasePattern: query.database_name_pattern,
          pattern: query.table_name_pattern,
          types: query.table_types,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListTablesByName',
      action: 'table.list',
      group: GROUP,
      method: 'POST',
      path: `${base}/list-by-names`,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      body: Type.Object({ table_names: Type.Array(TableName, { minItems: 1, maxItems: 1000 }) }),
      handler: ({ principal, params, body }) =>
        t.byNames(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          body.table_names,
        ),
    }),
    operation({
      name: 'ShowTable',
      action: 'table.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{table_name}`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({ version_id: Type.Optional(Type.String({ maxLength: 64 })) }),
      handler: ({ principal, params, query }) =>
        t.show(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.table_name,
          query.version_id,
        ),
    }),
    operation({
      name: 'UpdateTable',
      action: 'table.alter',
      group: GROUP,
      method: 'PUT',
      path: `${base}/{table_name}`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        table: UpdateTableInput,
        version_id: Type.Optional(Type.String({ maxLength: 64 })),
        is_async: Type.Optional(Type.Boolean()),
        alter_params: Type.Optional(
          Type.Record(Type.String({ maxLength: 255 }), Type.Union([Type.String({ maxLength: 255 }), Type.Boolean()])),
        ),
      }),
      handler: ({ principal, params, body }) =>
        t.update(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.table_name,
          {
            table: body.table as never,
            version_id: body.version_id,
            alterParams: body.alter_params,
            isAsync: body.is_async,
          },
        ),
    }),
    // Not in the reference: the versions a table keeps (what ShowTable's version_id reads), newest first.
    operation({
      name: 'ListTableVersions',
      action: 'table.versions',
      group: 'lakeform/Table',
      method: 'GET',
      path: `${base}/{table_name}/versions`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        marker: Type.Optional(Type.String({ maxLength: 32 })),
      }),
      handler: ({ principal, params, query }) =>
        t.versions(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.table_name,
          { limit: query.limit, marker: query.marker || undefined },
        ),
    }),
    operation({
      // The SDKs call it DeleteAllTables; it truncates the one table in the path.
      name: 'DeleteAllTables',
      action: 'table.truncate',
      group: GROUP,
      method: 'POST',
      path: `${base}/{table_name}/truncate`,
      status: 204,
      params: TablePath,
      rateLimited: true,
      bodyRequired: false,
      handler: async ({ principal, params }) => {
        await t.truncate(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.table_name,
        );
      },
    }),
    operation({
      name: 'RestoreTable',
      action: 'table.restore',
      group: GROUP,
      method: 'POST',
      path: `${base}/{table_name}/restore`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      body: Type.Object({
        recycle_bin_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        new_table_name: Type.Optional(TableRef),
      }),
      response: Type.Record(Type.String(), Type.Unknown()),
      handler: ({ principal, params, body }) =>
        t.restore(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          { name: params.table_name, id: body.recycle_bin_id },
          body.new_table_name,
        ),
    }),
    operation({
      name: 'DeleteTable',
      action: 'table.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{table_name}`,
      status: 200,
      params: TablePath,
      rateLimited: true,
      query: Type.Object({ delete_data: Type.Boolean({ default: false }), is_async: Type.Boolean({ default: false }) }),
      handler: async ({ principal, params, query }) => {
        await t.delete(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.table_name,
          { deleteData: query.delete_data, isAsync: query.is_async },
        );
      },
    }),
  ];
}
