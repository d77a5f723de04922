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

/** A grant's name pattern as LIKE without lower-casing: `*` any run, LIKE's own wildcards literal. */
const grantLikeExact = (pattern: string) => pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');

/**
 * The disjunction of conditions as a balanced tree: a flat chain of a thousand ORs is deeper
 * than SQLite parses (a caller may hold that many grants). False when there are none.
 */
export function anyOf(conditions: RawBuilder<boolean>[]): RawBuilder<boolean> {
  if (conditions.length === 0) return sql<boolean>`(1 = 0)`;
  if (conditions.length <= 8) return sql<boolean>`(${sql.join(conditions, sql` OR `)})`;
  const half = Math.ceil(conditions.length / 2);
  return sql<boolean>`(${anyOf(conditions.slice(0, half))} OR ${anyOf(conditions.slice(half))})`;
}

/** A (catalog, database, name) grant path: `*` a wildcard, an absent part (and all below it) any. */
export interface GrantPath {
  catalog?: string;
  database?: string;
  name?: string;
}

/**
 * Rows a grant path reaches, its names matched as the grant rules match them: case-sensitively
 * (names and grants are kept lower-case), `*` any run of characters, a name without one exactly.
 */
export function grantPathMatches(g: GrantPath): RawBuilder<boolean> {
  const parts: [string, string | undefined][] = [
    ['catalog_name', g.catalog],
    ['database_name', g.database],
    ['name', g.name],
  ];
  const conditions = parts
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '*')
    .map(([column, pattern]) =>
      pattern.includes('*')
        ? sql<boolean>`${sql.ref(column)} LIKE ${grantLikeExact(pattern)} ESCAPE '\\'`
        : sql<boolean>`${sql.ref(column)} = ${pattern}`,
    );
  return conditions.length ? sql<boolean>`(${sql.join(conditions, sql` AND `)})` : sql<boolean>`(1 = 1)`;
}

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
  return anyOf([owned, ...granted]);
}
