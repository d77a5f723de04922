import { randomUUID } from 'node:crypto';
import * as repo from '../../store/jobs/job-repository.js';
import type { JobRow, JobRunRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, invalid, notFound, unlessDuplicate } from '../errors.js';
import type { SecretBox } from '../iam/crypto-util.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { JobRunner } from './job-runner.js';

type JobAction = 'job.create' | 'job.list' | 'job.show' | 'job.alter' | 'job.drop' | 'job.start' | 'job.stop';

export const JOB_TYPES = ['METADATA_MIGRATION', 'PERMISSION_MIGRATION', 'METADATA_DISCOVERY'] as const;
export type JobType = (typeof JOB_TYPES)[number];
const PARAMETER_OF: Record<JobType, string> = {
  METADATA_MIGRATION: 'metadata_migration_parameter',
  PERMISSION_MIGRATION: 'permission_migration_parameter',
  METADATA_DISCOVERY: 'metadata_discovery_parameter',
};
/** Fields that hold secrets: sealed at rest, never returned. */
const SECRET_FIELDS = ['password', 'secret_key', 'access_key'];
export const CONFLICT_STRATEGIES = ['UPSERT', 'UPDATE', 'SKIP', 'FAIL'];

export interface JobInput {
  name: string;
  description?: string;
  type?: string;
  parameter: Record<string, unknown>;
}

/** The run's figures as the API shows them. */
function runView(r: JobRunRow) {
  return {
    run_id: r.id,
    status: r.status,
    mode: r.mode,
    cascade: r.cascade === 1,
    current_step: r.current_step,
    done: r.done,
    total: r.total,
    created: r.created,
    updated: r.updated,
    skipped: r.skipped,
    failed: r.failed,
    message: r.message,
    submitted_time: r.submitted_at,
    ...(r.started_at ? { start_time: r.started_at } : {}),
    ...(r.ended_at ? { end_time: r.ended_at } : {}),
  };
}

/** Maps the parameter's datasource secrets through `f` (seal on the way in, drop on the way out). */
function mapSecrets(parameter: Record<string, unknown>, f: (v: string) => string | undefined): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(parameter)) as Record<string, unknown>;
  const ds = (copy.metadata_migration_parameter as { datasource_parameter?: Record<string, unknown> } | undefined)
    ?.datasource_parameter;
  if (ds) {
    for (const k of SECRET_FIELDS) {
      if (typeof ds[k] !== 'string') continue;
      const v = f(ds[k] as string);
      if (v === undefined) delete ds[k];
      else ds[k] = v;
    }
  }
  return copy;
}

/**
 * Jobs of an instance: background work (metadata discovery, migration from a Hive Metastore,
 * permission migration) that a project administrator defines, starts, watches and stops.
 * A job acts as its creator; runs are executed by the JobRunner.
 */
