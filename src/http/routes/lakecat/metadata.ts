import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { InstanceScope, PageInfo } from '../../schemas/lakecat.js';

export function metadataOperations(s: AppServices): Operation[] {
  const m = s.metadata;
  return [
    operation({
      name: 'CountMetaObj',
      action: 'metadata.count',
      group: 'LakeCat/Metadata Statistics',
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/metaobj/count',
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      bodyRequired: false,
      handler: ({ principal, params }) => m.count(principal, params.project_id, params.instance_id),
    }),
    operation({
      name: 'ListConfigs',
      action: 'metadata.configs',
      group: 'LakeCat/Configuration',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/configurations',
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 0, maximum: 1000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
      }),
      response: Type.Object({
        configs: Type.Array(Type.Object({ key: Type.String(), value: Type.String(), description: Type.String() })),
        page_info: PageInfo,
      }),
      handler: ({ principal, params, query }) =>
        m.configs(principal, params.project_id, params.instance_id, query.limit, query.marker || undefined),
    }),
    operation({
      name: 'ShowMetadataEvents',
      action: 'metadata.events',
      group: 'LakeCat/Metadata Events',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/metadata-event',
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        begin_time: Type.Optional(Type.String({ maxLength: 64 })),
        end_time: Type.Optional(Type.String({ maxLength: 64 })),
        limit: Type.Integer({ minimum: 0, maximum: 1000, default: 100 }),
        marker: Type.Optional(Type.String({ maxLength: 32 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        m.events(principal, params.project_id, params.instance_id, {
          beginTime: query.begin_time,
          endTime: query.end_time,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
  ];
}
