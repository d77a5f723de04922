import type { LocationMap } from '../services/engine-locations.js';
import type { ListedPartition } from '../services/lakecat/partition-service.js';
import { seconds, skewedInfoOf } from './convert.js';
import { BinaryWriter } from './writer.js';

/**
 * Partitions written as TBinaryProtocol bytes straight from their stored rows: the bytes the
 * generated Partition.write gives for partitionPlain's fields (the tests compare both), without
 * building a view, its JSON text, the plain fields and the Thrift objects for each partition.
 */

// Thrift type ids (TType).
const BOOL = 2;
const I32 = 8;
const STRING = 11;
const STRUCT = 12;
const MAP = 13;
const LIST = 15;

/** The names every partition of one table carries. */
export interface PartitionOwner {
  catalog_name: string;
  database_name: string;
  name: string;
}

interface Sd {
  columns?: { column_name: string; column_type: string; comment?: string }[];
  location?: string;
  input_format?: string;
  output_format?: string;
  compressed?: boolean;
  number_of_buckets?: number;
  serde_info?: { name?: string; serialization_library?: string; parameters?: Record<string, string> };
  bucket_columns?: string[];
  sort_columns?: { column?: string; sort_order?: number }[];
  parameters?: Record<string, string>;
  skewed_info?: unknown;
  stored_as_sub_directories?: unknown;
}

function stringMap(w: BinaryWriter, id: number, m: Record<string, string> | undefined): void {
  const obj = m ?? {};
  const keys = Object.keys(obj);
  w.writeFieldBegin('', MAP, id);
  w.writeMapBegin(STRING, STRING, keys.length);
  for (const k of keys) {
    w.writeString(k);
    w.writeString(obj[k] as string);
  }
}

function string(w: BinaryWriter, id: number, s: string): void {
  w.writeFieldBegin('', STRING, id);
  w.writeString(s);
}

function writeColumns(w: BinaryWriter, s: Sd): void {
  const cols = s.columns ?? [];
  w.writeFieldBegin('', LIST, 1);
  w.writeListBegin(STRUCT, cols.length);
  for (const c of cols) {
    string(w, 1, c.column_name);
    string(w, 2, c.column_type);
    string(w, 3, c.comment ?? '');
    w.writeFieldStop();
  }
}

/** The storage descriptor's fields after its location (3 on), and its stop. */
function writeAfterLocation(w: BinaryWriter, s: Sd): void {
  string(w, 3, s.input_format ?? '');
  string(w, 4, s.output_format ?? '');
  w.writeFieldBegin('', BOOL, 5);
  w.writeBool(Boolean(s.compressed));
  w.writeFieldBegin('', I32, 6);
  w.writeI32(s.number_of_buckets ?? -1);
  const serde = s.serde_info;
  w.writeFieldBegin('', STRUCT, 7);
  string(w, 1, serde?.name ?? '');
  string(w, 2, serde?.serialization_library ?? '');
  stringMap(w, 3, serde?.parameters);
  w.writeFieldStop();
  const buckets = s.bucket_columns ?? [];
  w.writeFieldBegin('', LIST, 8);
  w.writeListBegin(STRING, buckets.length);
  for (const b of buckets) w.writeString(b);
  const sorts = s.sort_columns ?? [];
  w.writeFieldBegin('', LIST, 9);
  w.writeListBegin(STRUCT, sorts.length);
  for (const o of sorts) {
    string(w, 1, o.column ?? '');
    w.writeFieldBegin('', I32, 2);
    w.writeI32(o.sort_order ?? 1);
    w.writeFieldStop();
  }
  stringMap(w, 10, s.parameters);
  if (s.skewed_info) {
    // Rare (list-keyed maps): written by the generated struct.
    w.writeFieldBegin('', STRUCT, 11);
    (skewedInfoOf(s.skewed_info) as unknown as { write(o: BinaryWriter): void }).write(w);
  }
  if (typeof s.stored_as_sub_directories === 'boolean') {
    w.writeFieldBegin('', BOOL, 12);
    w.writeBool(s.stored_as_sub_directories);
  }
  w.writeFieldStop();
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
};

const sameList = <X>(a: X[] | undefined, b: X[] | undefined, same: (x: X, y: X) => boolean): boolean => {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i] as X, b[i] as X)) return false;
  return true;
};

