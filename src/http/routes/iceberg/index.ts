// The Apache Iceberg REST catalog protocol under /iceberg. These routes keep their own hooks and
// error shape (Iceberg clients read {"error":{message,type,code}}), so they live in an encapsulated
// plugin rather than in the LakeFormation operation table; what they do is IcebergCatalog's.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../../services/app-services.js';
import { ServiceError } from '../../../services/errors.js';
import type { Principal } from '../../../services/iam/principal.js';
import { HttpError } from '../../errors.js';
import { IcebergError, KIND_TYPES } from '../../../services/iceberg/errors.js';
import { parseIceberg, stringifyIceberg } from '../../../services/iceberg/json.js';
import { PREFIX_SEPARATOR, type Caller } from '../../../services/iceberg/catalog-service.js';
import { IDEMPOTENCY_LIFETIME } from '../../../services/iceberg/idempotency.js';
import { namespaceRoutes } from './namespaces.js';
import { tableRoutes } from './tables.js';
import { viewRoutes } from './views.js';
import { metricsRoutes } from './metrics.js';
import type { IcebergContext } from './context.js';

export type { IcebergContext } from './context.js';

/** The endpoints served now; the config answer lists exactly these so clients do not try others. */
export const ICEBERG_ENDPOINTS = [
  'GET /v1/{prefix}/namespaces',
  'POST /v1/{prefix}/namespaces',
  'GET /v1/{prefix}/namespaces/{namespace}',
  'HEAD /v1/{prefix}/namespaces/{namespace}',
  'DELETE /v1/{prefix}/namespaces/{namespace}',
  'POST /v1/{prefix}/namespaces/{namespace}/properties',
  'GET /v1/{prefix}/namespaces/{namespace}/tables',
  'POST /v1/{prefix}/namespaces/{namespace}/tables',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}',
  'POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics',
  'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials',
  'POST /v1/{prefix}/tables/rename',
  'POST /v1/{prefix}/namespaces/{namespace}/register',
  'POST /v1/{prefix}/transactions/commit',
  'GET /v1/{prefix}/namespaces/{namespace}/views',
  'POST /v1/{prefix}/namespaces/{namespace}/views',
  'GET /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
  'POST /v1/{prefix}/views/rename',
];

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** What a request was, for telling a retry from another request that reuses its key. */
function fingerprint(request: FastifyRequest, p: Caller): string {
  return createHash('sha256').update(`${p.userId}\n${request.method} ${request.url}\n${stringifyIceberg(request.body ?? null)}`).digest('hex');
}

function sendIceberg(reply: FastifyReply, status: number, type: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { message, type, code: status } });
}

