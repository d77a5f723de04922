// The Apache Iceberg REST catalog protocol under /iceberg: config, namespaces and the OAuth2
// client-credentials exchange. A namespace is a LakeCat database, so every call goes through
// DatabaseService and gets the same authorization, visibility and events as the LakeFormation API.
// These routes keep their own hooks and error shape (Iceberg clients read {"error":{message,type,code}}),
// so they live in an encapsulated plugin rather than in the LakeFormation operation table.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../services/app-services.js';
import { ServiceError, type ErrorKind } from '../../services/errors.js';
import type { Principal } from '../../services/iam/principal.js';
import { HttpError } from '../errors.js';
import { storageCoordinates } from '../../services/console/location-service.js';
import { deleteLocationData } from '../../services/lakecat/data-files.js';
import { hiveColumns, newTableMetadata, type CreateRequest, type IcebergSchema } from '../../services/iceberg/new-table.js';
import { normalizeName } from '../../services/lakecat/names.js';
import { TABLE_NAME } from '../../services/lakecat/table-service.js';
import { StorageNotFoundError } from '../../storage/object-storage.js';
import { applyUpdates, checkRequirements, CommitConflict, InvalidUpdate, type Requirement, type TableMetadata, type Update } from '../../services/iceberg/table-metadata.js';

/** Separates the instance id from the catalog name in the prefix the config endpoint hands out. */
export const PREFIX_SEPARATOR = '~';
/** Joins the levels of a multi-level namespace in a path (the spec's unit separator). */
const LEVEL_SEPARATOR = '\u001f';
const MAX_PAGE = 1000;
/** How often a commit that lost the race to a compatible one is redone before the client is told to retry. */
const COMMIT_ATTEMPTS = 20;

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
  'POST /v1/{prefix}/tables/rename',
];

class IcebergError extends Error {
  constructor(readonly status: number, readonly type: string, message: string) { super(message); }
}

const KIND: Record<ErrorKind, [number, string]> = {
  invalid: [400, 'BadRequestException'], unauthenticated: [401, 'NotAuthorizedException'], forbidden: [403, 'ForbiddenException'],
  not_found: [404, 'NotFoundException'], conflict: [409, 'AlreadyExistsException'], quota_exceeded: [429, 'TooManyRequestsException'],
  rate_limited: [429, 'TooManyRequestsException'], unavailable: [503, 'ServiceUnavailableException'],
};

function sendIceberg(reply: FastifyReply, status: number, type: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { message, type, code: status } });
}

/** Runs a service call, naming its not-found and conflict failures as the operation means them. */
async function as<T>(call: Promise<T>, names: { not_found?: string; conflict?: string }): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ServiceError && (err.kind === 'not_found' || err.kind === 'conflict') && names[err.kind]) {
      throw new IcebergError(err.kind === 'not_found' ? 404 : 409, names[err.kind] as string, err.message);
    }
    throw err;
  }
}

interface Warehouse { instanceId: string; catalog: string }

/** `<instance_id>~<catalog>`, as built by the config endpoint. */
function parsePrefix(prefix: string): Warehouse {
  const at = prefix.indexOf(PREFIX_SEPARATOR);
  if (at <= 0 || at === prefix.length - 1) throw new IcebergError(400, 'BadRequestException', `prefix ${prefix} is not <instance_id>${PREFIX_SEPARATOR}<catalog>; get it from GET /iceberg/v1/config`);
  return { instanceId: prefix.slice(0, at), catalog: prefix.slice(at + 1) };
}

/** One namespace level; nested namespaces are refused until LakeCat has a place for them. */
function singleLevel(levels: string[]): string {
  if (levels.length !== 1 || !levels[0]) {
    throw new IcebergError(400, 'BadRequestException', 'only single-level namespaces are supported: a namespace is one LakeCat database');
  }
  return levels[0];
}

