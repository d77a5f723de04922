// What the Iceberg operations share: their defaults in the operation table, the caller's checked
// and rate-counted warehouse, and Idempotency-Key handling.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { type Caller, pathLevels, type Warehouse } from '../../../services/iceberg/catalog-service.js';
import type { Recorder } from '../../../services/iceberg/idempotency.js';
import { stringifyIceberg } from '../../../services/iceberg/json.js';
import { finalRefusal } from '../../iceberg-wire.js';
import { type HandlerContext, type Operation, operation } from '../../operation.js';

export const V1 = '/iceberg/v1';
export const NAMESPACES = `${V1}/{prefix}/namespaces`;
export const NAMESPACE = `${NAMESPACES}/{namespace}`;

type OpInput<P extends TSchema, Q extends TSchema, B extends TSchema> = Parameters<typeof operation<P, Q, B>>[0];

/** An Iceberg operation: the Iceberg wire, a project-scoped bearer token, rate-counted in its handler. */
export function icebergOperation<P extends TSchema, Q extends TSchema, B extends TSchema>(
  o: Omit<OpInput<P, Q, B>, 'group'> & { group?: string },
): Operation {
  return operation<P, Q, B>({ group: 'iceberg', wire: 'iceberg', auth: 'bearer', ...o });
}

type Ctx = HandlerContext<unknown, unknown, unknown>;

export const levelsOf = (ctx: { params: { namespace: string } }): string[] => pathLevels(ctx.params.namespace);

/**
 * The caller and the catalog the path's prefix names, checked visible; the call is counted
 * against the instance's QPS spec only then, so another project cannot spend this one's rate.
 */
export async function warehouseOf(
  s: AppServices,
  ctx: Ctx & { params: { prefix: string } },
): Promise<{ p: Caller; w: Warehouse }> {
  const p = ctx.principal as Caller;
  const w = await s.iceberg.namespaces.warehouse(p, ctx.params.prefix);
  await ctx.rateLimit(p.projectId, w.instanceId);
  return { p, w };
}

/** warehouseOf put off for an operation on one table (see IcebergNamespaces.lazyWarehouse). */
export function withLazyWarehouse<T>(
  s: AppServices,
  ctx: Ctx & { params: { prefix: string } },
  run: (p: Caller, w: Warehouse) => Promise<T>,
): Promise<T> {
  const p = ctx.principal as Caller;
  return s.iceberg.namespaces.lazyWarehouse(
    p,
    ctx.params.prefix,
    (w) => ctx.rateLimit(p.projectId, w.instanceId),
    (w) => run(p, w),
  );
}

/**
 * Whether the client accepts vended credentials. The header is a comma-separated list of the
 * mechanisms the client supports, and the spec lets a server use "any or none of" them: the
 * others (remote-signing) are ignored, and the table loads without delegated access.
 */
export const asksVended = (request: FastifyRequest): boolean => {
  const h = request.headers['x-iceberg-access-delegation'];
  return (Array.isArray(h) ? h.join(',') : (h ?? ''))
    .split(',')
    .some((m) => m.trim().toLowerCase() === 'vended-credentials');
};

/** What a request was, for telling a retry from another request that reuses its key. */
function fingerprint(request: FastifyRequest, p: Caller): string {
  return createHash('sha256')
    .update(`${p.userId}\n${request.method} ${request.url}\n${stringifyIceberg(request.body ?? null)}`)
    .digest('hex');
}

/**
 * idempotent for a mutation that gives its fresh answer in the form sent itself, made by `shape` (while it waits on
 * storage: see IcebergCommits.commitTable); a recorded answer given again is shaped here.
 */
export async function idempotentShaped(
  s: AppServices,
  ctx: Ctx,
  p: Caller,
  status: number,
  op: (record: Recorder | undefined, shape: (body: unknown) => unknown) => Promise<unknown>,
  shape: (body: unknown) => unknown,
): Promise<unknown> {
  let fresh: unknown;
  return idempotent(
    s,
    ctx,
    p,
    status,
    async (record) => {
      fresh = await op(record, shape);
      return fresh;
    },
    async (body) => (fresh !== undefined && body === fresh ? body : shape(body)),
  );
}

/**
 * Runs a mutation under the request's Idempotency-Key, if it has one, and gives its answer (the
 * first answer again, refusals included, for a retry). `status` is the operation's success status;
 * `decorate` adds to a success on its way out what is never recorded (vended credentials).
 */
export async function idempotent(
  s: AppServices,
  ctx: Ctx,
  p: Caller,
  status: number,
  op: (record: Recorder | undefined) => Promise<unknown>,
  decorate?: (body: unknown) => Promise<unknown>,
): Promise<unknown> {
  const key = ctx.request.headers['idempotency-key'];
  const answer = await s.idempotency.run(
    p.projectId,
    typeof key === 'string' ? key : undefined,
    // Only a keyed request is compared with another (hashing a large commit's body costs more than its lookups).
    typeof key === 'string' ? fingerprint(ctx.request, p) : '',
    status,
    op,
    finalRefusal,
  );
  ctx.reply.code(answer.status);
  if (answer.status >= 400 || answer.body === undefined || !decorate) return answer.body;
  return decorate(answer.body);
}
