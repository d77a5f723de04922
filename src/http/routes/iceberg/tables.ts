// Iceberg tables: LakeCat tables of format ICEBERG whose parameters point at their metadata file.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller, IcebergTable, LoadResult } from '../../../services/iceberg/catalog-service.js';
import type { IcebergContext } from './context.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

const TABLE = `${NAMESPACES}/:namespace/tables/:table`;
const tableOf = (request: FastifyRequest): string => (request.params as { table: string }).table;
type Body<T> = T | undefined;

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
  /** For a create or register: credentials for the table just made, added to its (recorded) answer. */
  const withCredentials = (request: FastifyRequest, reply: FastifyReply, p: Caller, find: () => Promise<IcebergTable>) =>
    asksVended(request) ? async (body: unknown) => loadResult(request, reply, p, await find(), body as LoadResult) : undefined;

  app.get(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergListTables' } }, async (request) => {
    const { p, w } = await c.warehouse(request);
    return s.iceberg.listTables(p, w, levelsOf(request), request.query as Record<string, string | undefined>);
  });

  app.post(`${NAMESPACES}/:namespace/tables`, { config: { operation: 'IcebergCreateTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const body = request.body as Parameters<typeof s.iceberg.createTable>[3];
    // A staged create makes no table yet: there is nothing to vend for.
    const vend = body?.['stage-create'] === true ? undefined : withCredentials(request, reply, p, () => s.iceberg.table(p, w, levelsOf(request), body?.name as string));
    return c.idempotent(request, reply, p, 200, (record) => s.iceberg.createTable(p, w, levelsOf(request), body, record), vend);
  });

  app.post(`${NAMESPACES}/:namespace/register`, { config: { operation: 'IcebergRegisterTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const body = request.body as Parameters<typeof s.iceberg.registerTable>[3];
    const vend = withCredentials(request, reply, p, () => s.iceberg.table(p, w, levelsOf(request), body?.name as string));
    return c.idempotent(request, reply, p, 200, (record) => s.iceberg.registerTable(p, w, levelsOf(request), body, record), vend);
  });

  app.get(TABLE, { exposeHeadRoute: false, config: { operation: 'IcebergLoadTable' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const { etag, table, ...loaded } = await s.iceberg.loadTable(p, w, levelsOf(request), tableOf(request), (request.query as Record<string, string | undefined>).snapshots);
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) {
      return reply.code(304).header('ETag', etag).header('Vary', 'X-Iceberg-Access-Delegation').send();
    }
    // The ETag names the metadata only: a 304 leaves the client its credentials, which it refreshes through loadCredentials.
    return reply.header('ETag', etag).send(await loadResult(request, reply, p, table, loaded));
  });

  app.get(`${TABLE}/credentials`, { exposeHeadRoute: false, config: { operation: 'IcebergLoadCredentials' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    const t = await s.iceberg.table(p, w, levelsOf(request), tableOf(request));
    const credentials = await s.icebergCredentials.vend(p, t);
    return reply.header('Cache-Control', 'no-store').send({ 'storage-credentials': credentials });
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
