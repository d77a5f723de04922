// Iceberg tables: LakeCat tables of format ICEBERG whose parameters point at their metadata file;
// and the metrics reports clients send about them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../../services/app-services.js';
import type { Caller, IcebergTable, LoadResult } from '../../../services/iceberg/catalog-service.js';
import type { Operation } from '../../operation.js';
import {
  CommitTableRequest,
  CommitTableResponse,
  CommitTransactionRequest,
  CreateTableRequest,
  CredentialsQuery,
  DropTableQuery,
  ListTablesResponse,
  LoadCredentialsResponse,
  LoadTableQuery,
  LoadTableResult,
  NamespacePath,
  PageQuery,
  PrefixPath,
  RegisterTableRequest,
  RenameTableRequest,
  ReportMetricsRequest,
  TablePath,
} from '../../schemas/iceberg.js';
import {
  asksVended,
  icebergOperation,
  idempotent,
  idempotentShaped,
  levelsOf,
  NAMESPACE,
  V1,
  warehouseOf,
  withLazyWarehouse,
} from './context.js';
import { commitIn, createIn, loadResultOut, loadTableOut, registerIn, transactionIn } from './engine-paths.js';

const TABLES = `${NAMESPACE}/tables`;
const TABLE = `${TABLES}/{table}`;

