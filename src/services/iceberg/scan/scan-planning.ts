// Server-side scan planning (the REST spec's planTableScan, fetchPlanningResult, cancelPlanning
// and fetchScanTasks). Authorization is the table's SELECT. A small plan is answered at once; a
// snapshot with many files is planned in the background and its result kept in the store as
// pages (plan tasks), so any replica can answer for it until it expires.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { StorageNotFoundError } from '../../../storage/object-storage.js';
import {
  deleteExpiredPlans,
  deleteTasks,
  findPlan,
  findTask,
  insertPlan,
  insertTasks,
  movePlan,
} from '../../../store/iceberg/scan-plan-repository.js';
import type { IcebergScanPlanRow } from '../../../store/schema.js';
import type { Store } from '../../../store/store.js';
import { type Clock, isoNow } from '../../clock.js';
import type { Caller, Warehouse } from '../catalog-service.js';
import { badRequest, missing } from '../errors.js';
import { parseIceberg, stringifyIceberg } from '../json.js';
import type { MetadataFiles } from '../metadata-files.js';
import type { IcebergSchema, Snapshot, TableMetadata } from '../metadata-types.js';
import type { IcebergTable, IcebergTables } from '../tables.js';
import { bindFilter, columnsOf } from './expression.js';
import { manifestListOf, type PlannedTask, planFiles, scanTasksOf } from './planner.js';

export interface PlanRequest {
  'snapshot-id'?: number | bigint;
  select?: string[];
  filter?: unknown;
  'case-sensitive'?: boolean;
  'use-snapshot-schema'?: boolean;
  'start-snapshot-id'?: number | bigint;
  'end-snapshot-id'?: number | bigint;
  'stats-fields'?: string[];
  'min-rows-requested'?: number | bigint;
}

export interface PlanningLimits {
  /** A snapshot with more live data files than this is planned in the background. */
  syncFiles: number;
  /** File scan tasks per plan task (page). */
  taskFiles: number;
  /** How long a plan and its tasks are kept. */
  lifetimeMs: number;
  /** A plan still "submitted" after this long lost its planner (a replica that stopped): it failed. */
  deadlineMs: number;
}

export const DEFAULT_PLANNING: PlanningLimits = {
  syncFiles: 10_000,
  taskFiles: 1_000,
  lifetimeMs: 60 * 60 * 1000,
  deadlineMs: 10 * 60 * 1000,
};

type Json = Record<string, unknown>;
export type PlanResult =
  | ({ status: 'completed'; 'plan-id'?: string } & Json)
  | { status: 'submitted'; 'plan-id'?: string }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string };

const big = (x: number | bigint | null | undefined) => (x === null || x === undefined ? undefined : BigInt(x));
const TASK = /^([0-9a-f-]{36})~(\d{1,9})$/;

