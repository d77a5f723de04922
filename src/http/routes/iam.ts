import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppServices } from '../../services/app-services.js';
import { invalid, notFound } from '../../services/errors.js';
import type { Principal } from '../../services/iam/principal.js';
import type { GroupRow, ProjectRow, UserRow } from '../../store/schema.js';
import { baseUrl } from '../base-url.js';
import { HttpError } from '../errors.js';
import { type Operation, operation } from '../operation.js';

const IAM = 'IAM';
const NameOrId = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 64 })),
  name: Type.Optional(Type.String({ maxLength: 255 })),
});
const Scope = Type.Object({
  project: Type.Optional(
    Type.Object({
      id: Type.Optional(Type.String({ maxLength: 64 })),
      name: Type.Optional(Type.String({ maxLength: 255 })),
      domain: Type.Optional(NameOrId),
    }),
  ),
  domain: Type.Optional(NameOrId),
});
const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
  marker: Type.Optional(Type.String({ maxLength: 64 })),
};
const Id = Type.String({ minLength: 1, maxLength: 64 });
const Description = Type.String({ maxLength: 255 });

/** The Keystone token body the reference's IAM files describe. */
function tokenBody(p: Principal, catalogUrl: string | undefined, region: string) {
  const domain = { id: p.domainId, name: p.domainName };
  return {
    token: {
      methods: p.methods,
      issued_at: p.token?.issuedAt ?? new Date().toISOString(),
      expires_at: p.token?.expiresAt ?? new Date().toISOString(),
      user: { id: p.userId, name: p.userName, domain, password_expires_at: '' },
      ...(p.projectId ? { project: { id: p.projectId, name: p.projectName ?? '', domain } } : { domain }),
      roles: p.isAdmin
        ? [
            { id: '0', name: 'te_admin' },
            { id: '0', name: 'op_service' },
          ]
        : [{ id: '0', name: 'readonly' }],
      ...(catalogUrl === undefined
        ? {}
        : {
            catalog: [
              {
                id: 'lakeformation',
                name: 'lakeformation',
                type: 'lakeformation',
                endpoints: [
                  { id: 'lakeformation-public', interface: 'public', region, region_id: region, url: catalogUrl },
                ],
              },
              {
                id: 'iam',
                name: 'iam',
                type: 'identity',
                endpoints: [
                  { id: 'iam-public', interface: 'public', region, region_id: region, url: `${catalogUrl}/v3` },
                ],
              },
            ],
          }),
    },
  };
}

const userView = (u: UserRow) => ({
  id: u.id,
  name: u.name,
  domain_id: u.domain_id,
  enabled: u.enabled === 1,
  description: u.description,
  ...(u.email ? { email: u.email } : {}),
  password_expires_at: u.password_expires_at,
  create_time: u.created_at,
  last_login_time: u.last_login_at,
  links: { self: `/v3/users/${u.id}` },
});
const groupView = (g: GroupRow) => ({
  id: g.id,
  name: g.name,
  domain_id: g.domain_id,
  description: g.description,
  create_time: g.created_at,
  links: { self: `/v3/groups/${g.id}` },
});
const projectView = (p: ProjectRow) => ({
  id: p.id,
  name: p.name,
  domain_id: p.domain_id,
  parent_id: p.domain_id,
  description: p.description,
  enabled: p.enabled === 1,
  is_domain: false,
  links: { self: `/v3/projects/${p.id}` },
});

