import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { InstanceScope } from '../../schemas/lakecat.js';

const GROUP = 'LakeCat/Authorization';

const PERMISSIONS = [
  'ALL',
  'CREATE',
  'ALTER',
  'DROP',
  'DESCRIBE',
  'EXEC',
  'CREATE_DATABASE',
  'LIST_DATABASE',
  'CREATE_TABLE',
  'LIST_TABLE',
  'CREATE_FUNC',
  'LIST_FUNC',
  'REGISTER_MODEL',
  'LIST_MODEL',
  'INSERT',
  'UPDATE',
  'DELETE',
  'SELECT',
  'READ',
  'WRITE',
  'OPERATE',
];
const Permission = Type.Union(PERMISSIONS.map((v) => Type.Literal(v)));
const Action = Type.Union([...PERMISSIONS, 'USE'].map((v) => Type.Literal(v)));
const ResourceType = Type.Union(
  ['CATALOG', 'DATABASE', 'TABLE', 'COLUMN', 'FUNC', 'MODEL', 'URI'].map((v) => Type.Literal(v)),
);
const PrincipalRef = Type.Object({
  principal_name: Type.String({ minLength: 1, maxLength: 49, pattern: '^[A-Za-z0-9_]+$' }),
  principal_source: Type.Union(['IAM', 'SAML', 'LDAP', 'LOCAL'].map((v) => Type.Literal(v))),
  principal_type: Type.Union(['USER', 'GROUP', 'ROLE', 'SHARE', 'OTHER'].map((v) => Type.Literal(v))),
});
const ObjectName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_*]*$' });
const ColumnName = Type.String({
  minLength: 1,
  maxLength: 767,
  pattern: '^[a-zA-Z0-9_\\-+*\\\\(), \\u4e00-\\u9fa5]+$',
});
const ResourceInfo = Type.Object({
  type: ResourceType,
  catalogs: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_*]+$' }),
        databases: Type.Optional(
          Type.Array(
            Type.Object({
              name: ObjectName,
              tables: Type.Optional(
                Type.Array(
                  Type.Object({
                    name: ObjectName,
                    columns: Type.Optional(
                      Type.Object({
                        column_name: Type.Array(ColumnName, { minItems: 1, maxItems: 1000 }),
                        filter: Type.Union([Type.Literal('Include'), Type.Literal('Exclude')]),
                      }),
                    ),
                  }),
                  { maxItems: 10 },
                ),
              ),
              functions: Type.Optional(Type.Array(Type.Object({ name: ObjectName }), { maxItems: 10 })),
            }),
            { maxItems: 10 },
          ),
        ),
      }),
      { maxItems: 10 },
    ),
  ),
  uris: Type.Optional(
    Type.Array(Type.String({ maxLength: 4000, pattern: '^(obs|har|s3|file)://.+/.+$' }), { maxItems: 10 }),
  ),
});
const PolicyInput = Type.Object({
  principal_list: Type.Array(PrincipalRef, { minItems: 1, maxItems: 20 }),
  resource: ResourceInfo,
  permissions: Type.Array(Permission, { minItems: 1, maxItems: 30 }),
  grant_able_permissions: Type.Optional(Type.Array(Permission, { maxItems: 30 })),
  effect: Type.Boolean({ default: true }),
  conditions: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  data_filter: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  data_mask: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
});
const AccessRequest = Type.Object({
  action: Action,
  principal: Type.Array(PrincipalRef, { maxItems: 2000 }),
  resource: Type.Object({
    resource_type: ResourceType,
    catalog: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z_0-9]+$' })),
    database: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_]*$' })),
    table: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_]*$' })),
    function: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '[a-zA-Z0-9_]+' })),
    column: Type.Optional(ColumnName),
    columns: Type.Optional(Type.Array(ColumnName, { maxItems: 1000 })),
    uri: Type.Optional(Type.String({ maxLength: 4000 })),
  }),
});

