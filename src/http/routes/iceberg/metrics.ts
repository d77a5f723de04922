// Metrics reports of Iceberg clients: accepted (204) and kept by the metrics service.
import type { FastifyInstance } from 'fastify';
import type { IcebergContext } from './context.js';
import { levelsOf, NAMESPACES } from './namespaces.js';

export function metricsRoutes(app: FastifyInstance, c: IcebergContext): void {
  const { s } = c;
  app.post(`${NAMESPACES}/:namespace/tables/:table/metrics`, { config: { operation: 'IcebergReportMetrics' } }, async (request, reply) => {
    const { p, w } = await c.warehouse(request);
    await s.icebergMetrics.report(p, w, levelsOf(request), (request.params as { table: string }).table, request.body);
    return reply.code(204).send();
  });
}
