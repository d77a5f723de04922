import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { CatalogName, CatalogPath, InstanceScope, OwnerSource, OwnerType } from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Catalog';
const Owner = {
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9_]+$' })),
  owner_type: Type.Optional(OwnerType),
  owner_source: Type.Optional(OwnerSource),
};
const Location = Type.String({ minLength: 1, maxLength: 4000 });
const CatalogInput = Type.Object({
  catalog_name: CatalogName,
  branch_name: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z_0-9]+$' })),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
  location: Type.Optional(Location),
  database_location_list: Type.Optional(Type.Array(Location, { maxItems: 1000 })),
  ...Owner,
});
const Catalog = Type.Object({
  catalog_name: Type.String(),
  branch_name: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  location: Type.String(),
  database_location_list: Type.Array(Type.String()),
  owner: Type.String(),
  owner_type: Type.String(),
  owner_source: Type.String(),
  create_time: Type.String(),
  update_time: Type.String(),
});

export function catalogOperations(s: AppServices): Operation[] {
  const c = s.catalogs;
  return [
    operation({
      name: 'CreateCatalog',
      action: 'catalog.create',
      group: GROUP,
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs',
      status: 201,
      params: InstanceScope,
      body: CatalogInput,
      response: Catalog,
      rateLimited: true,
      handler: ({ principal, params, body }) => c.create(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      name: 'ListCatalogs',
      action: 'catalog.list',
      group: GROUP,
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs',
      status: 200,
      params: InstanceScope,
      response: Type.Array(Catalog),
      rateLimited: true,
      handler: ({ principal, params }) => c.list(principal, params.project_id, params.instance_id),
    }),
    operation({
      name: 'ShowCatalog',
      action: 'catalog.show',
      group: GROUP,
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}',
      status: 200,
      params: CatalogPath,
      response: Catalog,
      rateLimited: true,
      handler: ({ principal, params }) => c.show(principal, params.project_id, params.instance_id, params.catalog_name),
    }),
    operation({
      name: 'UpdateCatalog',
      action: 'catalog.alter',
      group: GROUP,
      method: 'PUT',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}',
      status: 200,
      params: CatalogPath,
      body: CatalogInput,
      response: Catalog,
      rateLimited: true,
      handler: ({ principal, params, body }) =>
        c.update(principal, params.project_id, params.instance_id, params.catalog_name, body),
    }),
    operation({
      name: 'DeleteCatalog',
      action: 'catalog.drop',
      group: GROUP,
      method: 'DELETE',
      path: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}',
      status: 200,
      params: CatalogPath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await c.delete(principal, params.project_id, params.instance_id, params.catalog_name);
      },
    }),
  ];
}
