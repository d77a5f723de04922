// Iceberg namespaces: LakeCat databases of the prefix's catalog (nested ones named by their levels joined with '.').
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pathLevels } from '../../../services/iceberg/catalog-service.js';
import type { IcebergContext } from './context.js';

export const NAMESPACES = '/v1/:prefix/namespaces';
export const levelsOf = (request: FastifyRequest): string[] => pathLevels((request.params as { namespace: string }).namespace);

export function namespaceRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  app.get(NAMESPACES, { config: { operation: 'IcebergListNamespaces' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.listNamespaces(p, w, request.query as Record<string, string | undefined>);
  });

  app.post(NAMESPACES, { config: { operation: 'IcebergCreateNamespace' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.iceberg.createNamespace(p, w, request.body as { namespace?: unknown; properties?: unknown } | undefined, record));
  });

  // HEAD is its own route (204, no body), so the automatic HEAD of this GET is turned off.
  app.get(`${NAMESPACES}/:namespace`, { exposeHeadRoute: false, config: { operation: 'IcebergLoadNamespace' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.loadNamespace(p, w, levelsOf(request));
  });

  app.head(`${NAMESPACES}/:namespace`, { config: { operation: 'IcebergNamespaceExists' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.iceberg.namespace(p, w, levelsOf(request));
    return reply.code(204).send();
  });

  app.delete(`${NAMESPACES}/:namespace`, { config: { operation: 'IcebergDropNamespace' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 204, (record) => s.iceberg.dropNamespace(p, w, levelsOf(request), record));
  });

  app.post(`${NAMESPACES}/:namespace/properties`, { config: { operation: 'IcebergUpdateNamespaceProperties' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.iceberg.updateNamespaceProperties(p, w, levelsOf(request), (request.body ?? {}) as { removals?: unknown; updates?: unknown }, record));
  });
}
