import avro from 'avsc';
import type { SchemaTree } from 'hyparquet';

// Reading a table schema from one data file, in Hive type names. Parquet and Avro carry their
// schema; CSV (with a header) and JSON lines are typed from a sample of their rows.

export type FileFormat = 'parquet' | 'csv' | 'json' | 'avro';
export interface Column {
  column_name: string;
  column_type: string;
}

/** Rows read from a text file to infer its types. */
const SAMPLE_ROWS = 1000;

export function formatOf(key: string): FileFormat | undefined {
  const name = key.toLowerCase().replace(/\.(gz|snappy|zst)$/, '');
  if (name.endsWith('.parquet') || name.endsWith('.parq')) return 'parquet';
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.json') || name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'json';
  if (name.endsWith('.avro')) return 'avro';
  return undefined;
}

/** A file read in pieces: large data files are never loaded whole. */
export interface FileBytes {
  size: number;
  range(start: number, end: number): Promise<Buffer>;
}

/** How much of a text file is read for its sample: the first rows, not the whole file. */
const TEXT_SAMPLE_BYTES = 8 * 1024 * 1024;
/** An Avro header (its schema) sits at the start; this is far more than any schema needs. */
const AVRO_HEADER_BYTES = 4 * 1024 * 1024;

/** The start of a text file, cut at its last whole line when the file goes on. */
async function textSample(file: FileBytes): Promise<Buffer> {
  const bytes = await file.range(0, Math.min(file.size, TEXT_SAMPLE_BYTES));
  if (file.size <= TEXT_SAMPLE_BYTES) return bytes;
  const lastLine = bytes.lastIndexOf(0x0a);
  return lastLine > 0 ? bytes.subarray(0, lastLine) : bytes;
}

export async function readSchema(format: FileFormat, file: FileBytes): Promise<Column[]> {
  switch (format) {
    case 'parquet':
      return parquetColumns(file);
    case 'csv':
      return csvColumns(await textSample(file));
    case 'json':
      return jsonColumns(await textSample(file));
    case 'avro':
      return avroColumns(await file.range(0, Math.min(file.size, AVRO_HEADER_BYTES)));
  }
}

// --- Parquet: the footer's schema.

function parquetType(t: SchemaTree): string {
  const e = t.element;
  const logical = e.logical_type;
  if (t.children.length > 0) {
    if (logical?.type === 'LIST' || e.converted_type === 'LIST') {
      const repeated = t.children[0] as SchemaTree;
      // A LIST wraps a repeated group of one element (or the element itself, in legacy files).
      const element = repeated.children.length === 1 ? (repeated.children[0] as SchemaTree) : repeated;
      return `array<${parquetType(element)}>`;
    }
    if (logical?.type === 'MAP' || e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE') {
      const kv = t.children[0] as SchemaTree;
      return `map<${parquetType(kv.children[0] as SchemaTree)},${parquetType(kv.children[1] as SchemaTree)}>`;
    }
    return `struct<${t.children.map((c) => `${c.element.name}:${parquetType(c)}`).join(',')}>`;
  }
  if (logical?.type === 'DECIMAL') return `decimal(${logical.precision},${logical.scale})`;
  if (e.converted_type === 'DECIMAL') return `decimal(${e.precision ?? 38},${e.scale ?? 0})`;
  if (logical?.type === 'DATE' || e.converted_type === 'DATE') return 'date';
  if (
    logical?.type === 'TIMESTAMP' ||
    e.converted_type === 'TIMESTAMP_MILLIS' ||
    e.converted_type === 'TIMESTAMP_MICROS'
  )
    return 'timestamp';
  if (
    logical?.type === 'STRING' ||
    logical?.type === 'ENUM' ||
    logical?.type === 'JSON' ||
    logical?.type === 'UUID' ||
    e.converted_type === 'UTF8' ||
    e.converted_type === 'ENUM' ||
    e.converted_type === 'JSON'
  )
    return 'string';
  if (logical?.type === 'INTEGER')
    return logical.bitWidth <= 8
      ? 'tinyint'
      : logical.bitWidth <= 16
        ? 'smallint'
        : logical.bitWidth <= 32
          ? 'int'
          : 'bigint';
  if (e.converted_type === 'INT_8') return 'tinyint';
  if (e.converted_type === 'INT_16') return 'smallint';
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
      return 'int';
    case 'INT64':
      return 'bigint';
    case 'INT96':
      return 'timestamp';
    case 'FLOAT':
      return 'float';
    case 'DOUBLE':
      return 'double';
    default:
      return 'binary';
  }
}

