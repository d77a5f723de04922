import {
  type Compilable,
  CompiledQuery,
  type Kysely,
  PostgresAdapter,
  type RawBuilder,
  sql,
  type Transaction,
} from 'kysely';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

/** Tables whose rows serialise writers (quotas, default flags, per-user limits). */
export type LockableTable = 'instances' | 'projects' | 'users';

/**
 * Every runtime statement SQLite and PostgreSQL spell apart, behind one interface: repositories
 * ask `dialectOf(q)` instead of testing which database they run on. (Migrations are shipped
 * history and keep their own per-dialect DDL.)
 */
export interface SqlDialect {
  readonly name: Dialect;
  /** Locks one row until the transaction ends; SQLite runs one writer at a time, so it needs none. */
  lockRow(q: Db, table: LockableTable, id: string): Promise<void>;
  /** The text at a path of object keys inside a JSON document held in a text column. */
  jsonText(column: string, keys: readonly string[]): RawBuilder<unknown>;
  /** A JSON document (text column) with the value at a path of object keys replaced by a JSON text. */
  jsonSet(column: string, keys: readonly string[], json: string): RawBuilder<string>;
  /** Text that compares and orders by code point, as SQLite does by default. */
  bytewise(text: RawBuilder<unknown>): RawBuilder<unknown>;
  /** Refreshes the planner's statistics of these tables; SQLite plans from pinned statistics. */
  analyze(q: Db, tables: readonly ('tables' | 'partitions' | 'partition_values')[]): Promise<void>;
  /**
   * Takes a named lock until the transaction ends, whichever replica holds it; SQLite has one
   * writing process, which serialises in memory instead (see Store.serialized).
   */
  lockName(q: Db, name: string): Promise<void>;
  /**
   * Runs statements that change data and answer nothing needed, as if one after another: on PostgreSQL as one
   * statement (each a WITH part), one round trip for them all; SQLite has no round trips, so it runs them in turn.
   * They must not touch the same rows: PostgreSQL runs the parts on one snapshot, none sees another's change.
   */
  writeAll(q: Db, statements: readonly Compilable<unknown>[]): Promise<void>;
}

const sqlite: SqlDialect = {
  name: 'sqlite',
  lockRow: async () => {},
  jsonText: (column, keys) => sql`json_extract(${sql.ref(column)}, ${`$${keys.map((k) => `."${k}"`).join('')}`})`,
  jsonSet: (column, keys, json) =>
    sql<string>`json_set(${sql.ref(column)}, ${`$${keys.map((k) => `."${k}"`).join('')}`}, json(${json}))`,
  bytewise: (text) => text,
  analyze: async () => {},
  lockName: async () => {},
  writeAll: async (q, statements) => {
    for (const st of statements) await q.executeQuery(st.compile());
  },
};

const postgres: SqlDialect = {
  name: 'postgres',
  lockRow: async (q, table, id) => {
    await sql`SELECT id FROM ${sql.table(table)} WHERE id = ${id} FOR UPDATE`.execute(q);
  },
  jsonText: (column, keys) => {
    const path = keys.slice(0, -1).reduce((acc, k) => sql`${acc} -> ${k}`, sql`${sql.ref(column)}::jsonb`);
    return sql`(${path} ->> ${keys[keys.length - 1]})`;
  },
  jsonSet: (column, keys, json) =>
    sql<string>`jsonb_set(${sql.ref(column)}::jsonb, ${`{${keys.join(',')}}`}, ${json}::jsonb)::text`,
  bytewise: (text) => sql`(${text} COLLATE "C")`,
  analyze: async (q, tables) => {
    await sql`ANALYZE ${sql.join(tables.map((t) => sql.table(t)))}`.execute(q);
  },
  // A 64-bit hash of the name: a collision only makes two names wait for each other.
  lockName: async (q, name) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(q);
  },
  writeAll: async (q, statements) => {
    if (statements.length < 2) {
      for (const st of statements) await q.executeQuery(st.compile());
      return;
    }
    const parameters: unknown[] = [];
    const parts = statements.map((st, i) => {
      const c = st.compile();
      const offset = parameters.length;
      parameters.push(...c.parameters);
      // Each statement numbers its parameters from $1: shifted past the previous ones' (quoted text left as it is).
      const text = c.sql.replace(/("(?:[^"]|"")*")|('(?:[^']|'')*')|\$(\d+)/g, (m, _d, _s, n: string | undefined) =>
        n === undefined ? m : `$${Number(n) + offset}`,
      );
      return `w${i} AS (${text})`;
    });
    await q.executeQuery(CompiledQuery.raw(`WITH ${parts.join(', ')} SELECT 1`, parameters));
  },
};

export const DIALECTS: Record<Dialect, SqlDialect> = { sqlite, postgres };

/** The dialect of a database handle or of a transaction on it. */
export function dialectOf(q: Db): SqlDialect {
  return q.getExecutor().adapter instanceof PostgresAdapter ? postgres : sqlite;
}
