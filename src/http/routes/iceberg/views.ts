// Iceberg views: LakeCat VIRTUAL_VIEWs of format ICEBERG whose parameters point at their view metadata file.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CreateViewRequest } from '../../../services/iceberg/view-metadata.js';
import type { IcebergContext } from './context.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

const VIEW = `${NAMESPACES}/:namespace/views/:view`;
const viewOf = (request: FastifyRequest): string => (request.params as { view: string }).view;

export function viewRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  app.get(`${NAMESPACES}/:namespace/views`, { config: { operation: 'IcebergListViews' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.icebergViews.listViews(p, w, levelsOf(request), request.query as Record<string, string | undefined>);
  });

  app.post(`${NAMESPACES}/:namespace/views`, { config: { operation: 'IcebergCreateView' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) => s.icebergViews.createView(p, w, levelsOf(request), request.body as CreateViewRequest | undefined, record));
  });

  app.get(VIEW, { exposeHeadRoute: false, config: { operation: 'IcebergLoadView' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.icebergViews.loadView(p, w, levelsOf(request), viewOf(request));
  });

  app.head(VIEW, { config: { operation: 'IcebergViewExists' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.icebergViews.view(p, w, levelsOf(request), viewOf(request));
    return reply.code(204).send();
  });

  app.post(VIEW, { config: { operation: 'IcebergReplaceView' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.icebergViews.replaceView(p, w, levelsOf(request), viewOf(request), request.body as { requirements?: unknown; updates?: unknown } | undefined, record));
  });

  app.delete(VIEW, { config: { operation: 'IcebergDropView' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 204, (record) => s.icebergViews.dropView(p, w, levelsOf(request), viewOf(request), record));
  });

  app.post('/v1/:prefix/views/rename', { config: { operation: 'IcebergRenameView' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 204, (record) => s.icebergViews.renameView(p, w, (request.body ?? {}) as { source?: unknown; destination?: unknown }, record));
  });
}
