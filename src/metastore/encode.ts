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

function writeStorageDescriptor(w: BinaryWriter, sd: Sd | undefined, loc: LocationMap): void {
  const s = sd ?? {};
  const cols = s.columns ?? [];
  w.writeFieldBegin('', LIST, 1);
  w.writeListBegin(STRUCT, cols.length);
  for (const c of cols) {
    string(w, 1, c.column_name);
    string(w, 2, c.column_type);
    string(w, 3, c.comment ?? '');
    w.writeFieldStop();
  }
  string(w, 2, loc.toEngine(s.location));
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

/** One Partition struct (its fields and stop) from a stored row of `table`. */
export function writePartition(w: BinaryWriter, table: PartitionOwner, row: ListedPartition, loc: LocationMap): void {
  const def = JSON.parse(row.definition) as { parameters?: Record<string, string>; storage_descriptor?: Sd };
  const values = JSON.parse(row.partition_values) as string[];
  w.writeFieldBegin('', LIST, 1);
  w.writeListBegin(STRING, values.length);
  for (const v of values) w.writeString(v);
  string(w, 2, table.database_name);
  string(w, 3, table.name);
  w.writeFieldBegin('', I32, 4);
  w.writeI32(seconds(row.created_at));
  w.writeFieldBegin('', I32, 5);
  w.writeI32(seconds(row.last_access_time));
  w.writeFieldBegin('', STRUCT, 6);
  writeStorageDescriptor(w, def.storage_descriptor, loc);
  stringMap(w, 7, def.parameters);
  if (table.catalog_name !== null && table.catalog_name !== undefined) string(w, 9, table.catalog_name);
  w.writeFieldStop();
}

/**
 * A list<Partition> answer, encoded as its partitions come (step by step from a keyset scan) so
 * that only their bytes are kept. `inStruct`: the answer is a response struct holding the list as
 * its field 1 (PartitionsResponse and its kind), not the bare list.
 */
export class EncodedPartitions {
  private readonly body = new BinaryWriter(() => {}, false);
  count = 0;

  constructor(private readonly inStruct: boolean) {}

  add(table: PartitionOwner, row: ListedPartition, loc: LocationMap): void {
    writePartition(this.body, table, row, loc);
    this.count++;
  }

  /** The method result's success field (id 0). */
  writeSuccess(w: BinaryWriter): void {
    if (this.inStruct) {
      w.writeFieldBegin('success', STRUCT, 0);
      w.writeFieldBegin('partitions', LIST, 1);
    } else w.writeFieldBegin('success', LIST, 0);
    w.writeListBegin(STRUCT, this.count);
    w.writeRaw(this.body.bytes());
    if (this.inStruct) w.writeFieldStop();
  }
}
