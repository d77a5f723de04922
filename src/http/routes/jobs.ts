import { Type } from 'typebox';
import type { AppServices } from '../../services/app-services.js';
import { JOB_TYPES } from '../../services/jobs/job-service.js';
import { type Operation, operation } from '../operation.js';
import { InstanceParams } from '../schemas/common.js';

const GROUP = 'Job Management';
const base = '/v1/{project_id}/instances/{instance_id}/lf-jobs';
const JobPath = Type.Object({ ...InstanceParams.properties, job_id: Type.String({ pattern: '^[a-zA-Z0-9-]{36}$' }) });
const JobType = Type.Union(JOB_TYPES.map((t) => Type.Literal(t)));
const Status = Type.Union(
  ['CREATED', 'SUBMITTED', 'RUNNING', 'SUCCESS', 'PARTIAL_SUCCESS', 'FAILED', 'STOPPED'].map((s) => Type.Literal(s)),
);
const Name = Type.String({ minLength: 4, maxLength: 255, pattern: '^[a-zA-Z0-9_\\u4e00-\\u9fa5]+$' });
const Description = Type.Optional(Type.String({ maxLength: 4000 }));
const Parameter = Type.Object({
  metadata_migration_parameter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  permission_migration_parameter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  metadata_discovery_parameter: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  smn_notify: Type.Optional(Type.Boolean()),
  smn_notify_topic: Type.Optional(Type.String({ maxLength: 256 })),
  smn_notify_types: Type.Optional(Type.Array(Type.Union([Type.Literal('SUCCESS'), Type.Literal('FAILED')]))),
});
const Offset = Type.Integer({ minimum: 0, maximum: 1000, default: 0 });
const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 10 });

export function jobOperations(s: AppServices): Operation[] {
  const j = s.jobs;
  return [
    operation({
      name: 'CreateJobByInstance',
      action: 'job.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      body: Type.Object({ name: Name, description: Description, type: JobType, parameter: Parameter }),
      handler: ({ principal, params, body }) => j.create(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      name: 'ListJobsByInstance',
      action: 'job.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      query: Type.Object({
        type: JobType,
        name_pattern: Type.Optional(Type.String({ maxLength: 255 })),
        status: Type.Optional(Status),
        offset: Offset,
        limit: Limit,
      }),
      handler: ({ principal, params, query }) => j.list(principal, params.project_id, params.instance_id, query),
    }),
    operation({
      name: 'ShowJobByInstance',
      action: 'job.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{job_id}`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      handler: ({ principal, params }) => j.show(principal, params.project_id, params.instance_id, params.job_id),
    }),
    operation({
      name: 'UpdateJobByInstance',
      action: 'job.alter',
      group: GROUP,
      method: 'PUT',
      path: `${base}/{job_id}`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      body: Type.Object({ name: Name, description: Description, parameter: Parameter }),
      handler: ({ principal, params, body }) =>
        j.update(principal, params.project_id, params.instance_id, params.job_id, body),
    }),
    operation({
      name: 'DeleteJobByInstance',
      action: 'job.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{job_id}`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await j.delete(principal, params.project_id, params.instance_id, params.job_id);
      },
    }),
    operation({
      name: 'StartJobByInstance',
      action: 'job.start',
      group: GROUP,
      method: 'POST',
      path: `${base}/{job_id}/start`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      query: Type.Object({
        mode: Type.Optional(Type.Union([Type.Literal('NORMAL'), Type.Literal('COMPARISON')])),
        cascade: Type.Optional(Type.Boolean()),
      }),
      bodyRequired: false,
      handler: ({ principal, params, query }) =>
        j.start(principal, params.project_id, params.instance_id, params.job_id, query.mode, query.cascade),
    }),
    operation({
      name: 'StopJobByInstance',
      action: 'job.stop',
      group: GROUP,
      method: 'POST',
      path: `${base}/{job_id}/stop`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      bodyRequired: false,
      handler: ({ principal, params }) => j.stop(principal, params.project_id, params.instance_id, params.job_id),
    }),
    operation({
      name: 'ShowJobHistoryByInstance',
      action: 'job.show',
      group: GROUP,
      method: 'GET',
      path: `${base}/{job_id}/history`,
      status: 200,
      params: JobPath,
      rateLimited: true,
      query: Type.Object({ status: Type.Optional(Status), offset: Offset, limit: Limit }),
      handler: ({ principal, params, query }) =>
        j.history(principal, params.project_id, params.instance_id, params.job_id, query),
    }),
    // Not in the reference: a run's log, read while it runs (the reference names no logs operation).
    operation({
      name: 'ListJobRunLogs',
      action: 'job.show',
      group: 'lakeform/Jobs',
      method: 'GET',
      path: `${base}/{job_id}/runs/{run_id}/logs`,
      status: 200,
      rateLimited: true,
      params: Type.Object({ ...JobPath.properties, run_id: Type.String({ pattern: '^[a-zA-Z0-9-]{36}$' }) }),
      query: Type.Object({
        marker: Type.Optional(Type.String({ maxLength: 32 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
      }),
      handler: ({ principal, params, query }) =>
        j.logs(principal, params.project_id, params.instance_id, params.job_id, params.run_id, query),
    }),
  ];
}