/** Only the footer is read: its length is in the last 8 bytes, the schema just before them. */
async function parquetColumns(file: FileBytes): Promise<Column[]> {
  // Loaded by the first discovery that reads a Parquet file (or CSV, below), not at every server's start.
  const { parquetMetadataAsync, parquetSchema } = await import('hyparquet');
  const asArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  const metadata = await parquetMetadataAsync({
    byteLength: file.size,
    slice: async (start: number, end?: number) => asArrayBuffer(await file.range(start, end ?? file.size)),
  });
  const tree = parquetSchema(metadata);
  return tree.children.map((c) => ({ column_name: c.element.name, column_type: parquetType(c) }));
}

// --- Text formats: the narrowest Hive type every sampled value fits.

const INT32 = /^[+-]?\d{1,10}$/;
const INTEGER = /^[+-]?\d{1,19}$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Types ordered so that widening picks the later: a column of ints and doubles is double. */
const NUMERIC = ['tinyint', 'smallint', 'int', 'bigint', 'float', 'double'];

/** The type that holds both, or undefined when none does without turning values into text. */
export function widen(a: string, b: string): string | undefined {
  if (a === b) return a;
  const [i, j] = [NUMERIC.indexOf(a), NUMERIC.indexOf(b)];
  if (i >= 0 && j >= 0) return NUMERIC[Math.max(i, j)];
  if (/^decimal/.test(a) && j >= 0) return j >= 4 ? 'double' : a;
  if (/^decimal/.test(b) && i >= 0) return i >= 4 ? 'double' : b;
  if ((a === 'date' && b === 'timestamp') || (a === 'timestamp' && b === 'date')) return 'timestamp';
  return undefined;
}

function textType(value: string): string {
  const v = value.trim();
  if (/^(true|false)$/i.test(v)) return 'boolean';
  if (INT32.test(v) && Math.abs(Number(v)) <= 2_147_483_647) return 'int';
  if (INTEGER.test(v) && BigInt(v) <= 9_223_372_036_854_775_807n && BigInt(v) >= -9_223_372_036_854_775_808n)
    return 'bigint';
  if (DECIMAL.test(v)) return 'double';
  if (DATE.test(v)) return 'date';
  if (TIMESTAMP.test(v)) return 'timestamp';
  return 'string';
}

/** Folds a sample's value types: text wins over anything it cannot be widened with. */
function fold(types: Map<string, string | undefined>, name: string, t: string | undefined): void {
  if (t === undefined) {
    if (!types.has(name)) types.set(name, undefined);
    return;
  }
  const seen = types.get(name);
  types.set(name, seen === undefined ? t : (widen(seen, t) ?? 'string'));
}

async function csvColumns(bytes: Buffer): Promise<Column[]> {
  const { parse: parseCsv } = await import('csv-parse/sync');
  const text = bytes.toString('utf8');
  const rows = parseCsv(text, {
    to_line: SAMPLE_ROWS + 1,
    relax_column_count: true,
    skip_empty_lines: true,
    bom: true,
  }) as string[][];
  const header = rows[0];
  if (!header || header.length === 0) throw new Error('the CSV file has no header row');
  const types = new Map<string, string | undefined>();
  for (const name of header) types.set(name, undefined);
  for (const row of rows.slice(1)) {
    header.forEach((name, i) => {
      fold(types, name, row[i] === undefined || row[i] === '' ? undefined : textType(row[i] as string));
    });
  }
  return header.map((name) => ({ column_name: name, column_type: types.get(name) ?? 'string' }));
}

