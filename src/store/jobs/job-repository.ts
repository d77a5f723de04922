import { sql } from 'kysely';
import type { JobRow, JobRunRow } from '../schema.js';
import type { Db } from '../store.js';

export const ACTIVE = ['SUBMITTED', 'RUNNING'];

export async function insertJob(q: Db, row: JobRow): Promise<void> {
  await q.insertInto('lf_jobs').values(row).execute();
}

export const findJob = (q: Db, instanceId: string, id: string) =>
  q.selectFrom('lf_jobs').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();

export const findJobById = (q: Db, id: string) =>
  q.selectFrom('lf_jobs').selectAll().where('id', '=', id).executeTakeFirst();

export async function updateJob(
  q: Db,
  instanceId: string,
  id: string,
  patch: Partial<Pick<JobRow, 'name' | 'description' | 'parameter' | 'updated_at'>>,
): Promise<boolean> {
  const r = await q
    .updateTable('lf_jobs')
    .set(patch)
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Deletes a job with its runs and logs, unless a run is active (then false). */
export async function deleteJobUnlessActive(
  q: Db,
  instanceId: string,
  id: string,
): Promise<'deleted' | 'active' | 'missing'> {
  if (!(await findJob(q, instanceId, id))) return 'missing';
  if (await activeRun(q, id)) return 'active';
  const runs = q.selectFrom('lf_job_runs').select('id').where('job_id', '=', id);
  await q.deleteFrom('lf_job_run_logs').where('run_id', 'in', runs).execute();
  await q.deleteFrom('lf_job_runs').where('job_id', '=', id).execute();
  await q.deleteFrom('lf_jobs').where('id', '=', id).execute();
  return 'deleted';
}

/** The latest run of each job: its status is the job's status. */
const latest = (q: Db) =>
  q
    .selectFrom('lf_job_runs as r')
    .select(['r.job_id', 'r.status', 'r.started_at'])
    .where('r.submitted_at', '=', (eb) =>
      eb
        .selectFrom('lf_job_runs as r2')
        .select((e) => e.fn.max('r2.submitted_at').as('m'))
        .whereRef('r2.job_id', '=', 'r.job_id'),
    );

export async function pageJobs(
  q: Db,
  instanceId: string,
  f: { type: string; namePattern?: string; status?: string },
  offset: number,
  limit: number,
) {
  let base = q
    .selectFrom('lf_jobs as j')
    .leftJoin(latest(q).as('l'), 'l.job_id', 'j.id')
    .where('j.instance_id', '=', instanceId)
    .where('j.type', '=', f.type);
  if (f.namePattern)
    base = base.where(
      sql<boolean>`j.name LIKE ${f.namePattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%')} ESCAPE '\\'`,
    );
  if (f.status)
    base = f.status === 'CREATED' ? base.where('l.status', 'is', null) : base.where('l.status', '=', f.status);
  const [rows, total] = await Promise.all([
    base
      .selectAll('j')
      .select(['l.status as run_status', 'l.started_at as run_started_at'])
      .orderBy('j.created_at')
      .orderBy('j.id')
      .offset(offset)
      .limit(limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export const activeRun = (q: Db, jobId: string) =>
  q.selectFrom('lf_job_runs').selectAll().where('job_id', '=', jobId).where('status', 'in', ACTIVE).executeTakeFirst();

export const latestRun = (q: Db, jobId: string) =>
  q
    .selectFrom('lf_job_runs')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('submitted_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();

export const lastSuccess = (q: Db, jobId: string) =>
  q
    .selectFrom('lf_job_runs')
    .select('ended_at')
    .where('job_id', '=', jobId)
    .where('status', '=', 'SUCCESS')
    .orderBy('ended_at', 'desc')
    .limit(1)
    .executeTakeFirst();

export async function insertRun(q: Db, row: JobRunRow): Promise<void> {
  await q.insertInto('lf_job_runs').values(row).execute();
}

export const findRun = (q: Db, id: string) =>
  q.selectFrom('lf_job_runs').selectAll().where('id', '=', id).executeTakeFirst();

export async function pageRuns(q: Db, jobId: string, status: string | undefined, offset: number, limit: number) {
  let base = q.selectFrom('lf_job_runs').where('job_id', '=', jobId);
  if (status) base = base.where('status', '=', status);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('submitted_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/** Claims the oldest submitted run for `owner`; the conditional update lets exactly one replica win it. */
export async function claimRun(q: Db, owner: string, now: string, leaseUntil: string): Promise<JobRunRow | undefined> {
  const next = await q
    .selectFrom('lf_job_runs')
    .select('id')
    .where('status', '=', 'SUBMITTED')
    .orderBy('submitted_at')
    .limit(1)
    .executeTakeFirst();
  if (!next) return undefined;
  const r = await q
    .updateTable('lf_job_runs')
    .set({ status: 'RUNNING', lease_owner: owner, lease_expires_at: leaseUntil, started_at: now })
    .where('id', '=', next.id)
    .where('status', '=', 'SUBMITTED')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0 ? findRun(q, next.id) : undefined;
}

/**
 * Extends a lease and reports progress; false when the run is no longer this owner's. Returns whether a stop was asked.
 */
export async function heartbeat(
  q: Db,
  runId: string,
  owner: string,
  leaseUntil: string,
  progress: Pick<JobRunRow, 'current_step' | 'done' | 'total' | 'created' | 'updated' | 'skipped' | 'failed'>,
): Promise<{ held: boolean; stop: boolean }> {
  const r = await q
    .updateTable('lf_job_runs')
    .set({ lease_expires_at: leaseUntil, ...progress })
    .where('id', '=', runId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'RUNNING')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return { held: false, stop: true };
  const row = await q.selectFrom('lf_job_runs').select('stop_requested').where('id', '=', runId).executeTakeFirst();
  return { held: true, stop: row?.stop_requested === 1 };
}

export async function finishRun(
  q: Db,
  runId: string,
  owner: string,
  status: string,
  message: string,
  now: string,
  progress: Pick<JobRunRow, 'current_step' | 'done' | 'total' | 'created' | 'updated' | 'skipped' | 'failed'>,
): Promise<boolean> {
  const r = await q
    .updateTable('lf_job_runs')
    .set({ status, message, ended_at: now, lease_owner: null, lease_expires_at: null, ...progress })
    .where('id', '=', runId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'RUNNING')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Asks a run to stop: a submitted one stops at once; a running one when its runner next looks. */
export async function requestStop(q: Db, jobId: string, now: string): Promise<'stopped' | 'requested' | 'idle'> {
  const r = await q
    .updateTable('lf_job_runs')
    .set({ status: 'STOPPED', ended_at: now, message: 'stopped before it started' })
    .where('job_id', '=', jobId)
    .where('status', '=', 'SUBMITTED')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return 'stopped';
  const s = await q
    .updateTable('lf_job_runs')
    .set({ stop_requested: 1 })
    .where('job_id', '=', jobId)
    .where('status', '=', 'RUNNING')
    .executeTakeFirst();
  return Number(s.numUpdatedRows) > 0 ? 'requested' : 'idle';
}

/** Runs whose lease ran out: their replica died. Marked FAILED so they can be started again. */
export async function failExpired(q: Db, now: string): Promise<number> {
  // Looked for first: the sweep runs every second, and an UPDATE that matches nothing still moves SQLite's change
  // mark (see Store.changeMark), which every read kept by it would then make again.
  const any = await q
    .selectFrom('lf_job_runs')
    .select('id')
    .where('status', '=', 'RUNNING')
    .where('lease_expires_at', '<', now)
    .limit(1)
    .executeTakeFirst();
  if (!any) return 0;
  const r = await q
    .updateTable('lf_job_runs')
    .set({
      status: 'FAILED',
      ended_at: now,
      lease_owner: null,
      lease_expires_at: null,
      message: 'the server running this job stopped before it finished (its lease expired); start it again',
    })
    .where('status', '=', 'RUNNING')
    .where('lease_expires_at', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function appendLogs(
  q: Db,
  rows: { run_id: string; at: string; level: string; message: string }[],
): Promise<void> {
  if (rows.length) await q.insertInto('lf_job_run_logs').values(rows).execute();
}

export const pageLogs = (q: Db, runId: string, afterId: number, limit: number) =>
  q
    .selectFrom('lf_job_run_logs')
    .selectAll()
    .where('run_id', '=', runId)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();

/** Runs of an instance's jobs that ended FAILED since a time (for the JOB_FAILURES alarm metric). */
export async function failedRunsSince(q: Db, instanceId: string, since: string): Promise<number> {
  const r = await q
    .selectFrom('lf_job_runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('status', '=', 'FAILED')
    .where('ended_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