/** Whether two stored descriptors encode alike but for their locations (compared as stored: a miss is safe). */
function sameButLocation(a: Sd, b: Sd): boolean {
  return (
    a.input_format === b.input_format &&
    a.output_format === b.output_format &&
    a.compressed === b.compressed &&
    a.number_of_buckets === b.number_of_buckets &&
    a.stored_as_sub_directories === b.stored_as_sub_directories &&
    !a.skewed_info &&
    !b.skewed_info &&
    sameList(
      a.columns,
      b.columns,
      (x, y) => x.column_name === y.column_name && x.column_type === y.column_type && x.comment === y.comment,
    ) &&
    (a.serde_info === b.serde_info ||
      (a.serde_info !== undefined &&
        b.serde_info !== undefined &&
        a.serde_info.name === b.serde_info.name &&
        a.serde_info.serialization_library === b.serde_info.serialization_library &&
        sameMap(a.serde_info.parameters, b.serde_info.parameters))) &&
    sameList(a.bucket_columns, b.bucket_columns, (x, y) => x === y) &&
    sameList(a.sort_columns, b.sort_columns, (x, y) => x.column === y.column && x.sort_order === y.sort_order) &&
    sameMap(a.parameters, b.parameters)
  );
}

/**
 * The last storage descriptor encoded, as the bytes before and after its location: a table's
 * partitions mostly differ only there, so the next one alike is copied rather than encoded.
 */
export class DescriptorCache {
  private last: { sd: Sd; head: Buffer; tail: Buffer } | undefined;
  private readonly scratch = new BinaryWriter(() => {}, false);

  /** `location`: the partition's own, when `sd` is another partition's descriptor alike but for it. */
  write(w: BinaryWriter, sd: Sd | undefined, loc: LocationMap, location = sd?.location): void {
    const s = sd ?? {};
    let last = this.last;
    // The same object: a definition the DefinitionCache reused.
    if (!last || (last.sd !== s && !sameButLocation(last.sd, s))) {
      const scratch = this.scratch;
      writeColumns(scratch, s);
      const head = Buffer.from(scratch.bytes());
      scratch.reset();
      writeAfterLocation(scratch, s);
      last = { sd: s, head, tail: Buffer.from(scratch.bytes()) };
      scratch.reset();
      this.last = last;
    }
    w.writeRaw(last.head);
    const [prefix, rest] = loc.toEngineParts(location);
    w.writeFieldBegin('', STRING, 2);
    w.writeStringPair(prefix, rest);
    w.writeRaw(last.tail);
  }
}

/**
 * `seconds`, remembering its last two answers: a listing's partitions mostly carry the times of the batch that
 * created them, and parsing a date costs more than encoding the rest of the field.
 */
const recent: [unknown, number][] = [
  ['', 0],
  ['', 0],
];
function secondsOf(iso: unknown): number {
  const [a, b] = recent as [[unknown, number], [unknown, number]];
  if (a[0] === iso) return a[1];
  if (b[0] === iso) return b[1];
  const s = seconds(iso);
  recent[1] = a;
  recent[0] = [iso, s];
  return s;
}

interface Definition {
  parameters?: Record<string, string>;
  storage_descriptor?: Sd;
}

