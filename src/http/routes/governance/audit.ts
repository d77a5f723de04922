import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { InstanceScope } from '../../schemas/lakecat.js';

// Not in the LakeFormation reference: lakeform's own record of who changed grants and roles,
// and who was refused what.
export function auditOperations(s: AppServices): Operation[] {
  return [
    operation({
      name: 'ListAuditEvents',
      action: 'audit.list',
      group: 'lakeform/Audit',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/audit-events',
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        marker: Type.Optional(Type.String({ maxLength: 32 })),
        result: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('denied')])),
      }),
      handler: ({ principal, params, query }) =>
        s.audit.list(principal, params.project_id, params.instance_id, {
          limit: query.limit,
          marker: query.marker || undefined,
          result: query.result,
        }),
    }),
  ];
}