function jsonType(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? (Math.abs(v) <= 2_147_483_647 ? 'int' : 'bigint') : 'double';
  if (typeof v === 'string') {
    const t = textType(v);
    return t === 'date' || t === 'timestamp' ? t : 'string';
  }
  if (Array.isArray(v)) {
    let inner: string | undefined;
    for (const x of v) {
      const t = jsonType(x);
      if (t) inner = inner === undefined ? t : (widen(inner, t) ?? 'string');
    }
    return `array<${inner ?? 'string'}>`;
  }
  const fields = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}:${jsonType(x) ?? 'string'}`);
  return `struct<${fields.join(',')}>`;
}

function jsonColumns(bytes: Buffer): Column[] {
  const types = new Map<string, string | undefined>();
  let n = 0;
  for (const line of bytes.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    if (++n > SAMPLE_ROWS) break;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`line ${n} is not JSON`);
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error(`line ${n} is not a JSON object`);
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
      const t = jsonType(v);
      // Structs of different shapes do not widen: keep the first.
      if (t && types.get(k) && /^(struct|array)</.test(t)) continue;
      fold(types, k, t);
    }
  }
  if (types.size === 0) throw new Error('the JSON file has no rows');
  return [...types].map(([column_name, t]) => ({ column_name, column_type: t ?? 'string' }));
}

// --- Avro: the writer's schema from the file header.

type AvroSchema =
  | string
  | {
      type: unknown;
      logicalType?: string;
      precision?: number;
      scale?: number;
      items?: AvroSchema;
      values?: AvroSchema;
      fields?: { name: string; type: AvroSchema }[];
    }
  | AvroSchema[];

function avroType(s: AvroSchema): string {
  if (Array.isArray(s)) {
    const branches = s.filter((b) => b !== 'null');
    return branches.length === 1
      ? avroType(branches[0] as AvroSchema)
      : `uniontype<${branches.map(avroType).join(',')}>`;
  }
  if (typeof s === 'string') {
    return (
      (
        {
          int: 'int',
          long: 'bigint',
          float: 'float',
          double: 'double',
          boolean: 'boolean',
          string: 'string',
          bytes: 'binary',
          null: 'void',
        } as Record<string, string>
      )[s] ?? 'string'
    );
  }
  if (s.logicalType === 'date') return 'date';
  if (s.logicalType === 'timestamp-millis' || s.logicalType === 'timestamp-micros') return 'timestamp';
  if (s.logicalType === 'decimal') return `decimal(${s.precision ?? 38},${s.scale ?? 0})`;
  switch (s.type) {
    case 'record':
      return `struct<${(s.fields ?? []).map((f) => `${f.name}:${avroType(f.type)}`).join(',')}>`;
    case 'array':
      return `array<${avroType(s.items as AvroSchema)}>`;
    case 'map':
      return `map<string,${avroType(s.values as AvroSchema)}>`;
    case 'enum':
      return 'string';
    case 'fixed':
      return 'binary';
    default:
      return avroType(s.type as AvroSchema);
  }
}

function avroColumns(bytes: Buffer): Promise<Column[]> {
  return new Promise((resolve, reject) => {
    const decoder = new avro.streams.BlockDecoder();
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      try {
        const schema = JSON.parse((header.meta['avro.schema'] as Buffer).toString('utf8')) as {
          type: string;
          fields?: { name: string; type: AvroSchema }[];
        };
        if (schema.type !== 'record' || !schema.fields) throw new Error('the Avro file does not hold records');
        resolve(schema.fields.map((f) => ({ column_name: f.name, column_type: avroType(f.type) })));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
      decoder.destroy();
    });
    decoder.on('data', () => undefined);
    decoder.on('error', () => reject(new Error('the file is not an Avro object container file')));
    decoder.on('end', () => reject(new Error('the Avro file has no header')));
    decoder.end(bytes);
  });
}

/** Storage descriptor fields Hive engines need to read a format. */
export function storageOf(format: FileFormat): Record<string, unknown> {
  switch (format) {
    case 'parquet':
      return {
        input_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        output_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        serde_info: {
          serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          parameters: {},
        },
      };
    case 'csv':
      return {
        input_format: 'org.apache.hadoop.mapred.TextInputFormat',
        output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serde_info: {
          serialization_library: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
          parameters: { separatorChar: ',', quoteChar: '"' },
        },
      };
    case 'json':
      return {
        input_format: 'org.apache.hadoop.mapred.TextInputFormat',
        output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serde_info: { serialization_library: 'org.apache.hive.hcatalog.data.JsonSerDe', parameters: {} },
      };
    case 'avro':
      return {
        input_format: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat',
        output_format: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat',
        serde_info: { serialization_library: 'org.apache.hadoop.hive.serde2.avro.AvroSerDe', parameters: {} },
      };
  }
}