export function policyOperations(s: AppServices): Operation[] {
  const p = s.policies;
  const base = '/v1/{project_id}/instances/{instance_id}/policies';
  return [
    operation({
      name: 'BatchAuthorizeInterface',
      action: 'policy.grant',
      group: GROUP,
      method: 'POST',
      path: `${base}/grant`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      body: PolicyInput,
      handler: ({ principal, params, body }) => p.grant(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      name: 'BatchCancelAuthorizationInterface',
      action: 'policy.revoke',
      group: GROUP,
      method: 'POST',
      path: `${base}/revoke`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      body: PolicyInput,
      handler: async ({ principal, params, body }) => {
        await p.revoke(principal, params.project_id, params.instance_id, body);
      },
    }),
    operation({
      name: 'BatchCheckPermission',
      action: 'policy.check',
      group: GROUP,
      method: 'POST',
      path: `${base}/check-permission`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      body: Type.Object({ access_request: Type.Array(AccessRequest, { maxItems: 100 }) }),
      // explain=true (a lakeform extension): each answer also names the policies that decided it.
      query: Type.Object({ explain: Type.Boolean({ default: false }) }),
      response: Type.Array(
        Type.Object({
          check_result: Type.Boolean(),
          error_message: Type.Optional(Type.String()),
          deciding_policies: Type.Optional(
            Type.Array(
              Type.Object({
                principal_type: Type.String(),
                principal_source: Type.String(),
                principal_name: Type.String(),
                resource_type: Type.String(),
                resource_name: Type.String(),
                permissions: Type.Array(Type.String()),
                effect: Type.Boolean(),
              }),
            ),
          ),
        }),
      ),
      handler: ({ principal, params, query, body }) =>
        p.check(principal, params.project_id, params.instance_id, body.access_request, { explain: query.explain }),
    }),
    operation({
      name: 'ListInterfaces',
      action: 'policy.list',
      group: GROUP,
      method: 'GET',
      path: `${base}/show`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        filter: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        resource_name: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
        resource_type: Type.Optional(ResourceType),
        principal_source: Type.Optional(Type.Union(['IAM', 'SAML', 'LDAP', 'LOCAL'].map((v) => Type.Literal(v)))),
        principal_type: Type.Optional(
          Type.Union(['USER', 'GROUP', 'ROLE', 'SHARE', 'OTHER'].map((v) => Type.Literal(v))),
        ),
        principal_name: Type.Optional(Type.String({ minLength: 1, maxLength: 49 })),
        limit: Type.Integer({ minimum: 1, maximum: 2000, default: 1000 }),
        marker: Type.Optional(Type.String({ maxLength: 256 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        p.show(principal, params.project_id, params.instance_id, {
          principalType: query.principal_type,
          principalSource: query.principal_source,
          principalName: query.principal_name,
          resourceType: query.resource_type,
          resourceName: query.resource_name?.toLowerCase(),
          keyword: query.filter,
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ListPolicy',
      action: 'policy.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 10000, default: 5000 }),
        marker: Type.Optional(Type.String({ maxLength: 1024 })),
        reverse_page: Type.Boolean({ default: false }),
      }),
      handler: ({ principal, params, query }) =>
        p.list(principal, params.project_id, params.instance_id, {
          limit: query.limit,
          marker: query.marker || undefined,
          reversePage: query.reverse_page,
        }),
    }),
    operation({
      name: 'ShowSyncPolicy',
      action: 'policy.sync',
      group: GROUP,
      method: 'GET',
      path: `${base}/policy`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        last_known_version: Type.Optional(Type.Integer({ minimum: -1 })),
        supports_policy_deltas: Type.Boolean({ default: false }),
        is_return_policy_data: Type.Boolean({ default: true }),
      }),
      handler: ({ principal, params, query }) =>
        p.sync(principal, params.project_id, params.instance_id, {
          lastKnownVersion: query.last_known_version,
          supportsDeltas: query.supports_policy_deltas,
          returnPolicies: query.is_return_policy_data,
        }),
    }),
  ];
}
