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
  return (LONG_DIGITS.test(text) ? parseWithLongs(text) : JSON.parse(text)) as T;
}

/**
 * Stands for an unsafe integer while the native parser reads the text: two high surrogates in a row, which no
 * string this text holds can start with (a text that holds or spells out one goes to lossless-json instead).
 */
const MARK = '\udbff\udbff';
const MARK_USED = /\\u[dD][bB][fF][fF]|\udbff/;

/**
 * As lossless-json reads it, several times faster: the integers beyond 2^53 (found in one pass, strings skipped) are
 * written as marked strings, the native parser reads the text, and the marked strings become bigints.
 */
function parseWithLongs(text: string): unknown {
  let out: string[] | undefined;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // A string: to its closing quote, escapes skipped.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      // A number: its whole token, the sign, digits, point and exponent.
      const start = i;
      let digits = true;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d >= 48 && d <= 57) continue;
        if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) digits = false;
        else break;
      }
      const token = text.slice(start, i);
      i--;
      // A leading zero is not JSON: left for the native parser to refuse.
      const lead = text.charCodeAt(c === 45 ? start + 1 : start);
      if (digits && i - start >= 15 && lead !== 48 && isInteger(token) && !isSafeNumber(token)) {
        out ??= [];
        out.push(text.slice(from, start), '"', MARK, token, '"');
        from = i + 1;
      }
    }
  }
  if (!out) return JSON.parse(text);
  if (MARK_USED.test(text)) return parse(text, undefined, parseNumber);
  out.push(text.slice(from));
  return unmark(JSON.parse(out.join('')));
}

/** Makes every marked string in a parsed value the bigint it stands for, in place. */
function unmark(v: unknown): unknown {
  if (typeof v === 'string') return v.startsWith(MARK) ? BigInt(v.slice(MARK.length)) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'string') {
        if (x.startsWith(MARK)) v[i] = BigInt(x.slice(MARK.length));
      } else if (typeof x === 'object' && x !== null) unmark(x);
    }
  } else if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      // A long integer where a field name belongs: invalid JSON, which the mark must not make valid.
      if (k.startsWith(MARK)) throw new SyntaxError('a number where a field name belongs');
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'string') {
        // Defined, not assigned: a "__proto__" field is an own field here, as JSON.parse made it.
        if (x.startsWith(MARK)) Object.defineProperty(v, k, { value: BigInt(x.slice(MARK.length)) });
      } else if (typeof x === 'object' && x !== null) unmark(x);
    }
  }
  return v;
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

/** Lists this long or shorter are written whole each time (see ListTexts.chunks). */
const SHORT_LIST = 8;
/** How far back from a list's end the item its base list ended with is looked for (the items one commit adds). */
const MAX_ADDED = 4096;

/**
 * Another form's view of the stored form's list texts, for a form whose items mostly read as they are stored (the
 * engine form of snapshots whose manifest lists are not obs://): while every item of a list is `same`, that form's
 * chunks are the stored form's, not a second copy of them.
 */
export interface SameAsStored {
  same(list: string, item: unknown): boolean;
  /** The stored form's chunks of the list. */
  stored(list: string, v: readonly unknown[]): readonly string[];
}

/**
 * The texts of metadata lists (their items joined, brackets left out) in one form, kept by the list's last item, as
 * a few chunks to join. A commit's list is its base's with items added at the end, or the same items: its text is
 * the base's and the new items', with no walk over the thousands of items a long-lived table keeps (at 10,000
 * snapshots that walk, over two lists in two forms a commit, was most of its CPU). A new chunk is merged into the one
 * before it until that one is more than twice its size: a list is a few dozen chunks at most, and an item is copied
 * a few times over its life instead of once a commit. An entry holds a copy of its list to compare with, so a list
 * changed in place is never served a stale text; an entry a later list grew from or moved past is dropped, so only
 * the newest list of each table is held (as long as its last item is). With `sameAs`, a list whose items all read as
 * stored is served the stored chunks (its entry holds none of its own).
 */
export class ListTexts {
  private readonly byLast = new WeakMap<
    object,
    { list: string; items: unknown[]; chunks: readonly string[] | undefined }
  >();

  chunks(list: string, v: readonly unknown[], item: ItemText, sameAs?: SameAsStored): readonly string[] {
    const n = v.length;
    // Nothing to save on a short list, and one looked up would drop the entry of the long list it was taken from
    // (loadTable's snapshots=refs: the next commit would write the whole list again).
    if (n <= SHORT_LIST) return [joined(list, v, 0, item)];
    let head: readonly string[] | undefined = [];
    let from = 0;
    for (let j = n - 1; j >= 0 && j >= n - MAX_ADDED; j--) {
      const key = v[j];
      if (typeof key !== 'object' || key === null) break;
      const e = this.byLast.get(key);
      if (e === undefined) continue;
      if (e.list === list && e.items.length === j + 1 && samePrefix(e.items, v)) {
        if (j === n - 1) return e.chunks ?? (sameAs as SameAsStored).stored(list, v);
        head = e.chunks;
        from = j + 1;
      } else if (e.list === list && e.items.length > j + 1 && sameFrom(e.items, e.items.length - j - 1, v)) {
        // The base's oldest items dropped (a metadata log at its bound drops one a commit): its chunks without them.
        const rest = e.chunks && withoutFirst(e.chunks, e.items, e.items.length - j - 1, (x) => item(list, x));
        if (e.chunks === undefined || rest !== undefined) {
          head = rest;
          from = j + 1;
        }
      }
      // Grown from, or superseded by a list that holds its last item elsewhere (a log that dropped its oldest).
      this.byLast.delete(key);
      break;
    }
    const last = v[n - 1];
    const keep = (chunks: readonly string[] | undefined) => {
      // A frozen list cannot change: held as it is, not copied (a commit's lists are frozen once made, see commits.ts).
      if (typeof last === 'object' && last !== null)
        this.byLast.set(last, { list, items: Object.isFrozen(v) ? (v as unknown[]) : v.slice(), chunks });
    };
    if (sameAs) {
      // Still the stored text throughout (a base found as such, or none found: every item is looked at once).
      if (head === undefined || from === 0) {
        let same = true;
        for (let i = from; i < n && same; i++) same = sameAs.same(list, v[i]);
        if (same) {
          keep(undefined);
          return sameAs.stored(list, v);
        }
      }
      // An item that reads otherwise: this form's own chunks from now on, all written once.
      if (head === undefined) {
        head = [];
        from = 0;
      }
    }
    // Nothing added (a base with only its oldest items dropped): its chunks alone.
    const chunks = from < n ? [...(head ?? []), joined(list, v, from, item)] : [...(head ?? [])];
    // Joined (not concatenated), so every chunk kept is one flat string.
    while (chunks.length > 1) {
      const tail = chunks[chunks.length - 1] as string;
      const before = chunks[chunks.length - 2] as string;
      if (before.length > 2 * tail.length) break;
      chunks.pop();
      chunks[chunks.length - 1] = [before, tail].join(',');
    }
    keep(chunks);
    return chunks;
  }
}

