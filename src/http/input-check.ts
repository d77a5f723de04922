/**
 * What no request may carry anywhere (path, query or body), checked once for every operation
 * before its schema: text that PostgreSQL cannot store (a NUL character; an unpaired UTF-16
 * surrogate, which is not Unicode text at all) and numbers that do not fit (1e309 and Infinity
 * read as a double's infinity). Both backends refuse them alike, with a 400 naming the field.
 */

// A NUL, a high surrogate without its low half, or a low surrogate without its high half.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding a NUL is the point
const UNSTORABLE_RE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Spelt in the query string: a number word, or a decimal literal (beyond a double's range when not finite). */
const NOT_FINITE = /^[+-]?(?:inf(?:inity)?|nan)$/i;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function textProblem(s: string): string | undefined {
  const m = UNSTORABLE_RE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000'
    ? 'holds a NUL character (\\u0000), which text cannot store'
    : 'holds an unpaired UTF-16 surrogate, which is not valid Unicode text';
}

const name = (at: string, key: string): string => (at ? `${at}.${key}` : key);

/**
 * Whether a parsed JSON value has any problem, with no field path made: every request's body is walked, and naming
 * each node on the way (a string per field, an entries array per object) cost more than the checks themselves.
 */
function anyProblem(v: unknown): boolean {
  if (typeof v === 'string') return UNSTORABLE_RE.test(v);
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (anyProblem(v[i])) return true;
    return false;
  }
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v))
      if (UNSTORABLE_RE.test(k) || anyProblem((v as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** The first problem in a parsed JSON value, as "<field path> <what is wrong>", or undefined. */
export function valueProblem(v: unknown, at: string): string | undefined {
  return anyProblem(v) ? firstProblem(v, at) : undefined;
}

function firstProblem(v: unknown, at: string): string | undefined {
  if (typeof v === 'string') {
    const p = textProblem(v);
    return p && `${at || 'the body'} ${p}`;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${at || 'the body'} is a number beyond range`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = firstProblem(v[i], `${at}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const kp = textProblem(k);
      if (kp) return `a field name in ${at || 'the body'} ${kp}`;
      const p = firstProblem(x, name(at, k));
      if (p) return p;
    }
  }
  return undefined;
}

/** What a number check could match starts so, after blanks: a sign, a dot, a digit, or i(nfinity) or n(an). */
const NUMBERISH = /^\s*[-+.\dinIN]/;

function parameterValueProblem(v: string): string | undefined {
  const p = textProblem(v);
  if (p) return p;
  if (!NUMBERISH.test(v)) return undefined; // a name, as most parameters are
  if (NOT_FINITE.test(v.trim())) return 'is not a finite number';
  if (DECIMAL.test(v) && !Number.isFinite(Number(v))) return 'is a number beyond range';
  return undefined;
}

/** The first problem of the query string or path parameters (strings, or arrays of them). */
export function parameterProblem(values: unknown, where: 'query parameter' | 'path parameter'): string | undefined {
  if (!values || typeof values !== 'object') return undefined;
  // Every request's parameters pass here: no entries array, nor an array per value.
  for (const k of Object.keys(values)) {
    const raw = (values as Record<string, unknown>)[k];
    if (typeof raw === 'string') {
      const p = parameterValueProblem(raw);
      if (p) return `${where} ${k} ${p}`;
    } else if (Array.isArray(raw)) {
      for (const v of raw) {
        const p = typeof v === 'string' ? parameterValueProblem(v) : undefined;
        if (p) return `${where} ${k} ${p}`;
      }
    }
  }
  return undefined;
}

/**
 * A request schema as the routes validate it (the operation table keeps its own). Every whole
 * number takes only what a JSON number keeps exact, ±(2^53 − 1), unless the schema bounds it
 * tighter: 99999999999999999999999 would otherwise arrive as 1e23 and be stored rounded. With
 * `closed`, an object schema with `properties` and no rule for other fields refuses them (a 400
 * that names them), so an unknown field, however deep, is never stored and echoed back; maps
 * (`patternProperties`) stay open.
 */
export function strictSchema<T>(schema: T, closed: boolean): T {
  if (Array.isArray(schema)) return schema.map((x) => strictSchema(x, closed)) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s))
    out[k] = k === 'properties' ? mapValues(v, (x) => strictSchema(x, closed)) : strictSchema(v, closed);
  if (closed && s.properties && s.additionalProperties === undefined && s.patternProperties === undefined)
    out.additionalProperties = false;
  if (s.type === 'integer') {
    if (s.maximum === undefined && s.exclusiveMaximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
    if (s.minimum === undefined && s.exclusiveMinimum === undefined) out.minimum = -Number.MAX_SAFE_INTEGER;
  }
  return out as T;
}

const mapValues = (o: unknown, f: (v: unknown) => unknown): unknown =>
  Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, v]) => [k, f(v)]));
