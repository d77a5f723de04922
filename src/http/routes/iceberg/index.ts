// The Apache Iceberg REST catalog protocol under /iceberg: entries of the operation table on the
// Iceberg wire (its error shape and lossless JSON, see http/iceberg-wire.ts); what they do is
// IcebergCatalog's. The config endpoint lists exactly the endpoints of this table.
import { timingSafeEqual } from 'node:crypto';
import type { AppServices } from '../../../services/app-services.js';
import { type Caller, PREFIX_SEPARATOR } from '../../../services/iceberg/catalog-service.js';
import { IDEMPOTENCY_LIFETIME } from '../../../services/iceberg/idempotency.js';
import type { Operation } from '../../operation.js';
import { CatalogConfig, ConfigQuery, OAuthTokenRequest, OAuthTokenResponse } from '../../schemas/iceberg.js';
import { icebergOperation, V1 } from './context.js';
import { namespaceOperations } from './namespaces.js';
import { scanOperations } from './scan.js';
import { tableOperations } from './tables.js';
import { viewOperations } from './views.js';

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const CONFIG = `${V1}/config`;
const OAUTH_TOKENS = `${V1}/oauth/tokens`;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The endpoints a client may call on a catalog, as the config answer names them (`GET /v1/{prefix}/namespaces`). */
export function icebergEndpoints(ops: Operation[]): string[] {
  return ops
    .filter((op) => op.wire === 'iceberg' && op.path.startsWith(`${V1}/{prefix}/`))
    .map((op) => `${op.method} ${op.path.slice('/iceberg'.length)}`);
}

export function icebergOperations(s: AppServices): Operation[] {
  const catalog = [...namespaceOperations(s), ...tableOperations(s), ...scanOperations(s), ...viewOperations(s)];
  const endpoints = icebergEndpoints(catalog);
  return [
    icebergOperation({
      name: 'IcebergGetConfig',
      action: 'catalog.show',
      method: 'GET',
      path: CONFIG,
      status: 200,
      query: ConfigQuery,
      response: CatalogConfig,
      handler: async (ctx) => {
        const p = ctx.principal as Caller;
        const w = await s.iceberg.namespaces.configure(p, ctx.query.warehouse);
        await ctx.rateLimit(p.projectId, w.instanceId);
        return {
          defaults: {},
          overrides: { prefix: `${w.instanceId}${PREFIX_SEPARATOR}${w.catalog}` },
          endpoints,
          'idempotency-key-lifetime': IDEMPOTENCY_LIFETIME,
        };
      },
    }),
    // OAuth2 client credentials: client_id/client_secret are the AK/SK of a permanent access key.
    icebergOperation({
      name: 'IcebergOAuthToken',
      action: 'token.create',
      method: 'POST',
      path: OAUTH_TOKENS,
      status: 200,
      auth: 'none',
      body: OAuthTokenRequest,
      bodyRequired: false,
      response: OAuthTokenResponse,
      handler: async ({ body: form, reply, request }) => {
        const oauthError = (status: number, error: string, description: string) => {
          reply.code(status);
          return { error, error_description: description };
        };
        const answer = (issued: Awaited<ReturnType<typeof s.tokens.issueForUser>>) => ({
          access_token: issued?.token,
          token_type: 'bearer',
          expires_in: Math.max(0, Math.floor(((issued?.principal.token?.expiresAtMs ?? 0) - Date.now()) / 1000)),
          issued_token_type: ACCESS_TOKEN_TYPE,
        });
        if (form.grant_type === TOKEN_EXCHANGE) {
          // A client refreshing its session trades a valid token for a fresh one of the same user and
          // project (RFC 8693).
          if (!form.subject_token) return oauthError(400, 'invalid_request', 'subject_token is required');
          if (form.subject_token_type && form.subject_token_type !== ACCESS_TOKEN_TYPE)
            return oauthError(400, 'invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
          const subject = await s.tokens.validate(form.subject_token);
          if (!subject?.projectId)
            return oauthError(
              400,
              'invalid_request',
              'the subject token is invalid, expired, revoked or not scoped to a project',
            );
          if (subject.storageScope)
            return oauthError(400, 'invalid_request', 'a vended storage credential cannot obtain a catalog token');
          const issued = await s.tokens.issueForUser(subject.userId, subject.projectId, s.config.region, 'token');
          if (!issued?.principal.token)
            return oauthError(400, 'invalid_request', "the subject token's user or project is no longer enabled");
          return answer(issued);
        }
        if (form.grant_type !== 'client_credentials')
          return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials or token exchange');
        const ak = form.client_id ?? '';
        const sk = form.client_secret ?? '';
        if (!ak || !sk) return oauthError(400, 'invalid_request', 'client_id and client_secret are required');
        // `scope` may name the project (`project:<id>`); other scope words (PyIceberg sends `catalog`) are ignored.
        const projectId = (form.scope ?? '')
          .split(/\s+/)
          .find((w) => w.startsWith('project:'))
          ?.slice('project:'.length);
        const creds = await s.accessKeys.credentialsFor(ak, undefined, null);
        if (!creds || !sameSecret(creds.secret, sk))
          return oauthError(401, 'invalid_client', 'the client credentials are not a valid access key and secret');
        if (creds.principal.storageScope)
          return oauthError(401, 'invalid_client', 'a vended storage credential cannot obtain a catalog token');
        const issued = await s.tokens.issueForUser(creds.principal.userId, projectId, s.config.region, 'aksk');
        if (!issued?.principal.token)
          return oauthError(400, 'invalid_scope', "the project asked for does not exist in the access key's domain");
        void s.accessKeys.touch(ak).catch((err) => request.log.warn({ err }, 'could not record access key use'));
        return answer(issued);
      },
    }),
    ...catalog,
  ];
}

/** The endpoints served now; the config answer lists exactly these so clients do not try others. */
export const ICEBERG_ENDPOINTS: readonly string[] = icebergEndpoints(icebergOperations({} as AppServices));