const pathLevels = (encoded: string): string[] => encoded.split(LEVEL_SEPARATOR);

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
      if (err instanceof IcebergError) return sendIceberg(reply, err.status, err.type, err.message);
      if (err instanceof ServiceError) {
        if (err.kind === 'forbidden' && request.principal?.projectId) audit(request, err.message);
        const [status, type] = KIND[err.kind];
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

    const who = (request: FastifyRequest): Principal & { projectId: string } => request.principal as Principal & { projectId: string };

    // OAuth2 client credentials: client_id/client_secret are the AK/SK of a permanent access key.
    app.post('/v1/oauth/tokens', async (request, reply) => {
      const oauthError = (status: number, error: string, description: string) =>
        reply.code(status).type('application/json').send({ error, error_description: description });
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
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
      return reply.type('application/json').send({
        access_token: issued.token, token_type: 'bearer',
        expires_in: Math.max(0, Math.floor((issued.principal.token.expiresAtMs - Date.now()) / 1000)),
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      });
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

    /** The catalog a prefix names, checked visible to the caller; a foreign or unknown instance is 404 alike. */
    const warehouseOf = async (request: FastifyRequest, prefix: string): Promise<Warehouse> => {
      const w = parsePrefix(prefix);
      await as(s.catalogs.show(who(request), who(request).projectId, w.instanceId, w.catalog), { not_found: 'NoSuchWarehouseException' });
      await rateLimit(who(request).projectId, w.instanceId);
      return w;
    };

    app.get('/v1/config', { config: { operation: 'IcebergGetConfig' } }, async (request) => {
      const warehouse = (request.query as Record<string, string | undefined>).warehouse;
      if (!warehouse) throw new IcebergError(400, 'BadRequestException', 'warehouse is required: <instance_id>/<catalog> or <catalog> for the project\'s default instance');
      const parts = warehouse.split('/');
      if (parts.length > 2 || parts.some((p) => !p)) throw new IcebergError(400, 'BadRequestException', 'warehouse must be <instance_id>/<catalog> or <catalog>');
      const p = who(request);
      const instanceId = parts.length === 2
        ? parts[0] as string
        : (await as(s.instances.active(p.projectId, 'default'), { not_found: 'NoSuchWarehouseException' })).id;
      const catalog = (parts[parts.length - 1] as string).toLowerCase();
      await as(s.catalogs.show(p, p.projectId, instanceId, catalog), { not_found: 'NoSuchWarehouseException' });
      await rateLimit(p.projectId, instanceId);
      return { defaults: {}, overrides: { prefix: `${instanceId}${PREFIX_SEPARATOR}${catalog}` }, endpoints: ICEBERG_ENDPOINTS };
    });

    const ns = '/v1/:prefix/namespaces';
    type NsParams = { prefix: string; namespace: string };

    app.get(ns, { config: { operation: 'IcebergListNamespaces' } }, async (request) => {
      const { prefix } = request.params as NsParams;
      const q = request.query as Record<string, string | undefined>;
      const w = await warehouseOf(request, prefix);
      const pageSize = q.pageSize === undefined ? MAX_PAGE : Number(q.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new IcebergError(400, 'BadRequestException', 'pageSize must be a positive integer');
      const p = who(request);
      if (q.parent !== undefined && q.parent !== '') {
        // Namespaces are single-level: an existing parent has no children.
        const parent = singleLevel(pathLevels(q.parent));
        await as(s.databases.show(p, p.projectId, w.instanceId, w.catalog, parent), { not_found: 'NoSuchNamespaceException' });
        return { namespaces: [] };
      }
      const page = await s.databases.list(p, p.projectId, w.instanceId, w.catalog, {
        limit: Math.min(pageSize, MAX_PAGE), marker: q.pageToken || undefined, reversePage: false, deleted: false,
      });
      return {
        namespaces: page.databases.map((d) => [d.database_name]),
        ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
      };
    });

    app.post(ns, { config: { operation: 'IcebergCreateNamespace' } }, async (request) => {
      const { prefix } = request.params as NsParams;
      const body = request.body as { namespace?: unknown; properties?: unknown } | undefined;
      if (!body || !Array.isArray(body.namespace) || !body.namespace.every((l) => typeof l === 'string')) {
        throw new IcebergError(400, 'BadRequestException', 'namespace must be an array of strings');
      }
      const props = body.properties ?? {};
      if (typeof props !== 'object' || props === null || Array.isArray(props) || !Object.values(props).every((v) => typeof v === 'string')) {
        throw new IcebergError(400, 'BadRequestException', 'properties must map strings to strings');
      }
      const name = singleLevel(body.namespace as string[]);
      const w = await warehouseOf(request, prefix);
      const p = who(request);
      const properties = props as Record<string, string>;
      const created = await as(s.databases.create(p, p.projectId, w.instanceId, w.catalog, {
        database_name: name, parameters: properties,
        ...(properties.location ? { location: properties.location } : {}),
        ...(properties.comment ? { description: properties.comment } : {}),
      }), { conflict: 'AlreadyExistsException' });
      return { namespace: [created.database_name], properties: created.parameters };
    });

    const loadNamespace = async (request: FastifyRequest) => {
      const { prefix, namespace } = request.params as NsParams;
      const name = singleLevel(pathLevels(namespace));
      const w = await warehouseOf(request, prefix);
      const p = who(request);
      const db = await as(s.databases.show(p, p.projectId, w.instanceId, w.catalog, name), { not_found: 'NoSuchNamespaceException' });
      return { w, p, db };
    };

    // HEAD is its own route (204, no body), so the automatic HEAD of this GET is turned off.
    app.get(`${ns}/:namespace`, { exposeHeadRoute: false, config: { operation: 'IcebergLoadNamespace' } }, async (request) => {
      const { db } = await loadNamespace(request);
      return { namespace: [db.database_name], properties: db.parameters };
    });

    app.head(`${ns}/:namespace`, { config: { operation: 'IcebergNamespaceExists' } }, async (request, reply) => {
      await loadNamespace(request);
      return reply.code(204).send();
    });

    app.delete(`${ns}/:namespace`, { config: { operation: 'IcebergDropNamespace' } }, async (request, reply) => {
      const { w, p, db } = await loadNamespace(request);
      await as(s.databases.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name, { cascade: false, deleteData: false, isAsync: false }),
        { not_found: 'NoSuchNamespaceException', conflict: 'NamespaceNotEmptyException' });
      return reply.code(204).send();
    });

    app.post(`${ns}/:namespace/properties`, { config: { operation: 'IcebergUpdateNamespaceProperties' } }, async (request) => {
      const body = (request.body ?? {}) as { removals?: unknown; updates?: unknown };
      const removals = body.removals ?? [];
      const updates = body.updates ?? {};
      if (!Array.isArray(removals) || !removals.every((k) => typeof k === 'string')) throw new IcebergError(400, 'BadRequestException', 'removals must be an array of strings');
      if (typeof updates !== 'object' || updates === null || Array.isArray(updates) || !Object.values(updates).every((v) => typeof v === 'string')) {
        throw new IcebergError(400, 'BadRequestException', 'updates must map strings to strings');
      }
      const both = (removals as string[]).filter((k) => Object.hasOwn(updates, k));
      if (both.length) throw new IcebergError(422, 'UnprocessableEntityException', `properties both updated and removed: ${both.join(', ')}`);
      const { w, p, db } = await loadNamespace(request);
      let removed: string[] = [];
      let missing: string[] = [];
      // Applied to the stored parameters inside the update's transaction (it may run again on a retry).
      const patch = (current: Record<string, string>): Record<string, string> => {
        const next = { ...current };
        removed = [];
        missing = [];
        for (const k of removals as string[]) {
          if (Object.hasOwn(next, k)) { delete next[k]; removed.push(k); } else missing.push(k);
        }
        return Object.assign(next, updates);
      };
      await as(s.databases.update(p, p.projectId, w.instanceId, w.catalog, db.database_name, { database_name: db.database_name }, patch),
        { not_found: 'NoSuchNamespaceException', conflict: 'CommitFailedException' });
      return { updated: Object.keys(updates), removed, missing };
    });

    // Tables. An Iceberg table is a LakeCat EXTERNAL_TABLE of format ICEBERG whose parameters
    // point at its current metadata file (the Hive convention), so both APIs see one table.
    const localWarehouse = s.storage.kind === 'local' ? path.join(s.config.dataDir, 'warehouse') : undefined;

    const coordinates = (location: string) => {
      const c = storageCoordinates(location, localWarehouse);
      if (!c || !c.bucket) throw new IcebergError(400, 'BadRequestException', `location ${location} is not in the object storage this service writes`);
      return c;
    };
    const writeFile = async (location: string, body: string): Promise<void> => {
      const c = coordinates(location);
      await s.storage.putObject(c.bucket, c.key, body);
    };
    const readMetadata = async (location: string): Promise<Record<string, unknown>> => {
      const c = coordinates(location);
      try {
        return JSON.parse((await s.storage.getObject(c.bucket, c.key)).toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        if (err instanceof StorageNotFoundError) throw new IcebergError(404, 'NoSuchTableException', `the metadata file ${location} of the table is missing`);
        throw err;
      }
    };

    type TableParams = NsParams & { table: string };
    interface IcebergTable {
      w: Warehouse; p: Principal & { projectId: string }; namespace: string; name: string; location: string; metadataLocation: string;
      /** The LakeCat table's version and parameters: the commit's compare-and-swap is on them. */
      version: string; parameters: Record<string, string>;
    }

    /** The LakeCat table behind an Iceberg identifier; a table of another format is not an Iceberg table (404). */
    const icebergTable = async (request: FastifyRequest, prefix: string, namespace: string, table: string): Promise<IcebergTable> => {
      const w = await warehouseOf(request, prefix);
      const p = who(request);
      await as(s.databases.show(p, p.projectId, w.instanceId, w.catalog, namespace), { not_found: 'NoSuchNamespaceException' });
      const shown = await as(s.tables.show(p, p.projectId, w.instanceId, w.catalog, namespace, table), { not_found: 'NoSuchTableException' });
      const t = JSON.parse(shown.text) as { table_name: string; table_format: string; version_id: string; parameters?: Record<string, string>; storage_descriptor?: { location?: string } };
      const metadataLocation = t.parameters?.metadata_location;
      if (t.table_format !== 'ICEBERG' || !metadataLocation) {
        throw new IcebergError(404, 'NoSuchTableException', `table ${namespace}.${t.table_name} is a ${t.table_format} table, not an Iceberg table with a metadata_location`);
      }
      return { w, p, namespace, name: t.table_name, location: t.storage_descriptor?.location ?? '', metadataLocation, version: t.version_id, parameters: t.parameters ?? {} };
    };
    const fromPath = (request: FastifyRequest) => {
      const { prefix, namespace, table } = request.params as TableParams;
      return icebergTable(request, prefix, singleLevel(pathLevels(namespace)), table);
    };
    const etagOf = (metadataLocation: string) => `"${createHash('sha256').update(metadataLocation).digest('hex')}"`;

    app.get(`${ns}/:namespace/tables`, { config: { operation: 'IcebergListTables' } }, async (request) => {
      const q = request.query as Record<string, string | undefined>;
      const pageSize = q.pageSize === undefined ? MAX_PAGE : Number(q.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new IcebergError(400, 'BadRequestException', 'pageSize must be a positive integer');
      const { w, p, db } = await loadNamespace(request);
      const page = await as(s.tables.list(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
        limit: Math.min(pageSize, MAX_PAGE), marker: q.pageToken || undefined, reversePage: false, deleted: false, format: 'ICEBERG', includeFields: [],
      }), { not_found: 'NoSuchNamespaceException' });
      return {
        identifiers: page.tables.map((t) => ({ namespace: [db.database_name], name: t.table_name as string })),
        ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
      };
    });

    app.post(`${ns}/:namespace/tables`, { config: { operation: 'IcebergCreateTable' } }, async (request) => {
      const body = request.body as (CreateRequest & { name?: unknown; location?: unknown; 'stage-create'?: unknown }) | undefined;
      if (!body || typeof body.name !== 'string') throw new IcebergError(400, 'BadRequestException', 'name is required');
      if (body['stage-create'] === true) throw new IcebergError(400, 'BadRequestException', 'staged table creation (stage-create) is not supported yet');
      if (body.location !== undefined && typeof body.location !== 'string') throw new IcebergError(400, 'BadRequestException', 'location must be a string');
      const name = normalizeName('table', body.name, TABLE_NAME, 256);
      const { w, p, db } = await loadNamespace(request);
      const location = ((body.location as string | undefined) || `${db.location}/${name}`).replace(/\/+$/, '');
      const metadata = newTableMetadata(body, location);
      const metadataLocation = `${location}/metadata/00000-${randomUUID()}.metadata.json`;
      coordinates(metadataLocation); // a location outside our storage is refused before the table exists
      // The table first: the table service checks grants, the location and the name before anything is written.
      await as(s.tables.create(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
        table_name: name, table_type: 'EXTERNAL_TABLE', table_format: 'ICEBERG',
        storage_descriptor: { columns: hiveColumns((metadata.schemas as IcebergSchema[])[0] as IcebergSchema), ...(body.location ? { location } : {}) },
        parameters: { ...(metadata.properties as Record<string, string>), table_type: 'ICEBERG', metadata_location: metadataLocation },
      }), { conflict: 'AlreadyExistsException', not_found: 'NoSuchNamespaceException' });
      try {
        await writeFile(metadataLocation, JSON.stringify(metadata));
      } catch (err) {
        // A table whose metadata could not be written must not stay behind.
        await s.tables.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name, name, { deleteData: false, isAsync: false })
          .catch((e: unknown) => request.log.error({ err: e }, 'could not remove an Iceberg table whose metadata was not written'));
        throw err;
      }
      return { 'metadata-location': metadataLocation, metadata, config: {} };
    });

    app.get(`${ns}/:namespace/tables/:table`, { exposeHeadRoute: false, config: { operation: 'IcebergLoadTable' } }, async (request, reply) => {
      const t = await fromPath(request);
      const etag = etagOf(t.metadataLocation);
      const match = request.headers['if-none-match'];
      if (typeof match === 'string' && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) return reply.code(304).header('ETag', etag).send();
      const metadata = await readMetadata(t.metadataLocation);
      return reply.header('ETag', etag).send({ 'metadata-location': t.metadataLocation, metadata, config: {} });
    });

    /**
     * Commit: the requirements are checked and the updates applied to the current metadata, a
     * new metadata file is written, and the table's pointer moves to it only if the LakeCat
     * table is still at the version read (compare-and-swap). A commit that lost the race to a
     * change its requirements do not reject is redone on the new metadata, a bounded number of
     * times; one whose requirements no longer hold fails with CommitFailedException.
     */
    app.post(`${ns}/:namespace/tables/:table`, { config: { operation: 'IcebergCommitTable' } }, async (request) => {
      const body = request.body as { requirements?: unknown; updates?: unknown } | undefined;
      const requirements = (body?.requirements ?? []) as Requirement[];
      const updates = body?.updates as Update[] | undefined;
      if (!Array.isArray(requirements) || !Array.isArray(updates)) throw new IcebergError(400, 'BadRequestException', 'a commit needs requirements and updates arrays');
      for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        const t = await fromPath(request);
        const base = await readMetadata(t.metadataLocation) as TableMetadata;
        let next: TableMetadata;
        try {
          checkRequirements(base, requirements);
          next = applyUpdates(base, updates, Date.now());
        } catch (err) {
          if (err instanceof CommitConflict) throw new IcebergError(409, 'CommitFailedException', `commit of ${t.namespace}.${t.name} refused: ${err.message}`);
          if (err instanceof InvalidUpdate) throw new IcebergError(400, 'BadRequestException', err.message);
          throw err;
        }
        next['metadata-log'] = [...(base['metadata-log'] ?? []), { 'metadata-file': t.metadataLocation, 'timestamp-ms': base['last-updated-ms'] }];
        const version = Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(t.metadataLocation)?.[1] ?? 0) + 1;
        const metadataLocation = `${next.location}/metadata/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
        // Written before the swap: a file no pointer names is harmless if the swap loses.
        await writeFile(metadataLocation, JSON.stringify(next));
        const schema = next.schemas.find((x) => x['schema-id'] === next['current-schema-id']) ?? next.schemas[0];
        try {
          await s.tables.update(t.p, t.p.projectId, t.w.instanceId, t.w.catalog, t.namespace, t.name, {
            version_id: t.version,
            table: {
              storage_descriptor: { columns: schema ? hiveColumns(schema) : [], location: next.location },
              parameters: { ...t.parameters, ...next.properties, table_type: 'ICEBERG', metadata_location: metadataLocation, previous_metadata_location: t.metadataLocation },
            },
          });
          return { 'metadata-location': metadataLocation, metadata: next };
        } catch (err) {
          const file = coordinates(metadataLocation);
          await s.storage.deleteObject(file.bucket, file.key).catch(() => undefined);
          if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err;
          // Another commit moved the pointer: try again on its metadata, after a short random pause.
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 15));
        }
      }
      throw new IcebergError(409, 'CommitFailedException', `commit of the table kept losing to concurrent commits; retry`);
    });

    app.head(`${ns}/:namespace/tables/:table`, { config: { operation: 'IcebergTableExists' } }, async (request, reply) => {
      await fromPath(request);
      return reply.code(204).send();
    });

    app.delete(`${ns}/:namespace/tables/:table`, { config: { operation: 'IcebergDropTable' } }, async (request, reply) => {
      const purge = (request.query as Record<string, string | undefined>).purgeRequested === 'true';
      const t = await fromPath(request);
      await as(s.tables.delete(t.p, t.p.projectId, t.w.instanceId, t.w.catalog, t.namespace, t.name, { deleteData: false, isAsync: false }),
        { not_found: 'NoSuchTableException' });
      // TableService removes only a managed table's files; a purge asks for this external table's too.
      if (purge && t.location) await deleteLocationData(s.storage, t.location, localWarehouse);
      return reply.code(204).send();
    });

    app.post('/v1/:prefix/tables/rename', { config: { operation: 'IcebergRenameTable' } }, async (request, reply) => {
      const { prefix } = request.params as { prefix: string };
      const body = (request.body ?? {}) as { source?: { namespace?: unknown; name?: unknown }; destination?: { namespace?: unknown; name?: unknown } };
      const ident = (x: { namespace?: unknown; name?: unknown } | undefined, what: string) => {
        if (!x || !Array.isArray(x.namespace) || !x.namespace.every((l) => typeof l === 'string') || typeof x.name !== 'string') {
          throw new IcebergError(400, 'BadRequestException', `${what} must be {namespace: [string], name: string}`);
        }
        return { namespace: singleLevel(x.namespace as string[]), name: x.name };
      };
      const src = ident(body.source, 'source');
      const dst = ident(body.destination, 'destination');
      const t = await icebergTable(request, prefix, src.namespace, src.name);
      await as(s.databases.show(t.p, t.p.projectId, t.w.instanceId, t.w.catalog, dst.namespace), { not_found: 'NoSuchNamespaceException' });
      if (dst.namespace.toLowerCase() !== src.namespace.toLowerCase()) {
        throw new IcebergError(400, 'BadRequestException', 'renaming a table into another namespace is not supported yet');
      }
      const target = normalizeName('table', dst.name, TABLE_NAME, 256);
      await as(s.tables.update(t.p, t.p.projectId, t.w.instanceId, t.w.catalog, t.namespace, t.name, { table: { table_name: target } }),
        { not_found: 'NoSuchTableException', conflict: 'AlreadyExistsException' });
      return reply.code(204).send();
    });
  };
}
