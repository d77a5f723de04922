import { CompiledQuery } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './store.js';

type TableName = keyof Database;

/** Compiled INSERT texts by shape, per SQL dialect adapter (a transaction shares its database's). */
const compiled = new WeakMap<object, Map<string, string>>();

export interface BulkOptions {
  returning?: string[];
  onConflictDoNothing?: string[];
}

/**
 * A multi-row INSERT whose SQL text is compiled once per shape (table, columns, row count,
 * options) and reused with fresh parameters: building and compiling a query of thousands of
 * values costs more than SQLite takes to run it. Column order is `columns`; parameters are
 * passed row by row in that order, as Kysely itself compiles them.
 */
export async function bulkInsert<T extends object, R = unknown>(
  q: Db,
  table: TableName,
  columns: (keyof T & string)[],
  rows: T[],
  o: BulkOptions = {},
): Promise<R[]> {
  if (rows.length === 0) return [];
  const adapter = q.getExecutor().adapter;
  let byShape = compiled.get(adapter);
  if (!byShape) {
    byShape = new Map();
    compiled.set(adapter, byShape);
  }
  const key =
    `${table}|${columns.join(',')}|${rows.length}|` +
    `${o.returning?.join(',') ?? ''}|${o.onConflictDoNothing?.join(',') ?? ''}`;
  let text = byShape.get(key);
  if (text === undefined) {
    const template = Array.from({ length: rows.length }, () =>
      Object.fromEntries(columns.map((c) => [c, '\u0000slot'])),
    );
    // Typed loosely: the shape comes from the caller's row type, checked where rows are built.
    // biome-ignore lint/suspicious/noExplicitAny: the table is chosen at run time; rows are typed where they are built
    let query = (q.insertInto(table) as any).values(template);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    if (o.onConflictDoNothing) query = query.onConflict((oc: any) => oc.columns(o.onConflictDoNothing).doNothing());
    if (o.returning) query = query.returning(o.returning);
    const c = query.compile() as CompiledQuery;
    if (c.parameters.length !== rows.length * columns.length)
      throw new Error(`bulk insert into ${table}: unexpected parameter layout`);
    text = c.sql;
    if (byShape.size > 500) byShape.clear();
    byShape.set(key, text);
  }
  const parameters: unknown[] = new Array(rows.length * columns.length);
  let i = 0;
  for (const r of rows) for (const c of columns) parameters[i++] = r[c];
  const result = await q.executeQuery<R>(CompiledQuery.raw(text, parameters));
  return result.rows;
}
