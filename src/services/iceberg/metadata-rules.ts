// The Iceberg table spec's rules for table metadata as a whole, checked on every metadata this
// server is about to write (create, commit, staged create) or to point a table at (register), so
// that no engine is ever handed a table it cannot load. Pure functions; a broken rule throws
// InvalidUpdate naming it, before anything is written.
import { badRequest } from './errors.js';
import type { TableMetadata } from './metadata-types.js';

/** An update the spec or the table's state does not allow: a 400 once it reaches the protocol. */
export class InvalidUpdate extends Error {
  override name = 'InvalidUpdate';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** A 64-bit integer as the lossless parser gives it: a safe number or a bigint. */
const isLong = (v: unknown): v is number | bigint => isInt(v) || typeof v === 'bigint';
function bad(message: string): never {
  throw new InvalidUpdate(message);
}

const SIMPLE = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'string',
  'uuid',
  'binary',
]);
/** Primitive types format version 3 added. */
const V3_ONLY = new Set(['timestamp_ns', 'timestamptz_ns', 'unknown', 'variant', 'geometry', 'geography']);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;
const GEO = /^(geometry|geography)(\(.*\))?$/;

/** The family of a primitive type name, for the transforms' rules; throws on a name the spec does not know. */
export function primitiveKind(t: string, formatVersion: number, where: string): string {
  if (SIMPLE.has(t)) return t;
  const d = DECIMAL.exec(t);
  if (d) {
    const [p, s] = [Number(d[1]), Number(d[2])];
    if (p < 1 || p > 38) bad(`${where}: decimal precision must be 1 to 38, not ${p}`);
    if (s > p) bad(`${where}: decimal scale ${s} is larger than its precision ${p}`);
    return 'decimal';
  }
  const f = FIXED.exec(t);
  if (f) {
    if (Number(f[1]) < 1) bad(`${where}: fixed length must be positive, not ${f[1]}`);
    return 'fixed';
  }
  const kind = GEO.test(t) ? (t.startsWith('geometry') ? 'geometry' : 'geography') : t;
  if (V3_ONLY.has(kind)) {
    if (formatVersion < 3) bad(`${where}: type ${t} needs format version 3, the table has ${formatVersion}`);
    return kind;
  }
  bad(`${where}: unknown Iceberg type '${t}'`);
}

/** A field's type as the checks see it: its primitive kind, or the nested kind. */
interface FieldInfo {
  kind: string;
  required: boolean;
  path: string;
}

/**
 * Checks one schema's types and collects its field ids (unique across the whole schema) with
 * their kinds: lists need an element and its id, maps a key and a value with their ids, structs
 * fields with unique names; defaults only from format version 3.
 */
export function checkSchema(schema: unknown, formatVersion: number, where: string): ReadonlyMap<number, FieldInfo> {
  // Schemas are shared by the versions of a table and never changed in place (see applyUpdates): each commit's check of
  // the whole metadata finds the fields of the schemas it kept as the last one did.
  const known = isObject(schema) ? checkedSchemas.get(schema) : undefined;
  if (known && known.formatVersion === formatVersion && known.where === where) return known.ids;
  const ids = schemaFields(schema, formatVersion, where);
  if (isObject(schema)) checkedSchemas.set(schema, { formatVersion, where, ids });
  return ids;
}

/** The fields of schemas that passed checkSchema, by schema object, with what they were checked as. */
const checkedSchemas = new WeakMap<
  object,
  { formatVersion: number; where: string; ids: ReadonlyMap<number, FieldInfo> }
>();

