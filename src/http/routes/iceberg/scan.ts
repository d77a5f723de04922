// Iceberg server-side scan planning: planTableScan, fetchPlanningResult, cancelPlanning and
// fetchScanTasks. Each needs the table's SELECT (the service checks it); a completed plan carries
// vended credentials when the client asks for them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../../services/app-services.js';
import type { Caller, IcebergTable } from '../../../services/iceberg/catalog-service.js';
import type { PlanResult } from '../../../services/iceberg/scan/scan-planning.js';
import type { Operation } from '../../operation.js';
import {
  FetchScanTasksRequest,
  FetchScanTasksResult,
  PlanningResult,
  PlanPath,
  PlanTableScanRequest,
  TablePath,
} from '../../schemas/iceberg.js';
import { asksVended, icebergOperation, levelsOf, NAMESPACE, warehouseOf } from './context.js';
import { loadResultOut } from './engine-paths.js';

const TABLE = `${NAMESPACE}/tables/{table}`;

export function scanOperations(s: AppServices): Operation[] {
  /** The wire form of a result: a failure is the spec's FailedPlanningResult, an error model with its status. */
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    p: Caller,
    t: IcebergTable,
    r: PlanResult,
  ): Promise<unknown> => {
    void reply.header('Cache-Control', 'no-store');
    if (r.status === 'failed')
      return { status: 'failed', error: { message: r.message, type: 'PlanningFailedException', code: 500 } };
    if (r.status !== 'completed' || !asksVended(request)) return r;
    return s.icebergCredentials
      .attach(p, t, { ...r, config: {} })
      .then(({ config: _, ...withCredentials }) => loadResultOut(s.engineLocations, withCredentials));
  };
  return [
    icebergOperation({
      name: 'IcebergPlanTableScan',
      action: 'table.select',
      method: 'POST',
      path: `${TABLE}/plan`,
      status: 200,
      params: TablePath,
      body: PlanTableScanRequest,
      bodyRequired: false,
      response: PlanningResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const { result, table } = await s.icebergPlanning.plan(p, w, levelsOf(ctx), ctx.params.table, ctx.body);
        return answer(ctx.request, ctx.reply, p, table, result);
      },
    }),
    icebergOperation({
      name: 'IcebergFetchPlanningResult',
      action: 'table.select',
      method: 'GET',
      path: `${TABLE}/plan/{plan-id}`,
      status: 200,
      params: PlanPath,
      response: PlanningResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        const { result, table } = await s.icebergPlanning.result(
          p,
          w,
          levelsOf(ctx),
          ctx.params.table,
          ctx.params.plan_id,
        );
        return answer(ctx.request, ctx.reply, p, table, result);
      },
    }),
    icebergOperation({
      name: 'IcebergCancelPlanning',
      action: 'table.select',
      method: 'DELETE',
      path: `${TABLE}/plan/{plan-id}`,
      status: 204,
      params: PlanPath,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        await s.icebergPlanning.cancel(p, w, levelsOf(ctx), ctx.params.table, ctx.params.plan_id);
      },
    }),
    icebergOperation({
      name: 'IcebergFetchScanTasks',
      action: 'table.select',
      method: 'POST',
      path: `${TABLE}/tasks`,
      status: 200,
      params: TablePath,
      body: FetchScanTasksRequest,
      response: FetchScanTasksResult,
      handler: async (ctx) => {
        const { p, w } = await warehouseOf(s, ctx);
        ctx.reply.header('Cache-Control', 'no-store');
        return s.icebergPlanning.tasks(p, w, levelsOf(ctx), ctx.params.table, ctx.body['plan-task']);
      },
    }),
  ];
}