// A "location" key (a string value is never followed by a colon), however spaced.
const LOCATION_KEY = /"location"\s*:/g;
// Not a string's text with nothing escaped (a quote, a backslash or a control character).
const ESCAPED = /["\\]|[^ -\uffff]/;

const MISSES = 8;

/**
 * The last stored definition parsed, kept as its text before and after its descriptor's location:
 * a table's partitions mostly differ only there, so a text alike around another location is not
 * parsed again (JSON.parse was a fifth of a listing's CPU). Anything else (other parameters, an
 * escaped location) is parsed as usual.
 */
export class DefinitionCache {
  private last: { def: Definition; head: string; tail: string } | undefined;
  // Misses in a row: a table whose partitions all differ elsewhere (their own statistics in their parameters) stops
  // paying for a template it never reuses (more than JSON.parse itself).
  private misses = 0;

  /** The definition and its descriptor's location (the one to encode: `def`'s may be another partition's). */
  parse(text: string): { def: Definition; location: string | undefined } {
    const last = this.last;
    // Slices compared rather than startsWith/endsWith, which compare char by char (5 times slower here).
    if (
      last &&
      text.length >= last.head.length + last.tail.length &&
      text.slice(0, last.head.length) === last.head &&
      text.slice(text.length - last.tail.length) === last.tail
    ) {
      const location = text.slice(last.head.length, text.length - last.tail.length);
      // Without a quote it lies within the string the head opened (the text is JSON: stored ones are written by
      // JSON.stringify or the database's JSON functions), which then holds no control character; without a
      // backslash nothing in it is escaped. Two searches cost less than ESCAPED's scan.
      if (location.indexOf('"') < 0 && location.indexOf('\\') < 0) {
        this.misses = 0;
        return { def: last.def, location };
      }
    }
    const def = JSON.parse(text) as Definition;
    const location = def.storage_descriptor?.location;
    this.last = undefined;
    if (++this.misses <= MISSES && typeof location === 'string' && !ESCAPED.test(location)) {
      // The descriptor's location key is then the text's only one, so what follows it is that location, as written.
      const keys = [...text.matchAll(LOCATION_KEY)];
      const at = keys.length === 1 ? (keys[0]?.index ?? -1) : -1;
      const start = at + '"location":"'.length;
      if (at >= 0 && text.startsWith('"location":"', at) && text.startsWith(`${location}"`, start))
        this.last = { def, head: text.slice(0, start), tail: text.slice(start + location.length) };
    }
    return { def, location };
  }
}

/**
 * The encoded bytes of what a listing's partitions mostly share: their table's names (fields 2 and 3; the catalog,
 * field 9, and the stop), and the last parameters map (field 7), reused while the next partition's is alike.
 */
export class SharedFields {
  private names: { table: PartitionOwner; head: Buffer; tail: Buffer } | undefined;
  private params: { map: Record<string, string> | undefined; bytes: Buffer } | undefined;
  private readonly scratch = new BinaryWriter(() => {}, false);

  private encoded(write: (w: BinaryWriter) => void): Buffer {
    write(this.scratch);
    const bytes = Buffer.from(this.scratch.bytes());
    this.scratch.reset();
    return bytes;
  }

  /** The table's fields 2 and 3 (`head`), and its field 9 and the struct's stop (`tail`). */
  of(table: PartitionOwner): { head: Buffer; tail: Buffer } {
    let names = this.names;
    if (names?.table !== table) {
      names = {
        table,
        head: this.encoded((w) => {
          string(w, 2, table.database_name);
          string(w, 3, table.name);
        }),
        tail: this.encoded((w) => {
          if (table.catalog_name !== null && table.catalog_name !== undefined) string(w, 9, table.catalog_name);
          w.writeFieldStop();
        }),
      };
      this.names = names;
    }
    return names;
  }

  writeParameters(w: BinaryWriter, map: Record<string, string> | undefined): void {
    let params = this.params;
    // The same object (a definition reused) or one alike: Object.keys' order is what stringMap writes in.
    if (!params || (params.map !== map && !sameOrderedMap(params.map, map))) {
      params = { map, bytes: this.encoded((s) => stringMap(s, 7, map)) };
      this.params = params;
    }
    w.writeRaw(params.bytes);
  }
}

/** Whether two maps have the same keys in the same order with the same values (so they encode alike). */
function sameOrderedMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return a === b;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || a[k] !== b[k]) return false;
  }
  return true;
}

/** One Partition struct (its fields and stop) from a stored row of `table`. */
export function writePartition(
  w: BinaryWriter,
  table: PartitionOwner,
  row: ListedPartition,
  loc: LocationMap,
  sds = new DescriptorCache(),
  defs = new DefinitionCache(),
  shared = new SharedFields(),
): void {
  const { def, location } = defs.parse(row.definition);
  const names = shared.of(table);
  w.writeFieldBegin('', LIST, 1);
  // The stored list as it is when it is plain (JSON.parse of so small a text cost a tenth of the encoding).
  if (!w.writeJsonStrings(row.partition_values)) {
    const values = JSON.parse(row.partition_values) as string[];
    w.writeListBegin(STRING, values.length);
    for (const v of values) w.writeString(v);
  }
  w.writeRaw(names.head);
  w.writeFieldBegin('', I32, 4);
  w.writeI32(secondsOf(row.created_at));
  w.writeFieldBegin('', I32, 5);
  w.writeI32(secondsOf(row.last_access_time));
  w.writeFieldBegin('', STRUCT, 6);
  sds.write(w, def.storage_descriptor, loc, location);
  shared.writeParameters(w, def.parameters);
  w.writeRaw(names.tail);
}