function schemaFields(schema: unknown, formatVersion: number, where: string): Map<number, FieldInfo> {
  const ids = new Map<number, FieldInfo>();
  const take = (id: unknown, info: FieldInfo) => {
    if (!isInt(id) || id < 0) bad(`${info.path}: a field id must be a non-negative integer, not ${String(id)}`);
    const other = ids.get(id as number);
    if (other) bad(`${where}: field id ${String(id)} is used by ${other.path} and ${info.path}`);
    ids.set(id as number, info);
  };
  const kindOf = (t: unknown, path: string): string => {
    if (typeof t === 'string') return primitiveKind(t, formatVersion, path);
    if (isObject(t) && (t.type === 'struct' || t.type === 'list' || t.type === 'map')) return t.type;
    bad(`${path}: a type is a primitive name or a struct, list or map`);
  };
  const visit = (t: unknown, path: string): void => {
    if (typeof t === 'string') return;
    const o = t as Json;
    if (o.type === 'struct') {
      if (!Array.isArray(o.fields)) bad(`${path}: a struct needs fields`);
      const names = new Set<string>();
      for (const f of o.fields as unknown[]) {
        if (!isObject(f)) bad(`${path}: a struct field must be an object`);
        if (typeof f.name !== 'string' || !f.name) bad(`${path}: every field needs a name`);
        const fp = `${path}.${f.name as string}`;
        if (names.has(f.name as string)) bad(`${path}: field ${f.name as string} appears twice`);
        names.add(f.name as string);
        if (typeof f.required !== 'boolean') bad(`${fp}: required must be true or false`);
        if (f.doc !== undefined && typeof f.doc !== 'string') bad(`${fp}: doc must be a string`);
        const defaults = f['initial-default'] !== undefined || f['write-default'] !== undefined;
        if (defaults && formatVersion < 3) bad(`${fp}: column defaults need format version 3`);
        const kind = kindOf(f.type, fp);
        if (kind === 'unknown' && f.required) bad(`${fp}: a field of type unknown must be optional`);
        take(f.id, { kind, required: f.required as boolean, path: fp });
        visit(f.type, fp);
      }
    } else if (o.type === 'list') {
      const ep = `${path}.element`;
      if (o.element === undefined) bad(`${path}: a list needs an element`);
      if (typeof o['element-required'] !== 'boolean') bad(`${path}: a list needs element-required true or false`);
      take(o['element-id'], { kind: kindOf(o.element, ep), required: o['element-required'] as boolean, path: ep });
      visit(o.element, ep);
    } else {
      const kp = `${path}.key`;
      const vp = `${path}.value`;
      if (o.key === undefined || o.value === undefined) bad(`${path}: a map needs a key and a value`);
      if (typeof o['value-required'] !== 'boolean') bad(`${path}: a map needs value-required true or false`);
      take(o['key-id'], { kind: kindOf(o.key, kp), required: true, path: kp });
      take(o['value-id'], { kind: kindOf(o.value, vp), required: o['value-required'] as boolean, path: vp });
      visit(o.key, kp);
      visit(o.value, vp);
    }
  };
  if (!isObject(schema) || schema.type !== 'struct') bad(`${where}: a schema is a struct`);
  visit(schema, where);
  const identifiers = (schema as Json)['identifier-field-ids'];
  if (identifiers !== undefined) {
    if (!Array.isArray(identifiers)) bad(`${where}: identifier-field-ids must be an array`);
    for (const id of identifiers as unknown[]) {
      const f = isInt(id) ? ids.get(id) : undefined;
      if (!f) bad(`${where}: identifier field ${String(id)} is not a field of the schema`);
      if (!f.required) bad(`${where}: identifier field ${f.path} must be required`);
      if (f.kind === 'float' || f.kind === 'double' || !isPrimitiveKind(f.kind))
        bad(`${where}: identifier field ${f.path} must be a primitive other than float and double`);
    }
  }
  return ids;
}

const isPrimitiveKind = (k: string) => k !== 'struct' && k !== 'list' && k !== 'map';
const TIME_KINDS = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const BUCKETABLE = new Set([
  'int',
  'long',
  'decimal',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
  'string',
  'uuid',
  'fixed',
  'binary',
]);
const TRUNCATABLE = new Set(['int', 'long', 'decimal', 'string', 'binary']);
const MAX_INT = 2147483647;

/** Checks a transform name and that it accepts a source of `kind`. */
export function checkTransform(transform: unknown, kind: string, where: string): void {
  if (typeof transform !== 'string') bad(`${where}: transform must be a string`);
  const width = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(transform);
  if (width) {
    const n = Number(width[2]);
    if (n < 1 || n > MAX_INT) bad(`${where}: ${transform} needs a width from 1 to ${MAX_INT}`);
    const accepts = width[1] === 'bucket' ? BUCKETABLE : TRUNCATABLE;
    if (!accepts.has(kind)) bad(`${where}: ${width[1]} does not accept a source of type ${kind}`);
    return;
  }
  switch (transform) {
    case 'identity':
      if (!isPrimitiveKind(kind) || kind === 'variant' || kind === 'geometry' || kind === 'geography')
        bad(`${where}: identity does not accept a source of type ${kind}`);
      return;
    case 'void':
      return;
    case 'year':
    case 'month':
    case 'day':
      if (kind !== 'date' && !TIME_KINDS.has(kind))
        bad(`${where}: ${transform} needs a date or timestamp source, not ${kind}`);
      return;
    case 'hour':
      if (!TIME_KINDS.has(kind)) bad(`${where}: hour needs a timestamp source, not ${kind}`);
      return;
    default:
      bad(`${where}: unknown transform '${transform}'`);
  }
}

