import type {
  CompareOp,
  Filter,
  KeyKind,
  TableField,
  TypedFilter,
  TypedValue,
} from '../../store/lakecat/partition-filter-sql.js';
import { invalid } from '../errors.js';

/**
 * Hive metastore partition filters: `dt = '2024-01-01' AND (hr < 12 OR region LIKE 'eu%')`.
 * The parser yields a tree; `typeFilter` resolves the keys against the table's partition keys
 * and turns every literal into the value the store compares (numbers for numeric keys,
 * normalised dates for date keys). The store compiles the typed tree into SQL.
 */

export interface Literal {
  kind: 'string' | 'number' | 'date';
  text: string;
  pos: number;
}

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'compare'; key: string; keyPos: number; op: CompareOp; value: Literal }
  | { kind: 'like'; key: string; keyPos: number; pattern: Literal; negated: boolean }
  | { kind: 'in'; key: string; keyPos: number; values: Literal[]; negated: boolean }
  | { kind: 'between'; key: string; keyPos: number; low: Literal; high: Literal; negated: boolean };

interface Token {
  type: 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'end';
  text: string;
  pos: number;
}

/**
 * How deep a filter's tree may go: NOT, parentheses, and each AND or OR of a chain add a level
 * (docs/api-guide.md, "Limits"). SQLite stops at 1,000 levels of SQL expression; 100 leaves room.
 */
export const MAX_FILTER_DEPTH = 100;

const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'in', 'between', 'date']);

