import type { Compilable, CompiledQuery } from 'kysely';
import { type Db, dialectOf } from './dialect.js';

/**
 * How rows come back: objects, each row's first column's value (better-sqlite3's pluck), or each row as the array
 * of its columns' values (raw).
 */
export type RowMode = 'object' | 'pluck' | 'raw';
type SyncReader = (sql: string, parameters: readonly unknown[], mode: RowMode) => unknown[];
const syncReaders = new WeakMap<object, SyncReader>();

/** Lets prepared queries on this handle (not on its transactions) run on a synchronous read connection. */
export function registerSyncReader(db: object, reader: SyncReader): void {
  syncReaders.set(db, reader);
}

/**
 * A query whose SQL never changes, compiled once per database handle: building and compiling a
 * Kysely query costs more than running a small one on SQLite, so hot lookups skip both.
 * `build` receives placeholder values; the call supplies the real ones in the same order.
 */
export function preparedQuery<R, A extends unknown[]>(build: (q: Db, ...args: A) => Compilable<R>, arity: A['length']) {
  return prepared<R, R, A>(build, arity, false);
}

/**
 * A preparedQuery of one column, answering its values: on SQLite without an object per row (a
 * thousand names cost about half as much).
 */
export function preparedColumn<R, A extends unknown[]>(
  build: (q: Db, ...args: A) => Compilable<R>,
  arity: A['length'],
): (q: Db, ...args: A) => Promise<R[keyof R][]> {
  return prepared<R, R[keyof R], A>(build, arity, true);
}

/** A compiled statement and, for each of its parameters, which of the call's arguments it takes. */
interface Slotted<R> {
  compiled: CompiledQuery<R>;
  slots: number[];
}

/** Compiles `build` with placeholder arguments, to learn where each argument goes among the parameters. */
function compileSlotted<R, A extends unknown[]>(
  build: (q: Db, ...args: A) => Compilable<R>,
  q: Db,
  arity: number,
): Slotted<R> {
  const placeholders = Array.from({ length: arity }, (_, i) => `\u0000lakeform-arg-${i}`);
  const compiled = build(q, ...(placeholders as unknown as A)).compile();
  const slots = compiled.parameters.map((p) => placeholders.indexOf(p as string));
  if (slots.some((s) => s < 0)) throw new Error('a prepared statement may only take its arguments as parameters');
  if (dialectOf(q).name === 'postgres' && !statementNames.has(compiled.sql))
    statementNames.set(compiled.sql, `lakeform_${statementNames.size + 1}`);
  return { compiled, slots };
}

/** The names of the statements compiled once, by their text (a few hundred at most: each is a constant). */
const statementNames = new Map<string, string>();

/**
 * The name PostgreSQL connections keep a statement of preparedQuery or preparedStatement prepared under (parsed and
 * planned once per connection, not on every call); undefined for any other text.
 */
export function statementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

function prepared<R, V, A extends unknown[]>(
  build: (q: Db, ...args: A) => Compilable<R>,
  arity: number,
  pluck: boolean,
) {
  const cache = new WeakMap<Db, Slotted<R>>();
  return async (q: Db, ...args: A): Promise<V[]> => {
    let entry = cache.get(q);
    if (!entry) {
      entry = compileSlotted(build, q, arity);
      cache.set(q, entry);
    }
    const { compiled, slots } = entry;
    const parameters = slots.map((s) => args[s]);
    const reader = syncReaders.get(q);
    if (reader) return reader(compiled.sql, parameters, pluck ? 'pluck' : 'object') as V[];
    const result = await q.executeQuery<R>({ ...compiled, parameters });
    if (!pluck) return result.rows as unknown as V[];
    return result.rows.map((r) => Object.values(r as object)[0] as V);
  };
}

/**
 * A statement whose SQL never changes, compiled once per dialect (not per database handle, as preparedQuery is), so
 * that it is built once for every transaction too: the writes of a commit, run alone or together (writeAll). The
 * Kysely instances of one dialect compile alike (no plugins). Answers the statement with the call's parameters.
 */
export function preparedStatement<R, A extends unknown[]>(
  build: (q: Db, ...args: A) => Compilable<R>,
  arity: A['length'],
): (q: Db, ...args: A) => Compilable<R> {
  const cache = new Map<string, Slotted<R>>();
  return (q: Db, ...args: A) => {
    const dialect = dialectOf(q).name;
    let entry = cache.get(dialect);
    if (!entry) {
      entry = compileSlotted(build, q, arity);
      cache.set(dialect, entry);
    }
    const { compiled, slots } = entry;
    return { compile: () => ({ ...compiled, parameters: slots.map((s) => args[s]) }) };
  };
}

/**
 * A compiled query's rows as arrays of their columns' values, in the order selected: on SQLite's read connection
 * (when `q` has one) without an object per row, which better-sqlite3 builds property by property through V8's API
 * (a 1,000-row page of partitions costs about a third less when the caller builds its own objects from arrays).
 * Elsewhere (PostgreSQL, a transaction, an in-memory database): the same SQL through Kysely, its rows made arrays.
 */
export async function rowArrays(q: Db, compiled: CompiledQuery<unknown>): Promise<unknown[][]> {
  const reader = syncReaders.get(q);
  if (reader) return reader(compiled.sql, compiled.parameters, 'raw') as unknown[][];
  const { rows } = await q.executeQuery(compiled);
  return rows.map((r) => Object.values(r as object));
}