/** Checks partition fields against the fields they may take their source from. */
export function checkSpecFields(
  fields: unknown,
  sources: ReadonlyMap<number, FieldInfo>,
  formatVersion: number,
  where: string,
): void {
  if (!Array.isArray(fields)) bad(`${where}: fields must be an array`);
  const names = new Set<string>();
  const ids = new Set<number>();
  for (const f of fields as unknown[]) {
    if (!isObject(f)) bad(`${where}: a partition field must be an object`);
    if (typeof f.name !== 'string' || !f.name) bad(`${where}: every partition field needs a name`);
    const fp = `${where} field ${f.name as string}`;
    if (names.has(f.name as string)) bad(`${where}: partition field name ${f.name as string} appears twice`);
    names.add(f.name as string);
    if (f['field-id'] !== undefined) {
      if (!isInt(f['field-id'])) bad(`${fp}: field-id must be an integer`);
      if (ids.has(f['field-id'] as number)) bad(`${where}: partition field id ${String(f['field-id'])} appears twice`);
      ids.add(f['field-id'] as number);
    } else if (formatVersion > 1) bad(`${fp}: format version ${formatVersion} needs a field-id`);
    const source = isInt(f['source-id']) ? sources.get(f['source-id']) : undefined;
    if (!source) bad(`${fp}: source-id ${String(f['source-id'])} is not a field of the schema`);
    if (!isPrimitiveKind(source.kind)) bad(`${fp}: source ${source.path} is not a primitive field`);
    checkTransform(f.transform, source.kind, fp);
  }
}

/** Checks sort fields against the fields they may take their source from. */
export function checkSortFields(fields: unknown, sources: ReadonlyMap<number, FieldInfo>, where: string): void {
  if (!Array.isArray(fields)) bad(`${where}: fields must be an array`);
  for (const [i, f] of (fields as unknown[]).entries()) {
    const fp = `${where} field ${i}`;
    if (!isObject(f)) bad(`${fp}: a sort field must be an object`);
    if (f.direction !== 'asc' && f.direction !== 'desc') bad(`${fp}: direction must be asc or desc`);
    if (f['null-order'] !== 'nulls-first' && f['null-order'] !== 'nulls-last')
      bad(`${fp}: null-order must be nulls-first or nulls-last`);
    const source = isInt(f['source-id']) ? sources.get(f['source-id']) : undefined;
    if (!source) bad(`${fp}: source-id ${String(f['source-id'])} is not a field of the schema`);
    if (!isPrimitiveKind(source.kind)) bad(`${fp}: source ${source.path} is not a primitive field`);
    checkTransform(f.transform, source.kind, fp);
  }
}

export function checkProperties(props: unknown, where: string): void {
  if (!isObject(props)) bad(`${where} must be an object`);
  for (const [k, v] of Object.entries(props))
    if (typeof v !== 'string') bad(`${where}: property ${k} must be a string, not ${v === null ? 'null' : typeof v}`);
}

const nonNegative = (v: unknown, what: string) => {
  if (v === undefined || v === null) return;
  if (!isLong(v) || v < 0) bad(`${what} must be a non-negative integer, not ${String(v)}`);
};

/** A ref's own rules: its type, and retention fields that are non-negative and fit its type. */
export function checkRef(name: string, ref: unknown): void {
  const where = `ref ${name}`;
  if (!isObject(ref)) bad(`${where} must be an object`);
  if (ref.type !== 'branch' && ref.type !== 'tag') bad(`${where}: type must be branch or tag, not ${String(ref.type)}`);
  if (name === 'main' && ref.type !== 'branch') bad('main must be a branch');
  if (!isLong(ref['snapshot-id'])) bad(`${where}: snapshot-id must be an integer`);
  nonNegative(ref['max-ref-age-ms'], `${where}: max-ref-age-ms`);
  nonNegative(ref['max-snapshot-age-ms'], `${where}: max-snapshot-age-ms`);
  nonNegative(ref['min-snapshots-to-keep'], `${where}: min-snapshots-to-keep`);
  if (ref.type === 'tag' && (ref['max-snapshot-age-ms'] != null || ref['min-snapshots-to-keep'] != null))
    bad(`${where}: a tag keeps no snapshots; max-snapshot-age-ms and min-snapshots-to-keep are for branches`);
}

