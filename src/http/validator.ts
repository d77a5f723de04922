// The validator of LakeFormation and IAM requests (the Iceberg wire has its own, in iceberg-wire.ts).
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchema, FastifySchemaValidationError } from 'fastify';

/**
 * Fastify's own Ajv settings (coercion of query strings and single values to arrays, defaults filled in), with every
 * error and the failing data reported, for the messages errors.ts writes.
 */
const ajv = new Ajv({
  coerceTypes: 'array',
  useDefaults: true,
  removeAdditional: false,
  allErrors: true,
  verbose: true,
  addUsedSchema: false,
  // Ajv's optimization passes over the generated code took about 40% of compiling a route's schemas (its name
  // bookkeeping, with allErrors and verbose); they make the code smaller, not the validation different.
  code: { optimize: false },
});
addFormats.default(ajv);

type Validate = ((data: unknown, context?: object) => boolean) & {
  errors?: FastifySchemaValidationError[] | null;
  schemaEnv?: unknown;
};
const compiled = new WeakMap<object, Validate>();
/**
 * Compiled Ajv functions by schema text: routes' schemas are separate objects, but half of them are alike (the same
 * path parameters, the same paging query), and each distinct one is compiled once.
 */
const byText = new Map<string, ReturnType<typeof ajv.compile>>();
const compileOnce = (schema: object): ReturnType<typeof ajv.compile> => {
  const text = JSON.stringify(schema);
  let fn = byText.get(text);
  if (!fn) {
    fn = ajv.compile(schema);
    byText.set(text, fn);
  }
  return fn;
};

/**
 * A validator per schema object, compiled when it is first used: compiling all 300 routes' schemas took most of a
 * server's start-up (0.6–1 s of CPU), and a process that starts several servers compiles each schema once.
 */
export const requestValidator = ({ schema }: { schema: FastifySchema }): Validate => {
  const known = compiled.get(schema);
  if (known) return known;
  let inner: ReturnType<typeof ajv.compile> | undefined;
  const validate: Validate = (data, context) => {
    inner ??= compileOnce(schema as object);
    const ok = inner(data, context as never) as boolean; // no schema here is asynchronous
    validate.errors = inner.errors as FastifySchemaValidationError[] | null | undefined;
    return ok;
  };
  // Like Ajv's own functions: Fastify then passes the request as parent, so a coerced root value is kept.
  validate.schemaEnv = true;
  compiled.set(schema, validate);
  return validate;
};

/** Compiles a schema now (the test that every operation's schemas compile, which start-up no longer checks). */
export function compileRequestSchema(schema: object): void {
  ajv.compile(schema);
}
