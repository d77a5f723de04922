// Iceberg table metadata (format v2, or v1 or v3 when asked) for a new table, and the Hive view of its schema that
// LakeCat stores as columns. Pure functions: the routes write and read the files.
import { randomUUID } from 'node:crypto';
import { invalid } from '../errors.js';
import type { Column } from '../lakecat/table-service.js';

export type IcebergType = string | IcebergStruct | IcebergList | IcebergMap;
export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  [k: string]: unknown;
}
export interface IcebergStruct {
  type: 'struct';
  fields: IcebergField[];
}
export interface IcebergList {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}
export interface IcebergMap {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}
export interface IcebergSchema extends IcebergStruct {
  'schema-id'?: number;
  'identifier-field-ids'?: number[];
}
export interface PartitionField {
  name: string;
  transform: string;
  'source-id': number;
  'field-id'?: number;
}
export interface SortField {
  transform: string;
  'source-id': number;
  direction: string;
  'null-order': string;
}

const PRIMITIVE = new RegExp(
  '^(boolean|int|long|float|double|date|time|timestamp|timestamptz|timestamp_ns|timestamptz_ns|string|uuid|binary|' +
    'unknown|variant|geometry|geography|decimal\\(\\s*\\d+\\s*,\\s*\\d+\\s*\\)|fixed\\[\\s*\\d+\\s*\\])$',
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of a request schema with fresh ids from 1, as a new table must have. Like the
 * reference implementation, a struct numbers all its own fields before descending into them.
 * `mapping` receives old id → new id, for the partition spec, sort order and identifier fields.
 */
export function freshSchema(schema: unknown): {
  schema: IcebergSchema;
  lastColumnId: number;
  mapping: Map<number, number>;
} {
  if (!isObject(schema) || schema.type !== 'struct' || !Array.isArray(schema.fields))
    throw invalid('schema must be an Iceberg struct with fields');
  let next = 0;
  const mapping = new Map<number, number>();
  const take = (old: unknown): number => {
    next += 1;
    if (typeof old === 'number') mapping.set(old, next);
    return next;
  };
  const copy = (t: unknown, where: string): IcebergType => {
    if (typeof t === 'string') {
      if (!PRIMITIVE.test(t)) throw invalid(`unknown Iceberg type '${t}' at ${where}`);
      return t.replace(/\s+/g, '');
    }
    if (!isObject(t)) throw invalid(`type at ${where} must be a primitive name or an object`);
    if (t.type === 'struct') return struct(t, where);
    if (t.type === 'list') {
      const id = take(t['element-id']);
      return {
        type: 'list',
        'element-id': id,
        element: copy(t.element, `${where}.element`),
        'element-required': t['element-required'] === true,
      };
    }
    if (t.type === 'map') {
      const keyId = take(t['key-id']);
      const valueId = take(t['value-id']);
      return {
        type: 'map',
        'key-id': keyId,
        key: copy(t.key, `${where}.key`),
        'value-id': valueId,
        value: copy(t.value, `${where}.value`),
        'value-required': t['value-required'] === true,
      };
    }
    throw invalid(`unknown Iceberg type at ${where}`);
  };
  const struct = (s: Record<string, unknown>, where: string): IcebergStruct => {
    if (!Array.isArray(s.fields)) throw invalid(`struct at ${where} needs fields`);
    const fields = s.fields as unknown[];
    const names = new Set<string>();
    const ids = fields.map((f) => {
      if (!isObject(f) || typeof f.name !== 'string' || !f.name) throw invalid(`every field at ${where} needs a name`);
      if (names.has(f.name.toLowerCase())) throw invalid(`field ${f.name} appears twice at ${where}`);
      names.add(f.name.toLowerCase());
      return take(f.id);
    });
    return {
      type: 'struct',
      fields: fields.map((f, i) => {
        const o = f as Record<string, unknown>;
        return {
          id: ids[i] as number,
          name: o.name as string,
          required: o.required === true,
          type: copy(o.type, `${where}.${o.name as string}`),
          ...(typeof o.doc === 'string' ? { doc: o.doc } : {}),
          // Format 3 column defaults travel with the field.
          ...(o['initial-default'] !== undefined ? { 'initial-default': o['initial-default'] } : {}),
          ...(o['write-default'] !== undefined ? { 'write-default': o['write-default'] } : {}),
        };
      }),
    };
  };
  const top = struct(schema, 'schema');
  const identifiers = Array.isArray(schema['identifier-field-ids'])
    ? (schema['identifier-field-ids'] as unknown[])
    : [];
  const out: IcebergSchema = { type: 'struct', 'schema-id': 0, fields: top.fields };
  if (identifiers.length) {
    out['identifier-field-ids'] = identifiers.map((id) => {
      const n = typeof id === 'number' ? mapping.get(id) : undefined;
      if (n === undefined) throw invalid(`identifier field ${String(id)} is not a field of the schema`);
      return n;
    });
  }
  return { schema: out, lastColumnId: next, mapping };
}

/** The Hive type LakeCat shows for an Iceberg type. */
export function hiveType(t: IcebergType): string {
  if (typeof t === 'string') {
    if (t === 'long') return 'bigint';
    if (t.startsWith('timestamp')) return 'timestamp';
    if (t.startsWith('fixed') || t === 'binary') return 'binary';
    if (t === 'uuid' || t === 'time' || t === 'variant' || t === 'geometry' || t === 'geography' || t === 'unknown')
      return 'string';
    return t; // boolean, int, float, double, date, string, decimal(p,s)
  }
  if (t.type === 'struct') return `struct<${t.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
  if (t.type === 'list') return `array<${hiveType(t.element)}>`;
  return `map<${hiveType(t.key)},${hiveType(t.value)}>`;
}

export function hiveColumns(schema: IcebergSchema): Column[] {
  return schema.fields.map((f) => ({
    column_name: f.name,
    column_type: hiveType(f.type),
    ...(f.doc ? { comment: f.doc } : {}),
  }));
}

/** Every field id of a schema (nested ones too) with its type, to check what specs point at. */
function fieldTypes(t: IcebergType, into = new Map<number, IcebergType>()): Map<number, IcebergType> {
  if (typeof t === 'string') return into;
  if (t.type === 'struct')
    for (const f of t.fields) {
      into.set(f.id, f.type);
      fieldTypes(f.type, into);
    }
  else if (t.type === 'list') {
    into.set(t['element-id'], t.element);
    fieldTypes(t.element, into);
  } else {
    into.set(t['key-id'], t.key);
    into.set(t['value-id'], t.value);
    fieldTypes(t.key, into);
    fieldTypes(t.value, into);
  }
  return into;
}

const sourceOf = (
  f: Record<string, unknown>,
  mapping: Map<number, number>,
  types: Map<number, IcebergType>,
  what: string,
): number => {
  const id = typeof f['source-id'] === 'number' ? mapping.get(f['source-id']) : undefined;
  if (id === undefined) throw invalid(`${what} source-id ${String(f['source-id'])} is not a field of the schema`);
  if (typeof types.get(id) !== 'string')
    throw invalid(`${what} source-id ${String(f['source-id'])} is not a primitive field`);
  return id;
};

export interface CreateRequest {
  schema: unknown;
  'partition-spec'?: unknown;
  'write-order'?: unknown;
  properties?: unknown;
}

/** The first metadata file of a new table. */
export function newTableMetadata(req: CreateRequest, location: string, now = Date.now()): Record<string, unknown> {
  const { schema, lastColumnId, mapping } = freshSchema(req.schema);
  const types = fieldTypes(schema);
  const spec = req['partition-spec'];
  if (
    spec !== undefined &&
    spec !== null &&
    (!isObject(spec) || (spec.fields !== undefined && !Array.isArray(spec.fields)))
  )
    throw invalid('partition-spec must have a fields array');
  let lastPartitionId = 999; // the spec's value for a table never partitioned
  const partitionNames = new Set<string>();
  const partitionFields = (((isObject(spec) ? spec.fields : undefined) as unknown[] | undefined) ?? []).map((f) => {
    if (!isObject(f) || typeof f.name !== 'string' || !f.name || typeof f.transform !== 'string')
      throw invalid('every partition field needs a name, a transform and a source-id');
    if (partitionNames.has(f.name)) throw invalid(`partition field ${f.name} appears twice`);
    partitionNames.add(f.name);
    lastPartitionId += 1;
    return {
      name: f.name,
      transform: f.transform,
      'source-id': sourceOf(f, mapping, types, 'partition field'),
      'field-id': lastPartitionId,
    };
  });
  const order = req['write-order'];
  if (
    order !== undefined &&
    order !== null &&
    (!isObject(order) || (order.fields !== undefined && !Array.isArray(order.fields)))
  )
    throw invalid('write-order must have a fields array');
  const sortFields = (((isObject(order) ? order.fields : undefined) as unknown[] | undefined) ?? []).map((f) => {
    if (!isObject(f) || typeof f.transform !== 'string')
      throw invalid('every sort field needs a transform and a source-id');
    const direction = f.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') throw invalid('sort direction must be asc or desc');
    const nullOrder = f['null-order'] ?? (direction === 'asc' ? 'nulls-first' : 'nulls-last');
    if (nullOrder !== 'nulls-first' && nullOrder !== 'nulls-last')
      throw invalid('null-order must be nulls-first or nulls-last');
    return {
      transform: f.transform,
      'source-id': sourceOf(f, mapping, types, 'sort field'),
      direction,
      'null-order': nullOrder,
    };
  });
  const given = req.properties ?? {};
  if (!isObject(given) || !Object.values(given).every((v) => typeof v === 'string'))
    throw invalid('properties must map strings to strings');
  // `format-version` chooses the table's format, as in the reference catalog, and is not kept as a property.
  const { 'format-version': format = '2', ...props } = given as Record<string, string>;
  if (format !== '1' && format !== '2' && format !== '3')
    throw invalid(`format-version ${format} is not supported for a new table: use 1, 2 or 3`);
  // Order id 0 is reserved for "unsorted".
  const sortOrderId = sortFields.length ? 1 : 0;
  return {
    'format-version': Number(format),
    'table-uuid': randomUUID(),
    location,
    // v2 tracks sequence numbers; v1 has none, and keeps its current schema and spec in fields of their own.
    ...(format === '1' ? { schema, 'partition-spec': partitionFields } : { 'last-sequence-number': 0 }),
    // v3 numbers rows from 0 (row lineage).
    ...(format === '3' ? { 'next-row-id': 0 } : {}),
    'last-updated-ms': now,
    'last-column-id': lastColumnId,
    'current-schema-id': 0,
    schemas: [schema],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: partitionFields }],
    'last-partition-id': lastPartitionId,
    'default-sort-order-id': sortOrderId,
    'sort-orders': [{ 'order-id': sortOrderId, fields: sortFields }],
    properties: props,
    'current-snapshot-id': format === '3' ? null : -1,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    refs: {},
  };
}
