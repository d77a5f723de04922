import { Type } from 'typebox';
import type { AppServices } from '../../services/app-services.js';
import { invalid } from '../../services/errors.js';
import { SPEC_CATALOG } from '../../services/instances/specs.js';
import { type Operation, operation } from '../operation.js';
import { InstanceDetail, InstanceParams, ProjectParams, ResourceTag, SpecRequest } from '../schemas/common.js';

const INSTANCE = 'Instance Management';

const TAG_CHARS = '[\\p{L}\\p{Z}\\p{N}_.:=+\\-@]';
/** The `tags` filter of ListLakeFormationInstances: `[{key:k,values:[v1,v2]},{key:k2,values:[]}]`. */
export function parseTagFilter(raw: string): { key: string; values: string[] }[] {
  const whole = new RegExp(
    `^\\[(\\{key:${TAG_CHARS}{1,128},values:\\[(${TAG_CHARS}{0,255},?){0,3}\\]\\}){1,5}\\]$`,
    'u',
  );
  if (!whole.test(raw))
    throw invalid('tags must look like [{key:k,values:[v1,v2]}] with 1 to 5 keys and at most 3 values each');
  const item = new RegExp(`\\{key:(${TAG_CHARS}{1,128}),values:\\[([^\\]]*)\\]\\}`, 'gu');
  return [...raw.matchAll(item)].map((m) => ({
    key: m[1] as string,
    values: (m[2] ?? '').split(',').filter((v) => v !== ''),
  }));
}

