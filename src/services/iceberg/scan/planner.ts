// Scan planning over a snapshot's manifests, as the table spec's "Scan Planning" section lays it
// out: manifests are skipped by their partition summaries, files by their partition tuple and
// column bounds and counts, and each data file gets the delete files that apply to it (position
// deletes of its partition with a data sequence number not below its own, equality deletes of its
// partition or of an unpartitioned spec with a higher one). Pure over a reader of files.
import { badRequest } from '../errors.js';
import type { IcebergSchema, PartitionSpec, TableMetadata } from '../metadata-types.js';
import { type Bound, columnsOf, type Evidence, type Metrics, mayMatch, type Range } from './expression.js';
import {
  type ContentFile,
  type Entry,
  type ManifestFile,
  manifestEntries,
  manifestFiles,
  readAvro,
} from './manifests.js';
import { decodeBound, fromAvro, parseTransform, resultType, toJson, type Value } from './values.js';

type Json = Record<string, unknown>;

export interface PlanInput {
  metadata: TableMetadata;
  /** The snapshot's manifest list (manifestListOf). */
  manifests: ManifestFile[];
  /** The schema the filter is bound to and bounds are read with. */
  schema: IcebergSchema;
  filter: Bound;
  /** The filter as the client sent it: every task's residual (the client evaluates it per row). */
  residual: unknown;
  /** Column ids whose stats the client asked for (`stats-fields`). */
  statsFields: Set<number>;
  /** An incremental scan: only files these snapshots added; deletes are not applied (append scans). */
  addedBy?: Set<bigint>;
  read: (location: string) => Promise<Buffer>;
}

/** A file scan task before it is put on a page: its data file, the delete files it needs, its residual. */
export interface PlannedTask {
  dataFile: Json;
  deletes: Json[];
  residual: unknown;
}

interface SpecInfo {
  spec: PartitionSpec;
  /** Per partition field: its result type, or undefined when its source column is unknown. */
  types: (string | undefined)[];
  unpartitioned: boolean;
}

const num = (x: bigint) =>
  x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
const CONTENT = ['data', 'position-deletes', 'equality-deletes'];
const MANIFEST_READS = 8;

/** Runs `fn` over `items` with at most `limit` at a time, keeping their order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The manifests a snapshot's manifest list names. */
export async function manifestListOf(location: string, read: (l: string) => Promise<Buffer>): Promise<ManifestFile[]> {
  return manifestFiles((await readAvro(await read(location), 'the manifest list')).records);
}

