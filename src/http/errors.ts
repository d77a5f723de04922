import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorKind, ServiceError } from '../services/errors.js';

export interface ErrorBody {
  error_code: string;
  error_msg: string;
  solution_msg?: string;
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  quota_exceeded: 429,
  rate_limited: 429,
  unavailable: 503,
  unprocessable: 422,
  unsupported: 501,
};

/** The code of every 404 for a missing object (an instance, catalog, table, role, job...). */
export const NOT_FOUND_CODE = 'lakeformation.01000404';

// Codes the reference uses for each class of failure (common.* for the service, APIG.* for the gateway).
const DEFAULT_CODE: Record<ErrorKind, string> = {
  invalid: 'common.01000001',
  unauthenticated: 'APIG.0301',
  forbidden: 'common.01000003',
  // A missing object has a code of its own (issue 19), in the lakeformation.* family of the reference's
  // ErrorMessage example; a route that does not exist at all is common.01000404 (see app.ts).
  not_found: NOT_FOUND_CODE,
  conflict: 'common.01000009',
  quota_exceeded: 'common.01000429',
  rate_limited: 'APIG.0308',
  unavailable: 'common.00000503',
  unprocessable: 'common.01000422',
  unsupported: 'common.01000501',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** An error already decided at the HTTP level (status and code), e.g. by a hook. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly solution?: string,
  ) {
    super(message);
  }
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  solution?: string,
): FastifyReply {
  const body: ErrorBody & { error?: { code: number; message: string; title: string } } = {
    error_code: code,
    error_msg: message.length >= 2 ? message.slice(0, 4096) : `${message}.`,
  };
  if (solution) body.solution_msg = solution;
  // Keystone clients read {"error": {...}}; Huawei SDKs read the top-level pair. IAM routes carry both.
  if (request.url.startsWith('/v3'))
    body.error = { code: status, message: body.error_msg, title: TITLES[status] ?? 'Error' };
  return reply.code(status).type('application/json').send(body);
}

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
  schema?: unknown;
}

/** At most this many problems are listed; the rest are counted. */
const MAX_ISSUES = 20;

const NAMED_CLASSES: [RegExp, string][] = [
  [/a-zA-Z|A-Za-z/, 'letters'],
  [/(?<![A-Za-z-])a-z(?!A-Z)/, 'lower-case letters'],
  [/(?<!a-z)A-Z(?!a-z)/, 'capital letters'],
  [/0-9/, 'digits'],
  [/\\u4e00-\\u9fa5|\u4e00-\u9fa5/, 'Chinese characters'],
];

/** A character-class pattern such as ^[a-zA-Z0-9_-]{1,64}$ in words; undefined for anything else. */
export function patternInWords(pattern: string): string | undefined {
  const m = /^\^\[([^\]]+)\](\+|\*|\{(\d+),(\d+)\})\$$/.exec(pattern);
  if (!m) return undefined;
  let rest = m[1] as string;
  const kinds: string[] = [];
  for (const [re, name] of NAMED_CLASSES) {
    if (re.test(rest)) {
      kinds.push(name);
      rest = rest.replace(re, '');
    }
  }
  rest = rest.replace(/\\u4e00-\\u9fa5/g, '').replace(/\\(.)/g, '$1');
  const others = [...new Set([...rest])].map((c) => (c === ' ' ? 'space' : c));
  const parts = [...kinds, ...(others.length ? [`the characters ${others.join(' ')}`] : [])];
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
  const size = m[3] ? ` (${m[3]} to ${m[4]} of them)` : '';
  return `may contain only ${list}${size}`;
}

/** The values a union of literals (or an enum) allows, when it is one. */
function allowedValues(schema: unknown): unknown[] | undefined {
  if (!Array.isArray(schema)) return undefined;
  const values: unknown[] = [];
  for (const branch of schema as Record<string, unknown>[]) {
    if (branch && 'const' in branch) values.push(branch.const);
    else if (branch && Array.isArray(branch.enum)) values.push(...branch.enum);
    else return undefined;
  }
  return values;
}

function typeOfBranch(branch: Record<string, unknown>): string {
  if (Array.isArray(branch.type)) return branch.type.join(' or ');
  return typeof branch.type === 'string' ? branch.type : 'another shape';
}

/** Every problem of a failed schema validation, in words, each with its field path. */
export function describeValidation(
  err: FastifyError & { validation?: AjvIssue[]; validationContext?: string },
): string {
  const where = err.validationContext ?? 'body';
  const field = (path: string, extra?: string): string => {
    const p = [
      ...path
        .split('/')
        .filter(Boolean)
        .map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~')),
      ...(extra ? [extra] : []),
    ];
    const dotted = p.map((x, i) => (/^\d+$/.test(x) ? `[${x}]` : i === 0 ? x : `.${x}`)).join('');
    if (where === 'querystring') return dotted ? `query parameter ${dotted}` : 'the query';
    if (where === 'params') return dotted ? `path parameter ${dotted}` : 'the path';
    if (where === 'headers') return dotted ? `header ${dotted}` : 'the headers';
    return dotted || 'the body';
  };
  const issues = err.validation ?? [];
  // A failed union explains its own branches: their errors are not listed one by one.
  const unions = issues.filter((v) => v.keyword === 'anyOf' || v.keyword === 'oneOf').map((v) => v.instancePath ?? '');
  const inUnion = (v: AjvIssue) =>
    v.keyword !== 'anyOf' &&
    v.keyword !== 'oneOf' &&
    unions.some((u) => (v.instancePath ?? '') === u || (v.instancePath ?? '').startsWith(`${u}/`));
  const out: string[] = [];
  for (const v of issues) {
    if (inUnion(v)) continue;
    const at = v.instancePath ?? '';
    const p = v.params ?? {};
    let text: string;
    if (v.keyword === 'required' && typeof p.missingProperty === 'string')
      text = `${field(at, p.missingProperty)} is required`;
    else if (v.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
      text = `${field(at, p.additionalProperty)} is not a field of this request`;
    } else if (Array.isArray(p.allowedValues)) text = `${field(at)} must be one of ${p.allowedValues.join(', ')}`;
    else if (v.keyword === 'const') text = `${field(at)} must be ${String(p.allowedValue)}`;
    else if (v.keyword === 'anyOf' || v.keyword === 'oneOf') {
      const values = allowedValues(v.schema);
      text = values
        ? `${field(at)} must be one of ${values.join(', ')}`
        : `${field(at)} must be ` +
          `${[...new Set(((v.schema as Record<string, unknown>[]) ?? []).map(typeOfBranch))].join(' or ')}`;
    } else if (v.keyword === 'pattern' && typeof p.pattern === 'string') {
      text = `${field(at)} ${patternInWords(p.pattern) ?? 'is not in the form this field takes'}`;
    } else if (v.keyword === 'type') text = `${field(at)} must be ${String(p.type).replace(',', ' or ')}`;
    else text = `${field(at)} ${v.message ?? 'is invalid'}`;
    if (!out.includes(text)) out.push(text);
  }
  if (!out.length) return `invalid request: ${err.message}`;
  const more = out.length > MAX_ISSUES ? `; and ${out.length - MAX_ISSUES} more` : '';
  return `invalid request: ${out.slice(0, MAX_ISSUES).join('; ')}${more}`;
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
  return sendError(
    request,
    reply,
    500,
    'common.00000500',
    'internal server error; the request id in X-Request-Id identifies it in the server log',
  );
}
