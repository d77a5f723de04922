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
  OwnerSource,
  OwnerType,
  PageInfo,
} from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Function';
const FunctionName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_]+$' });
const FunctionPath = Type.Object({
  project_id: ProjectId,
  instance_id: InstanceRef,
  catalog_name: CatalogName,
  database_name: DatabaseRef,
  function_name: FunctionName,
});
const ResourceUri = Type.Object({
  type: Type.Union([Type.Literal('JAR'), Type.Literal('FILE'), Type.Literal('ARCHIVE')]),
  uri: Type.String({ minLength: 1, maxLength: 4000 }),
});

const FunctionInput = Type.Object({
  function_name: FunctionName,
  class_name: Type.String({ minLength: 1, maxLength: 4000 }),
  function_type: Type.Optional(Type.Literal('JAVA')),
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_.-]+$' })),
  owner_type: Type.Optional(OwnerType),
  owner_auth_source_type: Type.Optional(OwnerSource),
  resource_uris: Type.Optional(Type.Array(ResourceUri, { maxItems: 1000 })),
  create_time: Type.Optional(Type.String()),
});
const Fn = Type.Object({
  catalog_name: Type.String(),
  database_name: Type.String(),
  function_name: Type.String(),
  class_name: Type.String(),
  function_type: Type.String(),
  owner: Type.String(),
  owner_type: Type.String(),
  owner_auth_source_type: Type.String(),
  resource_uris: Type.Array(Type.Object({ type: Type.String(), uri: Type.String() })),
  create_time: Type.String(),
  update_time: Type.String(),
});
const FnPage = Type.Object({ functions: Type.Array(Fn), page_info: PageInfo });
const Pattern = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_|*.]*$' });

export function functionOperations(s: AppServices): Operation[] {
  const f = s.functions;
  const base = '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/{database_name}/functions';
  return [
    operation({
      name: 'CreateFunction',
      action: 'function.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 201,
      params: DatabasePath,
      body: FunctionInput,
      response: Fn,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        f.create(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, body),
    }),
    operation({
      name: 'ListFunctions',
      action: 'function.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: DatabasePath,
      response: FnPage,
      rateLimited: true,
      query: Type.Object({
        function_name_pattern: Type.Optional(Pattern),
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        f.list(principal, params.project_id, params.instance_id, params.catalog_name, params.database_name, {
          pattern: query.function_name_pattern,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListAllFunctions',
      action: 'function.search',
      group: GROUP,
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/functions',
      status: 200,
      params: CatalogPath,
      response: FnPage,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        f.listAll(principal, params.project_id, params.instance_id, params.catalog_name, {
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListFunctionNames',
      action: 'function.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/names`,
      status: 200,
      params: DatabasePath,
      rateLimited: true,
      query: Type.Object({ function_pattern: Type.Optional(Pattern) }),
      response: Type.Array(Type.String()),
      handler: ({ principal, params, query }) =>
        f.names(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          query.function_pattern,
        ),
    }),
    operation({
      name: 'ShowFunction',
      action: 'function.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{function_name}`,
      status: 200,
      params: FunctionPath,
      response: Fn,
      rateLimited: true,
      handler: ({ principal, params }) =>
        f.show(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.function_name,
        ),
    }),
    operation({
      // The reference updates functions with POST on the function's own path.
      name: 'UpdateFunction',
      action: 'function.alter',
      group: GROUP,
      method: 'POST',
      path: `${base}/{function_name}`,
      status: 200,
      params: FunctionPath,
      body: FunctionInput,
      response: Fn,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        f.update(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.function_name,
          body,
        ),
    }),
    operation({
      name: 'DeleteFunction',
      action: 'function.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{function_name}`,
      status: 200,
      params: FunctionPath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await f.delete(
          principal,
          params.project_id,
          params.instance_id,
          params.catalog_name,
          params.database_name,
          params.function_name,
        );
      },
    }),
  ];
}
