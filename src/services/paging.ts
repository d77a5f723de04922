import { invalid } from './errors.js';

/** `page_info` of keyset-paged listings: markers are present only when such a page exists. */
export interface PageInfo {
  current_count: number;
  next_marker?: string;
  previous_marker?: string;
}

export interface Paging {
  limit: number;
  marker?: string;
  reversePage: boolean;
}

export interface KeysetSource<R, K> {
  /** What the listing holds, for the error on a marker that points nowhere. */
  what: string;
  /** The key of the row a marker names; undefined when the marker names none of this listing. */
  locate(marker: string): Promise<K | undefined>;
  /**
   * Up to `limit` rows in listing order after `after` (or before `before`, returned in order), and whether more follow.
   */
  fetch(limit: number, cursor: { after?: K; before?: K; last?: boolean }): Promise<{ rows: R[]; more: boolean }>;
  /** Whether any row of the listing lies beyond a key on one side. */
  exists(key: K, side: 'before' | 'after'): Promise<boolean>;
  keyOf(row: R): K;
  markerOf(row: R): string;
}

/**
 * One keyset page: forward after the marker, or with `reversePage` the page before it (without a
 * marker, the last page of the listing). The
 * extra row read by `fetch` tells whether a page follows in the direction of travel; one
 * probe tells whether one lies the other way.
 */
export async function keysetPage<R, K>(p: Paging, s: KeysetSource<R, K>): Promise<{ rows: R[]; info: PageInfo }> {
  let at: K | undefined;
  if (p.marker) {
    at = await s.locate(p.marker);
    if (at === undefined)
      throw invalid(`marker '${p.marker}' does not point at ${s.what}; list again from the first page`);
  }
  const backward = p.reversePage;
  const { rows, more } = await s.fetch(
    p.limit,
    !backward ? { after: at } : at !== undefined ? { before: at } : { last: true },
  );
  const first = rows[0];
  const last = rows[rows.length - 1];
  const hasNext = backward ? last !== undefined && (await s.exists(s.keyOf(last), 'after')) : more;
  const hasPrevious = backward
    ? more
    : first !== undefined && at !== undefined && (await s.exists(s.keyOf(first), 'before'));
  return {
    rows,
    info: {
      current_count: rows.length,
      ...(hasNext && last ? { next_marker: s.markerOf(last) } : {}),
      ...(hasPrevious && first ? { previous_marker: s.markerOf(first) } : {}),
    },
  };
}
