import { Type } from 'typebox';
import type { AppServices } from '../../services/app-services.js';
import { AGENCY_TYPES } from '../../services/console/agency-service.js';
import { baseUrl } from '../base-url.js';
import { type Operation, operation } from '../operation.js';
import { InstanceParams, ProjectParams } from '../schemas/common.js';
import { CatalogName, DatabaseName, InstanceScope } from '../schemas/lakecat.js';
import { TableName } from './lakecat/tables.js';

const Offset = Type.Integer({ minimum: 0, maximum: 1000, default: 0 });
const Limit = (fallback: number) => Type.Integer({ minimum: 1, maximum: 1000, default: fallback });
const AgencyType = Type.Union(AGENCY_TYPES.map((t) => Type.Literal(t)));
const ClientName = Type.String({ minLength: 4, maxLength: 32, pattern: '^[A-Za-z0-9_-]{4,32}$' });
const Uuid = Type.String({ pattern: '^[a-zA-Z0-9-]{36}$' });
const ClientPath = Type.Object({ ...InstanceParams.properties, client_id: Uuid });
const PrincipalName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z_0-9]+$' });
const Locations = Type.Object({
  locations: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100 }),
});

// The console's services around instances: agreements and access services (Service
// Authorization), agencies, storage locations, object-storage browsing and access management.
export function consoleOperations(s: AppServices): Operation[] {
  const auth = s.serviceAuthorization;
  return [
    operation({
      name: 'ShowAgreementRule',
      action: 'agreement.show',
      group: 'Service Authorization Management',
      method: 'GET',
      path: '/v1/{project_id}/agreement-rule',
      status: 200,
      params: ProjectParams,
      handler: ({ principal, params }) => auth.showRules(principal, params.project_id),
    }),
    operation({
      name: 'CreateAgreement',
      action: 'agreement.sign',
      group: 'Service Authorization Management',
      method: 'POST',
      path: '/v2/agreement',
      status: 200,
      body: Type.Object({
        agreements: Type.Optional(
          Type.Array(
            Type.Object({
              agreement_name: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' })),
              agreement_version: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9]{1,32}$' })),
            }),
            { maxItems: 10 },
          ),
        ),
      }),
      handler: async ({ principal, body }) => {
        await auth.sign(principal, body.agreements ?? []);
        return {};
      },
    }),
    operation({
      name: 'ShowAgreement',
      action: 'agreement.show',
      group: 'Service Authorization Management',
      method: 'GET',
      path: '/v2/agreement',
      status: 200,
      handler: ({ principal }) => auth.show(principal),
    }),
    operation({
      name: 'DeleteAgreement',
      action: 'agreement.withdraw',
      group: 'Service Authorization Management',
      method: 'DELETE',
      path: '/v2/agreement',
      status: 204,
      handler: async ({ principal }) => {
        await auth.withdraw(principal);
      },
    }),
    operation({
      name: 'AuthorizeAccessService',
      action: 'access-service.authorize',
      group: 'Service Authorization Management',
      method: 'POST',
      path: '/v1/{project_id}/access-service',
      status: 200,
      params: ProjectParams,
      body: Type.Object({
        access_services: Type.Array(
          Type.Object({
            name: Type.String({ minLength: 1, maxLength: 20 }),
            grant: Type.Optional(Type.Boolean()),
            description: Type.Optional(Type.String({ maxLength: 500 })),
          }),
          { maxItems: 10 },
        ),
      }),
      handler: async ({ principal, params, body }) => {
        await auth.authorizeAccessServices(principal, params.project_id, body.access_services);
        return {};
      },
    }),
    operation({
      name: 'ShowAccessService',
      action: 'access-service.show',
      group: 'Service Authorization Management',
      method: 'GET',
      path: '/v1/{project_id}/access-service',
      status: 200,
      params: ProjectParams,
      handler: ({ principal, params }) => auth.showAccessServices(principal, params.project_id),
    }),
    operation({
      name: 'CreateAgency',
      action: 'agency.create',
      group: 'Agency Management',
      method: 'POST',
      path: '/v2/agency',
      status: 201,
      body: Type.Object({ agency_type: AgencyType }),
      handler: ({ principal, body }) => s.agencies.create(principal, body.agency_type),
    }),
    operation({
      name: 'ShowAgency',
      action: 'agency.show',
      group: 'Agency Management',
      method: 'GET',
      path: '/v2/agency',
      status: 200,
      query: Type.Object({ agency_type: AgencyType }),
      handler: ({ principal, query }) => s.agencies.show(principal, query.agency_type),
    }),
    operation({
      name: 'DeleteAgency',
      action: 'agency.drop',
      group: 'Agency Management',
      method: 'DELETE',
      path: '/v2/agency',
      status: 200,
      body: Type.Object({ agency_type: AgencyType }),
      handler: async ({ principal, body }) => {
        await s.agencies.delete(principal, body.agency_type);
        return {};
      },
    }),
    operation({
      name: 'ShowAgencyCredential',
      action: 'agency.credential',
      group: 'Agency Management',
      method: 'GET',
      path: '/v1/agency/credential',
      status: 200,
      query: Type.Object({ agency_type: Type.Literal('TABLE_SERVICE_TRUST', { default: 'TABLE_SERVICE_TRUST' }) }),
      handler: ({ principal }) => s.agencies.tableServiceCredential(principal),
    }),
    operation({
      name: 'AuthorizeLocation',
      action: 'location.authorize',
      group: 'Location',
      method: 'POST',
      path: '/v1/authorize-location',
      status: 200,
      body: Locations,
      handler: ({ principal, body }) => s.locations.authorize(principal, body.locations),
    }),
    operation({
      name: 'ListAuthorizedLocation',
      action: 'location.list',
      group: 'Location',
      method: 'GET',
      path: '/v1/authorize-location',
      status: 200,
      query: Type.Object({
        location: Type.Optional(Type.String({ maxLength: 1024 })),
        offset: Offset,
        limit: Limit(100),
      }),
      handler: ({ principal, query }) => s.locations.list(principal, query),
    }),
    operation({
      name: 'CancelAuthorizeLocation',
      action: 'location.cancel',
      group: 'Location',
      method: 'POST',
      path: '/v1/cancel-authorize-location',
      status: 200,
      body: Locations,
      handler: ({ principal, body }) => s.locations.cancel(principal, body.locations),
    }),
    operation({
      name: 'ListObsBuckets',
      action: 'storage.browse',
      group: 'OBS Management',
      method: 'GET',
      path: '/v1/{project_id}/obs/buckets',
      status: 200,
      params: ProjectParams,
      query: Type.Object({ offset: Offset, limit: Limit(100) }),
      handler: ({ principal, params, query }) =>
        s.obs.listBuckets(principal, params.project_id, query.offset, query.limit),
    }),
    operation({
      name: 'ListObsObject',
      action: 'storage.browse',
      group: 'OBS Management',
      method: 'GET',
      path: '/v1/{project_id}/obs/buckets/{bucket_name}',
      status: 200,
      storageCredential: true,
      params: Type.Object({
        ...ProjectParams.properties,
        bucket_name: Type.String({ pattern: '^[a-z0-9A-Z._-]{1,64}$' }),
      }),
      query: Type.Object({
        marker: Type.Optional(Type.String({ maxLength: 4096 })),
        limit: Type.Integer({ minimum: 1, maximum: 1000 }),
        prefix: Type.Optional(Type.String({ maxLength: 4096 })),
      }),
      handler: ({ principal, params, query }) =>
        s.obs.listObjects(principal, params.project_id, params.bucket_name, {
          prefix: query.prefix,
          marker: query.marker || undefined,
          limit: query.limit,
        }),
    }),
    operation({
      name: 'ApplyForAccess',
      action: 'access.apply',
      group: 'Access Management',
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/access',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      body: Type.Array(
        Type.Object({
          domain: Type.String({ minLength: 1, maxLength: 100 }),
          vpcep_id: Type.String({ minLength: 1, maxLength: 64 }),
        }),
        { minItems: 1, maxItems: 100 },
      ),
      handler: async ({ principal, params, body }) => {
        await s.access.applyForAccess(principal, params.project_id, params.instance_id, body);
        return {};
      },
    }),
    operation({
      name: 'ListAccessInfos',
      action: 'access.list',
      group: 'Access Management',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/access',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      query: Type.Object({ offset: Offset, limit: Limit(10) }),
      handler: ({ principal, params, query, request }) =>
        s.access.listAccessInfos(
          principal,
          params.project_id,
          params.instance_id,
          query.offset,
          query.limit,
          baseUrl(request, s.config.publicUrl),
        ),
    }),
    operation({
      name: 'CreateAccessClient',
      action: 'access-client.create',
      group: 'Access Management',
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/access-clients',
      status: 202,
      params: InstanceParams,
      rateLimited: true,
      body: Type.Object({
        name: ClientName,
        access_mode: Type.Optional(Type.Union([Type.Literal('SYSTEM'), Type.Literal('CUSTOM')])),
        vpc_id: Type.Optional(Uuid),
        subnet_id: Type.Optional(Uuid),
        access_connections: Type.Optional(
          Type.Array(
            Type.Object({
              domain: Type.Optional(Type.String({ maxLength: 100 })),
              vpcep_id: Type.Optional(Type.String({ maxLength: 64 })),
              vpcep_service_name: Type.Optional(Type.String({ maxLength: 64 })),
            }),
            { maxItems: 100 },
          ),
        ),
      }),
      handler: ({ principal, params, body, request }) =>
        s.access.create(principal, params.project_id, params.instance_id, body, baseUrl(request, s.config.publicUrl)),
    }),
    operation({
      name: 'ListAccessClientInfos',
      action: 'access-client.list',
      group: 'Access Management',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/access-clients',
      status: 200,
      params: InstanceParams,
      rateLimited: true,
      query: Type.Object({
        id: Type.Optional(Uuid),
        name: Type.Optional(Type.String({ maxLength: 32, pattern: '^[a-zA-Z0-9_-]+$' })),
        offset: Offset,
        limit: Limit(10),
      }),
      handler: ({ principal, params, query }) =>
        s.access.list(
          principal,
          params.project_id,
          params.instance_id,
          { id: query.id, name: query.name },
          query.offset,
          query.limit,
        ),
    }),
    operation({
      name: 'ShowAccessClient',
      action: 'access-client.show',
      group: 'Access Management',
      method: 'GET',
      path: '/v1/{project_id}/instances/{instance_id}/access-clients/{client_id}',
      status: 200,
      params: ClientPath,
      rateLimited: true,
      handler: ({ principal, params }) =>
        s.access.show(principal, params.project_id, params.instance_id, params.client_id),
    }),
    operation({
      name: 'UpdateAccessClient',
      action: 'access-client.alter',
      group: 'Access Management',
      method: 'PUT',
      path: '/v1/{project_id}/instances/{instance_id}/access-clients/{client_id}',
      status: 200,
      params: ClientPath,
      rateLimited: true,
      body: Type.Object({ name: ClientName }),
      handler: ({ principal, params, body }) =>
        s.access.rename(principal, params.project_id, params.instance_id, params.client_id, body.name),
    }),
    operation({
      name: 'DeleteAccessClient',
      action: 'access-client.drop',
      group: 'Access Management',
      method: 'DELETE',
      path: '/v1/{project_id}/instances/{instance_id}/access-clients/{client_id}',
      status: 200,
      params: ClientPath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await s.access.delete(principal, params.project_id, params.instance_id, params.client_id);
      },
    }),
    operation({
      name: 'ShowCredential',
      action: 'credential.vend',
      group: 'LakeCat/Credential',
      method: 'POST',
      path: '/v1/{project_id}/instances/{instance_id}/credential',
      status: 200,
      params: InstanceScope,
      rateLimited: true,
      body: Type.Object({
        user_names: Type.Optional(Type.Array(PrincipalName, { maxItems: 50 })),
        groups: Type.Optional(Type.Array(PrincipalName, { maxItems: 50 })),
        roles: Type.Optional(Type.Array(PrincipalName, { maxItems: 50 })),
        // lakeform's additions (see the README): the table or location to reach, how, and for how long.
        table: Type.Optional(
          Type.Object({ catalog_name: CatalogName, database_name: DatabaseName, table_name: TableName }),
        ),
        location: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
        access: Type.Optional(Type.Union([Type.Literal('READ'), Type.Literal('READ_WRITE')])),
        duration_seconds: Type.Optional(Type.Integer({ minimum: 900, maximum: 43200 })),
      }),
      handler: ({ principal, params, body }) =>
        s.credentials.vend(principal, params.project_id, params.instance_id, body),
    }),
  ];
}
