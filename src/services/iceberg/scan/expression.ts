// The filter of a scan-planning request (the REST spec's Predicate JSON, current and deprecated
// forms) bound to a table schema, and the question planning asks of it: may a file, or a manifest,
// hold a matching row? The answer comes from evidence (partition values and summaries, column
// bounds and counts) and is inclusive: "no" only when no row can match.
import { badRequest } from '../errors.js';
import type { IcebergSchema } from '../metadata-types.js';
import { applyTransform, compare, isPrimitive, literalOf, monotonic, parseTransform, type Value } from './values.js';

type Op =
  | 'is-null'
  | 'not-null'
  | 'is-nan'
  | 'not-nan'
  | 'lt'
  | 'lt-eq'
  | 'gt'
  | 'gt-eq'
  | 'eq'
  | 'not-eq'
  | 'starts-with'
  | 'not-starts-with'
  | 'in'
  | 'not-in';

export interface Field {
  id: number;
  name: string;
  type: string;
}

export type Bound =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'and' | 'or'; left: Bound; right: Bound }
  | { kind: 'leaf'; op: Op; field: Field; values: Value[] }
  /** A term this server does not prune on (a transform term, a function): it may match anything. */
  | { kind: 'unknown' };

const UNARY = new Set<Op>(['is-null', 'not-null', 'is-nan', 'not-nan']);
const COMPARE = new Set<Op>(['lt', 'lt-eq', 'gt', 'gt-eq', 'eq', 'not-eq', 'starts-with', 'not-starts-with']);
const SET = new Set<Op>(['in', 'not-in']);
const NEGATE: Record<Op, Op> = {
  'is-null': 'not-null',
  'not-null': 'is-null',
  'is-nan': 'not-nan',
  'not-nan': 'is-nan',
  lt: 'gt-eq',
  'lt-eq': 'gt',
  gt: 'lt-eq',
  'gt-eq': 'lt',
  eq: 'not-eq',
  'not-eq': 'eq',
  'starts-with': 'not-starts-with',
  'not-starts-with': 'starts-with',
  in: 'not-in',
  'not-in': 'in',
};
/** `5 < x` is `x > 5`. */
const FLIP: Partial<Record<Op, Op>> = { lt: 'gt', 'lt-eq': 'gt-eq', gt: 'lt', 'gt-eq': 'lt-eq' };

