// Iceberg tables: LakeCat tables of format ICEBERG whose parameters point at their metadata file.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IcebergContext } from './index.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

const TABLE = `${NAMESPACES}/:namespace/tables/:table`;
const tableOf = (request: FastifyRequest): string => (request.params as { table: string }).table;
type Body<T> = T | undefined;

export function tableRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  app.get(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergListTables' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.listTables(p, w, levelsOf(request), request.query as Record<string, string | undefined>);
  });

  app.post(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergCreateTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.iceberg.createTable(p, w, levelsOf(request), request.body as Parameters<typeof s.iceberg.createTable>[3], record));
  });

  app.post(`${NAMESPACES}/:namespace/register`, { config: { operation: 'IcebergRegisterTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.iceberg.registerTable(p, w, levelsOf(request), request.body as Parameters<typeof s.iceberg.registerTable>[3], record));
  });

  app.get(TABLE, { exposeHeadRoute: false, config: { operation: 'IcebergLoadTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const { etag, ...loaded } = await s.iceberg.loadTable(p, w, levelsOf(request), tableOf(request), (request.query as Record<string, string | undefined>).snapshots);
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) return reply.code(304).header('ETag', etag).send();
    return reply.header('ETag', etag).send(loaded);
  });

  app.post(TABLE, { config: { operation: 'IcebergCommitTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 200, (record) =>
      s.iceberg.commitTable(p, w, levelsOf(request), tableOf(request), request.body as Body<{ requirements?: unknown; updates?: unknown }>, record));
  });

  app.head(TABLE, { config: { operation: 'IcebergTableExists' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    return reply.code(204).send();
  });

  app.delete(TABLE, { config: { operation: 'IcebergDropTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const purge = (request.query as Record<string, string | undefined>).purgeRequested === 'true';
    return c.idempotent(request, reply, p, 204, (record) => s.iceberg.dropTable(p, w, levelsOf(request), tableOf(request), purge, record));
  });

  app.post('/v1/:prefix/tables/rename', { config: { operation: 'IcebergRenameTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 204, (record) =>
      s.iceberg.renameTable(p, w, (request.body ?? {}) as { source?: unknown; destination?: unknown }, record));
  });

  app.post('/v1/:prefix/transactions/commit', { config: { operation: 'IcebergCommitTransaction' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    return c.idempotent(request, reply, p, 204, (record) =>
      s.iceberg.commitTransaction(p, w, request.body as Body<{ 'table-changes'?: unknown }>, record));
  });
}
