import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from 'typebox';
import { EXAMPLE_BODIES } from './examples.js';
import { type Operation, pathParams } from './operation.js';
import { SHARED_SCHEMAS } from './schemas/iceberg.js';

// The OpenAPI 3.1 document of the operation table: paths, schemas (TypeBox is JSON Schema, which
// 3.1 takes as it is), security schemes and an example body per operation that has one.

type Json = Record<string, unknown>;

const componentName = (id: string): string => id.replace(/\.json$/, '').replace(/[^A-Za-z0-9._-]/g, '_');

/** A schema as plain JSON: Iceberg's shared `$ref`s point into components, `iceberg-long` is an int64. */
function toOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi);
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as Json;
  if (s['iceberg-long'] === true) return { type: 'integer', format: 'int64' };
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] =
      k === '$ref' && typeof v === 'string' && !v.startsWith('#')
        ? `#/components/schemas/${componentName(v)}`
        : toOpenApi(v);
  }
  return out;
}

/**
 * The validator of example bodies, made when a document is first built: its meta-schema compile and the shared
 * shapes cost every process's start-up some 50 ms of CPU, and most never serve /openapi.json.
 */
let examplesAjv: Ajv | undefined;
function exampleValidator(): Ajv {
  if (examplesAjv) return examplesAjv;
  const ajv = new Ajv({
    strict: false,
    allErrors: false,
    discriminator: true,
    inlineRefs: false,
    keywords: [
      {
        keyword: 'iceberg-long',
        schemaType: 'boolean',
        errors: false,
        validate: (_s: boolean, data: unknown) => Number.isSafeInteger(data),
      },
    ],
  });
  addFormats.default(ajv);
  for (const [id, schema] of Object.entries(SHARED_SCHEMAS)) ajv.addSchema(schema, id);
  examplesAjv = ajv;
  return ajv;
}

const STRING_CANDIDATES = ['example', 'example_1', 'Example1', 'obs://lakeform/example', 'a', '1', 'x1'];

/** A small value that fits a schema (required fields only), or undefined when none is found. */
export function sampleOf(schema: unknown, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 8) return undefined;
  const s = schema as Json;
  if (typeof s.$ref === 'string') return sampleOf(SHARED_SCHEMAS[s.$ref], depth + 1);
  if (s['iceberg-long'] === true) return 1;
  if ('const' in s) return s.const;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key])) {
      for (const v of s[key] as unknown[]) {
        const x = sampleOf(v, depth + 1);
        if (x !== undefined && x !== null) return x;
      }
      return undefined;
    }
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const o: Json = {};
      const props = (s.properties ?? {}) as Json;
      for (const name of (s.required ?? []) as string[]) o[name] = sampleOf(props[name], depth + 1);
      return o;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      const item = sampleOf(s.items, depth + 1);
      return Array.from({ length: Math.max(min, item === undefined ? 0 : 1) }, () => item);
    }
    case 'string': {
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
      const re = typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined;
      return STRING_CANDIDATES.find((c) => c.length >= min && c.length <= max && (!re || re.test(c)));
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return undefined;
  }
}

/** A body example that the operation's own schema accepts, or none. */
function exampleFor(schema: TSchema): unknown {
  const sample = sampleOf(schema);
  if (sample === undefined) return undefined;
  try {
    return exampleValidator().validate(schema as object, structuredClone(sample)) ? sample : undefined;
  } catch {
    return undefined;
  }
}

const SECURITY: Record<Operation['auth'], Json[]> = {
  required: [{ token: [] }, { signature: [] }],
  bearer: [{ bearer: [] }, { token: [] }],
  none: [],
};

const LAKEFORMATION_ERROR = {
  type: 'object',
  required: ['error_code', 'error_msg'],
  properties: { error_code: { type: 'string' }, error_msg: { type: 'string' }, solution_msg: { type: 'string' } },
};
const ICEBERG_ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        code: { type: 'integer' },
        stack: { type: 'array', items: { type: 'string' } },
      },
    },
  },
};