export class ScanPlanning {
  /** Background plans of this replica, so a stop can wait for them (and tests can). */
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly tables: IcebergTables,
    private readonly files: MetadataFiles,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: PlanningLimits = DEFAULT_PLANNING,
  ) {}

  private key = (t: IcebergTable) => `${t.w.instanceId}/${t.w.catalog}/${t.namespace}/${t.name}`.toLowerCase();
  private read = async (location: string): Promise<Buffer> => {
    const c = this.files.coordinates(location);
    try {
      return await this.files.storage.getObject(c.bucket, c.key);
    } catch (err) {
      if (err instanceof StorageNotFoundError) throw badRequest(`the table names ${location}, which is missing`);
      throw err;
    }
  };

  /** planTableScan. The table comes back too, for credentials. */
  async plan(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    body: PlanRequest | undefined,
  ): Promise<{ result: PlanResult; table: IcebergTable }> {
    const req = body ?? {};
    const t = await this.tables.table(p, w, levels, name, 'SELECT');
    const metadata = await this.files.readMetadata(t.metadataLocation);
    const { snapshot, addedBy } = resolveSnapshots(metadata, req);
    const schema = schemaFor(metadata, snapshot, req['use-snapshot-schema'] === true);
    const caseSensitive = req['case-sensitive'] !== false;
    const filter =
      req.filter === undefined || req.filter === null
        ? { kind: 'true' as const }
        : bindFilter(req.filter, schema, caseSensitive);
    checkSelect(req.select, schema, caseSensitive);
    const statsFields = statsFieldsOf(req['stats-fields'], schema, caseSensitive);
    void deleteExpiredPlans(this.store.db, isoNow(this.clock), 100).catch(() => undefined);

    const planId = randomUUID();
    const manifests = snapshot?.['manifest-list'] ? await manifestListOf(snapshot['manifest-list'], this.read) : [];
    const residual = req.filter === undefined || req.filter === null ? true : req.filter;
    const plan = () =>
      planFiles({ metadata, manifests, schema, filter, residual, statsFields, addedBy, read: this.read });
    const live = manifests.filter((m) => m.content === 0).reduce((n, m) => n + (m.liveFiles ?? 0n), 0n);
    const row = (status: string, taskCount = 0): IcebergScanPlanRow => ({
      project_id: p.projectId,
      plan_id: planId,
      instance_id: w.instanceId,
      table_key: this.key(t),
      status,
      error: null,
      task_count: taskCount,
      created_at: isoNow(this.clock),
      expires_at: new Date(this.clock.now() + this.limits.lifetimeMs).toISOString(),
    });

    if (live > BigInt(this.limits.syncFiles)) {
      await insertPlan(this.store.db, row('submitted'));
      const job = this.finish(p.projectId, planId, plan).finally(() => this.running.delete(job));
      this.running.add(job);
      return { result: { status: 'submitted', 'plan-id': planId }, table: t };
    }
    const tasks = await plan();
    if (tasks.length <= this.limits.taskFiles) {
      await insertPlan(this.store.db, row('completed'));
      return { result: { status: 'completed', 'plan-id': planId, ...scanTasksOf(tasks) }, table: t };
    }
    const pages = this.pages(p.projectId, planId, tasks);
    await this.store.transaction(async (trx) => {
      await insertPlan(trx, row('completed', pages.length));
      await insertTasks(trx, pages);
    });
    return {
      result: { status: 'completed', 'plan-id': planId, 'plan-tasks': this.tokens(planId, pages.length) },
      table: t,
    };
  }

  /** Waits for this replica's background plans (a graceful stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private pages(projectId: string, planId: string, tasks: PlannedTask[]) {
    const pages = [];
    for (let i = 0; i * this.limits.taskFiles < tasks.length; i++) {
      const chunk = tasks.slice(i * this.limits.taskFiles, (i + 1) * this.limits.taskFiles);
      pages.push({ project_id: projectId, plan_id: planId, task_no: i, body: stringifyIceberg(scanTasksOf(chunk)) });
    }
    return pages;
  }

  private tokens = (planId: string, n: number) => Array.from({ length: n }, (_, i) => `${planId}~${i}`);

  /** Plans in the background; the result is written only if the plan was not cancelled meanwhile. */
  private async finish(projectId: string, planId: string, plan: () => Promise<PlannedTask[]>): Promise<void> {
    try {
      const tasks = await plan();
      const pages = this.pages(projectId, planId, tasks);
      await this.store.transaction(async (trx) => {
        if (await movePlan(trx, projectId, planId, 'submitted', { status: 'completed', task_count: pages.length }))
          await insertTasks(trx, pages);
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn({ err, planId }, 'Iceberg scan planning failed');
      await movePlan(this.store.db, projectId, planId, 'submitted', { status: 'failed', error: message }).catch(
        () => undefined,
      );
    }
  }

  private async planRow(p: Caller, t: IcebergTable, planId: string) {
    const row = await findPlan(this.store.db, p.projectId, planId, isoNow(this.clock));
    if (!row || row.table_key !== this.key(t))
      throw missing('plan', `the plan id ${planId} does not exist for this table`);
    return row;
  }

  /** fetchPlanningResult. */
  async result(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    planId: string,
  ): Promise<{ result: PlanResult; table: IcebergTable }> {
    const t = await this.tables.table(p, w, levels, name, 'SELECT');
    const row = await this.planRow(p, t, planId);
    const at = (result: PlanResult) => ({ result, table: t });
    switch (row.status) {
      case 'submitted':
        if (this.clock.now() - Date.parse(row.created_at) > this.limits.deadlineMs)
          return at({ status: 'failed', message: 'planning did not finish: the server planning it stopped' });
        return at({ status: 'submitted' });
      case 'completed':
        return at({
          status: 'completed',
          ...(row.task_count > 0 ? { 'plan-tasks': this.tokens(planId, row.task_count) } : {}),
        });
      case 'failed':
        return at({ status: 'failed', message: row.error ?? 'planning failed' });
      default:
        return at({ status: 'cancelled' });
    }
  }

  /** cancelPlanning: the plan's tasks are released; fetching it answers "cancelled" until it expires. */
  async cancel(p: Caller, w: Warehouse, levels: string[], name: string, planId: string): Promise<void> {
    const t = await this.tables.table(p, w, levels, name, 'SELECT');
    // A planner may finish between the read and the move: read again, so the cancel holds whatever it met.
    for (let attempt = 0; attempt < 3; attempt++) {
      const row = await this.planRow(p, t, planId);
      if (row.status === 'cancelled') return;
      const moved = await this.store.transaction(async (trx) => {
        if (!(await movePlan(trx, p.projectId, planId, row.status, { status: 'cancelled', task_count: 0 })))
          return false;
        await deleteTasks(trx, p.projectId, planId);
        return true;
      });
      if (moved) return;
    }
  }

  /** fetchScanTasks: one page of a completed plan. */
  async tasks(p: Caller, w: Warehouse, levels: string[], name: string, planTask: string): Promise<Json> {
    const t = await this.tables.table(p, w, levels, name, 'SELECT');
    const m = TASK.exec(planTask);
    const gone = () => missing('plan_task', `the plan task ${planTask} does not exist for this table`);
    if (!m) throw gone();
    const row = await findPlan(this.store.db, p.projectId, m[1] as string, isoNow(this.clock));
    if (!row || row.table_key !== this.key(t) || row.status !== 'completed') throw gone();
    const task = await findTask(this.store.db, p.projectId, m[1] as string, Number(m[2]));
    if (!task) throw gone();
    return parseIceberg<Json>(task.body);
  }
}

const sameId = (a: unknown, b: bigint | undefined) =>
  b !== undefined && a !== null && a !== undefined && BigInt(a as number) === b;

/** The snapshot to scan and, for an incremental scan, the snapshots whose appended files it returns. */
function resolveSnapshots(
  m: TableMetadata,
  req: PlanRequest,
): { snapshot: Snapshot | undefined; addedBy?: Set<bigint> } {
  const id = big(req['snapshot-id']);
  const start = big(req['start-snapshot-id']);
  const end = big(req['end-snapshot-id']);
  const find = (x: bigint, what: string) => {
    const s = (m.snapshots ?? []).find((s) => sameId(s['snapshot-id'], x));
    if (!s) throw badRequest(`${what} ${x} is not a snapshot of the table`);
    return s;
  };
  if (id !== undefined && (start !== undefined || end !== undefined))
    throw badRequest(
      'a scan is either point-in-time (snapshot-id) or incremental (start-snapshot-id, end-snapshot-id)',
    );
  if (start !== undefined && end === undefined) throw badRequest('end-snapshot-id is required with start-snapshot-id');
  if (end !== undefined) {
    const last = find(end, 'end-snapshot-id');
    if (start !== undefined) find(start, 'start-snapshot-id');
    const addedBy = new Set<bigint>();
    let s: Snapshot | undefined = last;
    while (s && !sameId(s['snapshot-id'], start)) {
      addedBy.add(BigInt(s['snapshot-id']));
      const parent: number | bigint | null | undefined = s['parent-snapshot-id'];
      s =
        parent === null || parent === undefined
          ? undefined
          : (m.snapshots ?? []).find((x) => sameId(x['snapshot-id'], BigInt(parent)));
    }
    if (start !== undefined && !s) throw badRequest(`start-snapshot-id ${start} is not an ancestor of ${end}`);
    return { snapshot: last, addedBy };
  }
  if (id !== undefined) return { snapshot: find(id, 'snapshot-id') };
  const main = m.refs?.main?.['snapshot-id'] ?? m['current-snapshot-id'];
  if (main === null || main === undefined || Number(main) === -1) return { snapshot: undefined };
  return { snapshot: find(BigInt(main), 'the current snapshot') };
}

function schemaFor(m: TableMetadata, snapshot: Snapshot | undefined, useSnapshotSchema: boolean): IcebergSchema {
  const id =
    useSnapshotSchema && snapshot?.['schema-id'] !== undefined ? snapshot['schema-id'] : m['current-schema-id'];
  const s =
    m.schemas.find((x) => x['schema-id'] === id) ?? m.schemas.find((x) => x['schema-id'] === m['current-schema-id']);
  if (!s) throw badRequest(`the table metadata has no schema ${id}`);
  return s;
}

function fold(name: string, caseSensitive: boolean) {
  return caseSensitive ? name : name.toLowerCase();
}

function checkSelect(select: string[] | undefined, schema: IcebergSchema, caseSensitive: boolean): void {
  if (!select) return;
  const top = new Set((schema.fields as { name: string }[]).map((f) => fold(f.name, caseSensitive)));
  const all = new Set(columnsOf(schema).map((c) => fold(c.name, caseSensitive)));
  for (const s of select) {
    const n = fold(s, caseSensitive);
    if (!all.has(n) && !top.has(n) && !top.has(n.split('.')[0] as string))
      throw badRequest(`select names ${JSON.stringify(s)}, which is not a column of the table`);
  }
}

function statsFieldsOf(names: string[] | undefined, schema: IcebergSchema, caseSensitive: boolean): Set<number> {
  const out = new Set<number>();
  if (!names) return out;
  const byName = new Map(columnsOf(schema).map((c) => [fold(c.name, caseSensitive), c.id]));
  for (const n of names) {
    const id = byName.get(fold(n, caseSensitive));
    if (id === undefined) throw badRequest(`stats-fields names ${JSON.stringify(n)}, which is not a primitive column`);
    out.add(id);
  }
  return out;
}
