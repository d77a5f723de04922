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

/**
 * Metadata as JSON text, exactly as stringifyIceberg writes it (same keys in the same order), with the items of
 * METADATA_LISTS written by `item` (by default itemText: their cached stored form). A list's brackets are joined to its
 * first and last items and every piece goes into one final join, never around a joined text: wrapped, a large text
 * becomes a pair that is copied flat again when joined or written (half of a commit's garbage was such copies).
 */
export function stringifyMetadata(
  m: Record<string, unknown>,
  item: (list: string, value: unknown) => string = (_list, value) => itemText(value),
): string {
  const parts: string[] = [];
  for (const key of Object.keys(m)) {
    const v = m[key];
    // Skipped as JSON.stringify skips them.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    let text: string;
    if (METADATA_LISTS.has(key) && Array.isArray(v) && v.length > 0) {
      const items = new Array<string>(v.length);
      for (let i = 0; i < v.length; i++) items[i] = item(key, v[i]);
      items[0] = `[${items[0]}`;
      items[v.length - 1] = `${items[v.length - 1]}]`;
      text = items.join(',');
    } else {
      text = stringifyIceberg(v);
    }
    parts.push(`${parts.length === 0 ? '{' : ','}${JSON.stringify(key)}:`, text);
  }
  if (parts.length === 0) return '{}';
  parts.push('}');
  return parts.join('');
}
