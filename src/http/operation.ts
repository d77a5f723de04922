import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import type { ActionName } from '../services/authz/actions.js';
import type { Principal } from '../services/iam/principal.js';
import type { ShortRequest } from '../services/pacer.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/**
 * How a caller proves who it is: `required` = an IAM token or an AK/SK signature; `bearer` = an
 * IAM token scoped to a project, as `Authorization: Bearer` or X-Auth-Token (the Iceberg REST
 * catalog); `none` = open (the operation authenticates by other means, e.g. a password in the body).
 */
export type AuthMode = 'required' | 'bearer' | 'none';

/**
 * The protocol an operation speaks on the wire: its error shape and JSON codec. `lakeformation`
 * (the default): {error_code, error_msg}, standard JSON. `iceberg`: {"error":{message,type,code}}
 * with Iceberg's exception types, and the lossless codec that keeps 64-bit ids exact.
 */
export type Wire = 'lakeformation' | 'iceberg';

export interface HandlerContext<P, Q, B> {
  principal: Principal;
  params: P;
  query: Q;
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
  /**
   * Counts the call against an instance's QPS spec (429 beyond it), for operations that learn
   * their instance only in the handler, once it is known to be the caller's.
   */
  rateLimit(projectId: string, instanceId: string): Promise<void>;
  /** The request's entry in the pacer when it came as a short one: long steps of its own work pass it to turn. */
  short: ShortRequest | undefined;
}

/**
 * One API operation: the single description from which its route, authentication, project
 * scoping, rate limiting and the generated tests are all derived.
 */
export interface Operation<P extends TSchema = TSchema, Q extends TSchema = TSchema, B extends TSchema = TSchema> {
  name: string;
  /** The domain action it performs (services/authz/actions.ts): what it needs, on which object. */
  action: ActionName;
  group: string;
  /** Its error shape and JSON codec; `lakeformation` when left out. */
  wire?: Wire;
  method: HttpMethod;
  /** Path as the reference writes it, e.g. `/v1/{project_id}/instances/{instance_id}`. */
  path: string;
  /** Success status. */
  status: number;
  auth: AuthMode;
  /** Counted against the instance's QPS spec (operations that address an instance). */
  rateLimited: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of the success body: serialises it fast and keeps undeclared fields from leaking out. */
  response?: TSchema;
  /** Whether a body is required when `body` is declared. */
  bodyRequired: boolean;
  /** Whether a vended storage credential may call it (every other operation refuses one). */
  storageCredential?: boolean;
  handler(ctx: HandlerContext<Static<P>, Static<Q>, Static<B>>): Promise<unknown>;
}

type OpInput<P extends TSchema, Q extends TSchema, B extends TSchema> = Omit<
  Operation<P, Q, B>,
  'auth' | 'rateLimited' | 'bodyRequired'
> &
  Partial<Pick<Operation<P, Q, B>, 'auth' | 'rateLimited' | 'bodyRequired'>>;

/** Declares an operation; the type parameters flow from the schemas into the handler. */
export function operation<P extends TSchema, Q extends TSchema, B extends TSchema>(o: OpInput<P, Q, B>): Operation {
  return { auth: 'required', rateLimited: false, bodyRequired: true, ...o } as unknown as Operation;
}

export const pathParams = (path: string): string[] => [...path.matchAll(/\{([\w-]+)\}/g)].map((m) => m[1] as string);

/** A dash ends a Fastify parameter name, so a spec's `{plan-id}` is the handler's `plan_id`. */
export const toFastifyPath = (path: string): string =>
  path.replace(/\{([\w-]+)\}/g, (_m, name: string) => `:${name.replaceAll('-', '_')}`);

/** A matcher for the 405 check: does a request path fit this operation's template? */
export const pathMatcher = (path: string): RegExp =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([\w-]+)\\?\}/g, '[^/]+')}/?$`);
