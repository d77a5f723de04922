// Iceberg tables: LakeCat tables of format ICEBERG whose parameters point at their metadata file.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { etagOf } from '../../../services/iceberg/catalog-service.js';
import type { IcebergContext } from './index.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

const TABLE = `${NAMESPACES}/:namespace/tables/:table`;
const tableOf = (request: FastifyRequest): string => (request.params as { table: string }).table;

export function tableRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  app.get(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergListTables' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.listTables(p, w, levelsOf(request), request.query as Record<string, string | undefined>);
  });

  app.post(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergCreateTable' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.createTable(p, w, levelsOf(request), request.body as Parameters<typeof s.iceberg.createTable>[3]);
  });

  app.get(TABLE, { exposeHeadRoute: false, config: { operation: 'IcebergLoadTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const t = await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    const etag = etagOf(t.metadataLocation);
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) return reply.code(304).header('ETag', etag).send();
    const metadata = await s.iceberg.readMetadata(t.metadataLocation);
    return reply.header('ETag', etag).send({ 'metadata-location': t.metadataLocation, metadata, config: {} });
  });

  app.post(TABLE, { config: { operation: 'IcebergCommitTable' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.commitTable(p, w, levelsOf(request), tableOf(request), request.body as { requirements?: unknown; updates?: unknown } | undefined);
  });

  app.head(TABLE, { config: { operation: 'IcebergTableExists' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    return reply.code(204).send();
  });

  app.delete(TABLE, { config: { operation: 'IcebergDropTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.iceberg.dropTable(p, w, levelsOf(request), tableOf(request), (request.query as Record<string, string | undefined>).purgeRequested === 'true');
    return reply.code(204).send();
  });

  app.post('/v1/:prefix/tables/rename', { config: { operation: 'IcebergRenameTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.iceberg.renameTable(p, w, (request.body ?? {}) as { source?: unknown; destination?: unknown });
    return reply.code(204).send();
  });
}