function parameters(op: Operation): Json[] {
  const out: Json[] = [];
  const params = (op.params as Json | undefined)?.properties as Json | undefined;
  for (const name of pathParams(op.path)) {
    out.push({ name, in: 'path', required: true, schema: toOpenApi(params?.[name] ?? { type: 'string' }) });
  }
  const query = op.query as Json | undefined;
  const required = new Set((query?.required ?? []) as string[]);
  for (const [name, schema] of Object.entries((query?.properties ?? {}) as Json)) {
    out.push({ name, in: 'query', required: required.has(name), schema: toOpenApi(schema) });
  }
  return out;
}

/** Routes outside the table that the server also answers (health, metrics, this document). */
const OPS_PATHS: Json = {
  '/': {
    get: {
      operationId: 'ServiceInfo',
      tags: ['Operations'],
      summary: 'Service name and version',
      security: [],
      responses: { 200: { description: 'service and version' } },
    },
  },
  '/healthz': {
    get: {
      operationId: 'Liveness',
      tags: ['Operations'],
      summary: 'Alive while the process answers',
      security: [],
      responses: { 200: { description: 'alive' } },
    },
  },
  '/readyz': {
    get: {
      operationId: 'Readiness',
      tags: ['Operations'],
      security: [],
      summary: 'Store reachable, migrations applied, object storage reachable',
      responses: {
        200: { description: 'ready' },
        503: { description: 'not ready; `failed` names the checks that failed' },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'Metrics',
      tags: ['Operations'],
      summary: 'Prometheus text format',
      security: [],
      responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'OpenApiDocument',
      tags: ['Operations'],
      summary: 'This document',
      security: [],
      responses: { 200: { description: 'OpenAPI 3.1' } },
    },
  },
  '/docs': {
    get: {
      operationId: 'ApiReference',
      tags: ['Operations'],
      summary: 'Browsable API reference',
      security: [],
      responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
};

export function openApiDocument(ops: Operation[], version: string): Json {
  const paths: Record<string, Json> = structuredClone(OPS_PATHS) as Record<string, Json>;
  for (const op of ops) {
    const iceberg = op.wire === 'iceberg';
    const entry: Json = {
      operationId: op.name,
      tags: [op.group],
      summary: op.name,
      ...(op.action ? { 'x-lakeform-action': op.action } : {}),
      security: SECURITY[op.auth],
      parameters: parameters(op),
      responses: {
        [String(op.status)]: {
          description: 'success',
          ...(op.response ? { content: { 'application/json': { schema: toOpenApi(op.response) } } } : {}),
        },
        default: {
          description: 'an error',
          content: {
            'application/json': {
              schema: {
                $ref: iceberg ? '#/components/schemas/IcebergError' : '#/components/schemas/LakeFormationError',
              },
            },
          },
        },
      },
    };
    if (op.body) {
      const example = EXAMPLE_BODIES[op.name] ?? exampleFor(op.body);
      entry.requestBody = {
        required: op.bodyRequired,
        content: {
          'application/json': {
            schema: toOpenApi(op.body),
            ...(example !== undefined ? { example } : {}),
          },
        },
      };
    }
    const item = paths[op.path] ?? {};
    item[op.method.toLowerCase()] = entry;
    paths[op.path] = item;
  }
  const schemas: Json = { LakeFormationError: LAKEFORMATION_ERROR, IcebergError: ICEBERG_ERROR };
  for (const [id, schema] of Object.entries(SHARED_SCHEMAS)) schemas[componentName(id)] = toOpenApi(schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'lakeform',
      version,
      description:
        'The Huawei Cloud LakeFormation REST API, an IAM-compatible identity API and the Apache Iceberg ' +
        'REST catalog. Get a token with KeystoneCreateUserToken (POST /v3/auth/tokens) and send it as X-Auth-Token.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(ops.map((o) => o.group)), 'Operations'].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Auth-Token',
          description: 'an IAM token from POST /v3/auth/tokens',
        },
        signature: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'an AK/SK signature (SDK-HMAC-SHA256) with X-Sdk-Date, as the Huawei Cloud SDKs send it',
        },
        bearer: { type: 'http', scheme: 'bearer', description: 'an IAM token (Iceberg REST clients)' },
      },
    },
  };
}