export function iamOperations(s: AppServices): Operation[] {
  const catalogUrl = (request: FastifyRequest, nocatalog: string | undefined) =>
    nocatalog ? undefined : baseUrl(request, s.config.publicUrl);
  const subjectToken = (request: FastifyRequest): string => {
    const v = request.headers['x-subject-token'];
    const t = Array.isArray(v) ? v[0] : v;
    if (!t)
      throw new HttpError(
        400,
        'common.01000001',
        'the X-Subject-Token header names the token to act on; it is missing',
      );
    return t;
  };

  return [
    operation({
      name: 'KeystoneCreateUserToken',
      action: 'token.create',
      group: IAM,
      method: 'POST',
      path: '/v3/auth/tokens',
      status: 201,
      auth: 'none',
      query: Type.Object({ nocatalog: Type.Optional(Type.String()) }),
      body: Type.Object({
        auth: Type.Object({
          identity: Type.Object({
            methods: Type.Array(Type.String(), { minItems: 1, maxItems: 2 }),
            password: Type.Optional(
              Type.Object({
                user: Type.Object({
                  id: Type.Optional(Type.String({ maxLength: 64 })),
                  name: Type.Optional(Type.String({ maxLength: 255 })),
                  password: Type.String({ minLength: 1, maxLength: 1024 }),
                  domain: Type.Optional(NameOrId),
                }),
              }),
            ),
            token: Type.Optional(Type.Object({ id: Type.Optional(Type.String({ maxLength: 4096 })) })),
          }),
          scope: Scope,
        }),
      }),
      handler: async ({ body, query, request, reply }) => {
        const { identity, scope } = body.auth;
        let issued: { token: string; principal: Principal };
        if (identity.methods.includes('password')) {
          if (!identity.password) throw invalid('auth.identity.password is required for the password method');
          issued = await s.tokens.issueWithPassword({ user: identity.password.user, scope });
        } else if (identity.methods.includes('token')) {
          // Re-scoping: a valid token (in the body or X-Auth-Token) buys a token for another scope of the same user.
          const header = request.headers['x-auth-token'];
          const presented = identity.token?.id ?? (Array.isArray(header) ? header[0] : header);
          if (!presented) throw invalid('auth.identity.token.id or X-Auth-Token is required for the token method');
          issued = await s.tokens.rescope(presented, scope);
        } else {
          throw invalid("auth.identity.methods must contain 'password' or 'token'");
        }
        reply.header('X-Subject-Token', issued.token);
        return tokenBody(issued.principal, catalogUrl(request, query.nocatalog), s.config.region);
      },
    }),
    operation({
      name: 'KeystoneValidateToken',
      action: 'token.validate',
      group: IAM,
      method: 'GET',
      path: '/v3/auth/tokens',
      status: 200,
      query: Type.Object({ nocatalog: Type.Optional(Type.String()) }),
      handler: async ({ principal, query, request, reply }) => {
        const token = subjectToken(request);
        // Another user's token is only visible to an administrator of the same domain.
        const subject = await s.tokens.inspect(principal, token);
        reply.header('X-Subject-Token', token);
        return tokenBody(subject, catalogUrl(request, query.nocatalog), s.config.region);
      },
    }),
    operation({
      name: 'KeystoneRevokeToken',
      action: 'token.revoke',
      group: IAM,
      method: 'DELETE',
      path: '/v3/auth/tokens',
      status: 204,
      handler: async ({ principal, request }) => {
        await s.tokens.revoke(principal, subjectToken(request));
      },
    }),

    // ---- projects
    operation({
      name: 'KeystoneListProjects',
      action: 'project.list',
      group: IAM,
      method: 'GET',
      path: '/v3/projects',
      status: 200,
      query: Type.Object({
        name: Type.Optional(Type.String({ maxLength: 255 })),
        domain_id: Type.Optional(Id),
        enabled: Type.Optional(Type.Boolean()),
        ...Paging,
      }),
      handler: async ({ principal, query }) => ({
        projects: (
          await s.identity.listProjects(principal, {
            name: query.name,
            domainId: query.domain_id,
            enabled: query.enabled,
            limit: query.limit,
            marker: query.marker,
          })
        ).map(projectView),
        links: { self: '/v3/projects' },
      }),
    }),
    operation({
      name: 'KeystoneListAuthProjects',
      action: 'project.list-own',
      group: IAM,
      method: 'GET',
      path: '/v3/auth/projects',
      status: 200,
      handler: async ({ principal }) => ({
        projects: (await s.identity.listProjects(principal, { enabled: true, limit: 1000 }, 'project.list-own')).map(
          projectView,
        ),
        links: { self: '/v3/auth/projects' },
      }),
    }),
    operation({
      name: 'KeystoneCreateProject',
      action: 'project.create',
      group: IAM,
      method: 'POST',
      path: '/v3/projects',
      status: 201,
      body: Type.Object({
        project: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          description: Type.Optional(Description),
          domain_id: Type.Optional(Id),
        }),
      }),
      handler: async ({ principal, body }) => ({
        project: projectView(
          await s.identity.createProject(principal, {
            name: body.project.name,
            description: body.project.description,
            domainId: body.project.domain_id,
          }),
        ),
      }),
    }),
    operation({
      name: 'KeystoneShowProject',
      action: 'project.show',
      group: IAM,
      method: 'GET',
      path: '/v3/projects/{id}',
      status: 200,
      params: Type.Object({ id: Id }),
      handler: async ({ principal, params }) => ({
        project: projectView(await s.identity.getProject(principal, params.id)),
      }),
    }),
    operation({
      name: 'KeystoneUpdateProject',
      action: 'project.alter',
      group: IAM,
      method: 'PATCH',
      path: '/v3/projects/{id}',
      status: 200,
      params: Type.Object({ id: Id }),
      body: Type.Object({
        project: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          description: Type.Optional(Description),
          enabled: Type.Optional(Type.Boolean()),
        }),
      }),
      handler: async ({ principal, params, body }) => ({
        project: projectView(await s.identity.updateProject(principal, params.id, body.project)),
      }),
    }),
    operation({
      name: 'KeystoneDeleteProject',
      action: 'project.drop',
      group: IAM,
      method: 'DELETE',
      path: '/v3/projects/{id}',
      status: 204,
      params: Type.Object({ id: Id }),
      handler: async ({ principal, params }) => {
        await s.identity.deleteProject(principal, params.id);
      },
    }),

    // ---- users
    operation({
      name: 'KeystoneListUsers',
      action: 'user.list',
      group: IAM,
      method: 'GET',
      path: '/v3/users',
      status: 200,
      query: Type.Object({
        name: Type.Optional(Type.String({ maxLength: 255 })),
        domain_id: Type.Optional(Id),
        enabled: Type.Optional(Type.Boolean()),
        ...Paging,
      }),
      handler: async ({ principal, query }) => ({
        users:
          query.domain_id && query.domain_id !== principal.domainId
            ? []
            : (
                await s.identity.listUsers(principal, {
                  name: query.name,
                  enabled: query.enabled,
                  limit: query.limit,
                  marker: query.marker,
                })
              ).map(userView),
        links: { self: '/v3/users' },
      }),
    }),
    operation({
      name: 'KeystoneCreateUser',
      action: 'user.create',
      group: IAM,
      method: 'POST',
      path: '/v3/users',
      status: 201,
      body: Type.Object({
        user: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          domain_id: Type.Optional(Id),
          description: Type.Optional(Description),
          email: Type.Optional(Type.String({ maxLength: 255 })),
          enabled: Type.Optional(Type.Boolean()),
        }),
      }),
      handler: async ({ principal, body }) => ({
        user: userView(await s.identity.createUser(principal, { ...body.user, domainId: body.user.domain_id })),
      }),
    }),
    operation({
      name: 'KeystoneShowUser',
      action: 'user.show',
      group: IAM,
      method: 'GET',
      path: '/v3/users/{user_id}',
      status: 200,
      params: Type.Object({ user_id: Id }),
      handler: async ({ principal, params }) => ({
        user: userView(await s.identity.getUser(principal, params.user_id)),
      }),
    }),
    operation({
      name: 'KeystoneUpdateUser',
      action: 'user.alter',
      group: IAM,
      method: 'PATCH',
      path: '/v3/users/{user_id}',
      status: 200,
      params: Type.Object({ user_id: Id }),
      body: Type.Object({
        user: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
          description: Type.Optional(Description),
          email: Type.Optional(Type.String({ maxLength: 255 })),
          enabled: Type.Optional(Type.Boolean()),
        }),
      }),
      handler: async ({ principal, params, body }) => {
        const user = await s.identity.updateUser(principal, params.user_id, body.user);
        s.tokens.forgetCached();
        return { user: userView(user) };
      },
    }),
    operation({
      name: 'KeystoneDeleteUser',
      action: 'user.drop',
      group: IAM,
      method: 'DELETE',
      path: '/v3/users/{user_id}',
      status: 204,
      params: Type.Object({ user_id: Id }),
      handler: async ({ principal, params }) => {
        await s.identity.deleteUser(principal, params.user_id);
        s.tokens.forgetCached();
      },
    }),
    operation({
      name: 'KeystoneListGroupsForUser',
      action: 'user.list-groups',
      group: IAM,
      method: 'GET',
      path: '/v3/users/{user_id}/groups',
      status: 200,
      params: Type.Object({ user_id: Id }),
      handler: async ({ principal, params }) => ({
        groups: (await s.identity.listUserGroups(principal, params.user_id)).map(groupView),
        links: { self: `/v3/users/${params.user_id}/groups` },
      }),
    }),

    // ---- groups
    operation({
      name: 'KeystoneListGroups',
      action: 'group.list',
      group: IAM,
      method: 'GET',
      path: '/v3/groups',
      status: 200,
      query: Type.Object({
        name: Type.Optional(Type.String({ maxLength: 255 })),
        domain_id: Type.Optional(Id),
        ...Paging,
      }),
      handler: async ({ principal, query }) => ({
        groups:
          query.domain_id && query.domain_id !== principal.domainId
            ? []
            : (
                await s.identity.listGroups(principal, { name: query.name, limit: query.limit, marker: query.marker })
              ).map(groupView),
        links: { self: '/v3/groups' },
      }),
    }),
    operation({
      name: 'KeystoneCreateGroup',
      action: 'group.create',
      group: IAM,
      method: 'POST',
      path: '/v3/groups',
      status: 201,
      body: Type.Object({
        group: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64 }),
          description: Type.Optional(Description),
          domain_id: Type.Optional(Id),
        }),
      }),
      handler: async ({ principal, body }) => ({
        group: groupView(
          await s.identity.createGroup(principal, {
            name: body.group.name,
            description: body.group.description,
            domainId: body.group.domain_id,
          }),
        ),
      }),
    }),
    operation({
      name: 'KeystoneShowGroup',
      action: 'group.show',
      group: IAM,
      method: 'GET',
      path: '/v3/groups/{group_id}',
      status: 200,
      params: Type.Object({ group_id: Id }),
      handler: async ({ principal, params }) => ({
        group: groupView(await s.identity.getGroup(principal, params.group_id)),
      }),
    }),
    operation({
      name: 'KeystoneUpdateGroup',
      action: 'group.alter',
      group: IAM,
      method: 'PATCH',
      path: '/v3/groups/{group_id}',
      status: 200,
      params: Type.Object({ group_id: Id }),
      body: Type.Object({
        group: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          description: Type.Optional(Description),
        }),
      }),
      handler: async ({ principal, params, body }) => ({
        group: groupView(await s.identity.updateGroup(principal, params.group_id, body.group)),
      }),
    }),
    operation({
      name: 'KeystoneDeleteGroup',
      action: 'group.drop',
      group: IAM,
      method: 'DELETE',
      path: '/v3/groups/{group_id}',
      status: 204,
      params: Type.Object({ group_id: Id }),
      handler: async ({ principal, params }) => {
        await s.identity.deleteGroup(principal, params.group_id);
        s.tokens.forgetCached();
      },
    }),
    operation({
      name: 'KeystoneListUsersForGroup',
      action: 'group.list-members',
      group: IAM,
      method: 'GET',
      path: '/v3/groups/{group_id}/users',
      status: 200,
      params: Type.Object({ group_id: Id }),
      query: Type.Object(Paging),
      handler: async ({ principal, params, query }) => ({
        users: (await s.identity.listGroupUsers(principal, params.group_id, query.limit, query.marker)).map(userView),
        links: { self: `/v3/groups/${params.group_id}/users` },
      }),
    }),
    operation({
      name: 'KeystoneAddUserToGroup',
      action: 'group.add-member',
      group: IAM,
      method: 'PUT',
      path: '/v3/groups/{group_id}/users/{user_id}',
      status: 204,
      params: Type.Object({ group_id: Id, user_id: Id }),
      handler: async ({ principal, params }) => {
        await s.identity.addUserToGroup(principal, params.group_id, params.user_id);
        s.tokens.forgetCached();
      },
    }),
    operation({
      name: 'KeystoneCheckUserInGroup',
      action: 'group.check-member',
      group: IAM,
      method: 'HEAD',
      path: '/v3/groups/{group_id}/users/{user_id}',
      status: 204,
      params: Type.Object({ group_id: Id, user_id: Id }),
      handler: async ({ principal, params }) => {
        if (!(await s.identity.isUserInGroup(principal, params.group_id, params.user_id)))
          throw notFound(`user ${params.user_id} is not in the group`);
      },
    }),
    operation({
      name: 'KeystoneRemoveUserFromGroup',
      action: 'group.remove-member',
      group: IAM,
      method: 'DELETE',
      path: '/v3/groups/{group_id}/users/{user_id}',
      status: 204,
      params: Type.Object({ group_id: Id, user_id: Id }),
      handler: async ({ principal, params }) => {
        await s.identity.removeUserFromGroup(principal, params.group_id, params.user_id);
        s.tokens.forgetCached();
      },
    }),

    // ---- access keys
    operation({
      name: 'CreatePermanentAccessKey',
      action: 'access-key.create',
      group: IAM,
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/credentials',
      status: 201,
      body: Type.Object({ credential: Type.Object({ user_id: Id, description: Type.Optional(Description) }) }),
      handler: async ({ principal, body }) => ({
        credential: await s.accessKeys.create(principal, body.credential.user_id, body.credential.description ?? ''),
      }),
    }),
    operation({
      name: 'ListPermanentAccessKeys',
      action: 'access-key.list',
      group: IAM,
      method: 'GET',
      path: '/v3.0/OS-CREDENTIAL/credentials',
      status: 200,
      query: Type.Object({ user_id: Type.Optional(Id) }),
      handler: async ({ principal, query }) => ({ credentials: await s.accessKeys.list(principal, query.user_id) }),
    }),
    operation({
      name: 'ShowPermanentAccessKey',
      action: 'access-key.show',
      group: IAM,
      method: 'GET',
      path: '/v3.0/OS-CREDENTIAL/credentials/{access_key}',
      status: 200,
      params: Type.Object({ access_key: Id }),
      handler: async ({ principal, params }) => ({ credential: await s.accessKeys.show(principal, params.access_key) }),
    }),
    operation({
      name: 'UpdatePermanentAccessKey',
      action: 'access-key.alter',
      group: IAM,
      method: 'PUT',
      path: '/v3.0/OS-CREDENTIAL/credentials/{access_key}',
      status: 200,
      params: Type.Object({ access_key: Id }),
      body: Type.Object({
        credential: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
          description: Type.Optional(Description),
        }),
      }),
      handler: async ({ principal, params, body }) => ({
        credential: await s.accessKeys.update(principal, params.access_key, body.credential),
      }),
    }),
    operation({
      name: 'DeletePermanentAccessKey',
      action: 'access-key.drop',
      group: IAM,
      method: 'DELETE',
      path: '/v3.0/OS-CREDENTIAL/credentials/{access_key}',
      status: 204,
      params: Type.Object({ access_key: Id }),
      handler: async ({ principal, params }) => {
        await s.accessKeys.delete(principal, params.access_key);
      },
    }),
    operation({
      name: 'CreateTemporaryAccessKeyByToken',
      action: 'access-key.create-temporary',
      group: IAM,
      method: 'POST',
      path: '/v3.0/OS-CREDENTIAL/securitytokens',
      status: 201,
      body: Type.Object({
        auth: Type.Object({
          identity: Type.Object({
            methods: Type.Array(Type.Literal('token'), { minItems: 1, maxItems: 1 }),
            token: Type.Optional(
              Type.Object({
                duration_seconds: Type.Optional(Type.Integer({ minimum: 900, maximum: 86400 })),
                id: Type.Optional(Type.String()),
              }),
            ),
            policy: Type.Optional(Type.Object({})),
          }),
        }),
      }),
      handler: async ({ principal, body }) => {
        // Refusing beats ignoring: a caller who sends a policy expects narrower rights than ours would be.
        if (body.auth.identity.policy !== undefined)
          throw invalid('temporary access keys narrowed by a policy are not supported; omit auth.identity.policy');
        return {
          credential: await s.accessKeys.createTemporary(principal, body.auth.identity.token?.duration_seconds ?? 900),
        };
      },
    }),
  ];
}
