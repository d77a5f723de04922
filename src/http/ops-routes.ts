import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../services/app-services.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import type { Operation } from './operation.js';

const require = createRequire(import.meta.url);
const swaggerUiPath = (): string => (require('swagger-ui-dist/absolute-path.js') as () => string)();
const UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'text/javascript',
  'favicon-32x32.png': 'image/png',
};
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lakeform API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="ui"></div><script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>
`;
const DOCS_INIT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });\n";

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
    timed('store', async () => {
      await services.ping();
      return undefined;
    }),
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
export function registerOpsRoutes(
  app: FastifyInstance,
  services: AppServices,
  metrics: Metrics,
  serveMetrics: boolean,
  ops: Operation[],
): void {
  const config = { wire: 'ops' };
  let document: string | undefined; // made on first request: a server starts without paying for it
  app.get('/openapi.json', { config }, async (_request, reply) => {
    document ??= JSON.stringify(openApiDocument(ops, services.version));
    return reply.type('application/json').send(document);
  });
  // Swagger UI from its npm package, served from here: the reference works with no network.
  const uiDir = swaggerUiPath();
  app.get('/docs', { config }, async (_request, reply) => reply.type('text/html').send(DOCS_PAGE));
  app.get('/docs/:file', { config }, async (request, reply) => {
    const file = (request.params as { file: string }).file;
    if (file === 'init.js') return reply.type('text/javascript').send(DOCS_INIT);
    const type = UI_FILES[file];
    if (!type) return reply.code(404).type('text/plain').send('no such file');
    return reply.type(type).send(await fs.promises.readFile(path.join(uiDir, file)));
  });
  // Alive as long as the process answers: no dependency is asked.
  app.get('/healthz', { config }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config }, async (_request, reply) => {
    const results = await readiness(services);
    const failed = Object.entries(results)
      .filter(([, problem]) => problem !== undefined)
      .map(([name]) => name);
    const checks = Object.fromEntries(Object.entries(results).map(([name, problem]) => [name, problem ?? 'ok']));
    if (failed.length) return reply.code(503).send({ status: 'not ready', failed, checks });
    return { status: 'ready', checks };
  });
  if (serveMetrics) {
    app.get('/metrics', { config }, async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.text()),
    );
  }
}
