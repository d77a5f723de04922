// Metrics reports of Iceberg clients (POST .../tables/{table}/metrics): a ScanReport or a
// CommitReport as the REST spec shapes them, accepted only for a table the caller can see, and
// kept for a bounded time and number per table.

import { insertReport, pruneBeyond, pruneOlderThan } from '../../store/iceberg/metrics-repository.js';
import type { Store } from '../../store/store.js';
import type { Caller, IcebergCatalog, Warehouse } from './catalog-service.js';
import { badRequest } from './errors.js';
import { stringifyIceberg } from './json.js';

export interface MetricsRetention {
  /** Reports older than this many days are dropped. */
  days: number;
  /** A table keeps at most this many reports, the newest. */
  maxPerTable: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint';
const isStringMap = (v: unknown): boolean => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * Why a metric result is neither a counter ({unit, value}) nor a timer ({time-unit, count, total-duration}), or
 * undefined.
 */
function metricProblem(name: string, m: unknown): string | undefined {
  if (!isObject(m)) return `metric ${name} must be an object`;
  const counter = typeof m.unit === 'string' && isInt(m.value);
  const timer = typeof m['time-unit'] === 'string' && isInt(m.count) && isInt(m['total-duration']);
  return counter || timer
    ? undefined
    : `metric ${name} must be a counter {unit, value} or a timer {time-unit, count, total-duration}`;
}

/** The report's type and snapshot, once its shape is the spec's; invalid, naming the first problem, otherwise. */
export function checkReport(body: unknown): { reportType: 'scan-report' | 'commit-report'; snapshotId: string } {
  if (!isObject(body)) throw badRequest('a metrics report must be a JSON object');
  const type = body['report-type'];
  if (type !== 'scan-report' && type !== 'commit-report')
    throw badRequest('report-type must be scan-report or commit-report');
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  need(typeof body['table-name'] === 'string', 'table-name must be a string');
  need(isInt(body['snapshot-id']), 'snapshot-id must be an integer');
  if (type === 'scan-report') {
    // An expression object; the reference client writes the always-true filter as the literal `true`.
    need(isObject(body.filter) || typeof body.filter === 'boolean', 'filter must be an expression');
    need(isInt(body['schema-id']), 'schema-id must be an integer');
    need(
      Array.isArray(body['projected-field-ids']) && body['projected-field-ids'].every(isInt),
      'projected-field-ids must be an array of integers',
    );
    need(
      Array.isArray(body['projected-field-names']) && body['projected-field-names'].every((n) => typeof n === 'string'),
      'projected-field-names must be an array of strings',
    );
  } else {
    need(isInt(body['sequence-number']), 'sequence-number must be an integer');
    need(typeof body.operation === 'string', 'operation must be a string');
  }
  if (!isObject(body.metrics)) problems.push('metrics must be an object of metric results');
  else
    for (const [name, m] of Object.entries(body.metrics)) {
      const p = metricProblem(name, m);
      if (p) problems.push(p);
    }
  need(body.metadata === undefined || isStringMap(body.metadata), 'metadata must map strings to strings');
  if (problems.length) throw badRequest(`malformed ${type}: ${problems.join('; ')}`);
  return { reportType: type, snapshotId: String(body['snapshot-id']) };
}

export class IcebergMetricsService {
  constructor(
    private readonly store: Store,
    private readonly catalog: IcebergCatalog,
    private readonly retention: MetricsRetention,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a report on a table the caller can see, and prunes what retention no longer keeps. */
  async report(p: Caller, w: Warehouse, levels: string[], table: string, body: unknown): Promise<void> {
    const { reportType, snapshotId } = checkReport(body);
    const t = await this.catalog.tables.table(p, w, levels, table);
    const key = { instanceId: w.instanceId, catalog: w.catalog, database: t.namespace, table: t.name };
    const now = this.now();
    await this.store.transaction(async (trx) => {
      await insertReport(trx, {
        ...key,
        reportType,
        snapshotId,
        report: stringifyIceberg(body),
        createdAt: new Date(now).toISOString(),
      });
      await pruneOlderThan(trx, new Date(now - this.retention.days * 86_400_000).toISOString());
      await pruneBeyond(trx, key, this.retention.maxPerTable);
    });
  }
}
