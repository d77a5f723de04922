import { type RawBuilder, sql } from 'kysely';

/**
 * A Hive name pattern (`*` any run of characters, `|` alternatives, case-insensitive) as a SQL
 * condition on a lower-case name column, with bound parameters. LIKE's own wildcards in the
 * pattern are escaped, so `_` and `%` match only themselves. Undefined means "no condition".
 */
export function hiveNamePattern(
  column: string | RawBuilder<unknown>,
  pattern: string | undefined,
): RawBuilder<boolean> | undefined {
  if (pattern === undefined || pattern === '' || pattern === '*') return undefined;
  const likes = pattern
    .toLowerCase()
    .split('|')
    .filter((p) => p !== '')
    .map((alt) => alt.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%'));
  if (likes.length === 0) return undefined;
  return sql<boolean>`(${sql.join(
    likes.map((l) => sql`${typeof column === 'string' ? sql.ref(column) : column} LIKE ${l} ESCAPE '\\'`),
    sql` OR `,
  )})`;
}

/** A grant's name pattern as LIKE: `*` any run, LIKE's own wildcards literal. */
export const grantLike = (pattern: string) =>
  pattern
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replace(/\*/g, '%');

/**
 * Rows of an object listing a non-administrator may see: owned by the user, or reached by a
 * grant, given as (database, object) name patterns (`*` a wildcard; an absent part means any).
 */
export function ownedOrGranted(
  ownedBy: string,
  grantedBy: { database?: string; name?: string }[],
): RawBuilder<boolean> {
  const owned = sql<boolean>`(owner_type = 'USER' AND owner = ${ownedBy})`;
  const granted = grantedBy.map(
    (g) =>
      sql<boolean>`(${sql.join(
        [
          g.database !== undefined ? sql`database_name LIKE ${grantLike(g.database)} ESCAPE '\\'` : sql`1 = 1`,
          g.name !== undefined ? sql`name LIKE ${grantLike(g.name)} ESCAPE '\\'` : sql`1 = 1`,
        ],
        sql` AND `,
      )})`,
  );
  return sql<boolean>`(${sql.join([owned, ...granted], sql` OR `)})`;
}
