import { type RawBuilder, sql } from 'kysely';

/** A position in listings ordered by (database_name, name), as functions and tables are. */
export interface DatabaseNameKey {
  database_name: string;
  name: string;
}

/** Rows strictly after (or before) a key in (database_name, name) order, as one SQL condition. */
export function beyondKey(k: DatabaseNameKey, side: 'before' | 'after'): RawBuilder<boolean> {
  const op = sql.raw(side === 'before' ? '<' : '>');
  return sql<boolean>`(database_name ${op} ${k.database_name} OR (database_name = ${k.database_name} AND name
    ${op} ${k.name}))`;
}

/**
 * Turns `limit + 1` fetched rows into a page: a backward page was fetched in reverse and is
 * turned back; the extra row only says whether more follow in the direction of travel.
 */
export function pageFromRows<R>(rows: R[], limit: number, backward: boolean): { rows: R[]; more: boolean } {
  const page = rows.slice(0, limit);
  if (backward) page.reverse();
  return { rows: page, more: rows.length > limit };
}