export function instanceOperations(s: AppServices): Operation[] {
  const inst = s.instances;
  return [
    operation({
      name: 'CreateLakeFormationInstance',
      action: 'instance.create',
      group: INSTANCE,
      method: 'POST',
      path: '/v1/{project_id}/instances',
      status: 202,
      params: ProjectParams,
      body: Type.Object({
        name: Type.String({ minLength: 4, maxLength: 32, pattern: '^[A-Za-z0-9_-]{4,32}$' }),
        description: Type.Optional(Type.String({ maxLength: 255 })),
        charge_mode: Type.Union([Type.Literal('postPaid'), Type.Literal('prePaid')]),
        shared: Type.Boolean(),
        enterprise_project_id: Type.Optional(
          Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]{1,64}$' }),
        ),
        specs: Type.Optional(Type.Array(SpecRequest, { minItems: 1, maxItems: 10 })),
        tags: Type.Optional(Type.Array(ResourceTag, { maxItems: 20 })),
      }),
      response: InstanceDetail,
      handler: ({ principal, params, body }) => inst.create(principal, params.project_id, body),
    }),
    operation({
      name: 'ListLakeFormationInstances',
      action: 'instance.list',
      group: INSTANCE,
      method: 'GET',
      path: '/v1/{project_id}/instances',
      status: 200,
      params: ProjectParams,
      query: Type.Object({
        in_recycle_bin: Type.Boolean({ default: false }),
        offset: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9_-]+$' })),
        enterprise_project_id: Type.String({ pattern: '^[a-z0-9A-Z_-]{1,36}$', default: 'all_granted_eps' }),
        tags: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
      response: Type.Object({ instances: Type.Array(InstanceDetail), total: Type.Integer() }),
      handler: ({ principal, params, query }) =>
        inst.list(principal, params.project_id, {
          inRecycleBin: query.in_recycle_bin,
          offset: query.offset,
          limit: query.limit,
          name: query.name,
          enterpriseProjectId: query.enterprise_project_id,
          tags: query.tags ? parseTagFilter(query.tags) : undefined,
        }),
    }),
    operation({
      name: 'ShowLakeFormationInstance',
      action: 'instance.show',
      group: INSTANCE,
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      response: InstanceDetail,
      handler: ({ principal, params }) => inst.show(principal, params.project_id, params.instance_id),
    }),
    operation({
      name: 'UpdateLakeFormationInstance',
      action: 'instance.alter',
      group: INSTANCE,
      method: 'PUT',
      path: '/v1/{project_id}/instances/{instance_id}',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      body: Type.Object({
        name: Type.String({ minLength: 4, maxLength: 32, pattern: '^[a-zA-Z0-9_-]{4,32}$' }),
        description: Type.Optional(Type.String({ maxLength: 255 })),
      }),
      response: InstanceDetail,
      handler: ({ principal, params, body }) => inst.update(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      // Not rate limited: deleting must stay possible for an instance that is over its limit.
      name: 'DeleteLakeFormationInstance',
      action: 'instance.drop',
      group: INSTANCE,
      method: 'DELETE',
      path: '/v1/{project_id}/instances/{instance_id}',
      status: 202,
      params: InstanceParams,
      query: Type.Object({ to_recycle_bin: Type.Boolean({ default: false }) }),
      handler: async ({ principal, params, query }) => {
        await inst.delete(principal, params.project_id, params.instance_id, query.to_recycle_bin);
        return undefined;
      },
    }),
    operation({
      name: 'UpdateLakeFormationInstanceDefault',
      action: 'instance.alter',
      group: INSTANCE,
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/default',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await inst.setDefault(principal, params.project_id, params.instance_id);
        return undefined;
      },
    }),
    operation({
      // Not rate limited: scaling is how an instance over its limit gets a larger one.
      name: 'UpdateLakeFormationInstanceScale',
      action: 'instance.alter',
      group: INSTANCE,
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/scale',
      status: 200,
      params: InstanceParams,
      body: Type.Object({ specs: Type.Array(SpecRequest, { minItems: 1, maxItems: 10 }) }),
      handler: async ({ principal, params, body }) => {
        await inst.scale(principal, params.project_id, params.instance_id, body.specs);
        return undefined;
      },
    }),
    operation({
      name: 'MoveLakeFormationInstanceOutRecycleBin',
      action: 'instance.restore',
      group: INSTANCE,
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/recover',
      status: 200,
      params: InstanceParams,
      handler: async ({ principal, params }) => {
        await inst.recover(principal, params.project_id, params.instance_id);
        return undefined;
      },
    }),
    operation({
      name: 'ListSpecs',
      action: 'spec.list',
      group: 'Specification Management',
      method: 'GET',
      path: '/v1/{project_id}/specs',
      status: 200,
      params: ProjectParams,
      query: Type.Object({
        spec_code: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z.]+$' })),
        offset: Type.Integer({ minimum: 0, maximum: 100, default: 0 }),
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      }),
      handler: async ({ query }) => {
        const matching = SPEC_CATALOG.filter(
          (spec) => query.spec_code === undefined || spec.spec_code === query.spec_code,
        );
        return { spec_codes: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
      },
    }),
    operation({
      name: 'ListQuotas',
      action: 'quota.list',
      group: 'Quota Management',
      method: 'GET',
      path: '/v1/{project_id}/quotas',
      status: 200,
      params: ProjectParams,
      handler: async ({ principal, params }) => ({
        quotas: { resources: await inst.quotas(principal, params.project_id) },
      }),
    }),
    operation({
      name: 'BatchUpdateLakeFormationInstanceTags',
      action: 'instance.tag',
      group: 'Tag Management',
      method: 'PUT',
      path: '/v1/{project_id}/instances/{instance_id}/tags',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      body: Type.Object({ tags: Type.Array(ResourceTag, { maxItems: 20 }) }),
      handler: async ({ principal, params, body }) => {
        await inst.updateTags(principal, params.project_id, params.instance_id, body.tags);
        return undefined;
      },
    }),
    operation({
      name: 'ListLakeFormationInstanceTags',
      action: 'instance.list-tags',
      group: 'Tag Management',
      method: 'GET',
      path: '/v1/{project_id}/lakeformation-instance/tags',
      status: 200,
      params: ProjectParams,
      query: Type.Object({ use_predefine_tags: Type.Boolean({ default: false }) }),
      // Predefined tags live in a cloud tag service; a self-hosted server has none, so both answers are the project's
      // own tags.
      handler: async ({ principal, params }) => ({ tags: await inst.listProjectTags(principal, params.project_id) }),
    }),
  ];
}