export async function planFiles(input: PlanInput): Promise<PlannedTask[]> {
  const types = new Map(columnsOf(input.schema).map((c) => [c.id, c.type]));
  const specs = new Map<number, SpecInfo>();
  for (const spec of input.metadata['partition-specs'] ?? []) {
    const fields = spec.fields as { 'source-id': number; transform: string }[];
    specs.set(spec['spec-id'], {
      spec,
      types: fields.map((f) => {
        const source = types.get(f['source-id']);
        return source && parseTransform(f.transform) ? resultType(f.transform, source) : undefined;
      }),
      unpartitioned: fields.every((f) => f.transform === 'void'),
    });
  }
  const specOf = (id: number): SpecInfo => {
    const s = specs.get(id);
    if (!s) throw badRequest(`a manifest names partition spec ${id}, which the table metadata does not have`);
    return s;
  };

  const wanted = input.manifests.filter((m) => {
    if (m.liveFiles === 0n) return false;
    if (input.addedBy && (m.content !== 0 || !input.addedBy.has(m.addedSnapshotId))) return false;
    // Delete manifests are kept whole: a delete applies by partition, whatever the filter.
    return m.content !== 0 || mayMatch(input.filter, summaryEvidence(m, specOf(m.specId)));
  });
  const read = await mapLimited(wanted, MANIFEST_READS, async (m) => ({
    m,
    entries: manifestEntries((await readAvro(await input.read(m.path), `the manifest ${m.path}`)).records, m),
  }));

  const positional = new Map<string, { seq: bigint; json: Json; file: ContentFile }[]>();
  const equality = new Map<string, { seq: bigint; json: Json }[]>();
  const global: { seq: bigint; json: Json }[] = [];
  const data: { entry: Entry; spec: SpecInfo; json: Json }[] = [];
  for (const { m, entries } of read) {
    const spec = specOf(m.specId);
    for (const e of entries) {
      if (e.status === 2) continue;
      if (input.addedBy && (e.status !== 1 || !input.addedBy.has(e.snapshotId))) continue;
      if (m.content === 0 && e.file.content === 0) {
        if (!mayMatch(input.filter, fileEvidence(e.file, spec, types))) continue;
        data.push({ entry: e, spec, json: contentJson(e.file, spec, input.statsFields) });
        continue;
      }
      const key = partitionKey(e.file, spec);
      if (e.file.content === 1) {
        const at = positional.get(key) ?? [];
        at.push({ seq: e.sequenceNumber, json: contentJson(e.file, spec, input.statsFields), file: e.file });
        positional.set(key, at);
      } else if (e.file.content === 2) {
        const d = { seq: e.sequenceNumber, json: contentJson(e.file, spec, input.statsFields) };
        if (spec.unpartitioned) global.push(d);
        else {
          const at = equality.get(key) ?? [];
          at.push(d);
          equality.set(key, at);
        }
      }
    }
  }

  const anyDeletes = positional.size > 0 || equality.size > 0 || global.length > 0;
  return data.map(({ entry, spec, json }) => {
    if (!anyDeletes) return { dataFile: json, deletes: [], residual: input.residual };
    const key = partitionKey(entry.file, spec);
    const seq = entry.sequenceNumber;
    let positions = (positional.get(key) ?? []).filter(
      (d) => d.seq >= seq && (d.file.referencedDataFile === undefined || d.file.referencedDataFile === entry.file.path),
    );
    // A deletion vector holds every position delete of its file: the older delete files are not applied with it.
    if (positions.some((d) => d.file.format === 'puffin'))
      positions = positions.filter((d) => d.file.format === 'puffin');
    const equalities = [...(equality.get(key) ?? []), ...global].filter((d) => d.seq > seq);
    return {
      dataFile: json,
      deletes: [...positions.map((d) => d.json), ...equalities.map((d) => d.json)],
      residual: input.residual,
    };
  });
}

/** Tasks as the spec's ScanTasks: delete files listed once, referred to by index. */
export function scanTasksOf(tasks: PlannedTask[]): { 'delete-files': Json[]; 'file-scan-tasks': Json[] } {
  const index = new Map<Json, number>();
  const deleteFiles: Json[] = [];
  const fileScanTasks = tasks.map((t) => {
    const refs = t.deletes.map((d) => {
      let i = index.get(d);
      if (i === undefined) {
        i = deleteFiles.length;
        index.set(d, i);
        deleteFiles.push(d);
      }
      return i;
    });
    // The residual is always given: clients that find none may apply none (Java's reads it as is).
    return {
      'data-file': t.dataFile,
      ...(refs.length ? { 'delete-file-references': refs } : {}),
      'residual-filter': t.residual,
    };
  });
  return { 'delete-files': deleteFiles, 'file-scan-tasks': fileScanTasks };
}

function summaryEvidence(m: ManifestFile, spec: SpecInfo): Evidence {
  return {
    metrics: () => undefined,
    partitions: (id) => {
      const out: { transform: string; range: Range }[] = [];
      const fields = spec.spec.fields as { 'source-id': number; transform: string }[];
      fields.forEach((f, i) => {
        const s = m.partitions?.[i];
        const type = spec.types[i];
        if (f['source-id'] !== id || !s || !type) return;
        const lo = s.lower ? decodeBound(type, s.lower) : undefined;
        const hi = s.upper ? decodeBound(type, s.upper) : undefined;
        const bounded = lo !== undefined || hi !== undefined;
        out.push({
          transform: f.transform,
          // Bounds are null only when every value is null or NaN; a summary without them otherwise says nothing.
          range: {
            lo: lo ?? null,
            hi: hi ?? null,
            hasNull: s.containsNull,
            hasValue: bounded || s.containsNan === true || !s.containsNull,
          },
        });
      });
      return out;
    },
  };
}

