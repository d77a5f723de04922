import { type RawBuilder, sql } from 'kysely';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
/** How a partition key's values compare: by number, by date (as days), or as text. */
export type KeyKind = 'number' | 'date' | 'string';
export type TypedValue = string | number;

/**
 * A filter resolved against the fields it names (`K`: a partition key's index, or a table
 * field). Keys of kind number and date compare by their stored number, which is null for
 * Hive's default partition, so that partition matches no comparison, as NULL does in SQL.
 */
export type Filter<K> =
  | { kind: 'and' | 'or'; left: Filter<K>; right: Filter<K> }
  | { kind: 'not'; expr: Filter<K> }
  | { kind: 'compare'; key: K; as: KeyKind; op: CompareOp; value: TypedValue }
  | { kind: 'like'; key: K; pattern: string; negated: boolean }
  | { kind: 'in'; key: K; as: KeyKind; values: TypedValue[]; negated: boolean }
  | { kind: 'between'; key: K; as: KeyKind; low: TypedValue; high: TypedValue; negated: boolean };

/** A partition filter: keys are partition-key indexes. */
export type TypedFilter = Filter<number>;

/** What a table filter may name (Hive's table-filter fields). */
export type TableField = { kind: 'owner' } | { kind: 'last_access' } | { kind: 'param'; key: string };

/**
 * The keys (by index) a filter reads, with whether they are compared only as text: the query
 * joins one partition_values row per key.
 */
export function keysOf(f: TypedFilter, into = new Map<number, 'text' | 'typed'>()): Map<number, 'text' | 'typed'> {
  if ('key' in f) {
    const how = f.kind === 'like' || f.as === 'string' ? 'text' : 'typed';
    into.set(f.key, into.get(f.key) === 'typed' ? 'typed' : how);
  } else if (f.kind === 'not') keysOf(f.expr, into);
  else {
    keysOf(f.left, into);
    keysOf(f.right, into);
  }
  return into;
}

export const keyAlias = (index: number) => sql.raw(`v${index}`);

/** A partition key's column in its joined alias: the number for typed keys, else the text. */
export const partitionColumn = (index: number, as: KeyKind): RawBuilder<unknown> =>
  sql.raw(`v${index}.${as === 'string' ? 'value' : 'num_value'}`);

const OPS: Record<CompareOp, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** The filter as one SQL condition, each key read through `column`; every literal is a bound parameter. */
export function filterCondition<K>(
  f: Filter<K>,
  column: (key: K, as: KeyKind) => RawBuilder<unknown>,
): RawBuilder<boolean> {
  switch (f.kind) {
    case 'and':
      return sql<boolean>`(${filterCondition(f.left, column)} AND ${filterCondition(f.right, column)})`;
    case 'or':
      return sql<boolean>`(${filterCondition(f.left, column)} OR ${filterCondition(f.right, column)})`;
    case 'not':
      return sql<boolean>`(NOT ${filterCondition(f.expr, column)})`;
    case 'compare':
      return sql<boolean>`${column(f.key, f.as)} ${sql.raw(OPS[f.op])} ${f.value}`;
    case 'like':
      return sql<boolean>`${column(f.key, 'string')} ${sql.raw(f.negated ? 'NOT LIKE' : 'LIKE')} ${f.pattern}
        ESCAPE '\\'`;
    case 'in':
      return sql<boolean>`${column(f.key, f.as)} ${sql.raw(f.negated ? 'NOT IN' : 'IN')} (${sql.join(f.values)})`;
    case 'between':
      return sql<boolean>`${column(f.key, f.as)} ${sql.raw(f.negated ? 'NOT BETWEEN' : 'BETWEEN')} ${f.low} AND
        ${f.high}`;
  }
}