/**
 * Text of the rows a page keeps beside its bytes (see EncodedPartitions' `previous`), in characters: about 4,000
 * partitions of a plain table; the rows of a longer listing past it are encoded anew each time.
 */
const KEPT_TEXT_MAX = 2 * 1024 * 1024;
/** A run of reused bytes this long is handed over as slices of the previous page rather than copied. */
const SLICE_OVER = 4096;

/** Whether two stored rows of the same name encode alike (the table's names and the location rule being the same). */
const sameRow = (a: ListedPartition, b: ListedPartition): boolean =>
  a.definition === b.definition &&
  a.partition_values === b.partition_values &&
  a.created_at === b.created_at &&
  a.last_access_time === b.last_access_time;

/**
 * A list<Partition> answer, encoded as its partitions come (step by step from a keyset scan) so
 * that only their bytes are kept. `inStruct`: the answer is a response struct holding the list as
 * its field 1 (PartitionsResponse and its kind), not the bare list.
 *
 * `previous`: the same listing encoded before (the same table, names and location rule; any caller, query or
 * store state). A partition whose stored row is that listing's row of the same name, text for text, encodes to the
 * same bytes, so they are copied from it instead: a write elsewhere, or to one partition, does not make the next
 * listing encode the others again. Nothing but the row's text is trusted: an alter, a rename, a cascade or a
 * re-created partition changes a text compared here, and a dropped one is not read.
 */
export class EncodedPartitions {
  private readonly body = new BinaryWriter(() => {}, false);
  private readonly sds = new DescriptorCache();
  private readonly defs = new DefinitionCache();
  private readonly shared = new SharedFields();
  count = 0;
  /** Partitions whose bytes were copied from `previous`. */
  reused = 0;
  /** Rows encoded, and where each one's bytes end in the answer, for the next encoding of this listing. */
  private readonly rows: ListedPartition[] = [];
  private readonly ends: number[] = [];
  private keptText = 0;
  /** The bytes of `previous` still to be copied: a run of partitions reused one after the other. */
  private runStart = 0;
  private runEnd = 0;
  /** Where in `previous` the next partition is looked for first (listings come in name order). */
  private cursor = 0;
  private byName: Map<string, number> | undefined;

  constructor(
    private readonly inStruct: boolean,
    private readonly previous?: EncodedPage,
  ) {}

  add(table: PartitionOwner, row: ListedPartition, loc: LocationMap): void {
    const prev = this.previous;
    const at = prev ? this.find(prev, row.name) : -1;
    let kept = row;
    if (prev && at >= 0 && sameRow(prev.rows[at] as ListedPartition, row)) {
      // The previous row is kept rather than its equal just read: that one dies young, and the collector has no
      // new rows to copy into the old generation (which had cost a tenth of a reused listing).
      kept = prev.rows[at] as ListedPartition;
      const start = at === 0 ? 0 : (prev.ends[at - 1] as number);
      if (start !== this.runEnd || this.runEnd === this.runStart) {
        this.flushRun();
        this.runStart = start;
      }
      this.runEnd = prev.ends[at] as number;
      this.reused++;
    } else {
      this.flushRun();
      writePartition(this.body, table, row, loc, this.sds, this.defs, this.shared);
    }
    this.count++;
    if (this.keptText < KEPT_TEXT_MAX) {
      this.keptText += kept.definition.length + kept.partition_values.length + kept.name.length;
      this.rows.push(kept);
      this.ends.push(this.body.length + this.runEnd - this.runStart);
    }
  }

  /** The index of the row named `name` in `prev`, or -1. */
  private find(prev: EncodedPage, name: string): number {
    const c = this.cursor;
    if (prev.rows[c]?.name === name) {
      this.cursor = c + 1;
      return c;
    }
    // A partition added or dropped in between: looked up by name from here on.
    let byName = this.byName;
    if (!byName) {
      byName = new Map();
      for (let i = 0; i < prev.rows.length; i++) byName.set((prev.rows[i] as ListedPartition).name, i);
      this.byName = byName;
    }
    const i = byName.get(name);
    if (i === undefined) return -1;
    this.cursor = i + 1;
    return i;
  }

