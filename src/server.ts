import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import v8 from 'node:v8';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import { createLogger, VERSION } from './logger.js';
import { memoryPlan, sizeCachesFor } from './memory.js';
import type { MetastoreEndpoint } from './metastore/server.js';
import { AlarmEvaluator } from './services/alarms/evaluator.js';
import { WebhookNotifier } from './services/alarms/webhook.js';
import { type AppServices, createServices } from './services/app-services.js';
import type { Clock } from './services/clock.js';
import { DEFAULT_PASSWORD_HASH_COST } from './services/iam/crypto-util.js';
import { LifecycleWorker } from './services/instances/lifecycle-worker.js';
import { createObjectStorage, localWarehouse } from './storage/index.js';
import { openStore } from './store/store.js';

export { createLogger, VERSION } from './logger.js';

/** GET /metrics on a port of its own (LAKEFORM_METRICS_PORT), e.g. one only the scraper's network reaches. */
async function serveMetricsApart(metrics: Metrics, host: string, port: number, log: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'collecting metrics failed');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const a = server.address();
  log.info(
    { metrics_address: typeof a === 'object' && a ? `http://${host}:${a.port}/metrics` : String(a) },
    'metrics served apart',
  );
  return server;
}

export interface RunningServer {
  app: FastifyInstance;
  services: AppServices;
  url: string;
  metastore?: MetastoreEndpoint;
  /** The alarm evaluator, whose passes a test with a moved clock runs itself. */
  alarms: AlarmEvaluator;
  /** The lifecycle worker (instances, recycle bin purge, staged sweep), kicked by a test that moved the clock. */
  lifecycle: LifecycleWorker;
  close(): Promise<void>;
}

/**
 * Opens the store (migrating it), bootstraps identity, and starts listening. A test running the server in its own
 * process may give the clock that token expiry and the console's settling read.
 */
