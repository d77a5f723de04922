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

type Labels = Record<string, string>;

/** Observations of one label set: how many, their total, and how many fell in each latency bucket. */
class TimingCell {
  count = 0;
  sum = 0;
  /** Per bucket of LATENCY_BUCKETS, then beyond the last; not cumulative. */
  readonly buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);

  constructor(readonly labels: Labels) {}

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[b] as number)) b++;
    this.buckets[b] = (this.buckets[b] as number) + 1;
  }

  zero(): void {
    this.count = 0;
    this.sum = 0;
    this.buckets.fill(0);
  }
}

/** A count of one label set. */
class CountCell {
  count = 0;

  constructor(readonly labels: Labels) {}

  zero(): void {
    this.count = 0;
  }
}

/** Cells by two label values, each found by two map lookups (no label object hashed or validated). */
class Cells2<C> {
  private readonly outer = new Map<string, Map<string, C>>();

  constructor(private readonly make: (a: string, b: string) => C) {}

  get(a: string, b: string): C {
    let inner = this.outer.get(a);
    if (!inner) {
      inner = new Map();
      this.outer.set(a, inner);
    }
    let cell = inner.get(b);
    if (cell === undefined) {
      cell = this.make(a, b);
      inner.set(b, cell);
    }
    return cell;
  }

  *[Symbol.iterator](): Iterator<C> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
}

/**
 * A counter or a latency histogram as the registry reads it (prom-client's shape: name, help, type, get and reset),
 * made from cells at each scrape. Observing a cell is an addition or a few, where prom-client's own metrics validate,
 * hash and copy the labels on every call: a few per cent of a short request's CPU.
 */
class CellMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly type: 'counter' | 'histogram',
    readonly name: string,
    readonly help: string,
    private readonly cells: () => Iterable<CountCell | TimingCell>,
  ) {}

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName?: string }[] = [];
    const bucket = `${this.name}_bucket`;
    for (const cell of this.cells()) {
      if (cell.count === 0) continue; // as prom-client: a label set appears once observed
      if (this.type === 'counter' || !(cell instanceof TimingCell)) {
        values.push({ labels: cell.labels, value: cell.count });
        continue;
      }
      let acc = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        acc += cell.buckets[i] as number;
        values.push({ labels: { le: LATENCY_BUCKETS[i] as number, ...cell.labels }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...cell.labels }, value: cell.count, metricName: bucket });
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const cell of this.cells()) cell.zero();
  }
}

/** One process's Prometheus registry: requests, authorization, store, jobs, Iceberg commits, caches, process. */
export class Metrics {
  readonly registry = new client.Registry();
  /** Requests by protocol and operation, then by the digit of their status class: counted and timed. */
  private readonly requests = new Cells2<(TimingCell | undefined)[]>(() => []);
  private readonly decisions = new Cells2<CountCell>((decision, action) => new CountCell({ decision, action }));
  private readonly storeLatency = { ok: new TimingCell({ result: 'ok' }), error: new TimingCell({ result: 'error' }) };
  private readonly jobRuns: client.Counter<'type' | 'status'>;
  private readonly commits = {
    committed: new CountCell({ result: 'committed' }),
    conflict: new CountCell({ result: 'conflict' }),
    failed: new CountCell({ result: 'failed' }),
  };
  private readonly unsubscribe: () => void;

  constructor(store?: Store) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    const { decisions, storeLatency } = this;
    // Counters and histograms observed on every request and query: cells of our own, read at each scrape. Not
    // prom-client metrics, but read by the registry as ones.
    const register = (m: CellMetric) => this.registry.registerMetric(m as unknown as client.Metric);
    const requests = () => this.requestCells();
    const labels = 'by protocol, operation and status class';
    register(new CellMetric('counter', 'lakeform_requests_total', `Requests answered, ${labels}`, requests));
    register(
      new CellMetric('histogram', 'lakeform_request_duration_seconds', `Time to answer a request, ${labels}`, requests),
    );
    register(
      new CellMetric(
        'counter',
        'lakeform_authorization_decisions_total',
        'Authorization decisions on authenticated calls of authorizable actions: allow, or deny (403)',
        () => decisions,
      ),
    );
    register(
      new CellMetric('histogram', 'lakeform_store_query_duration_seconds', 'Metadata store query time', () => [
        storeLatency.ok,
        storeLatency.error,
      ]),
    );
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
    register(
      new CellMetric(
        'counter',
        'lakeform_iceberg_commits_total',
        'Iceberg commits (commitTable, commitTransaction) by result: committed, conflict (409) or failed',
        () => Object.values(this.commits),
      ),
    );
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
    if (store)
      store.queryObserver = (seconds, failed) => (failed ? storeLatency.error : storeLatency.ok).observe(seconds);
    this.unsubscribe = onJobRunEnded((type, status) => this.jobRuns.inc({ type, status }));
  }

  /** Counts one answered request; also the hook the metastore endpoint calls for each call it serves. */
  observeRequest(o: RequestObservation): void {
    const byClass = this.requests.get(o.wire, o.operation);
    const k = Math.floor(o.status / 100);
    let cell = byClass[k];
    if (!cell) {
      cell = new TimingCell({ wire: o.wire, operation: o.operation, status_class: `${k}xx` });
      byClass[k] = cell;
    }
    cell.observe(o.seconds);
    if (ICEBERG_COMMITS.has(o.operation)) {
      const { commits } = this;
      (o.status < 300 ? commits.committed : o.status === 409 ? commits.conflict : commits.failed).count++;
    }
  }

  private *requestCells(): Generator<TimingCell> {
    for (const byClass of this.requests) for (const cell of byClass) if (cell) yield cell;
  }

  /** An authenticated caller was allowed, or refused for want of a privilege, an action. */
  observeDecision(decision: 'allow' | 'deny', action: string): void {
    this.decisions.get(decision, action).count++;
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
