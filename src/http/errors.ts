import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorKind, ServiceError } from '../services/errors.js';

export interface ErrorBody { error_code: string; error_msg: string; solution_msg?: string }

const STATUS: Record<ErrorKind, number> = {
  invalid: 400, unauthenticated: 401, forbidden: 403, not_found: 404, conflict: 409,
  quota_exceeded: 429, rate_limited: 429, unavailable: 503, unprocessable: 422, unsupported: 501,
};

// Codes the reference uses for each class of failure (common.* for the service, APIG.* for the gateway).
const DEFAULT_CODE: Record<ErrorKind, string> = {
  invalid: 'common.01000001', unauthenticated: 'APIG.0301', forbidden: 'common.01000003', not_found: 'common.01000001',
  conflict: 'common.01000009', quota_exceeded: 'common.01000429', rate_limited: 'APIG.0308', unavailable: 'common.00000503',
  unprocessable: 'common.01000422', unsupported: 'common.01000501',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

/** An error already decided at the HTTP level (status and code), e.g. by a hook. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly solution?: string) {
    super(message);
  }
}

export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, solution?: string): FastifyReply {
  const body: ErrorBody & { error?: { code: number; message: string; title: string } } = {
    error_code: code, error_msg: message.length >= 2 ? message.slice(0, 4096) : `${message}.`,
  };
  if (solution) body.solution_msg = solution;
  // Keystone clients read {"error": {...}}; Huawei SDKs read the top-level pair. IAM routes carry both.
  if (request.url.startsWith('/v3')) body.error = { code: status, message: body.error_msg, title: TITLES[status] ?? 'Error' };
  return reply.code(status).type('application/json').send(body);
}

interface AjvIssue { instancePath?: string; message?: string; params?: Record<string, unknown> }

function describeValidation(err: FastifyError & { validation?: AjvIssue[]; validationContext?: string }): string {
  const where = err.validationContext ?? 'request';
  const issues = (err.validation ?? []).slice(0, 5).map((v) => {
    const field = `${where}${(v.instancePath ?? '').replace(/\//g, '.')}`;
    const p = v.params ?? {};
    if (typeof p.missingProperty === 'string') return `${field}.${p.missingProperty} is required`;
    if (typeof p.additionalProperty === 'string') return `${field}.${p.additionalProperty} is not a field of this request`;
    if (Array.isArray(p.allowedValues)) return `${field} must be one of ${p.allowedValues.join(', ')}`;
    if (typeof p.pattern === 'string') return `${field} does not match the pattern ${p.pattern}`;
    return `${field} ${v.message ?? 'is invalid'}`;
  });
  return issues.length ? `invalid request: ${issues.join('; ')}` : `invalid request: ${err.message}`;
}

/** The one place where anything thrown becomes an HTTP answer. Never leaks stack traces. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof ServiceError) {
    return sendError(request, reply, STATUS[err.kind], err.code ?? DEFAULT_CODE[err.kind], err.message, err.solution);
  }
  if (err instanceof HttpError) return sendError(request, reply, err.status, err.code, err.message, err.solution);
  const fe = err as FastifyError & { validation?: AjvIssue[] };
  if (fe.validation) return sendError(request, reply, 400, 'common.01000001', describeValidation(fe));
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendError(request, reply, 413, 'common.01000413', 'the request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendError(request, reply, 415, 'common.01000415', 'unsupported Content-Type; send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendError(request, reply, 400, 'common.01000001', 'the request body is empty; a JSON body is required');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_BAD_URL':
      return sendError(request, reply, 400, 'common.01000001', `malformed request: ${fe.message}`);
    default:
      break;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return sendError(request, reply, fe.statusCode, 'common.01000001', fe.message);
  }
  request.log.error({ err }, 'unhandled error');
  return sendError(request, reply, 500, 'common.00000500', 'internal server error; the request id in X-Request-Id identifies it in the server log');
}
