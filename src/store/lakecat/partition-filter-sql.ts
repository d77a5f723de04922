import { type RawBuilder, sql } from 'kysely';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
/** How a partition key's values compare: by number, by date (as days), or as text. */
export type KeyKind = 'number' | 'date' | 'string';
export type TypedValue = string | number;

/**
 * A partition filter resolved against the table's partition keys (see the service's parser).
 * Keys of kind number and date compare by their stored number, which is null for Hive's
 * default partition, so that partition matches no comparison, as NULL does in SQL.
 */
export type TypedFilter =
  | { kind: 'and' | 'or'; left: TypedFilter; right: TypedFilter }
  | { kind: 'not'; expr: TypedFilter }
  | { kind: 'compare'; index: number; as: KeyKind; op: CompareOp; value: TypedValue }
  | { kind: 'like'; index: number; pattern: string; negated: boolean }
  | { kind: 'in'; index: number; as: KeyKind; values: TypedValue[]; negated: boolean }
  | { kind: 'between'; index: number; as: KeyKind; low: TypedValue; high: TypedValue; negated: boolean };

/**
 * The keys (by index) a filter reads, with whether they are compared only as text: the query
 * joins one partition_values row per key.
 */
export function keysOf(f: TypedFilter, into = new Map<number, 'text' | 'typed'>()): Map<number, 'text' | 'typed'> {
  if ('index' in f) {
    const how = f.kind === 'like' || f.as === 'string' ? 'text' : 'typed';
    into.set(f.index, into.get(f.index) === 'typed' ? 'typed' : how);
  }
  else if (f.kind === 'not') keysOf(f.expr, into);
  else {
    keysOf(f.left, into);
    keysOf(f.right, into);
  }
  return into;
}

export const keyAlias = (index: number) => sql.raw(`v${index}`);

function column(index: number, as: KeyKind): RawBuilder<unknown> {
  return sql.raw(`v${index}.${as === 'string' ? 'value' : 'num_value'}`);
}

const OPS: Record<CompareOp, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** The filter as one SQL condition over the joined key aliases; every literal is a bound parameter. */
export function filterCondition(f: TypedFilter): RawBuilder<boolean> {
  switch (f.kind) {
    case 'and': return sql<boolean>`(${filterCondition(f.left)} AND ${filterCondition(f.right)})`;
    case 'or': return sql<boolean>`(${filterCondition(f.left)} OR ${filterCondition(f.right)})`;
    case 'not': return sql<boolean>`(NOT ${filterCondition(f.expr)})`;
    case 'compare': return sql<boolean>`${column(f.index, f.as)} ${sql.raw(OPS[f.op])} ${f.value}`;
    case 'like': return sql<boolean>`${column(f.index, 'string')} ${sql.raw(f.negated ? 'NOT LIKE' : 'LIKE')} ${f.pattern} ESCAPE '\\'`;
    case 'in': return sql<boolean>`${column(f.index, f.as)} ${sql.raw(f.negated ? 'NOT IN' : 'IN')} (${sql.join(f.values)})`;
    case 'between': return sql<boolean>`${column(f.index, f.as)} ${sql.raw(f.negated ? 'NOT BETWEEN' : 'BETWEEN')} ${f.low} AND ${f.high}`;
  }
}
