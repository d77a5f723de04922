// Iceberg namespaces: LakeCat databases of the prefix's catalog (nested ones named by their levels joined with '.').
import type { AppServices } from '../../../services/app-services.js';
import type { Operation } from '../../operation.js';
import {
  CreateNamespaceRequest,
  ListNamespacesQuery,
  ListNamespacesResponse,
  NamespacePath,
  NamespaceResponse,
  PrefixPath,
  UpdateNamespacePropertiesRequest,
  UpdateNamespacePropertiesResponse,
} from '../../schemas/iceberg.js';
import { icebergOperation, idempotent, levelsOf, NAMESPACE, NAMESPACES, warehouseOf } from './context.js';
import { namespaceIn, namespaceOut } from './engine-paths.js';

export function namespaceOperations(s: AppServices): Operation[] {
  const loc = s.engineLocations;
  return [
    icebergOperation({
      name: 'IcebergListNamespaces',
      action: 'database.list',
      method: 'GET',
      path: NAMESPACES,
      status: 200,
      params: PrefixPath,
      query: ListNamespacesQuery,
      response: ListNamespacesResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return s.iceberg.namespaces.listNamespaces(p, w, ctx.query);
      },
    }),
    icebergOperation({
      name: 'IcebergCreateNamespace',
      action: 'database.create',
      method: 'POST',
      path: NAMESPACES,
      status: 200,
      params: PrefixPath,
      body: CreateNamespaceRequest,
      response: NamespaceResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const body = namespaceIn(loc, ctx.body, 'properties');
        return idempotent(
          s,
          ctx,
          p,
          200,
          (record) => s.iceberg.namespaces.createNamespace(p, w, body, record),
          async (answer) => namespaceOut(loc, answer),
        );
      },
    }),
    icebergOperation({
      name: 'IcebergLoadNamespace',
      action: 'database.show',
      method: 'GET',
      path: NAMESPACE,
      status: 200,
      params: NamespacePath,
      response: NamespaceResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return namespaceOut(loc, await s.iceberg.namespaces.loadNamespace(p, w, levelsOf(ctx)));
      },
    }),
    icebergOperation({
      name: 'IcebergNamespaceExists',
      action: 'database.show',
      method: 'HEAD',
      path: NAMESPACE,
      status: 204,
      params: NamespacePath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        await s.iceberg.namespaces.namespace(p, w, levelsOf(ctx));
      },
    }),
    icebergOperation({
      name: 'IcebergDropNamespace',
      action: 'database.drop',
      method: 'DELETE',
      path: NAMESPACE,
      status: 204,
      params: NamespacePath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return idempotent(s, ctx, p, 204, (record) => s.iceberg.namespaces.dropNamespace(p, w, levelsOf(ctx), record));
      },
    }),
    icebergOperation({
      name: 'IcebergUpdateNamespaceProperties',
      action: 'database.alter',
      method: 'POST',
      path: `${NAMESPACE}/properties`,
      status: 200,
      params: NamespacePath,
      body: UpdateNamespacePropertiesRequest,
      response: UpdateNamespacePropertiesResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const body = namespaceIn(loc, ctx.body, 'updates');
        return idempotent(s, ctx, p, 200, (record) =>
          s.iceberg.namespaces.updateNamespaceProperties(p, w, levelsOf(ctx), body, record),
        );
      },
    }),
  ];
}