function bearer(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (m) return m[1];
  const t = request.headers['x-auth-token'];
  return typeof t === 'string' ? t : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Registered with the prefix `/iceberg`; `qpsPerStride` as for the LakeFormation routes. */
export function icebergRoutes(s: AppServices, opts: { qpsPerStride: number }) {
  return async (app: FastifyInstance): Promise<void> => {
    // Iceberg bodies carry 64-bit ids: parsed and written without rounding them (services/iceberg/json.ts).
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body: string, done) => {
      if (body.length === 0) return done(null, undefined);
      try {
        done(null, parseIceberg(body));
      } catch {
        done(new HttpError(400, 'common.01000001', 'the request body is not valid JSON'), undefined);
      }
    });
    app.setReplySerializer((payload) => stringifyIceberg(payload));
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body: string, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body)));
    });

    // A refusal for want of a privilege is audited against the instance, as on the LakeFormation routes.
    const audit = (request: FastifyRequest, reason: string): void => {
      const prefix = (request.params as { prefix?: string } | undefined)?.prefix;
      const at = prefix?.indexOf(PREFIX_SEPARATOR) ?? -1;
      const operation = (request.routeOptions.config as { operation?: string } | undefined)?.operation ?? request.method;
      const p = request.principal as Principal;
      request.log.warn({ user: p.userName, operation, url: request.url, reason }, 'request denied');
      s.audit.denied(p, p.projectId as string, at > 0 ? prefix?.slice(0, at) : undefined, operation, request.url.split('?')[0] as string, reason)
        .catch((e: unknown) => request.log.error({ err: e }, 'could not audit a denied request'));
    };

    app.setErrorHandler((err, request, reply) => {
      if (err instanceof IcebergError) return sendIceberg(reply, err.code, err.type, err.message);
      if (err instanceof ServiceError) {
        if (err.kind === 'forbidden' && request.principal?.projectId) audit(request, err.message);
        const [status, type] = KIND_TYPES[err.kind];
        return sendIceberg(reply, status, type, err.message);
      }
      if (err instanceof HttpError) return sendIceberg(reply, err.status, err.status === 415 ? 'UnsupportedMediaTypeException' : 'BadRequestException', err.message);
      const fe = err as { validation?: unknown; statusCode?: number; message: string };
      if (fe.validation) return sendIceberg(reply, 400, 'BadRequestException', `invalid request: ${fe.message}`);
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return sendIceberg(reply, fe.statusCode, 'BadRequestException', fe.message);
      request.log.error({ err }, 'unhandled error');
      return sendIceberg(reply, 500, 'InternalServerError', 'internal server error; the request id in X-Request-Id identifies it in the server log');
    });
    app.setNotFoundHandler((request, reply) => sendIceberg(reply, 404, 'NotFoundException', `no Iceberg endpoint at ${request.method} ${request.url.split('?')[0]}`));

    // Every route but the token exchange needs a project-scoped IAM token.
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.url === '/iceberg/v1/oauth/tokens') return;
      const token = bearer(request);
      if (!token) throw new IcebergError(401, 'NotAuthorizedException', 'send Authorization: Bearer <token> (an IAM token, or one from POST /iceberg/v1/oauth/tokens)');
      const principal = s.tokens.cached(token) ?? await s.tokens.validate(token);
      if (!principal) throw new IcebergError(401, 'NotAuthorizedException', 'the bearer token is invalid, expired or revoked');
      if (!principal.projectId) throw new IcebergError(403, 'ForbiddenException', 'the token is not scoped to a project');
      request.principal = principal;
    });

    const who = (request: FastifyRequest): Caller => request.principal as Caller;

    // OAuth2 client credentials: client_id/client_secret are the AK/SK of a permanent access key.
    app.post('/v1/oauth/tokens', async (request, reply) => {
      const oauthError = (status: number, error: string, description: string) =>
        reply.code(status).type('application/json').send({ error, error_description: description });
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const answer = (issued: Awaited<ReturnType<typeof s.tokens.issueForUser>>) => reply.type('application/json').send({
        access_token: issued?.token, token_type: 'bearer',
        expires_in: Math.max(0, Math.floor(((issued?.principal.token?.expiresAtMs ?? 0) - Date.now()) / 1000)),
        issued_token_type: ACCESS_TOKEN_TYPE,
      });
      if (form.grant_type === TOKEN_EXCHANGE) {
        // A client refreshing its session trades a valid token for a fresh one of the same user and project (RFC 8693).
        if (!form.subject_token) return oauthError(400, 'invalid_request', 'subject_token is required');
        if (form.subject_token_type && form.subject_token_type !== ACCESS_TOKEN_TYPE) return oauthError(400, 'invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
        const subject = await s.tokens.validate(form.subject_token);
        if (!subject?.projectId) return oauthError(400, 'invalid_request', 'the subject token is invalid, expired, revoked or not scoped to a project');
        if (subject.storageScope) return oauthError(400, 'invalid_request', 'a vended storage credential cannot obtain a catalog token');
        const issued = await s.tokens.issueForUser(subject.userId, subject.projectId, s.config.region, 'token');
        if (!issued?.principal.token) return oauthError(400, 'invalid_request', 'the subject token\'s user or project is no longer enabled');
        return answer(issued);
      }
      if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'grant_type must be client_credentials or token exchange');
      const ak = form.client_id ?? '';
      const sk = form.client_secret ?? '';
      if (!ak || !sk) return oauthError(400, 'invalid_request', 'client_id and client_secret are required');
      // `scope` may name the project (`project:<id>`); other scope words (PyIceberg sends `catalog`) are ignored.
      const projectId = (form.scope ?? '').split(/\s+/).find((w) => w.startsWith('project:'))?.slice('project:'.length);
      const creds = await s.accessKeys.credentialsFor(ak, undefined, null);
      if (!creds || !sameSecret(creds.secret, sk)) return oauthError(401, 'invalid_client', 'the client credentials are not a valid access key and secret');
      if (creds.principal.storageScope) return oauthError(401, 'invalid_client', 'a vended storage credential cannot obtain a catalog token');
      const issued = await s.tokens.issueForUser(creds.principal.userId, projectId, s.config.region, 'aksk');
      if (!issued?.principal.token) return oauthError(400, 'invalid_scope', 'the project asked for does not exist in the access key\'s domain');
      void s.accessKeys.touch(ak).catch((err) => request.log.warn({ err }, 'could not record access key use'));
      return answer(issued);
    });

    /**
     * Counts a call against the instance's QPS spec, like the LakeFormation routes. Only once the
     * instance is known to be the caller's, so another project cannot spend this one's rate.
     */
    const rateLimit = async (projectId: string, instanceId: string): Promise<void> => {
      const limit = await s.instances.rateLimitOf(projectId, instanceId);
      if (!limit) return;
      s.requestCounter.hit(limit.instanceId);
      const rate = limit.stride * opts.qpsPerStride;
      if (!s.rateLimiter.take(limit.instanceId, rate)) {
        throw new IcebergError(429, 'TooManyRequestsException', `the instance's request rate limit (${rate} requests/s) is exceeded; slow down or scale the instance`);
      }
    };

    app.get('/v1/config', { config: { operation: 'IcebergGetConfig' } }, async (request) => {
      const p = who(request);
      const w = await s.iceberg.configure(p, (request.query as Record<string, string | undefined>).warehouse);
      await rateLimit(p.projectId, w.instanceId);
      return {
        defaults: {}, overrides: { prefix: `${w.instanceId}${PREFIX_SEPARATOR}${w.catalog}` }, endpoints: ICEBERG_ENDPOINTS,
        'idempotency-key-lifetime': IDEMPOTENCY_LIFETIME,
      };
    });

    const ctx: IcebergContext = { s, caller: who, warehouse: async (request) => {
      const p = who(request);
      const w = await s.iceberg.warehouse(p, (request.params as { prefix: string }).prefix);
      await rateLimit(p.projectId, w.instanceId);
      return { p, w };
    },
    idempotent: async (request, reply, p, status, op, decorate) => {
      const key = request.headers['idempotency-key'];
      const answer = await s.idempotency.run(p.projectId, typeof key === 'string' ? key : undefined, fingerprint(request, p), status, op);
      reply.code(answer.status);
      if (answer.body === undefined) return reply.send();
      return reply.send(decorate ? await decorate(answer.body) : answer.body);
    } };
    namespaceRoutes(app, ctx);
    tableRoutes(app, ctx);
    viewRoutes(app, ctx);
    metricsRoutes(app, ctx);
  };
}