/** The primitive columns of a schema by full name (nested struct fields dotted), as a filter names them. */
export function columnsOf(schema: IcebergSchema): Field[] {
  const out: Field[] = [];
  const walk = (fields: { id: number; name: string; type: unknown }[], prefix: string) => {
    for (const f of fields) {
      const name = `${prefix}${f.name}`;
      if (isPrimitive(f.type)) out.push({ id: f.id, name, type: f.type });
      else if ((f.type as { type?: string }).type === 'struct')
        walk((f.type as { fields: { id: number; name: string; type: unknown }[] }).fields, `${name}.`);
    }
  };
  walk(schema.fields as { id: number; name: string; type: unknown }[], '');
  return out;
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Binds a filter to the schema's columns; every problem is the client's (400) and names itself. */
export function bindFilter(filter: unknown, schema: IcebergSchema, caseSensitive: boolean): Bound {
  const columns = columnsOf(schema);
  const byName = new Map<string, Field>();
  for (const c of columns) {
    const key = caseSensitive ? c.name : c.name.toLowerCase();
    if (!caseSensitive && byName.has(key)) byName.set(key, { ...c, id: -1 });
    else byName.set(key, c);
  }
  const byId = new Map(columns.map((c) => [c.id, c]));

  const reference = (term: unknown): Field | undefined => {
    let found: Field | undefined;
    if (typeof term === 'string') found = byName.get(caseSensitive ? term : term.toLowerCase());
    else if (isObject(term) && term.type === 'reference' && typeof term.name === 'string')
      found = byName.get(caseSensitive ? term.name : term.name.toLowerCase());
    else if (isObject(term) && term.type === 'reference' && typeof term.id === 'number') found = byId.get(term.id);
    else if (isObject(term) && (term.type === 'transform' || term.type === 'apply')) return undefined;
    else throw badRequest(`the filter term ${JSON.stringify(term)} is not a column reference`);
    const name = isObject(term) ? (term.name ?? term.id) : term;
    if (!found)
      throw badRequest(`the filter names ${JSON.stringify(name)}, which is not a primitive column of the table`);
    if (found.id === -1)
      throw badRequest(`the filter name ${JSON.stringify(name)} matches several columns ignoring case`);
    return found;
  };
  const isTerm = (x: unknown) =>
    typeof x === 'string' || (isObject(x) && ['reference', 'transform', 'apply'].includes(x.type as string));
  const literal = (x: unknown): unknown => (isObject(x) && x.type === 'literal' ? x.value : x);
  const literals = (x: unknown): unknown[] => {
    if (Array.isArray(x)) return x.map(literal);
    if (isObject(x) && x.type === 'literals' && Array.isArray(x.values)) return x.values;
    throw badRequest('the values of an in or not-in filter must be a list of literals');
  };

  const leaf = (op: Op, term: unknown, raw: unknown[], negated: boolean): Bound => {
    const field = reference(term);
    if (!field) return { kind: 'unknown' };
    if ((op === 'is-nan' || op === 'not-nan') && field.type !== 'float' && field.type !== 'double')
      throw badRequest(`${op} applies to float and double columns, not to ${field.name} (${field.type})`);
    if ((op === 'starts-with' || op === 'not-starts-with') && field.type !== 'string')
      throw badRequest(`${op} applies to string columns, not to ${field.name} (${field.type})`);
    const values = raw.map((v) => {
      if (v === null || v === undefined) throw badRequest(`a null literal cannot be compared with ${field.name}`);
      return literalOf(field.type, v, field.name);
    });
    return { kind: 'leaf', op: negated ? NEGATE[op] : op, field, values };
  };

  const bind = (node: unknown, negated: boolean, depth: number): Bound => {
    if (depth > 200) throw badRequest('the filter is nested too deeply');
    if (typeof node === 'boolean') return { kind: node !== negated ? 'true' : 'false' };
    if (!isObject(node) || typeof node.type !== 'string')
      throw badRequest('a filter predicate must be an object with a type');
    const type = node.type;
    if (type === 'true' || type === 'false') return { kind: (type === 'true') !== negated ? 'true' : 'false' };
    if (type === 'and' || type === 'or') {
      if (node.left === undefined || node.right === undefined)
        throw badRequest(`an ${type} filter needs left and right`);
      const kind = (type === 'and') !== negated ? 'and' : 'or';
      return { kind, left: bind(node.left, negated, depth + 1), right: bind(node.right, negated, depth + 1) };
    }
    if (type === 'not') {
      if (node.child === undefined) throw badRequest('a not filter needs a child');
      return bind(node.child, !negated, depth + 1);
    }
    const op = type as Op;
    if (UNARY.has(op)) return leaf(op, node.child ?? node.term, [], negated);
    if (SET.has(op)) return leaf(op, node.child ?? node.term, literals(node.values), negated);
    if (COMPARE.has(op)) {
      const left = node.left ?? node.term;
      const right = node.right ?? node.value;
      if (left === undefined || right === undefined) throw badRequest(`a ${op} filter needs a term and a value`);
      if (!isTerm(left) && isTerm(right)) {
        const flipped = FLIP[op] ?? op;
        if (op === 'starts-with' || op === 'not-starts-with') throw badRequest(`${op} needs the column on its left`);
        return leaf(flipped, right, [literal(left)], negated);
      }
      return leaf(op, left, [literal(right)], negated);
    }
    throw badRequest(`unknown filter type ${JSON.stringify(type)}`);
  };
  return bind(filter, false, 0);
}

/** What is known of a column's values in a file: its bounds and counts (any may be absent). */
export interface Metrics {
  lower?: Value;
  upper?: Value;
  nulls?: bigint;
  values?: bigint;
  nans?: bigint;
}
/** What is known of a partition field's values: a file's one value, or a manifest's summary. */
export interface Range {
  lo: Value;
  hi: Value;
  hasNull: boolean;
  hasValue: boolean;
}
export interface Evidence {
  metrics(id: number): Metrics | undefined;
  /** The partition fields whose source is this column, with what is known of their values. */
  partitions(id: number): { transform: string; range: Range }[];
}

const startsWith = (v: Value, prefix: string, cmp: (a: string) => boolean) =>
  v === null || v === undefined || cmp(Array.from(String(v)).slice(0, Array.from(prefix).length).join(''));

/** Whether the column's metrics leave room for a matching row. */
function metricsAllow(op: Op, type: string, values: Value[], m: Metrics): boolean {
  const allNull = m.values !== undefined && m.nulls !== undefined && m.nulls >= m.values;
  const { lower, upper } = m;
  const x = values[0] as Value;
  switch (op) {
    case 'is-null':
      return m.nulls === undefined || m.nulls > 0n;
    case 'not-null':
      return !allNull;
    case 'is-nan':
      return !allNull && (m.nans === undefined || m.nans > 0n);
    case 'not-nan':
      return !allNull && (m.nans === undefined || m.values === undefined || m.nans < m.values - (m.nulls ?? 0n));
    case 'lt':
      return !allNull && (lower === undefined || compare(lower, x) < 0);
    case 'lt-eq':
      return !allNull && (lower === undefined || compare(lower, x) <= 0);
    case 'gt':
      return !allNull && (upper === undefined || compare(upper, x) > 0);
    case 'gt-eq':
      return !allNull && (upper === undefined || compare(upper, x) >= 0);
    case 'eq':
      return !allNull && within(x, lower, upper);
    case 'in':
      return !allNull && values.some((v) => within(v, lower, upper));
    case 'starts-with': {
      const p = x as string;
      return !allNull && startsWith(lower ?? null, p, (l) => l <= p) && startsWith(upper ?? null, p, (u) => u >= p);
    }
    case 'not-eq':
    case 'not-in':
      // Only a column that holds one value, no null and (for floats) no NaN can rule these out.
      return !(
        m.nulls === 0n &&
        (m.nans === 0n || (type !== 'float' && type !== 'double')) &&
        single(lower, upper) &&
        values.some((v) => compare(lower as Value, v) === 0)
      );
    default:
      return true;
  }
}

const single = (lo: Value | undefined, hi: Value | undefined) =>
  lo !== undefined && lo !== null && hi !== undefined && hi !== null && compare(lo, hi) === 0;

const within = (x: Value, lo: Value | undefined, hi: Value | undefined) =>
  (lo === undefined || lo === null || compare(lo, x) <= 0) && (hi === undefined || hi === null || compare(hi, x) >= 0);

/** Whether a partition field's values leave room for a matching row (inclusive projection of the predicate). */
function partitionAllows(op: Op, field: Field, values: Value[], transform: string, r: Range): boolean {
  const t = parseTransform(transform)?.name;
  if (!t || t === 'void') return true;
  if (op === 'is-null') return r.hasNull;
  if (op === 'not-null') return r.hasValue;
  const project = (v: Value) => applyTransform(transform, field.type, v);
  const x = values[0] as Value;
  const strict = t === 'identity';
  const known = (v: Value) => v !== null && v !== undefined;
  switch (op) {
    case 'eq':
      return r.hasValue && within(project(x), r.lo, r.hi);
    case 'in':
      return r.hasValue && values.some((v) => within(project(v), r.lo, r.hi));
    case 'lt':
    case 'lt-eq':
      if (!monotonic(transform)) return true;
      // x < X gives T(x) <= T(X); for identity the comparison itself carries over.
      return r.hasValue && (!known(r.lo) || compare(r.lo, project(x)) < (strict && op === 'lt' ? 0 : 1));
    case 'gt':
    case 'gt-eq':
      if (!monotonic(transform)) return true;
      return r.hasValue && (!known(r.hi) || compare(r.hi, project(x)) > (strict && op === 'gt' ? 0 : -1));
    case 'not-eq':
    case 'not-in':
      // Identity only: a partition of exactly the excluded value, and no null, has no matching row.
      return t !== 'identity' || r.hasNull || !single(r.lo, r.hi) || !values.some((v) => compare(r.lo, v) === 0);
    case 'starts-with': {
      if (t !== 'identity' && t !== 'truncate') return true;
      const p = project(x) as string;
      return r.hasValue && startsWith(r.lo, p, (l) => l <= p) && startsWith(r.hi, p, (u) => u >= p);
    }
    default:
      return true;
  }
}

/** May a row described by `ev` match? False only when none can. */
export function mayMatch(e: Bound, ev: Evidence): boolean {
  switch (e.kind) {
    case 'true':
    case 'unknown':
      return true;
    case 'false':
      return false;
    case 'and':
      return mayMatch(e.left, ev) && mayMatch(e.right, ev);
    case 'or':
      return mayMatch(e.left, ev) || mayMatch(e.right, ev);
    case 'leaf': {
      const m = ev.metrics(e.field.id);
      if (m && !metricsAllow(e.op, e.field.type, e.values, m)) return false;
      return ev.partitions(e.field.id).every((p) => partitionAllows(e.op, e.field, e.values, p.transform, p.range));
    }
  }
}
