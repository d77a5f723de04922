import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { CatalogPath, DatabaseName, DatabasePath, OwnerSource, OwnerType, PageInfo } from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Database';
const Location = Type.String({ maxLength: 4000 });

const DatabaseInput = Type.Object({
  database_name: DatabaseName,
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  location: Type.Optional(Location),
  database_type: Type.Optional(Type.Union([Type.Literal('MANAGED_DATABASE'), Type.Literal('FOREIGN_DATABASE')])),
  external_database_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  connection_name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_-]*$' }),
  ),
  data_statistic_enable: Type.Optional(Type.Boolean()),
  owner: Type.Optional(Type.String({ maxLength: 128, pattern: '^[a-zA-Z0-9_.-]*$' })),
  owner_type: Type.Optional(OwnerType),
  owner_auth_source_type: Type.Optional(OwnerSource),
  parameters: Type.Optional(
    Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 409600 }), { maxProperties: 1000 }),
  ),
  function_location_list: Type.Optional(Type.Array(Location, { maxItems: 1000 })),
  table_location_list: Type.Optional(Type.Array(Location, { maxItems: 1000 })),
});
// The reference's UpdateDatabase example sends the catalog's name too; the path names the catalog.
const DatabaseUpdate = Type.Object({
  ...DatabaseInput.properties,
  catalog_name: Type.Optional(Type.String({ maxLength: 256 })),
});

const Database = Type.Object({
  catalog_name: Type.String(),
  database_name: Type.String(),
  description: Type.String(),
  location: Type.String(),
  database_type: Type.String(),
  external_database_id: Type.Optional(Type.String()),
  connection_name: Type.Optional(Type.String()),
  data_statistic_enable: Type.Boolean(),
  owner: Type.String(),
  owner_type: Type.String(),
  owner_auth_source_type: Type.String(),
  parameters: Type.Record(Type.String(), Type.String()),
  function_location_list: Type.Array(Type.String()),
  table_location_list: Type.Array(Type.String()),
  create_time: Type.String(),
  update_time: Type.String(),
  // A dropped database in the recycle bin (deleted=true).
  recycle_bin_id: Type.Optional(Type.String()),
  drop_time: Type.Optional(Type.String()),
  dropped_by: Type.Optional(Type.String()),
  purge_time: Type.Optional(Type.String()),
});

const Pattern = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_|*.-]*$' });

export function databaseOperations(s: AppServices): Operation[] {
  const d = s.databases;
  const base = '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases';
  return [
    operation({
      name: 'CreateDatabase',
      action: 'database.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 201,
      params: CatalogPath,
      body: DatabaseInput,
      response: Database,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        d.create(principal, params.project_id, params.instance_id, params.catalog_name, body),
    }),
    operation({
      name: 'ListDatabases',
      action: 'database.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: CatalogPath,
      rateLimited: true,
      query: Type.Object({
        database_name_pattern: Type.Optional(Pattern),
        limit: Type.Integer({ minimum: 0, maximum: 1000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
        external_database_id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
        deleted: Type.Boolean({ default: false }),
      }),
      response: Type.Object({ databases: Type.Array(Database), page_info: PageInfo }),
      handler: ({ principal, params, query }) =>
        d.list(principal, params.project_id, params.instance_id, params.catalog_name, {
          pattern: query.database_name_pattern,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
          externalDatabaseId: query.external_database_id,
          deleted: query.deleted,
        }),
    }),
    operation({
      name: 'ListDatabaseNames',
      action: 'database.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/names`,
      status: 200,
      params: CatalogPath,
      rateLimited: true,
      query: Type.Object({ database_pattern: Type.Optional(Pattern) }),
      response: Type.Array(Type.String()),
      handler: ({ principal, params, query }) =>
        d.names(principal, params.project_id, params.instance_id, params.catalog_name, query.database_pattern),
    }),
    operation({
      name: 'ShowDatabase',
      action: 'database.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{database_name}`,
      status: 200,
      params: DatabasePath,
      response: Database,
      rateLimited: true,
      handler: ({ principal, params }) =>
        d.show(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name),
    }),
    operation({
      name: 'UpdateDatabase',
      action: 'database.alter',
      group: GROUP,
      method: 'PUT',
      path: `${base}/{database_name}`,
      status: 200,
      params: DatabasePath,
      body: DatabaseUpdate,
      response: Database,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        d.update(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, body),
    }),
    operation({
      name: 'RestoreDatabase',
      action: 'database.restore',
      group: GROUP,
      method: 'POST',
      path: `${base}/{database_name}/restore`,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      body: Type.Object({
        recycle_bin_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        new_database_name: Type.Optional(DatabaseName),
      }),
      response: Database,
      handler: ({ principal, params, body }) =>
        d.restore(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          { name: params.database_name, id: body.recycle_bin_id },
          body.new_database_name,
        ),
    }),
    operation({
      name: 'DeleteDatabase',
      action: 'database.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{database_name}`,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      query: Type.Object({
        delete_data: Type.Boolean({ default: false }),
        cascade: Type.Boolean({ default: false }),
        is_async: Type.Boolean({ default: false }),
      }),
      handler: async ({ principal, params, query }) => {
        await d.delete(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, {
          cascade: query.cascade,
          deleteData: query.delete_data,
          isAsync: query.is_async,
        });
      },
    }),
  ];
}