/** The whole-metadata rules; `base`, when given, is the metadata this one replaces. */
export function checkTableMetadata(m: TableMetadata, base?: TableMetadata): void {
  const v = m['format-version'];
  if (v !== 1 && v !== 2 && v !== 3) bad(`format-version must be 1, 2 or 3, not ${String(v)}`);
  if (typeof m.location !== 'string' || !m.location) bad('the table needs a location');
  checkProperties(m.properties, 'properties');
  if (!isInt(m['last-column-id']) || m['last-column-id'] < 0) bad('last-column-id must be a non-negative integer');
  if (base && m['last-column-id'] < base['last-column-id'])
    bad(`last-column-id cannot go back from ${base['last-column-id']} to ${m['last-column-id']}`);

  if (!Array.isArray(m.schemas) || m.schemas.length === 0) bad('the table needs a schema');
  const allFields = new Map<number, FieldInfo>();
  const schemaIds = new Set<number>();
  let current: ReadonlyMap<number, FieldInfo> | undefined;
  for (const s of m.schemas) {
    const where = `schema ${String(s?.['schema-id'])}`;
    if (!isInt(s?.['schema-id'])) bad(`${where}: schema-id must be an integer`);
    if (schemaIds.has(s['schema-id'])) bad(`schema id ${s['schema-id']} appears twice`);
    schemaIds.add(s['schema-id']);
    const ids = checkSchema(s, v, where);
    for (const [id, info] of ids) {
      if (id > m['last-column-id']) bad(`${info.path}: field id ${id} is above last-column-id ${m['last-column-id']}`);
      allFields.set(id, info);
    }
    if (s['schema-id'] === m['current-schema-id']) current = ids;
  }
  if (!current) bad(`current-schema-id ${String(m['current-schema-id'])} is not a schema of the table`);

  const specIds = new Set<number>();
  if (!Array.isArray(m['partition-specs']) || m['partition-specs'].length === 0)
    bad('the table needs a partition spec');
  if (!isInt(m['last-partition-id'])) bad('last-partition-id must be an integer');
  for (const spec of m['partition-specs']) {
    const where = `partition spec ${String(spec?.['spec-id'])}`;
    if (!isInt(spec?.['spec-id'])) bad(`${where}: spec-id must be an integer`);
    if (specIds.has(spec['spec-id'])) bad(`partition spec id ${spec['spec-id']} appears twice`);
    specIds.add(spec['spec-id']);
    // An older spec may name a column a later schema dropped: any schema's field is a source.
    checkSpecFields(spec.fields, allFields, v, where);
    for (const f of spec.fields)
      if (isInt(f['field-id']) && f['field-id'] > m['last-partition-id'])
        bad(`${where} field ${f.name}: field id ${f['field-id']} is above last-partition-id ${m['last-partition-id']}`);
  }
  if (!specIds.has(m['default-spec-id']))
    bad(`default-spec-id ${String(m['default-spec-id'])} is not a partition spec`);
  if (base && m['last-partition-id'] < base['last-partition-id'])
    bad(`last-partition-id cannot go back from ${base['last-partition-id']} to ${m['last-partition-id']}`);

  const orderIds = new Set<number>();
  if (!Array.isArray(m['sort-orders']) || m['sort-orders'].length === 0) bad('the table needs a sort order');
  for (const o of m['sort-orders']) {
    const where = `sort order ${String(o?.['order-id'])}`;
    if (!isInt(o?.['order-id'])) bad(`${where}: order-id must be an integer`);
    if (orderIds.has(o['order-id'])) bad(`sort order id ${o['order-id']} appears twice`);
    orderIds.add(o['order-id']);
    if (o['order-id'] === 0 && o.fields?.length) bad('sort order 0 is the unsorted order and has no fields');
    checkSortFields(o.fields, allFields, where);
  }
  if (!orderIds.has(m['default-sort-order-id']))
    bad(`default-sort-order-id ${String(m['default-sort-order-id'])} is not a sort order`);

  const snapshots = m.snapshots ?? [];
  // Snapshots this metadata shares, in order, with a base that passed these rules were checked with it.
  const before = base && passed.has(base) ? (base.snapshots ?? []) : [];
  let shared = 0;
  while (shared < before.length && snapshots[shared] === before[shared]) shared++;
  // All of the base's snapshots kept in order (a commit that adds some): their ids are the base's, known already, and
  // their schemas are still there when none of the base's schemas went.
  const baseIds = shared > 0 && shared === before.length ? idsOfList.get(before) : undefined;
  const snapshotIds = new SnapshotIds(baseIds);
  const schemasKept =
    baseIds !== undefined && (base as TableMetadata).schemas.every((s) => schemaIds.has(s['schema-id']));
  for (let i = baseIds ? shared : 0; i < snapshots.length; i++) {
    const s = snapshots[i] as (typeof snapshots)[number];
    const where = `snapshot ${String(s?.['snapshot-id'])}`;
    if (i >= shared && !isLong(s?.['snapshot-id'])) bad(`${where}: snapshot-id must be an integer`);
    if (snapshotIds.has(s['snapshot-id'])) bad(`snapshot id ${String(s['snapshot-id'])} appears twice`);
    snapshotIds.add(s['snapshot-id']);
    if (s['schema-id'] !== undefined && !schemaIds.has(s['schema-id']))
      bad(`${where} names schema ${String(s['schema-id'])}, which the table does not have`);
    if (i < shared) continue;
    if (!isLong(s['timestamp-ms'])) bad(`${where}: timestamp-ms must be an integer`);
    nonNegative(s['sequence-number'], `${where}: sequence-number`);
    if (!isObject(s.summary) || typeof s.summary.operation !== 'string')
      bad(`${where}: the summary needs an operation`);
    checkProperties(s.summary, `${where} summary`);
  }
  if (baseIds && !schemasKept)
    for (let i = 0; i < shared; i++) {
      const s = snapshots[i] as (typeof snapshots)[number];
      if (s['schema-id'] !== undefined && !schemaIds.has(s['schema-id']))
        bad(
          `snapshot ${String(s['snapshot-id'])} names schema ${String(s['schema-id'])}, which the table does not have`,
        );
    }
  const current_ = m['current-snapshot-id'];
  if (current_ !== null && current_ !== undefined && current_ !== -1 && !snapshotIds.has(current_))
    bad(`current-snapshot-id ${String(current_)} is not a snapshot of the table`);

  if (!isObject(m.refs)) bad('refs must be an object');
  for (const [name, ref] of Object.entries(m.refs)) {
    checkRef(name, ref);
    if (!snapshotIds.has(ref['snapshot-id']))
      bad(`ref ${name} points at snapshot ${String(ref['snapshot-id'])}, which the table does not have`);
  }
  for (const st of m.statistics ?? [])
    if (!snapshotIds.has(st['snapshot-id']))
      bad(`statistics file ${st['statistics-path']} names snapshot ${String(st['snapshot-id'])}, not in the table`);
  for (const st of m['partition-statistics'] ?? [])
    if (!snapshotIds.has(st['snapshot-id']))
      bad(`partition statistics ${st['statistics-path']} name snapshot ${String(st['snapshot-id'])}, not in the table`);
  passed.add(m);
  if (m.snapshots) idsOfList.set(m.snapshots, snapshotIds.settled());
}

