import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Operation, operation } from '../../operation.js';
import { ProjectId } from '../../schemas/common.js';
import { InstanceRef, InstanceScope, PageInfo } from '../../schemas/lakecat.js';

const ROLE_GROUP = 'LakeCat/Role';
const USER_GROUP = 'LakeCat/User';
const GROUP_GROUP = 'LakeCat/User Group';

const RoleName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z_0-9]+$' });
const UserName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z_0-9\\-.]+$' });
const RolePath = Type.Object({ project_id: ProjectId, instance_id: InstanceRef, role_name: RoleName });
const UserPath = Type.Object({ project_id: ProjectId, instance_id: InstanceRef, user_name: UserName });
const Description = Type.Optional(Type.String({ maxLength: 4000 }));
const PrincipalRef = Type.Object({
  principal_name: Type.String({ minLength: 1, maxLength: 49, pattern: '^[A-Za-z0-9_]+$' }),
  principal_source: Type.Union(['IAM', 'SAML', 'LDAP', 'LOCAL'].map((v) => Type.Literal(v))),
  principal_type: Type.Union(['USER', 'GROUP', 'ROLE', 'SHARE', 'OTHER'].map((v) => Type.Literal(v))),
});
const RoleRef = Type.Object({
  role_name: RoleName,
  principal_source: Type.Union(['IAM', 'SAML', 'LDAP', 'LOCAL', 'AGENTTENANT', 'OTHER'].map((v) => Type.Literal(v))),
});
const Pattern = (max: number) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: max, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_\\-|*.]*$' }));
const paging = (defaultLimit: number, maxLimit: number) => ({
  limit: Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit }),
  marker: Type.Optional(Type.String({ maxLength: 1024 })),
  reverse_page: Type.Boolean({ default: false }),
});
const page = (q: { limit: number; marker?: string; reverse_page: boolean }) => ({
  limit: q.limit,
  marker: q.marker || undefined,
  reversePage: q.reverse_page,
});

