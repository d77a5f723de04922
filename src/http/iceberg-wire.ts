// The Iceberg REST catalog's wire: its error model ({"error":{message,type,code}}, with the
// exception type clients branch on) and its bearer authentication. The services raise domain
// errors (services/errors.ts); this is the one place that names them as Iceberg does.
import { Ajv } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchema, FastifySchemaValidationError } from 'fastify';
import { type ErrorDetail, type ErrorKind, forbidden, ServiceError, unauthenticated } from '../services/errors.js';
import type { Principal } from '../services/iam/principal.js';
import type { TokenService } from '../services/iam/token-service.js';
import type { Answer } from '../services/iceberg/idempotency.js';
import { HttpError } from './errors.js';
import { SHARED_SCHEMAS } from './schemas/iceberg.js';

/**
 * The validator of Iceberg requests. Unlike the LakeFormation routes' it coerces nothing: a
 * string is not an array of one string, a repeated query parameter (an array) is not a string,
 * and null is not 0; each is a 400. Ids of the 64-bit range are `iceberg-long` (schemas/iceberg.ts),
 * and update actions and requirements are told apart by their tag (`discriminator`).
 * Made at the first Iceberg request: checking the shared shapes against the meta-schema costs
 * some 50 ms of CPU, which a server no Iceberg client calls would pay at every start.
 */
let icebergAjv: Ajv | undefined;
function validatorAjv(): Ajv {
  if (icebergAjv) return icebergAjv;
  const ajv = new Ajv({
    coerceTypes: false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    discriminator: true,
    strict: false,
    // Shared shapes are compiled once and called, not copied into every request's validator.
    inlineRefs: false,
    // As validator.ts: the passes make the generated code smaller, not the validation different.
    code: { optimize: false },
    keywords: [
      {
        keyword: 'iceberg-long',
        schemaType: 'boolean',
        errors: false,
        validate: (_schema: boolean, data: unknown) => typeof data === 'bigint' || Number.isSafeInteger(data),
      },
    ],
  });
  for (const [id, schema] of Object.entries(SHARED_SCHEMAS)) ajv.addSchema(schema, id);
  icebergAjv = ajv;
  return ajv;
}
/**
 * A validator per schema object (routes share their path and query schemas), compiled when it is
 * first used: a server starts without paying for the Iceberg shapes until an Iceberg client calls.
 * The first Iceberg request then has the rest compiled in the background, one per turn of the event
 * loop: a client's first commit would otherwise pay for the commit shapes (about 150 ms of CPU).
 */
type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };
const compiled = new WeakMap<object, Validate>();
/** Validators not compiled yet, by their compile step. */
const uncompiled = new Set<() => unknown>();
let warming = false;
function warmTheRest(): void {
  if (warming) return;
  warming = true;
  const next = () => {
    const [first] = uncompiled;
    if (!first) {
      warming = false;
      return;
    }
    try {
      first();
    } catch {
      // Left for the request that uses it, which reports the failure.
    }
    setImmediate(next).unref();
  };
  setImmediate(next).unref();
}
export const icebergValidator = ({ schema }: { schema: FastifySchema }): Validate => {
  const known = compiled.get(schema);
  if (known) return known;
  let inner: ReturnType<Ajv['compile']> | undefined;
  const compile = () => {
    uncompiled.delete(compile);
    inner ??= validatorAjv().compile(schema as object);
    return inner;
  };
  uncompiled.add(compile);
  const validate: Validate = (data) => {
    const check = inner ?? compile();
    warmTheRest();
    const ok = check(data) as boolean; // no schema here is asynchronous
    validate.errors = check.errors as FastifySchemaValidationError[] | null | undefined;
    return ok;
  };
  compiled.set(schema, validate);
  return validate;
};

/** Compiles an Iceberg schema now (the test that every operation's schemas compile, which start-up does not check). */
export function compileIcebergSchema(schema: object): void {
  validatorAjv().compile(schema);
}

export interface IcebergErrorBody {
  error: { message: string; type: string; code: number };
}

