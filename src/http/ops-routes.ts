import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../services/app-services.js';
import type { Metrics } from './metrics.js';

/** How long one readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 5000;

async function timed(name: string, check: () => Promise<string | undefined>): Promise<[string, string | undefined]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
  });
  try {
    return [name, await Promise.race([check(), timeout])];
  } catch (err) {
    return [name, err instanceof Error ? err.message : String(err)];
  } finally {
    clearTimeout(timer);
  }
}

/** The checks behind /readyz: each answers undefined when fine, or what is wrong. */
export async function readiness(services: AppServices): Promise<Record<string, string | undefined>> {
  const checks = await Promise.all([
    timed('store', async () => { await services.ping(); return undefined; }),
    timed('migrations', async () => {
      const pending = await services.store.pendingMigrations();
      return pending.length ? `pending migrations: ${pending.join(', ')}` : undefined;
    }),
    timed('storage', async () => {
      const bucket = services.config.defaultBucket;
      return (await services.storage.bucketExists(bucket)) ? undefined : `the default bucket ${bucket} does not exist`;
    }),
  ]);
  return Object.fromEntries(checks);
}

/** Health, readiness and metrics: the operator's routes, outside the operation table and without credentials. */
export function registerOpsRoutes(app: FastifyInstance, services: AppServices, metrics: Metrics, serveMetrics: boolean): void {
  const config = { wire: 'ops' };
  // Alive as long as the process answers: no dependency is asked.
  app.get('/healthz', { config }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config }, async (_request, reply) => {
    const results = await readiness(services);
    const failed = Object.entries(results).filter(([, problem]) => problem !== undefined).map(([name]) => name);
    const checks = Object.fromEntries(Object.entries(results).map(([name, problem]) => [name, problem ?? 'ok']));
    if (failed.length) return reply.code(503).send({ status: 'not ready', failed, checks });
    return { status: 'ready', checks };
  });
  if (serveMetrics) {
    app.get('/metrics', { config }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  }
}