export function tableOperations(s: AppServices): Operation[] {
  const loc = s.engineLocations;
  const out = async (body: unknown) => loadResultOut(loc, body);
  /**
   * A LoadTableResult with vended credentials when asked for, in engine locations; secrets are never
   * stored by an HTTP cache.
   */
  const loadResult = async <R extends { config: Record<string, string> }>(
    request: FastifyRequest,
    reply: FastifyReply,
    p: Caller,
    t: IcebergTable,
    result: R,
  ) => {
    void reply.header('Vary', 'X-Iceberg-Access-Delegation');
    if (!asksVended(request)) return loadResultOut(loc, result);
    void reply.header('Cache-Control', 'no-store');
    return loadResultOut(loc, await s.icebergCredentials.attach(p, t, result));
  };
  /** For a create or register: its (recorded) answer in engine locations, with credentials for the table just made. */
  const withCredentials = (
    request: FastifyRequest,
    reply: FastifyReply,
    p: Caller,
    find: () => Promise<IcebergTable>,
  ) =>
    asksVended(request)
      ? async (body: unknown) => loadResult(request, reply, p, await find(), body as LoadResult)
      : out;

  return [
    icebergOperation({
      name: 'IcebergListTables',
      action: 'table.list',
      method: 'GET',
      path: TABLES,
      status: 200,
      params: NamespacePath,
      query: PageQuery,
      response: ListTablesResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return s.iceberg.tables.listTables(p, w, levelsOf(ctx), ctx.query);
      },
    }),
    icebergOperation({
      name: 'IcebergCreateTable',
      action: 'table.create',
      method: 'POST',
      path: TABLES,
      status: 200,
      params: NamespacePath,
      body: CreateTableRequest,
      response: LoadTableResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const { request, reply } = ctx;
        const body = createIn(loc, ctx.body);
        // A staged create makes no table yet: there is nothing to vend for.
        const vend =
          body['stage-create'] === true
            ? out
            : withCredentials(request, reply, p, () => s.iceberg.tables.table(p, w, levelsOf(ctx), body.name));
        return idempotent(
          s,
          ctx,
          p,
          200,
          (record) => s.iceberg.tables.createTable(p, w, levelsOf(ctx), body, record),
          vend,
        );
      },
    }),
    icebergOperation({
      name: 'IcebergRegisterTable',
      action: 'table.create',
      method: 'POST',
      path: `${NAMESPACE}/register`,
      status: 200,
      params: NamespacePath,
      body: RegisterTableRequest,
      response: LoadTableResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const vend = withCredentials(ctx.request, ctx.reply, p, () =>
          s.iceberg.tables.table(p, w, levelsOf(ctx), ctx.body.name),
        );
        return idempotent(
          s,
          ctx,
          p,
          200,
          (record) => s.iceberg.registration.registerTable(p, w, levelsOf(ctx), registerIn(loc, ctx.body), record),
          vend,
        );
      },
    }),
    icebergOperation({
      name: 'IcebergLoadTable',
      action: 'table.show',
      method: 'GET',
      path: TABLE,
      status: 200,
      params: TablePath,
      query: LoadTableQuery,
      response: LoadTableResult,
      handler: async (ctx) => {
        const p = ctx.principal as Caller;
        const { request, reply } = ctx;
        // The warehouse is checked and the call counted (see warehouseOf) in load, which may answer as before.
        const {
          etag,
          table,
          result: loaded,
        } = await s.iceberg.tables.load(
          p,
          ctx.params.prefix,
          levelsOf(ctx),
          ctx.params.table,
          ctx.query.snapshots,
          (w) => ctx.rateLimit(p.projectId, w.instanceId),
        );
        const match = request.headers['if-none-match'];
        if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) {
          reply.code(304).header('ETag', etag).header('Vary', 'X-Iceberg-Access-Delegation');
          return undefined;
        }
        // The ETag names the metadata only: a 304 leaves the client its credentials, which it
        // refreshes through loadCredentials.
        reply.header('ETag', etag);
        if (asksVended(request)) return loadResult(request, reply, p, table, loaded);
        reply.header('Vary', 'X-Iceberg-Access-Delegation');
        return loadTableOut(loc, loaded);
      },
    }),
    icebergOperation({
      name: 'IcebergLoadCredentials',
      action: 'credential.show',
      method: 'GET',
      path: `${TABLE}/credentials`,
      status: 200,
      params: TablePath,
      query: CredentialsQuery,
      response: LoadCredentialsResponse,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const t = await s.iceberg.tables.table(p, w, levelsOf(ctx), ctx.params.table);
        const credentials = await s.icebergCredentials.vend(p, t);
        ctx.reply.header('Cache-Control', 'no-store');
        return loadResultOut(loc, { 'storage-credentials': credentials });
      },
    }),
    icebergOperation({
      name: 'IcebergCommitTable',
      action: 'table.alter',
      method: 'POST',
      path: TABLE,
      status: 200,
      params: TablePath,
      body: CommitTableRequest,
      response: CommitTableResponse,
      handler: async (ctx) =>
        withLazyWarehouse(s, ctx, async (p, w) => {
          // A recorded answer is given again without reading the table: the warehouse is checked first then.
          if (ctx.request.headers['idempotency-key'] !== undefined) await w.settle?.(false);
          const body = commitIn(loc, ctx.body);
          // The answer's engine form is made while the new metadata file's fsync is in flight.
          return idempotentShaped(
            s,
            ctx,
            p,
            200,
            (record, shape) =>
              s.iceberg.commits.commitTable(p, w, levelsOf(ctx), ctx.params.table, body, record, shape),
            (answer) => loadResultOut(loc, answer),
          );
        }),
    }),
    icebergOperation({
      name: 'IcebergTableExists',
      action: 'table.show',
      method: 'HEAD',
      path: TABLE,
      status: 204,
      params: TablePath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        await s.iceberg.tables.table(p, w, levelsOf(ctx), ctx.params.table);
      },
    }),
    icebergOperation({
      name: 'IcebergDropTable',
      action: 'table.drop',
      method: 'DELETE',
      path: TABLE,
      status: 204,
      params: TablePath,
      query: DropTableQuery,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const purge = ctx.query.purgeRequested === 'true';
        return idempotent(s, ctx, p, 204, (record) =>
          s.iceberg.tables.dropTable(p, w, levelsOf(ctx), ctx.params.table, purge, record),
        );
      },
    }),
    icebergOperation({
      name: 'IcebergRenameTable',
      action: 'table.alter',
      method: 'POST',
      path: `${V1}/{prefix}/tables/rename`,
      status: 204,
      params: PrefixPath,
      body: RenameTableRequest,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        return idempotent(s, ctx, p, 204, (record) => s.iceberg.tables.renameTable(p, w, ctx.body, record));
      },
    }),
    icebergOperation({
      name: 'IcebergCommitTransaction',
      action: 'table.alter',
      method: 'POST',
      path: `${V1}/{prefix}/transactions/commit`,
      status: 204,
      params: PrefixPath,
      body: CommitTransactionRequest,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const body = transactionIn(loc, ctx.body);
        return idempotent(s, ctx, p, 204, (record) => s.iceberg.commits.commitTransaction(p, w, body, record));
      },
    }),
    // Metrics reports of Iceberg clients: accepted (204) and kept by the metrics service.
    icebergOperation({
      name: 'IcebergReportMetrics',
      action: 'table.show',
      method: 'POST',
      path: `${TABLE}/metrics`,
      status: 204,
      params: TablePath,
      body: ReportMetricsRequest,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        await s.icebergMetrics.report(p, w, levelsOf(ctx), ctx.params.table, ctx.body);
      },
    }),
  ];
}