function partitionValues(file: ContentFile, spec: SpecInfo): Value[] {
  return spec.types.map((type, i) => (type ? fromAvro(type, file.partition[i]) : (file.partition[i] as Value)));
}

function fileEvidence(file: ContentFile, spec: SpecInfo, types: Map<number, string>): Evidence {
  const values = partitionValues(file, spec);
  return {
    metrics: (id): Metrics | undefined => {
      const type = types.get(id) as string;
      const lower = file.lowerBounds?.get(id);
      const upper = file.upperBounds?.get(id);
      return {
        lower: lower ? decodeBound(type, lower) : undefined,
        upper: upper ? decodeBound(type, upper) : undefined,
        nulls: file.nullCounts?.get(id),
        values: file.valueCounts?.get(id),
        nans: file.nanCounts?.get(id),
      };
    },
    partitions: (id) => {
      const out: { transform: string; range: Range }[] = [];
      const fields = spec.spec.fields as { 'source-id': number; transform: string }[];
      fields.forEach((f, i) => {
        if (f['source-id'] !== id || !spec.types[i]) return;
        const p = values[i] ?? null;
        out.push({ transform: f.transform, range: { lo: p, hi: p, hasNull: p === null, hasValue: p !== null } });
      });
      return out;
    },
  };
}

/** Delete files of one partition (spec and tuple) share a key; data files look theirs up by it. */
function partitionKey(file: ContentFile, spec: SpecInfo): string {
  const values = JSON.stringify(partitionValues(file, spec), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  return `${spec.spec['spec-id']}|${values}`;
}

const hex = (b: Buffer) => b.toString('hex').toUpperCase();
function countMap(m: Map<number, bigint> | undefined, keep: Set<number>) {
  if (!m) return undefined;
  const keys = [...m.keys()].filter((k) => keep.has(k));
  return keys.length ? { keys, values: keys.map((k) => num(m.get(k) as bigint)) } : undefined;
}
function boundMap(m: Map<number, Buffer> | undefined, keep: Set<number>) {
  if (!m) return undefined;
  const keys = [...m.keys()].filter((k) => keep.has(k));
  return keys.length ? { keys, values: keys.map((k) => hex(m.get(k) as Buffer)) } : undefined;
}

/** A data or delete file as the REST spec's ContentFile JSON; column stats only for the asked fields. */
function contentJson(file: ContentFile, spec: SpecInfo, stats: Set<number>): Json {
  const values = partitionValues(file, spec);
  const out: Json = {
    'spec-id': file.specId,
    content: CONTENT[file.content] ?? 'data',
    'file-path': file.path,
    'file-format': file.format,
    partition: values.map((v, i) =>
      spec.types[i] ? toJson(spec.types[i] as string, v) : typeof v === 'bigint' ? num(v) : v,
    ),
    'file-size-in-bytes': num(file.sizeInBytes),
    'record-count': num(file.recordCount),
  };
  const add = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  add('column-sizes', countMap(file.columnSizes, stats));
  add('value-counts', countMap(file.valueCounts, stats));
  add('null-value-counts', countMap(file.nullCounts, stats));
  add('nan-value-counts', countMap(file.nanCounts, stats));
  add('lower-bounds', boundMap(file.lowerBounds, stats));
  add('upper-bounds', boundMap(file.upperBounds, stats));
  add('key-metadata', file.keyMetadata ? hex(file.keyMetadata) : undefined);
  add('split-offsets', file.splitOffsets?.map(num));
  add('equality-ids', file.content === 2 ? file.equalityIds : undefined);
  add('sort-order-id', file.sortOrderId);
  add('first-row-id', file.firstRowId === undefined ? undefined : num(file.firstRowId));
  if (file.content === 1) {
    add('referenced-data-file', file.referencedDataFile);
    add('content-offset', file.contentOffset === undefined ? undefined : num(file.contentOffset));
    add('content-size-in-bytes', file.contentSize === undefined ? undefined : num(file.contentSize));
  }
  return out;
}