export class JobService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly box: SecretBox,
    private readonly runner: JobRunner,
  ) {
    this.authz = new Authorizer(store, instances);
  }

  /** The instance of a job action, authorized by its declaration. */
  private async instance(caller: Principal, action: JobAction, projectId: string, instanceRef: string) {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance;
  }

  private async load(
    caller: Principal,
    action: JobAction,
    projectId: string,
    instanceRef: string,
    id: string,
  ): Promise<JobRow> {
    const instance = await this.instance(caller, action, projectId, instanceRef);
    const job = await repo.findJob(this.store.db, instance.id, id);
    if (!job) throw notFound(`job ${id} does not exist`);
    return job;
  }

  /** The parameter a job of this type needs, checked before it is stored. */
  private checkParameter(type: JobType, parameter: Record<string, unknown>): void {
    // SMN is the cloud's notification service: a self-hosted server cannot publish to a topic of it.
    if (parameter.smn_notify === true || parameter.smn_notify_topic)
      throw invalid(
        'smn_notify and smn_notify_topic do not apply here: SMN is a cloud notification service this server ' +
          'cannot reach; a job failure can notify through an alarm rule with a webhook (see docs/not-applicable.md)',
      );
    const key = PARAMETER_OF[type];
    const p = parameter[key] as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object') throw invalid(`a ${type} job needs parameter.${key}`);
    const need = (field: string) => {
      if (typeof p[field] !== 'string' || !(p[field] as string).trim())
        throw invalid(`parameter.${key}.${field} is required`);
    };
    const strategy = p.conflict_strategy;
    if (strategy !== undefined && !CONFLICT_STRATEGIES.includes(String(strategy)))
      throw invalid(`conflict_strategy must be one of ${CONFLICT_STRATEGIES.join(', ')}`);
    if (type === 'METADATA_DISCOVERY') {
      need('data_location');
      need('target_catalog');
      need('target_database');
    }
    if (type === 'METADATA_MIGRATION') {
      need('datasource_type');
      need('source_catalog');
      need('target_catalog');
      if (!['OPEN_FOR_MYSQL', 'MRS_RDS_FOR_MYSQL', 'MRS_RDS_FOR_PG'].includes(String(p.datasource_type))) {
        throw invalid(
          'datasource_type must be OPEN_FOR_MYSQL, MRS_RDS_FOR_MYSQL or ' +
            'MRS_RDS_FOR_PG (a Hive Metastore on MySQL/MariaDB or PostgreSQL)',
        );
      }
      const ds = p.datasource_parameter as Record<string, unknown> | undefined;
      if (!ds || typeof ds.jdbc_url !== 'string')
        throw invalid(`parameter.${key}.datasource_parameter.jdbc_url is required`);
    }
    if (type === 'PERMISSION_MIGRATION') {
      need('location');
      need('file_name');
    }
  }

  private async view(job: JobRow) {
    const [latest, success] = await Promise.all([
      repo.latestRun(this.store.db, job.id),
      repo.lastSuccess(this.store.db, job.id),
    ]);
    return {
      id: job.id,
      name: job.name,
      description: job.description,
      type: job.type,
      parameter: mapSecrets(JSON.parse(job.parameter) as Record<string, unknown>, () => undefined),
      create_time: job.created_at,
      status: latest?.status ?? 'CREATED',
      ...(latest?.started_at ? { start_time: latest.started_at } : {}),
      ...(success?.ended_at ? { last_success_run_time: success.ended_at } : {}),
      ...(latest ? { last_run: runView(latest) } : {}),
    };
  }

  async create(caller: Principal, projectId: string, instanceRef: string, input: JobInput) {
    const instance = await this.instance(caller, 'job.create', projectId, instanceRef);
    const type = input.type as JobType;
    if (!JOB_TYPES.includes(type)) throw invalid(`type must be one of ${JOB_TYPES.join(', ')}`);
    this.checkParameter(type, input.parameter);
    const now = nowIso();
    const row: JobRow = {
      id: randomUUID(),
      instance_id: instance.id,
      name: input.name,
      description: input.description ?? '',
      type,
      parameter: JSON.stringify(mapSecrets(input.parameter, (v) => this.box.seal(v))),
      creator_id: caller.userId,
      creator_name: caller.userName,
      project_id: projectId,
      created_at: now,
      updated_at: now,
    };
    await unlessDuplicate(`a job named ${input.name} already exists`, () =>
      this.store.transaction((trx) => repo.insertJob(trx, row)),
    );
    return this.view(row);
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { type: string; name_pattern?: string; status?: string; offset: number; limit: number },
  ) {
    const instance = await this.instance(caller, 'job.list', projectId, instanceRef);
    const { rows, total } = await repo.pageJobs(
      this.store.db,
      instance.id,
      { type: q.type, namePattern: q.name_pattern, status: q.status },
      q.offset,
      q.limit,
    );
    return {
      total,
      jobs: rows.map((r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        type: r.type,
        create_time: r.created_at,
        status: r.run_status ?? 'CREATED',
        ...(r.run_started_at ? { start_time: r.run_started_at } : {}),
      })),
    };
  }

  async show(caller: Principal, projectId: string, instanceRef: string, id: string) {
    return this.view(await this.load(caller, 'job.show', projectId, instanceRef, id));
  }

  /** Replaces name, description and parameter; the type stays. Not while a run is active. */
  async update(caller: Principal, projectId: string, instanceRef: string, id: string, input: JobInput) {
    const job = await this.load(caller, 'job.alter', projectId, instanceRef, id);
    if (await repo.activeRun(this.store.db, job.id))
      throw conflict(`job ${job.name} is running: stop it before changing it`);
    this.checkParameter(job.type as JobType, input.parameter);
    // A secret left out of the new parameter keeps its sealed value.
    const old = JSON.parse(job.parameter) as Record<string, unknown>;
    const sealed = mapSecrets(input.parameter, (v) => this.box.seal(v));
    const oldDs = (old.metadata_migration_parameter as { datasource_parameter?: Record<string, unknown> } | undefined)
      ?.datasource_parameter;
    const newDs = (
      sealed.metadata_migration_parameter as { datasource_parameter?: Record<string, unknown> } | undefined
    )?.datasource_parameter;
    if (oldDs && newDs)
      for (const k of SECRET_FIELDS) if (newDs[k] === undefined && oldDs[k] !== undefined) newDs[k] = oldDs[k];
    await unlessDuplicate(`a job named ${input.name} already exists`, () =>
      this.store.transaction((trx) =>
        repo.updateJob(trx, job.instance_id, job.id, {
          name: input.name,
          description: input.description ?? job.description,
          parameter: JSON.stringify(sealed),
          updated_at: nowIso(),
        }),
      ),
    );
    return this.show(caller, projectId, instanceRef, id);
  }

  async delete(caller: Principal, projectId: string, instanceRef: string, id: string): Promise<void> {
    const job = await this.load(caller, 'job.drop', projectId, instanceRef, id);
    const r = await this.store.transaction((trx) => repo.deleteJobUnlessActive(trx, job.instance_id, job.id));
    if (r === 'active') throw conflict(`job ${job.name} is submitted or running: stop it before deleting it`);
    if (r === 'missing') throw notFound(`job ${id} does not exist`);
  }

  /** Submits a run; one run at a time per job (the database decides). */
  async start(caller: Principal, projectId: string, instanceRef: string, id: string, mode = 'NORMAL', cascade = false) {
    const job = await this.load(caller, 'job.start', projectId, instanceRef, id);
    // Only a metadata migration can compare: the other kinds have no target to read back.
    if (mode === 'COMPARISON' && job.type !== 'METADATA_MIGRATION') {
      throw invalid(`mode COMPARISON applies to METADATA_MIGRATION jobs only; job ${job.name} is ${job.type}`);
    }
    const run: JobRunRow = {
      id: randomUUID(),
      job_id: job.id,
      instance_id: job.instance_id,
      status: 'SUBMITTED',
      mode,
      cascade: cascade ? 1 : 0,
      lease_owner: null,
      lease_expires_at: null,
      stop_requested: 0,
      current_step: '',
      done: 0,
      total: 0,
      created: 0,
      updated: 0,
      skipped: 0,
      failed: 0,
      message: '',
      submitted_at: nowIso(),
      started_at: null,
      ended_at: null,
    };
    await unlessDuplicate(`job ${job.name} already has a run submitted or running`, () =>
      this.store.transaction((trx) => repo.insertRun(trx, run)),
    );
    this.runner.kick();
    return runView(run);
  }

  async stop(caller: Principal, projectId: string, instanceRef: string, id: string) {
    const job = await this.load(caller, 'job.stop', projectId, instanceRef, id);
    const active = await repo.activeRun(this.store.db, job.id);
    const r = await repo.requestStop(this.store.db, job.id, nowIso());
    if (r === 'idle') throw conflict(`job ${job.name} has no run to stop`);
    if (active) this.runner.stopLocal(active.id);
    return {
      job_id: job.id,
      ...(active ? { run_id: active.id } : {}),
      status: r === 'stopped' ? 'STOPPED' : 'STOPPING',
    };
  }

  async history(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    id: string,
    q: { status?: string; offset: number; limit: number },
  ) {
    const job = await this.load(caller, 'job.show', projectId, instanceRef, id);
    const { rows, total } = await repo.pageRuns(this.store.db, job.id, q.status, q.offset, q.limit);
    return {
      total,
      jobs: rows.map((r) => ({ id: r.id, name: job.name, type: job.type, create_time: r.submitted_at, ...runView(r) })),
    };
  }

  /** A run's log lines after `marker` (a line id), oldest first. */
  async logs(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    id: string,
    runId: string,
    q: { marker?: string; limit: number },
  ) {
    const job = await this.load(caller, 'job.show', projectId, instanceRef, id);
    const run = await repo.findRun(this.store.db, runId);
    if (!run || run.job_id !== job.id) throw notFound(`job ${job.name} has no run ${runId}`);
    const after = q.marker ? Number(q.marker) : 0;
    if (!Number.isInteger(after) || after < 0) throw invalid('marker must be a marker returned by this operation');
    const rows = await repo.pageLogs(this.store.db, run.id, after, q.limit);
    const last = rows[rows.length - 1];
    return {
      logs: rows.map((r) => ({ time: r.at, level: r.level.toUpperCase(), message: r.message })),
      page_info: {
        current_count: rows.length,
        ...(rows.length === q.limit && last ? { next_marker: String(last.id) } : {}),
      },
    };
  }

  /** For the runner: a run's job, its parameter with secrets opened, and who it acts as. */
  async prepare(run: JobRunRow, principalOf: (userId: string, projectId: string) => Promise<Principal | undefined>) {
    const job = await repo.findJobById(this.store.db, run.job_id);
    if (!job) return 'the job was deleted';
    const actor = await principalOf(job.creator_id, job.project_id);
    if (!actor)
      return `the job's creator ${job.creator_name} no longer exists or is disabled: a job acts as its creator`;
    const parameter = mapSecrets(JSON.parse(job.parameter) as Record<string, unknown>, (v) => this.box.open(v));
    return { job, parameter, actor };
  }
}