const KIND: Record<ErrorKind, [number, string]> = {
  invalid: [400, 'BadRequestException'],
  unauthenticated: [401, 'NotAuthorizedException'],
  forbidden: [403, 'ForbiddenException'],
  not_found: [404, 'NotFoundException'],
  conflict: [409, 'AlreadyExistsException'],
  unprocessable: [422, 'UnprocessableEntityException'],
  quota_exceeded: [429, 'TooManyRequestsException'],
  rate_limited: [429, 'TooManyRequestsException'],
  unavailable: [503, 'ServiceUnavailableException'],
  unsupported: [501, 'UnsupportedOperationException'],
};
const MISSING: Record<NonNullable<ErrorDetail['subject']>, string> = {
  warehouse: 'NoSuchWarehouseException',
  namespace: 'NoSuchNamespaceException',
  table: 'NoSuchTableException',
  view: 'NoSuchViewException',
  plan: 'NoSuchPlanIdException',
  plan_task: 'NoSuchPlanTaskException',
};
const CONFLICT: Record<NonNullable<ErrorDetail['reason']>, string> = {
  exists: 'AlreadyExistsException',
  not_empty: 'NamespaceNotEmptyException',
  commit_failed: 'CommitFailedException',
};
/** Types for refusals decided by the HTTP layer itself (hooks, parsers, routing). */
const STATUS_TYPES: Record<number, string> = {
  400: 'BadRequestException',
  401: 'NotAuthorizedException',
  403: 'ForbiddenException',
  404: 'NotFoundException',
  405: 'MethodNotAllowedException',
  406: 'UnsupportedOperationException',
  413: 'BadRequestException',
  415: 'UnsupportedMediaTypeException',
  429: 'TooManyRequestsException',
  503: 'ServiceUnavailableException',
};

/** The Iceberg status and type of a domain error. */
export function icebergTypeOf(err: ServiceError): [number, string] {
  const [status, type] = KIND[err.kind];
  if (err.kind === 'not_found' && err.detail.subject) return [status, MISSING[err.detail.subject]];
  if (err.kind === 'conflict' && err.detail.reason) return [status, CONFLICT[err.detail.reason]];
  return [status, type];
}

const body = (status: number, type: string, message: string): IcebergErrorBody => ({
  error: { message, type, code: status },
});

/** The Iceberg answer to anything thrown, or undefined for a failure of the server itself (a 500). */
export function icebergAnswerOf(err: unknown): Answer | undefined {
  if (err instanceof ServiceError) {
    const [status, type] = icebergTypeOf(err);
    return { status, body: body(status, type, err.message) };
  }
  if (err instanceof HttpError)
    return {
      status: err.status,
      body: body(err.status, STATUS_TYPES[err.status] ?? 'BadRequestException', err.message),
    };
  const fe = err as FastifyError & { validation?: unknown };
  if (fe.validation) return { status: 400, body: body(400, 'BadRequestException', `invalid request: ${fe.message}`) };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: body(fe.statusCode, STATUS_TYPES[fe.statusCode] ?? 'BadRequestException', fe.message),
    };
  }
  return undefined;
}

/** Refusals a retry of the same request would get again: an Idempotency-Key records them. */
const FINAL = new Set([400, 404, 409, 422]);
export function finalRefusal(err: unknown): Answer | undefined {
  const a = icebergAnswerOf(err);
  return a && FINAL.has(a.status) ? a : undefined;
}

export function sendIcebergError(reply: FastifyReply, status: number, type: string, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(body(status, type, message));
}

/** The one place where anything thrown on an Iceberg route becomes an answer. Never leaks stack traces. */
export function handleIcebergError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = icebergAnswerOf(err);
  if (answer) return reply.code(answer.status).type('application/json').send(answer.body);
  request.log.error({ err }, 'unhandled error');
  return sendIcebergError(
    reply,
    500,
    'InternalServerError',
    'internal server error; the request id in X-Request-Id identifies it in the server log',
  );
}

function bearer(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (m) return m[1];
  const t = request.headers['x-auth-token'];
  return typeof t === 'string' ? t : undefined;
}

/**
 * An IAM token scoped to a project, sent as `Authorization: Bearer` or X-Auth-Token. A token this
 * replica validated moments ago is admitted at once (no promise); otherwise the answer is a promise.
 */
export function bearerAuthentication(tokens: TokenService) {
  const admit = (request: FastifyRequest, principal: Principal | null): void => {
    if (!principal) throw unauthenticated('the bearer token is invalid, expired or revoked');
    if (!principal.projectId) throw forbidden('the token is not scoped to a project');
    request.principal = principal;
  };
  return (request: FastifyRequest): Promise<void> | undefined => {
    const token = bearer(request);
    if (!token)
      throw unauthenticated(
        'send Authorization: Bearer <token> (an IAM token, or one from POST /iceberg/v1/oauth/tokens)',
      );
    const cached = tokens.cached(token);
    if (cached) {
      admit(request, cached);
      return undefined;
    }
    return tokens.validate(token).then((principal) => admit(request, principal));
  };
}
