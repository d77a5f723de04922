// Reading a snapshot's manifest list and manifests: Avro container files (null or deflate codec)
// as any Iceberg writer makes them. 64-bit integers are read as bigint (snapshot ids use the whole
// range); records come back as the writer's schema names them (the spec's field names).
import avro from 'avsc';
import { badRequest } from '../errors.js';

type Rec = Record<string, unknown>;

/**
 * Avro's long, exact over the whole 64-bit range (snapshot ids use it): a number when it is one
 * (most counts and sizes, and cheap), else a bigint. avsc's own long refuses values beyond 2^53.
 */
// biome-ignore lint/suspicious/noExplicitAny: avsc's LongType and Tap are not in its type declarations
class ExactLongType extends (avro.types.LongType as any) {
  _read(tap: { buf: Buffer; pos: number; readLong(): number }): number | bigint {
    const start = tap.pos;
    const n = tap.readLong();
    if (Math.abs(n) < 2 ** 52) return n;
    // Beyond 2^52 avsc's float arithmetic may round: read the varint again, as a bigint.
    tap.pos = start;
    let v = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = tap.buf[tap.pos++] as number;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    return (v >> 1n) ^ -(v & 1n);
  }
}
const ExactLong = new ExactLongType() as unknown as avro.Type;

/** The records and key-value metadata of an Avro container file. */
export function readAvro(bytes: Buffer, what: string): Promise<{ records: Rec[]; meta: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const records: Rec[] = [];
    const meta: Record<string, string> = {};
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { registry: { long: ExactLong } }),
    });
    decoder.on('metadata', (_type: unknown, _codec: string, header: { meta: Record<string, Buffer> }) => {
      for (const [k, v] of Object.entries(header.meta)) if (!k.startsWith('avro.')) meta[k] = v.toString('utf8');
    });
    decoder.on('data', (r: Rec) => records.push(r));
    decoder.on('error', (err: Error) => reject(badRequest(`${what} is not a readable Avro file: ${err.message}`)));
    decoder.on('end', () => resolve({ records, meta }));
    decoder.end(bytes);
  });
}

export interface FieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lower?: Buffer;
  upper?: Buffer;
}
export interface ManifestFile {
  path: string;
  length: bigint;
  specId: number;
  /** 0 data, 1 deletes. */
  content: number;
  sequenceNumber: bigint;
  addedSnapshotId: bigint;
  /** Files that are live in the manifest (added and existing); undefined when the writer did not count. */
  liveFiles?: bigint;
  partitions?: FieldSummary[];
}

const big = (x: unknown): bigint | undefined =>
  x === null || x === undefined ? undefined : typeof x === 'bigint' ? x : BigInt(x as number);
const buf = (x: unknown): Buffer | undefined => (Buffer.isBuffer(x) ? x : undefined);

export function manifestFiles(records: Rec[]): ManifestFile[] {
  return records.map((r) => {
    const added = big(r.added_files_count ?? r.added_data_files_count);
    const existing = big(r.existing_files_count ?? r.existing_data_files_count);
    return {
      path: String(r.manifest_path),
      length: big(r.manifest_length) ?? 0n,
      specId: Number(r.partition_spec_id ?? 0),
      content: Number(r.content ?? 0),
      sequenceNumber: big(r.sequence_number) ?? 0n,
      addedSnapshotId: big(r.added_snapshot_id) ?? 0n,
      liveFiles: added !== undefined && existing !== undefined ? added + existing : undefined,
      partitions: Array.isArray(r.partitions)
        ? (r.partitions as Rec[]).map((s) => ({
            containsNull: s.contains_null !== false,
            containsNan: typeof s.contains_nan === 'boolean' ? s.contains_nan : undefined,
            lower: buf(s.lower_bound),
            upper: buf(s.upper_bound),
          }))
        : undefined,
    };
  });
}

/** A manifest entry with what it inherits from its manifest filled in. */
export interface Entry {
  /** 0 existing, 1 added, 2 deleted. */
  status: number;
  snapshotId: bigint;
  sequenceNumber: bigint;
  file: ContentFile;
}
export interface ContentFile {
  /** 0 data, 1 position deletes, 2 equality deletes. */
  content: number;
  path: string;
  format: string;
  specId: number;
  /** The partition tuple as the writer stored it, in spec order. */
  partition: unknown[];
  recordCount: bigint;
  sizeInBytes: bigint;
  columnSizes?: Map<number, bigint>;
  valueCounts?: Map<number, bigint>;
  nullCounts?: Map<number, bigint>;
  nanCounts?: Map<number, bigint>;
  lowerBounds?: Map<number, Buffer>;
  upperBounds?: Map<number, Buffer>;
  keyMetadata?: Buffer;
  splitOffsets?: bigint[];
  equalityIds?: number[];
  sortOrderId?: number;
  firstRowId?: bigint;
  referencedDataFile?: string;
  contentOffset?: bigint;
  contentSize?: bigint;
}

/** An Iceberg map of int keys: an array of key/value records (or an object, from writers that use string keys). */
function intMap<V>(x: unknown, value: (v: unknown) => V | undefined): Map<number, V> | undefined {
  if (x === null || x === undefined) return undefined;
  const out = new Map<number, V>();
  const entries: [unknown, unknown][] = Array.isArray(x)
    ? (x as Rec[]).map((e) => [e.key, e.value])
    : Object.entries(x as Rec);
  for (const [k, v] of entries) {
    const val = value(v);
    if (val !== undefined) out.set(Number(k), val);
  }
  return out;
}

export function manifestEntries(records: Rec[], m: ManifestFile): Entry[] {
  return records.map((r) => {
    const status = Number(r.status);
    const f = (r.data_file ?? {}) as Rec;
    const partition = f.partition && typeof f.partition === 'object' ? Object.values(f.partition as Rec) : [];
    // Added entries inherit a null sequence number and snapshot id from the manifest (v2 inheritance);
    // format 1 has none (0).
    const seq = big(r.sequence_number) ?? (status === 1 ? m.sequenceNumber : 0n);
    return {
      status,
      snapshotId: big(r.snapshot_id) ?? m.addedSnapshotId,
      sequenceNumber: seq,
      file: {
        content: Number(f.content ?? 0),
        path: String(f.file_path),
        format: String(f.file_format ?? '').toLowerCase(),
        specId: m.specId,
        partition,
        recordCount: big(f.record_count) ?? 0n,
        sizeInBytes: big(f.file_size_in_bytes) ?? 0n,
        columnSizes: intMap(f.column_sizes, big),
        valueCounts: intMap(f.value_counts, big),
        nullCounts: intMap(f.null_value_counts, big),
        nanCounts: intMap(f.nan_value_counts, big),
        lowerBounds: intMap(f.lower_bounds, buf),
        upperBounds: intMap(f.upper_bounds, buf),
        keyMetadata: buf(f.key_metadata),
        splitOffsets: Array.isArray(f.split_offsets)
          ? (f.split_offsets as unknown[]).map((x) => big(x) ?? 0n)
          : undefined,
        equalityIds: Array.isArray(f.equality_ids) ? (f.equality_ids as unknown[]).map(Number) : undefined,
        sortOrderId: f.sort_order_id === null || f.sort_order_id === undefined ? undefined : Number(f.sort_order_id),
        firstRowId: big(f.first_row_id),
        referencedDataFile: typeof f.referenced_data_file === 'string' ? f.referenced_data_file : undefined,
        contentOffset: big(f.content_offset),
        contentSize: big(f.content_size_in_bytes),
      },
    };
  });
}