/** The texts of a list's items from `from` on, joined. */
function joined(list: string, v: readonly unknown[], from: number, item: ItemText): string {
  const texts = new Array<string>(v.length - from);
  for (let i = from; i < v.length; i++) texts[i - from] = item(list, v[i]);
  return texts.join(',');
}

/** Whether `v` begins with exactly the items of `items` from `drop` on, by identity. */
function sameFrom(items: readonly unknown[], drop: number, v: readonly unknown[]): boolean {
  for (let i = items.length - 1; i >= drop; i--) if (items[i] !== v[i - drop]) return false;
  return true;
}

/**
 * A list's chunks without the texts of its first `drop` items (cut at the commas after them: a chunk's rest is a slice,
 * not a copy); undefined if the texts do not fall where the items' texts say, so the list is written anew.
 */
function withoutFirst(
  chunks: readonly string[],
  items: readonly unknown[],
  drop: number,
  text: (item: unknown) => string,
): string[] | undefined {
  const rest = [...chunks];
  let k = 0;
  while (k < drop) {
    const first = rest[0];
    if (first === undefined) return undefined;
    let at = 0;
    while (k < drop && at < first.length) at += text(items[k++]).length + 1;
    // The chunk ends after an item (no comma there) or a comma follows the item just cut.
    if (at === first.length + 1) rest.shift();
    else if (at <= first.length && first.charCodeAt(at - 1) === 44) rest[0] = first.slice(at);
    else return undefined;
  }
  return rest;
}

/** Whether `v` begins with exactly the items of `items`, by identity. */
function samePrefix(items: readonly unknown[], v: readonly unknown[]): boolean {
  for (let i = items.length - 1; i >= 0; i--) if (items[i] !== v[i]) return false;
  return true;
}

const storedItem: ItemText = (_list, value) => itemText(value);
/** The lists of metadata files as written (stringifyMetadata's default form). */
const storedLists = new ListTexts();

/** The stored form's chunks of a metadata list (see SameAsStored). */
export const storedChunks = (list: string, v: readonly unknown[]): readonly string[] =>
  storedLists.chunks(list, v, storedItem);

/**
 * A form of metadata text other than the stored one: its item function, the texts of its lists, and, for a form
 * whose items mostly read as stored, where they do (see SameAsStored).
 */
export interface TextForm {
  item: ItemText;
  lists: ListTexts | undefined;
  sameAs?: SameAsStored;
}

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
  return metadataPieces(m, { item, lists }).join('');
}

/**
 * stringifyMetadata's text as the pieces it joins, in order (the stored form unless `form` says another): to be
 * written into one buffer (utf8Of) without a flat copy of the whole text first. The large pieces are the kept texts
 * of the lists, shared with every other version that holds the same items.
 */
export function metadataPieces(
  m: Record<string, unknown>,
  form: TextForm = { item: storedItem, lists: storedLists },
): string[] {
  const parts: string[] = [];
  for (const key of Object.keys(m)) {
    const v = m[key];
    // Skipped as JSON.stringify skips them.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${parts.length === 0 ? '{' : ','}${JSON.stringify(key)}:`);
    if (METADATA_LISTS.has(key) && Array.isArray(v) && v.length > 0) {
      // Every piece goes into the one final join, never around a joined text: wrapped, a large text would become a
      // pair copied flat again when joined or written.
      const chunks = form.lists ? form.lists.chunks(key, v, form.item, form.sameAs) : [joined(key, v, 0, form.item)];
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
  if (parts.length === 0) return ['{}'];
  parts.push('}');
  return parts;
}

/**
 * An answer that holds metadata (a commit's, a load's) as stringifyIceberg writes it, the metadata from its kept
 * texts (metadataPieces): a recorded answer (Idempotency-Key) does not write thousands of snapshots out again.
 */
export function stringifyAnswer(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return stringifyIceberg(body);
  const b = body as Record<string, unknown>;
  const m = b.metadata;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return stringifyIceberg(body);
  const parts: string[] = [];
  for (const key of Object.keys(b)) {
    const v = b[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(parts.length === 0 ? '{' : ',', JSON.stringify(key), ':');
    if (key === 'metadata') parts.push(...metadataPieces(m as Record<string, unknown>));
    else parts.push(stringifyIceberg(v));
  }
  parts.push('}');
  return parts.join('');
}
