import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import * as repo from '../../store/jobs/job-repository.js';
import type { JobRow, JobRunRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import type { Principal } from '../iam/principal.js';
import { jobRunEnded } from '../telemetry.js';

export type RunCounter = 'created' | 'updated' | 'skipped' | 'failed';

/** What a job sees while it runs. */
export interface JobContext {
  job: JobRow;
  run: JobRunRow;
  /** The job's parameter with its secrets opened. */
  parameter: Record<string, unknown>;
  /** The job's creator: every write goes through the services with their rights. */
  actor: Principal;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(p: { step?: string; done?: number; total?: number }): void;
  count(counter: RunCounter, n?: number): void;
  /** Set when a stop was asked: the job returns at its next safe point. */
  readonly stopped: boolean;
}

export type JobHandler = (ctx: JobContext) => Promise<void>;

export interface RunnerDeps {
  /** The job, its opened parameter and its acting principal, or a reason it cannot run. */
  prepare(run: JobRunRow): Promise<{ job: JobRow; parameter: Record<string, unknown>; actor: Principal } | string>;
  handlers: Record<string, JobHandler>;
  /** Called when a run ends, with its whole log (e.g. to write it to the job's log location). */
  finished?(job: JobRow, run: JobRunRow, log: string): Promise<void>;
}

const BEAT_MS = 500;

/**
 * Runs submitted job runs in the background. A run is claimed through its lease in the store,
 * so replicas sharing one database never run it twice; the lease is renewed while it runs and
 * a run whose replica died is failed once its lease has expired. A stop is seen within a beat.
 */
export class JobRunner {
  readonly owner = `${process.pid}-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private readonly active = new Map<string, { stop: boolean; done: Promise<void> }>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly deps: RunnerDeps,
    private readonly log: Logger,
    private readonly leaseMs = 15_000,
    private readonly sweepMs = 1000,
    private readonly capacity = 2,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.sweepMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now (a start on this replica calls it). */
  kick(): void {
    if (this.closed || this.sweeping) return;
    this.sweeping = this.sweep()
      .catch((err: unknown) => this.log.error({ err }, 'job runner sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
  }

  /** A stop asked on this replica reaches its run at once. */
  stopLocal(runId: string): void {
    const a = this.active.get(runId);
    if (a) a.stop = true;
  }

  private async sweep(): Promise<void> {
    const now = nowIso();
    const expired = await repo.failExpired(this.store.db, now);
    if (expired) this.log.warn({ runs: expired }, 'job runs whose server stopped were marked FAILED');
    while (!this.closed && this.active.size < this.capacity) {
      const run = await repo.claimRun(
        this.store.db,
        this.owner,
        nowIso(),
        new Date(Date.now() + this.leaseMs).toISOString(),
      );
      if (!run) break;
      const entry = { stop: false, done: Promise.resolve() };
      this.active.set(run.id, entry);
      entry.done = this.execute(run, entry).finally(() => this.active.delete(run.id));
    }
  }

  private async execute(run: JobRunRow, entry: { stop: boolean }): Promise<void> {
    const progress = { current_step: '', done: 0, total: 0, created: 0, updated: 0, skipped: 0, failed: 0 };
    const pending: { run_id: string; at: string; level: string; message: string }[] = [];
    const all: string[] = [];
    const log = (level: string, message: string) => {
      const at = nowIso();
      pending.push({ run_id: run.id, at, level, message });
      all.push(`${at} ${level.toUpperCase()} ${message}`);
    };
    const flush = async () => {
      await repo.appendLogs(this.store.db, pending.splice(0));
    };
    let held = true;
    const beat = setInterval(() => {
      void (async () => {
        await flush();
        const h = await repo.heartbeat(
          this.store.db,
          run.id,
          this.owner,
          new Date(Date.now() + this.leaseMs).toISOString(),
          progress,
        );
        held = h.held;
        if (h.stop) entry.stop = true;
      })().catch((err: unknown) => this.log.warn({ err, run: run.id }, 'job heartbeat failed'));
    }, BEAT_MS);
    let status = 'SUCCESS';
    let message = '';
    let job: JobRow | undefined;
    try {
      const prepared = await this.deps.prepare(run);
      if (typeof prepared === 'string') throw new Error(prepared);
      job = prepared.job;
      const handler = this.deps.handlers[job.type];
      if (!handler) throw new Error(`jobs of type ${job.type} cannot run on this server`);
      log('info', `run ${run.id} of job ${job.name} (${job.type}) started as ${prepared.actor.userName}`);
      await handler({
        job,
        run,
        parameter: prepared.parameter,
        actor: prepared.actor,
        log: (level, m) => log(level, m),
        progress: (p) => {
          if (p.step !== undefined) progress.current_step = p.step;
          if (p.done !== undefined) progress.done = p.done;
          if (p.total !== undefined) progress.total = p.total;
        },
        count: (counter, n = 1) => {
          progress[counter] += n;
        },
        get stopped() {
          return entry.stop;
        },
      });
      if (entry.stop) {
        status = 'STOPPED';
        message = 'stopped on request';
      } else if (progress.failed > 0) {
        status = progress.created + progress.updated > 0 ? 'PARTIAL_SUCCESS' : 'FAILED';
        message = `${progress.failed} object(s) failed; see the run's log`;
      }
    } catch (err) {
      status = 'FAILED';
      message = err instanceof Error ? err.message : String(err);
      log('error', message);
    } finally {
      clearInterval(beat);
    }
    log(
      'info',
      `run ended ${status}: created ${progress.created}, updated ` +
        `${progress.updated}, skipped ${progress.skipped}, failed ` +
        `${progress.failed}`,
    );
    await flush();
    // The log is in storage before the run shows as finished, so whoever sees the end can read it.
    if (held && job && this.deps.finished) {
      await this.deps
        .finished(job, { ...run, status }, `${all.join('\n')}\n`)
        .catch((err: unknown) => this.log.warn({ err, run: run.id }, 'writing the job log to storage failed'));
    }
    if (!held || !(await repo.finishRun(this.store.db, run.id, this.owner, status, message, nowIso(), progress))) {
      this.log.warn({ run: run.id }, 'a job run lost its lease before it finished');
    }
    jobRunEnded(job?.type ?? 'UNKNOWN', held ? status : 'LOST_LEASE');
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const a of this.active.values()) a.stop = true;
    await Promise.all([...this.active.values()].map((a) => a.done));
    await this.sweeping;
  }
}
