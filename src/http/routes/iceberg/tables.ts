// Iceberg tables: LakeCat tables of format ICEBERG whose parameters point at their metadata file.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagOf, type Caller, type IcebergTable } from '../../../services/iceberg/catalog-service.js';
import type { IcebergContext } from './index.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

const TABLE = `${NAMESPACES}/:namespace/tables/:table`;
const tableOf = (request: FastifyRequest): string => (request.params as { table: string }).table;

/**
 * Whether the client accepts vended credentials. The header is a comma-separated list of the
 * mechanisms the client supports, and the spec lets a server use "any or none of" them: the
 * others (remote-signing) are ignored, and the table loads without delegated access.
 */
const asksVended = (request: FastifyRequest): boolean => {
  const h = request.headers['x-iceberg-access-delegation'];
  return (Array.isArray(h) ? h.join(',') : h ?? '').split(',').some((m) => m.trim().toLowerCase() === 'vended-credentials');
};

export function tableRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  /** A LoadTableResult with vended credentials when asked for; secrets are never stored by an HTTP cache. */
  const loadResult = async <R extends { config: Record<string, string> }>(request: FastifyRequest, reply: FastifyReply, p: Caller, t: IcebergTable, result: R) => {
    void reply.header('Vary', 'X-Iceberg-Access-Delegation');
    if (!asksVended(request)) return result;
    void reply.header('Cache-Control', 'no-store');
    return s.icebergCredentials.attach(p, t, result);
  };
  app.get(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergListTables' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.listTables(p, w, levelsOf(request), request.query as Record<string, string | undefined>);
  });

  app.post(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergCreateTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const body = request.body as Parameters<typeof s.iceberg.createTable>[3];
    const created = await s.iceberg.createTable(p, w, levelsOf(request), body);
    if (!asksVended(request)) return created;
    return loadResult(request, reply, p, await s.iceberg.table(p, w, levelsOf(request), body?.name as string), created);
  });

  app.get(TABLE, { exposeHeadRoute: false, config: { operation: 'IcebergLoadTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const t = await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    const etag = etagOf(t.metadataLocation);
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) return reply.code(304).header('ETag', etag).header('Vary', 'X-Iceberg-Access-Delegation').send();
    const metadata = await s.iceberg.readMetadata(t.metadataLocation);
    // The ETag names the metadata only: a 304 leaves the client its credentials, which it refreshes through loadCredentials.
    return reply.header('ETag', etag).send(await loadResult(request, reply, p, t, { 'metadata-location': t.metadataLocation, metadata, config: {} }));
  });

  app.get(`${TABLE}/credentials`, { exposeHeadRoute: false, config: { operation: 'IcebergLoadCredentials' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const t = await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    const credentials = await s.icebergCredentials.vend(p, t);
    return reply.header('Cache-Control', 'no-store').send({ 'storage-credentials': credentials });
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
