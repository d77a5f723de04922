// JSON for Iceberg: clients draw snapshot ids from the whole 64-bit range, which JSON.parse would
// round to the nearest double (and the metadata would then name a snapshot no manifest has).
// Integers beyond 2^53 are kept as bigint and written back digit for digit; all else is as usual.
// The native parser and writer do the work whenever no such integer can be present: lossless-json
// is exact but several times slower, and metadata files are large.
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

const parseNumber = (text: string): number | bigint =>
  isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
/** Every integer beyond 2^53 has at least 16 digits; a text without such a run has none. */
const LONG_DIGITS = /\d{16}/;

export function parseIceberg<T = unknown>(text: string): T {
  return (LONG_DIGITS.test(text) ? parse(text, undefined, parseNumber) : JSON.parse(text)) as T;
}

export function stringifyIceberg(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    // Only a bigint stops the native writer here (our values are never circular).
    if (!(err instanceof TypeError)) throw err;
    return stringify(value) ?? 'null';
  }
}

/**
 * The items of table metadata's lists (snapshots, logs, schemas, specs, statistics) as JSON text, by item object.
 * A commit copies the lists but shares their items with the version before, and an item is never changed once in
 * a metadata object (the metadata cache shares them too): so each item is written once, however many versions
 * hold it, and a commit writes only what it added. Held only as long as the item is.
 */
const itemTexts = new WeakMap<object, string>();

/** The lists whose items stringifyMetadata writes through an item cache. */
export const METADATA_LISTS: ReadonlySet<string> = new Set([
  'snapshots',
  'snapshot-log',
  'metadata-log',
  'schemas',
  'partition-specs',
  'sort-orders',
  'statistics',
  'partition-statistics',
]);

/** One list item as stringifyIceberg writes it, made once per item object. */
export function itemText(item: unknown): string {
  if (typeof item !== 'object' || item === null) return stringifyIceberg(item);
  let text = itemTexts.get(item);
  if (text === undefined) {
    text = stringifyIceberg(item);
    itemTexts.set(item, text);
  }
  return text;
}

/** An item function: the text of one item of a metadata list, by the list's name. */
export type ItemText = (list: string, value: unknown) => string;

/** How far back from a list's end the item its base list ended with is looked for (the items one commit adds). */
const MAX_ADDED = 4096;

/**
 * The texts of metadata lists (their items joined, brackets left out) in one form, kept by the list's last item, as
 * a few chunks to join. A commit's list is its base's with items added at the end, or the same items: its text is
 * the base's and the new items', with no walk over the thousands of items a long-lived table keeps (at 10,000
 * snapshots that walk, over two lists in two forms a commit, was most of its CPU). A new chunk is merged into the one
 * before it until that one is more than twice its size: a list is a few dozen chunks at most, and an item is copied
 * a few times over its life instead of once a commit. An entry holds a copy of its list to compare with, so a list
 * changed in place is never served a stale text; an entry a later list grew from or moved past is dropped, so only
 * the newest list of each table is held (as long as its last item is).
 */
export class ListTexts {
  private readonly byLast = new WeakMap<object, { list: string; items: unknown[]; chunks: readonly string[] }>();

  chunks(list: string, v: readonly unknown[], item: ItemText): readonly string[] {
    const n = v.length;
    let head: readonly string[] = [];
    let from = 0;
    for (let j = n - 1; j >= 0 && j >= n - MAX_ADDED; j--) {
      const key = v[j];
      if (typeof key !== 'object' || key === null) break;
      const e = this.byLast.get(key);
      if (e === undefined) continue;
      if (e.list === list && e.items.length === j + 1 && samePrefix(e.items, v)) {
        if (j === n - 1) return e.chunks;
        head = e.chunks;
        from = j + 1;
      }
      // Grown from, or superseded by a list that holds its last item elsewhere (a log that dropped its oldest).
      this.byLast.delete(key);
      break;
    }
    const chunks = [...head, joined(list, v, from, item)];
    // Joined (not concatenated), so every chunk kept is one flat string.
    while (chunks.length > 1) {
      const last = chunks[chunks.length - 1] as string;
      const before = chunks[chunks.length - 2] as string;
      if (before.length > 2 * last.length) break;
      chunks.pop();
      chunks[chunks.length - 1] = [before, last].join(',');
    }
    const last = v[n - 1];
    if (typeof last === 'object' && last !== null) this.byLast.set(last, { list, items: v.slice(), chunks });
    return chunks;
  }
}

/** The texts of a list's items from `from` on, joined. */
function joined(list: string, v: readonly unknown[], from: number, item: ItemText): string {
  const texts = new Array<string>(v.length - from);
  for (let i = from; i < v.length; i++) texts[i - from] = item(list, v[i]);
  return texts.join(',');
}

/** Whether `v` begins with exactly the items of `items`, by identity. */
function samePrefix(items: readonly unknown[], v: readonly unknown[]): boolean {
  for (let i = items.length - 1; i >= 0; i--) if (items[i] !== v[i]) return false;
  return true;
}

const storedItem: ItemText = (_list, value) => itemText(value);
/** The lists of metadata files as written (stringifyMetadata's default form). */
const storedLists = new ListTexts();

/**
 * Metadata as JSON text, exactly as stringifyIceberg writes it (same keys in the same order), with the items of
 * METADATA_LISTS written by `item` (by default itemText: their cached stored form) and the lists' texts kept in
 * `lists` (ListTexts: one per form; none, nothing kept), so a commit writes out only the items it added.
 */
export function stringifyMetadata(
  m: Record<string, unknown>,
  item: ItemText = storedItem,
  lists: ListTexts | undefined = item === storedItem ? storedLists : undefined,
): string {
  const parts: string[] = [];
  for (const key of Object.keys(m)) {
    const v = m[key];
    // Skipped as JSON.stringify skips them.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${parts.length === 0 ? '{' : ','}${JSON.stringify(key)}:`);
    if (METADATA_LISTS.has(key) && Array.isArray(v) && v.length > 0) {
      // Every piece goes into the one final join, never around a joined text: wrapped, a large text would become a
      // pair copied flat again when joined or written.
      const chunks = lists ? lists.chunks(key, v, item) : [joined(key, v, 0, item)];
      parts.push('[');
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0) parts.push(',');
        parts.push(chunks[i] as string);
      }
      parts.push(']');
    } else {
      parts.push(stringifyIceberg(v));
    }
  }
  if (parts.length === 0) return '{}';
  parts.push('}');
  return parts.join('');
}