export async function startServer(
  config: Config,
  log: Logger = createLogger(config.logLevel),
  clock?: Clock,
): Promise<RunningServer> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const memory = memoryPlan(config.memoryMb);
  sizeCachesFor(memory);
  const store = openStore(config.databaseUrl, {
    sqliteCacheMb: memory.sqliteCacheMb,
    onConnectionError: (err) => log.warn({ err }, 'a database connection was closed by the server; it is replaced'),
  });
  const applied = await store.migrate();
  if (applied.length) log.info({ migrations: applied }, 'applied schema migrations');
  if (config.storage.kind === 'local') fs.mkdirSync(localWarehouse(config), { recursive: true });
  const storage = await createObjectStorage(config);
  // Also a start-up check of the store: a wrong endpoint or key fails here rather than on the first DROP. Asked first
  // because a deployment may grant access to a bucket it made itself without the right to create buckets.
  if (!(await storage.bucketExists(config.defaultBucket))) await storage.createBucket(config.defaultBucket);
  const services = await createServices(config, store, storage, log, VERSION, clock);
  // Partition batches a crash left staged never land (services/lakecat/partition-service.ts: addStaged).
  await services.partitions.sweepStaged(true);
  if (config.passwordHashCost < DEFAULT_PASSWORD_HASH_COST)
    log.warn(
      { password_hash_cost: config.passwordHashCost, default: DEFAULT_PASSWORD_HASH_COST },
      'LAKEFORM_PASSWORD_HASH_COST is below the default: new passwords are hashed weakly (meant for tests only)',
    );

  const boot = await services.identity.bootstrap(config.adminPassword);
  if (boot.created) {
    log.info(
      { domain: 'default', project: 'default', project_id: boot.projectId, user: 'admin' },
      'bootstrapped the default domain, project and admin user',
    );
    if (boot.generatedPassword) {
      // Printed once, to the terminal rather than the structured log.
      process.stderr.write(
        `\n  lakeform: generated password for user 'admin' (domain ` +
          `'default'): ${boot.generatedPassword}\n  Store it now; it is ` +
          `not shown again. Set LAKEFORM_ADMIN_PASSWORD to choose one on ` +
          `first start.\n\n`,
      );
    }
  }

  const metrics = new Metrics(store);
  const app = await buildApp(services, {
    logger: log,
    bodyLimit: config.bodyLimitBytes,
    qpsPerStride: config.qpsPerStride,
    metrics,
    serveMetrics: config.metrics && config.metricsPort === undefined,
  });
  const metricsServer =
    config.metrics && config.metricsPort !== undefined
      ? await serveMetricsApart(metrics, config.host, config.metricsPort, log)
      : undefined;
  const worker = new LifecycleWorker(services.instances, log, 2000, [
    { name: 'recycle bin purge', run: () => services.recycleBin.purgeDue() },
    { name: 'staged partition sweep', run: () => services.partitions.sweepStaged() },
  ]);
  worker.start();
  services.jobRunner.start();
  const alarms = new AlarmEvaluator(
    services.store,
    services.instances,
    services.requestCounter,
    new WebhookNotifier(services.store, log, config.alarmWebhookTimeoutSeconds * 1000, `lakeform/${VERSION}`, clock),
    log,
    { intervalMs: config.alarmIntervalSeconds * 1000, qpsPerStride: config.qpsPerStride, replicaId: randomUUID() },
    clock,
  );
  alarms.start();
  const purge = setInterval(() => {
    Promise.all([services.tokens.purgeExpired(), services.accessKeys.purgeExpired()]).catch((err) =>
      log.warn({ err }, 'purging expired credentials failed'),
    );
  }, 10 * 60_000);
  purge.unref();

  const address = await app.listen({ host: config.host, port: config.port });
  // The Hive Metastore Thrift endpoint over the same services (LAKEFORM_HMS_PORT=0 turns it off).
  // LAKEFORM_HMS_ENDPOINTS adds one port per further project or instance served.
  const metastores: MetastoreEndpoint[] = [];
  try {
    // Metastore calls count in the same metrics as HTTP requests (wire `metastore`).
    const observe = (c: { operation: string; status: number; seconds: number; denied: boolean }) => {
      metrics.observeRequest({ wire: 'metastore', operation: c.operation, status: c.status, seconds: c.seconds });
      if (c.status < 400 || c.denied) metrics.observeDecision(c.denied ? 'deny' : 'allow', `hms:${c.operation}`);
    };
    const served = [
      ...(config.hms.port !== 0 ? [config.hms] : []),
      ...config.hms.extra.map((e) => ({ ...config.hms, ...e, extra: [] })),
    ];
    if (served.length) {
      // Loaded only when served: Thrift and the generated Hive code cost about 0.1 s of CPU at every start.
      const { startMetastore } = await import('./metastore/server.js');
      for (const hms of served) metastores.push(await startMetastore(services, hms, log, observe));
    }
  } catch (err) {
    for (const m of metastores) await m.close();
    await app.close();
    throw err;
  }
  const metastore = metastores[0];
  const s = config.storage;
  log.info(
    {
      address,
      database: store.dialect,
      data_dir: config.dataDir,
      storage: s.kind,
      ...(s.kind === 's3' ? { s3_endpoint: s.endpoint } : {}),
      // What the heap may grow to: half of LAKEFORM_MEMORY_MB when one is set (plus the young generation).
      ...(config.memoryMb !== undefined
        ? { memory_mb: config.memoryMb, heap_limit_mb: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20) }
        : {}),
    },
    `lakeform listening on ${address}`,
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      clearInterval(purge);
      for (const m of metastores) await m.close();
      metricsServer?.close();
      metrics.close();
      // Stop accepting and wait for in-flight requests. A keep-alive connection whose request
      // finishes after close() began would otherwise linger until its idle timeout: close those as
      // they go idle, and give up on stragglers after a deadline.
      const idle = setInterval(() => app.server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => app.server.closeAllConnections(), 15_000);
      try {
        await app.close();
      } finally {
        clearInterval(idle);
        clearTimeout(deadline);
      }
      await worker.stop();
      // Running jobs stop at their next safe point, keeping what they wrote consistent.
      await services.jobRunner.stop();
      // Background scan plans finish (or fail) while the store is still open.
      await services.icebergPlanning.drain();
      storage.close?.();
      await alarms.stop();
      await store.close();
    })());
  return { app, services, url: address, metastore, alarms, lifecycle: worker, close };
}
