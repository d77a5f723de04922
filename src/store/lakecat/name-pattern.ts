import { type RawBuilder, sql } from 'kysely';

/**
 * A Hive name pattern (`*` any run of characters, `|` alternatives, case-insensitive) as a SQL
 * condition on a lower-case name column, with bound parameters. LIKE's own wildcards in the
 * pattern are escaped, so `_` and `%` match only themselves. Undefined means "no condition".
 */
export function hiveNamePattern(column: string | RawBuilder<unknown>, pattern: string | undefined): RawBuilder<boolean> | undefined {
  if (pattern === undefined || pattern === '' || pattern === '*') return undefined;
  const likes = pattern.toLowerCase().split('|').filter((p) => p !== '')
    .map((alt) => alt.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%'));
  if (likes.length === 0) return undefined;
  return sql<boolean>`(${sql.join(likes.map((l) => sql`${typeof column === 'string' ? sql.ref(column) : column} LIKE ${l} ESCAPE '\\'`), sql` OR `)})`;
}