function fail(filter: string, pos: number, what: string): never {
  throw invalid(`invalid partition filter at position ${pos + 1}: ${what} (filter: ${filter})`);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(') {
      tokens.push({ type: 'lparen', text: c, pos: i++ });
      continue;
    }
    if (c === ')') {
      tokens.push({ type: 'rparen', text: c, pos: i++ });
      continue;
    }
    if (c === ',') {
      tokens.push({ type: 'comma', text: c, pos: i++ });
      continue;
    }
    if (c === "'" || c === '"') {
      // A quote inside is written twice ('it''s') or escaped with a backslash.
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) fail(filter, start, 'the string is not closed');
        const d = filter[i] as string;
        if (d === '\\' && i + 1 < filter.length) {
          text += filter[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          if (filter[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += d;
        i++;
      }
      tokens.push({ type: 'string', text, pos: start });
      continue;
    }
    const op = /^(<=|>=|<>|!=|==|=|<|>)/.exec(filter.slice(i));
    if (op) {
      tokens.push({ type: 'op', text: op[1] === '<>' ? '!=' : op[1] === '==' ? '=' : (op[1] as string), pos: i });
      i += (op[1] as string).length;
      continue;
    }
    const num = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(filter.slice(i));
    if (num) {
      tokens.push({ type: 'number', text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(filter.slice(i)) ?? /^`([^`]+)`/.exec(filter.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[1] ?? ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    fail(filter, i, `unexpected character '${c}'`);
  }
  tokens.push({ type: 'end', text: '', pos: filter.length });
  return tokens;
}

const isKeyword = (t: Token, word: string) => t.type === 'ident' && t.text.toLowerCase() === word;

/** Parses a filter; an empty or blank filter means "every partition" and yields undefined. */
export function parseFilter(filter: string): FilterExpr | undefined {
  if (filter.trim() === '') return undefined;
  const tokens = tokenize(filter);
  let at = 0;
  const peek = () => tokens[at] as Token;
  const next = () => tokens[at++] as Token;
  const expectWord = (word: string) => {
    const t = next();
    if (!isKeyword(t, word)) fail(filter, t.pos, `expected ${word.toUpperCase()}, found ${describe(t)}`);
  };
  const describe = (t: Token) => (t.type === 'end' ? 'the end of the filter' : `'${t.text}'`);

  const literal = (): Literal => {
    const t = next();
    if (t.type === 'string') return { kind: 'string', text: t.text, pos: t.pos };
    if (t.type === 'number') return { kind: 'number', text: t.text, pos: t.pos };
    if (isKeyword(t, 'date') && peek().type === 'string') {
      const s = next();
      return { kind: 'date', text: s.text, pos: t.pos };
    }
    return fail(filter, t.pos, `expected a value, found ${describe(t)}`);
  };
  const isLiteralStart = (t: Token) =>
    t.type === 'string' || t.type === 'number' || (isKeyword(t, 'date') && tokens[at + 1]?.type === 'string');

  // predicate := key op literal | literal op key | key [NOT] LIKE s | key [NOT] IN (...) | key [NOT] BETWEEN a AND b
  const predicate = (): FilterExpr => {
    const first = peek();
    if (isLiteralStart(first)) {
      const value = literal();
      const o = next();
      if (o.type !== 'op') fail(filter, o.pos, `expected a comparison, found ${describe(o)}`);
      const k = next();
      if (k.type !== 'ident' || KEYWORDS.has(k.text.toLowerCase()))
        fail(filter, k.pos, `expected a partition key, found ${describe(k)}`);
      const flipped: Record<string, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
      return { kind: 'compare', key: k.text, keyPos: k.pos, op: flipped[o.text] as CompareOp, value };
    }
    const k = next();
    if (k.type !== 'ident' || KEYWORDS.has(k.text.toLowerCase()))
      fail(filter, k.pos, `expected a partition key, found ${describe(k)}`);
    const base = { key: k.text, keyPos: k.pos };
    let negated = false;
    if (isKeyword(peek(), 'not')) {
      next();
      negated = true;
    }
    const t = peek();
    if (isKeyword(t, 'like')) {
      next();
      return { kind: 'like', ...base, pattern: literal(), negated };
    }
    if (isKeyword(t, 'in')) {
      next();
      const open = next();
      if (open.type !== 'lparen') fail(filter, open.pos, `expected '(' after IN, found ${describe(open)}`);
      const values = [literal()];
      while (peek().type === 'comma') {
        next();
        values.push(literal());
      }
      const close = next();
      if (close.type !== 'rparen')
        fail(filter, close.pos, `expected ',' or ')' in the IN list, found ${describe(close)}`);
      return { kind: 'in', ...base, values, negated };
    }
    if (isKeyword(t, 'between')) {
      next();
      const low = literal();
      expectWord('and');
      return { kind: 'between', ...base, low, high: literal(), negated };
    }
    if (negated) fail(filter, t.pos, `expected LIKE, IN or BETWEEN after NOT, found ${describe(t)}`);
    const o = next();
    if (o.type !== 'op') fail(filter, o.pos, `expected a comparison after '${k.text}', found ${describe(o)}`);
    return { kind: 'compare', ...base, op: o.text as CompareOp, value: literal() };
  };
  let nesting = 0; // NOT and parentheses open now: refused before the recursion gets deep
  const unary = (): FilterExpr => {
    const t = peek();
    if ((isKeyword(t, 'not') || t.type === 'lparen') && ++nesting > MAX_FILTER_DEPTH) tooDeep(filter);
    if (isKeyword(t, 'not')) {
      next();
      const e: FilterExpr = { kind: 'not', expr: unary() };
      nesting--;
      return e;
    }
    if (t.type === 'lparen') {
      next();
      const e = or();
      const close = next();
      if (close.type !== 'rparen') fail(filter, close.pos, `expected ')', found ${describe(close)}`);
      nesting--;
      return e;
    }
    return predicate();
  };
  const and = (): FilterExpr => {
    let left = unary();
    while (isKeyword(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  function or(): FilterExpr {
    let left = and();
    while (isKeyword(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }
  const expr = or();
  const rest = peek();
  if (rest.type !== 'end') fail(filter, rest.pos, `unexpected ${describe(rest)}`);
  if (depthOf(expr) > MAX_FILTER_DEPTH) tooDeep(filter);
  return expr;
}

function tooDeep(filter: string): never {
  return fail(filter, 0, `the filter nests deeper than ${MAX_FILTER_DEPTH} levels (NOT, parentheses, AND, OR)`);
}

/** The depth of a tree, without recursion: a chain of a thousand ANDs is a thousand deep. */
function depthOf(root: FilterExpr): number {
  let max = 0;
  const stack: [FilterExpr, number][] = [[root, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [e, d] = item;
    if (d > max) max = d;
    if (e.kind === 'and' || e.kind === 'or') stack.push([e.left, d + 1], [e.right, d + 1]);
    else if (e.kind === 'not') stack.push([e.expr, d + 1]);
  }
  return max;
}

export interface PartitionKey {
  name: string;
  type: string;
}

export function keyKind(type: string): KeyKind {
  const t = type.trim().toLowerCase();
  if (/^(tinyint|smallint|int|integer|bigint|float|double|double precision|real|decimal|numeric)(\s*\(.*\))?$/.test(t))
    return 'number';
  if (t === 'date') return 'date';
  return 'string';
}

/** Hive's default partition: the value a null partition column gets; it matches no typed comparison. */
export const DEFAULT_PARTITION_VALUE = '__HIVE_DEFAULT_PARTITION__';

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  tinyint: [-128n, 127n],
  smallint: [-32768n, 32767n],
  int: [-2147483648n, 2147483647n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};

/** A date as Hive writes it (yyyy-mm-dd), checked to be a real day; undefined otherwise. */
export function normalizeDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Days since 1970-01-01 of a normalised date: dates compare as these numbers. */
export const epochDay = (date: string): number => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/**
 * Checks one partition value against its key's type and returns the stored text and, for
 * numeric keys, the number it compares as. Returns an error message when the value does not fit.
 */
export function partitionValue(key: PartitionKey, value: string): { text: string; num: number | null } | string {
  if (value === '') return `the value of partition key ${key.name} is empty`;
  if (value === DEFAULT_PARTITION_VALUE) return { text: value, num: null };
  const t = key.type.trim().toLowerCase();
  const range = INTEGER_RANGES[t];
  if (range) {
    if (!/^[-+]?\d+$/.test(value.trim())) return `'${value}' is not a ${t} (partition key ${key.name})`;
    const n = BigInt(value.trim());
    if (n < range[0] || n > range[1]) return `'${value}' is out of the range of ${t} (partition key ${key.name})`;
    return { text: value, num: Number(n) };
  }
  if (keyKind(t) === 'number') {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isFinite(n))
      return `'${value}' is not a number (partition key ${key.name} is ${t})`;
    return { text: value, num: n };
  }
  if (t === 'date') {
    const d = normalizeDate(value);
    return d ? { text: d, num: epochDay(d) } : `'${value}' is not a date yyyy-mm-dd (partition key ${key.name})`;
  }
  if (t === 'boolean' && !/^(true|false)$/i.test(value))
    return `'${value}' is not a boolean (partition key ${key.name})`;
  return { text: value, num: null };
}

/** How a filter names a field: what the store compares, how, and what to call it in messages. */
export interface ResolvedKey<K> {
  key: K;
  as: KeyKind;
  label: string;
  type: string;
}

/**
 * Resolves a parsed filter against the fields it may name: `resolveKey` turns a name into the
 * store's key (or fails at its position), and literals become the values the store compares.
 */
export function resolveFilter<K>(
  filter: string,
  expr: FilterExpr,
  resolveKey: (name: string, pos: number) => ResolvedKey<K>,
  literal?: (lit: Literal, k: ResolvedKey<K>) => TypedValue | undefined,
): Filter<K> {
  const value = (lit: Literal, k: ResolvedKey<K>): TypedValue => {
    const own = literal?.(lit, k);
    if (own !== undefined) return own;
    if (k.as === 'number') {
      const n = Number(lit.text);
      if (lit.kind === 'date' || lit.text.trim() === '' || !Number.isFinite(n))
        fail(filter, lit.pos, `'${lit.text}' is not a number, and ${k.label} is ${k.type}`);
      return n;
    }
    if (k.as === 'date') {
      const d = normalizeDate(lit.text);
      if (!d) fail(filter, lit.pos, `'${lit.text}' is not a date yyyy-mm-dd, and ${k.label} is a date`);
      return epochDay(d);
    }
    return lit.text;
  };
  const walk = (e: FilterExpr): Filter<K> => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return { kind: e.kind, left: walk(e.left), right: walk(e.right) };
      case 'not':
        return { kind: 'not', expr: walk(e.expr) };
      case 'compare': {
        const k = resolveKey(e.key, e.keyPos);
        return { kind: 'compare', key: k.key, as: k.as, op: e.op, value: value(e.value, k) };
      }
      case 'like': {
        const k = resolveKey(e.key, e.keyPos);
        if (k.as !== 'string') fail(filter, e.keyPos, `LIKE needs a string key, and ${k.label} is ${k.type}`);
        if (e.pattern.kind !== 'string') fail(filter, e.pattern.pos, 'LIKE needs a quoted pattern');
        return { kind: 'like', key: k.key, pattern: e.pattern.text, negated: e.negated };
      }
      case 'in': {
        const k = resolveKey(e.key, e.keyPos);
        return { kind: 'in', key: k.key, as: k.as, values: e.values.map((v) => value(v, k)), negated: e.negated };
      }
      case 'between': {
        const k = resolveKey(e.key, e.keyPos);
        return {
          kind: 'between',
          key: k.key,
          as: k.as,
          low: value(e.low, k),
          high: value(e.high, k),
          negated: e.negated,
        };
      }
    }
  };
  return walk(expr);
}

/** A partition filter: keys are partition keys, by index. */
export function typeFilter(filter: string, expr: FilterExpr, keys: PartitionKey[]): TypedFilter {
  return resolveFilter<number>(filter, expr, (name, pos) => {
    const index = keys.findIndex((k) => k.name.toLowerCase() === name.toLowerCase());
    if (index < 0) {
      fail(
        filter,
        pos,
        keys.length
          ? `'${name}' is not a partition key of the table (its keys: ${keys.map((k) => k.name).join(', ')})`
          : `'${name}' is not a partition key: the table is not partitioned`,
      );
    }
    const key = keys[index] as PartitionKey;
    return { key: index, as: keyKind(key.type), label: key.name, type: key.type };
  });
}

const TABLE_OWNER = 'hive_filter_field_owner__';
const TABLE_LAST_ACCESS = 'hive_filter_field_last_access__';
const TABLE_PARAMS = 'hive_filter_field_params__';

/**
 * A table filter as Hive's getTableNamesByFilter takes it: `hive_filter_field_owner__`,
 * `hive_filter_field_params__<key>` (string comparisons and LIKE) and
 * `hive_filter_field_last_access__` (seconds since the epoch; compared as the time it stands for).
 */
export function typeTableFilter(filter: string, expr: FilterExpr): Filter<TableField> {
  return resolveFilter<TableField>(
    filter,
    expr,
    (name, pos) => {
      const n = name.toLowerCase();
      if (n === TABLE_OWNER) return { key: { kind: 'owner' }, as: 'string', label: 'the owner', type: 'string' };
      if (n === TABLE_LAST_ACCESS)
        return { key: { kind: 'last_access' }, as: 'string', label: 'the last access time', type: 'a time' };
      if (n.startsWith(TABLE_PARAMS) && name.length > TABLE_PARAMS.length) {
        const key = name.slice(TABLE_PARAMS.length);
        if (/["\\]/.test(key)) fail(filter, pos, `parameter key '${key}' holds a character a filter cannot name`);
        return { key: { kind: 'param', key }, as: 'string', label: `parameter ${key}`, type: 'string' };
      }
      return fail(
        filter,
        pos,
        `'${name}' is not a table field; use ${TABLE_OWNER}, ${TABLE_LAST_ACCESS} or ${TABLE_PARAMS}<key>`,
      );
    },
    (lit, k) => {
      if ((k.key as TableField).kind !== 'last_access') return undefined;
      const seconds = Number(lit.text);
      // A time a date can hold: ±8.64e12 s around the epoch.
      if (lit.kind !== 'number' || !Number.isInteger(seconds) || Math.abs(seconds) > 8.64e12)
        fail(filter, lit.pos, `'${lit.text}' is not a time in seconds since the epoch`);
      return new Date(seconds * 1000).toISOString();
    },
  );
}