/**
 * The ids of a snapshot list: those of the list it extends (when known) and its own. A commit on a table of 10,000
 * snapshots thus hashes the ids it adds, not all of them; every few versions the layers are made one set again.
 */
export class SnapshotIds {
  private readonly own = new Set<unknown>();
  private readonly depth: number;

  constructor(private readonly base?: SnapshotIds) {
    this.depth = base ? base.depth + 1 : 0;
  }

  has(id: unknown): boolean {
    return this.own.has(id) || (this.base?.has(id) ?? false);
  }

  add(id: unknown): void {
    this.own.add(id);
  }

  /** This, or one set of the same ids once the layers are deep. */
  settled(): SnapshotIds {
    if (this.depth < 8) return this;
    const flat = new SnapshotIds();
    for (let l: SnapshotIds | undefined = this; l; l = l.base) for (const id of l.own) flat.own.add(id);
    return flat;
  }

  /** The ids of a list: from its layers when it passed checkTableMetadata (never changed since), else counted. */
  static of(list: readonly { 'snapshot-id': unknown }[]): SnapshotIds {
    const known = idsOfList.get(list);
    const ids = new SnapshotIds(known);
    if (!known) for (const s of list) ids.add(s['snapshot-id']);
    return ids;
  }
}

/** The snapshot ids of the snapshot lists of metadata that passed checkTableMetadata. */
const idsOfList = new WeakMap<readonly unknown[], SnapshotIds>();

/**
 * Metadata objects that passed checkTableMetadata. Metadata objects and their snapshots are never
 * changed once made (the metadata cache shares them), so a commit's check of the metadata it makes
 * from one of these skips the per-snapshot rules for the snapshots it shares with it.
 */
const passed = new WeakSet<object>();

/** checkTableMetadata for a service: a broken rule is a bad request (400) naming it. */
export function checkMetadata(m: TableMetadata, base?: TableMetadata, what = ''): void {
  try {
    checkTableMetadata(m, base);
  } catch (err) {
    if (err instanceof InvalidUpdate) throw badRequest(what ? `${what}: ${err.message}` : err.message);
    throw err;
  }
}