  /** Copies the pending run of reused bytes from the previous page. */
  private flushRun(): void {
    if (this.runEnd > this.runStart) (this.previous as EncodedPage).copy(this.body, this.runStart, this.runEnd);
    this.runStart = this.runEnd = 0;
  }

  /** The method result's success field (id 0). */
  writeSuccess(w: BinaryWriter): void {
    this.flushRun();
    writeListing(w, this.inStruct, this.count, this.body.take());
  }

  /** What was added, as an answer that can be written again and again (and shared: see EncodedPage). */
  page(): EncodedPage {
    this.flushRun();
    return new EncodedPage(this.inStruct, this.count, this.body.take(), this.rows, this.ends, this.keptText);
  }
}

function writeListing(w: BinaryWriter, inStruct: boolean, count: number, pieces: readonly Buffer[]): void {
  if (inStruct) {
    w.writeFieldBegin('success', STRUCT, 0);
    w.writeFieldBegin('partitions', LIST, 1);
  } else w.writeFieldBegin('success', LIST, 0);
  w.writeListBegin(STRUCT, count);
  w.writePieces([...pieces]);
  if (inStruct) w.writeFieldStop();
}

/**
 * Encoded partitions kept whole: their pieces are handed to every socket that answers with them, never changed (a
 * page kept by the store's change mark is shared by the calls that find it). It also keeps the rows it was encoded
 * from (the first ones, see KEPT_TEXT_MAX) and where each one's bytes end, for the next encoding of its listing.
 */
export class EncodedPage {
  /** The partitions' bytes. */
  readonly bytes: number;
  /** What it holds: its bytes and the kept rows' text, roughly. */
  readonly size: number;

  constructor(
    private readonly inStruct: boolean,
    readonly count: number,
    private readonly pieces: readonly Buffer[],
    readonly rows: readonly ListedPartition[] = [],
    readonly ends: readonly number[] = [],
    keptText = 0,
  ) {
    let n = 0;
    for (const p of pieces) n += p.length;
    this.bytes = n;
    // A row's other fields and the objects holding them: ~200 bytes.
    this.size = n + keptText + rows.length * 200;
  }

  writeSuccess(w: BinaryWriter): void {
    writeListing(w, this.inStruct, this.count, this.pieces);
  }

  /** Writes its bytes from `start` to `end` into `w`: long runs as slices of its pieces, which never change. */
  copy(w: BinaryWriter, start: number, end: number): void {
    const slices: Buffer[] = [];
    let at = 0;
    for (const p of this.pieces) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + p.length);
      if (from < to) slices.push(p.subarray(from - at, to - at));
      at += p.length;
      if (at >= end) break;
    }
    if (end - start >= SLICE_OVER) w.writePieces(slices);
    else for (const s of slices) w.writeRaw(s);
  }
}

/** A list's bytes are handed to the socket as they are above this size, copied into the reply below it. */
const HAND_OVER = 64 * 1024;

/**
 * The encodings of frozen lists (a listing the services cache and share, see TableService.names): a list that
 * cannot change is encoded once while it lives.
 */
const encodedLists = new WeakMap<readonly string[], Buffer>();

function writeStrings(w: BinaryWriter, list: readonly string[]): void {
  w.writeListBegin(STRING, list.length);
  for (const s of list) w.writeString(s);
}

/** A list<string> answer (table names): written as it is, without the generated result struct's copy of it. */
export class EncodedStrings {
  constructor(private readonly list: readonly string[]) {}

  writeSuccess(w: BinaryWriter): void {
    w.writeFieldBegin('success', LIST, 0);
    if (!Object.isFrozen(this.list)) {
      writeStrings(w, this.list);
      return;
    }
    let bytes = encodedLists.get(this.list);
    if (!bytes) {
      const own = new BinaryWriter(() => {}, false);
      writeStrings(own, this.list);
      bytes = Buffer.concat(own.take());
      encodedLists.set(this.list, bytes);
    }
    if (bytes.length > HAND_OVER) w.writePieces([bytes]);
    else w.writeRaw(bytes);
  }
}
