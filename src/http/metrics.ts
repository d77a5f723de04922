import client from 'prom-client';
import { cacheStats, onJobRunEnded } from '../services/telemetry.js';
import type { Store } from '../store/store.js';

/** The protocols whose requests are counted; the metastore endpoint reports as `metastore`. */
export type MetricsWire = 'lakeformation' | 'iceberg' | 'metastore' | 'ops';

export interface RequestObservation {
  wire: MetricsWire;
  /** The operation table's name (or the metastore call's name). */
  operation: string;
  /** An HTTP status; a non-HTTP protocol maps its outcome to one (200 ok, 4xx refused, 5xx failed). */
  status: number;
  seconds: number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ICEBERG_COMMITS = new Set(['IcebergCommitTable', 'IcebergCommitTransaction']);

/** One process's Prometheus registry: requests, authorization, store, jobs, Iceberg commits, caches, process. */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<'wire' | 'operation' | 'status_class'>;
  private readonly latency: client.Histogram<'wire' | 'operation' | 'status_class'>;
  private readonly decisions: client.Counter<'decision' | 'action'>;
  private readonly storeLatency: client.Histogram<'result'>;
  private readonly jobRuns: client.Counter<'type' | 'status'>;
  private readonly commits: client.Counter<'result'>;
  private readonly unsubscribe: () => void;

  constructor(store?: Store) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.requests = new client.Counter({
      name: 'lakeform_requests_total',
      help: 'Requests answered, by protocol, operation and status class',
      labelNames: ['wire', 'operation', 'status_class'],
      registers,
    });
    this.latency = new client.Histogram({
      name: 'lakeform_request_duration_seconds',
      help: 'Time to answer a request, by protocol, operation and status class',
      labelNames: ['wire', 'operation', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.decisions = new client.Counter({
      name: 'lakeform_authorization_decisions_total',
      help: 'Authorization decisions on authenticated calls of authorizable actions: allow, or deny (403)',
      labelNames: ['decision', 'action'],
      registers,
    });
    this.storeLatency = new client.Histogram({
      name: 'lakeform_store_query_duration_seconds',
      help: 'Metadata store query time',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new client.Gauge({
      name: 'lakeform_store_pool_connections',
      help: 'PostgreSQL pool connections by state (absent on SQLite)',
      labelNames: ['state'],
      registers,
      collect() {
        const p = store?.poolStats();
        if (!p) return;
        this.set({ state: 'total' }, p.total);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'in_use' }, p.total - p.idle);
        this.set({ state: 'waiting' }, p.waiting);
      },
    });
    this.jobRuns = new client.Counter({
      name: 'lakeform_job_runs_total',
      help: 'Job runs finished on this server, by job type and final status',
      labelNames: ['type', 'status'],
      registers,
    });
    this.commits = new client.Counter({
      name: 'lakeform_iceberg_commits_total',
      help: 'Iceberg commits (commitTable, commitTransaction) by result: committed, conflict (409) or failed',
      labelNames: ['result'],
      registers,
    });
    new client.Counter({
      name: 'lakeform_cache_lookups_total',
      help: 'Lookups in the in-memory caches of the services, by cache and result',
      labelNames: ['cache', 'result'],
      registers,
      collect() {
        this.reset();
        for (const [cache, s] of cacheStats()) {
          this.inc({ cache, result: 'hit' }, s.hits);
          this.inc({ cache, result: 'miss' }, s.misses);
        }
      },
    });
    new client.Gauge({
      name: 'lakeform_cache_hit_ratio',
      help: 'Share of lookups that found an entry, since the process started',
      labelNames: ['cache'],
      registers,
      collect() {
        for (const [cache, s] of cacheStats()) {
          const n = s.hits + s.misses;
          if (n > 0) this.set({ cache }, s.hits / n);
        }
      },
    });
    if (store) {
      const h = this.storeLatency;
      store.queryObserver = (seconds, failed) => h.observe({ result: failed ? 'error' : 'ok' }, seconds);
    }
    this.unsubscribe = onJobRunEnded((type, status) => this.jobRuns.inc({ type, status }));
  }

  /** Counts one answered request; also the hook the metastore endpoint calls for each call it serves. */
  observeRequest(o: RequestObservation): void {
    const labels = { wire: o.wire, operation: o.operation, status_class: `${Math.floor(o.status / 100)}xx` };
    this.requests.inc(labels);
    this.latency.observe(labels, o.seconds);
    if (ICEBERG_COMMITS.has(o.operation)) {
      this.commits.inc({ result: o.status < 300 ? 'committed' : o.status === 409 ? 'conflict' : 'failed' });
    }
  }

  /** An authenticated caller was allowed, or refused for want of a privilege, an action. */
  observeDecision(decision: 'allow' | 'deny', action: string): void {
    this.decisions.inc({ decision, action });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
    servedRoutes: { method: string; url: string }[];
  }
}