export function roleOperations(s: AppServices): Operation[] {
  const r = s.roles;
  const base = '/v1/{project_id}/instances/{instance_id}';
  return [
    operation({
      name: 'CreateRole',
      action: 'role.create',
      group: ROLE_GROUP,
      method: 'POST',
      path: `${base}/roles`,
      status: 201,
      params: InstanceScope,
      rateLimited: true,
      body: Type.Object({
        role_name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z_0-9]+$' }),
        description: Description,
      }),
      handler: ({ principal, params, body }) => r.create(principal, params.project_id, params.instance_id, body),
    }),
    operation({
      name: 'ListRoles',
      action: 'role.list',
      group: ROLE_GROUP,
      method: 'GET',
      path: `${base}/roles`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({ role_pattern: Pattern(128), ...paging(100, 1000) }),
      response: Type.Object({
        roles: Type.Array(
          Type.Object({ role_name: Type.String(), description: Type.String(), principal_source: Type.String() }),
        ),
        page_info: PageInfo,
      }),
      handler: ({ principal, params, query }) =>
        r.list(principal, params.project_id, params.instance_id, { pattern: query.role_pattern, ...page(query) }),
    }),
    operation({
      name: 'ListRoleNames',
      action: 'role.list',
      group: ROLE_GROUP,
      method: 'GET',
      path: `${base}/roles/names`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      response: Type.Array(Type.String()),
      handler: ({ principal, params }) => r.names(principal, params.project_id, params.instance_id),
    }),
    operation({
      name: 'ShowRole',
      action: 'role.show',
      group: ROLE_GROUP,
      method: 'GET',
      path: `${base}/roles/{role_name}`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      handler: ({ principal, params }) => r.show(principal, params.project_id, params.instance_id, params.role_name),
    }),
    operation({
      name: 'UpdateRole',
      action: 'role.alter',
      group: ROLE_GROUP,
      method: 'PUT',
      path: `${base}/roles/{role_name}`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      body: Type.Object({ role_name: RoleName, description: Description }),
      handler: ({ principal, params, body }) =>
        r.update(principal, params.project_id, params.instance_id, params.role_name, body),
    }),
    operation({
      name: 'DeleteRole',
      action: 'role.drop',
      group: ROLE_GROUP,
      method: 'DELETE',
      path: `${base}/roles/{role_name}`,
      status: 204,
      params: RolePath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await r.delete(principal, params.project_id, params.instance_id, params.role_name);
      },
    }),
    operation({
      name: 'ListPrincipals',
      action: 'role.list-members',
      group: ROLE_GROUP,
      method: 'GET',
      path: `${base}/roles/{role_name}/principals`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      query: Type.Object({ principal_pattern: Pattern(49), ...paging(100, 1000) }),
      handler: ({ principal, params, query }) =>
        r.principals(principal, params.project_id, params.instance_id, params.role_name, {
          pattern: query.principal_pattern,
          ...page(query),
        }),
    }),
    operation({
      name: 'AssociatePrincipals',
      action: 'role.grant-members',
      group: ROLE_GROUP,
      method: 'POST',
      path: `${base}/roles/{role_name}/grant-principals`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      body: Type.Array(PrincipalRef, { minItems: 1, maxItems: 100 }),
      handler: async ({ principal, params, body }) => {
        await r.addPrincipals(principal, params.project_id, params.instance_id, params.role_name, body);
      },
    }),
    operation({
      name: 'RevokePrincipals',
      action: 'role.grant-members',
      group: ROLE_GROUP,
      method: 'POST',
      path: `${base}/roles/{role_name}/revoke-principals`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      body: Type.Array(PrincipalRef, { minItems: 1, maxItems: 100 }),
      handler: async ({ principal, params, body }) => {
        await r.removePrincipals(principal, params.project_id, params.instance_id, params.role_name, body);
      },
    }),
    operation({
      name: 'UpdatePrincipals',
      action: 'role.grant-members',
      group: ROLE_GROUP,
      method: 'PUT',
      path: `${base}/roles/{role_name}/update-principals`,
      status: 200,
      params: RolePath,
      rateLimited: true,
      body: Type.Array(PrincipalRef, { maxItems: 100 }),
      handler: ({ principal, params, body }) =>
        r.replacePrincipals(principal, params.project_id, params.instance_id, params.role_name, body),
    }),
    operation({
      name: 'ListUsers',
      action: 'role.list-principals',
      group: USER_GROUP,
      method: 'GET',
      path: `${base}/users`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        user_source: Type.String({ pattern: '^(IAM|SAML|LDAP|LOCAL|AGENTTENANT|OTHER)$', default: 'IAM' }),
        user_name_pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9_|*.]*$' })),
        ...paging(1000, 2000),
      }),
      handler: ({ principal, params, query }) =>
        r.users(principal, params.project_id, params.instance_id, {
          source: query.user_source,
          pattern: query.user_name_pattern,
          ...page(query),
        }),
    }),
    operation({
      name: 'ListUserRoles',
      action: 'role.list-of-user',
      group: USER_GROUP,
      method: 'GET',
      path: `${base}/users/{user_name}/roles`,
      status: 200,
      params: UserPath,
      rateLimited: true,
      query: Type.Object({
        role_pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9_|*.]*$' })),
        ...paging(100, 1000),
      }),
      handler: ({ principal, params, query }) =>
        r.userRoles(principal, params.project_id, params.instance_id, params.user_name, {
          pattern: query.role_pattern,
          ...page(query),
        }),
    }),
    operation({
      name: 'AssociateRoles',
      action: 'role.grant-to-user',
      group: USER_GROUP,
      method: 'POST',
      path: `${base}/users/{user_name}/grant-roles`,
      status: 200,
      params: UserPath,
      rateLimited: true,
      body: Type.Array(RoleRef, { minItems: 1, maxItems: 100 }),
      handler: async ({ principal, params, body }) => {
        await r.grantRoles(principal, params.project_id, params.instance_id, params.user_name, body);
      },
    }),
    operation({
      name: 'RevokeRoles',
      action: 'role.grant-to-user',
      group: USER_GROUP,
      method: 'POST',
      path: `${base}/users/{user_name}/revoke-roles`,
      status: 200,
      params: UserPath,
      rateLimited: true,
      body: Type.Array(RoleRef, { minItems: 1, maxItems: 100 }),
      handler: async ({ principal, params, body }) => {
        await r.revokeRoles(principal, params.project_id, params.instance_id, params.user_name, body);
      },
    }),
    operation({
      name: 'UpdateRoles',
      action: 'role.grant-to-user',
      group: USER_GROUP,
      method: 'PUT',
      path: `${base}/users/{user_name}/update-roles`,
      status: 200,
      params: UserPath,
      rateLimited: true,
      body: Type.Array(RoleRef, { maxItems: 100 }),
      handler: ({ principal, params, body }) =>
        r.replaceRoles(principal, params.project_id, params.instance_id, params.user_name, body),
    }),
    operation({
      name: 'ListGroupsForDomain',
      action: 'role.list-principals',
      group: GROUP_GROUP,
      method: 'GET',
      path: `${base}/groups`,
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      query: Type.Object({
        group_source: Type.Union(
          ['IAM', 'SAML', 'LDAP', 'LOCAL'].map((v) => Type.Literal(v)),
          { default: 'IAM' },
        ),
        ...paging(1000, 2000),
      }),
      handler: ({ principal, params, query }) =>
        r.groups(principal, params.project_id, params.instance_id, { source: query.group_source, ...page(query) }),
    }),
  ];
}
