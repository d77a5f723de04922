// LakeCat's CreateTable names an Iceberg table in its own shape (`create_iceberg_table_input`:
// snake_case fields, upper-case type names, nested types as JSON text). This turns it into the
// Iceberg REST create request, so both APIs create a table through one set of rules. Pure.
import { invalid } from '../errors.js';
import type { CreateRequest } from './new-table.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The reference's type names that differ from Iceberg's own. */
const ALIASES: Record<string, string> = {
  integer: 'int',
  timestamp_nano: 'timestamp_ns',
  timestamptz_nano: 'timestamptz_ns',
};

function fieldType(f: Record<string, unknown>, where: string): unknown {
  if (typeof f.type !== 'string' || !f.type) throw invalid(`${where}.type is required`);
  const t = f.type.trim().toLowerCase();
  if (t === 'struct' || t === 'list' || t === 'map') {
    // Nested types come as the Iceberg JSON of the type, in type_json.
    if (typeof f.type_json !== 'string' || !f.type_json)
      throw invalid(`${where}.type_json must hold the Iceberg JSON of a ${f.type} type`);
    let nested: unknown;
    try {
      nested = JSON.parse(f.type_json);
    } catch {
      throw invalid(`${where}.type_json is not JSON`);
    }
    if (!isObject(nested) || nested.type !== t) throw invalid(`${where}.type_json must be a ${t} type`);
    return nested;
  }
  if (f.type_json) throw invalid(`${where}.type_json is only for STRUCT, LIST and MAP fields`);
  if (t === 'decimal') throw invalid(`${where}: a DECIMAL needs its precision and scale, as decimal(10,2)`);
  if (t === 'fixed') throw invalid(`${where}: a FIXED needs its length, as fixed[16]`);
  return ALIASES[t] ?? t;
}

/** A default as written in the reference (a string) as the JSON value Iceberg keeps. */
function defaultValue(v: string, type: unknown): unknown {
  if (type === 'string' || type === 'uuid' || type === 'date' || String(type).startsWith('time')) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const ints = (v: unknown, where: string): number[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) throw invalid(`${where} must be a list of field ids`);
  return v as number[];
};

/** The Iceberg REST create request of a `create_iceberg_table_input`; properties are the table's parameters. */
export function icebergCreateRequest(input: unknown, properties: Record<string, string> = {}): CreateRequest {
  if (!isObject(input)) throw invalid('create_iceberg_table_input must be an object');
  const s = input.schema;
  if (!isObject(s)) throw invalid('create_iceberg_table_input.schema is required');
  if (s.type !== undefined && String(s.type).toLowerCase() !== 'struct')
    throw invalid('create_iceberg_table_input.schema.type must be struct');
  if (!Array.isArray(s.fields)) throw invalid('create_iceberg_table_input.schema.fields must be a list');
  const fields = (s.fields as unknown[]).map((f, i) => {
    const where = `create_iceberg_table_input.schema.fields[${i}]`;
    if (!isObject(f)) throw invalid(`${where} must be an object`);
    const type = fieldType(f, where);
    return {
      id: f.id,
      name: f.name,
      required: f.required === true,
      type,
      ...(typeof f.doc === 'string' ? { doc: f.doc } : {}),
      ...(typeof f.write_default === 'string' ? { 'write-default': defaultValue(f.write_default, type) } : {}),
    };
  });
  // Primary keys are the fields that identify a row: Iceberg's identifier fields.
  const identifiers = [
    ...new Set([
      ...ints(s.identifier_field_ids, 'schema.identifier_field_ids'),
      ...ints(s.primary_keys, 'schema.primary_keys'),
    ]),
  ];
  const request: CreateRequest = {
    schema: { type: 'struct', fields, ...(identifiers.length ? { 'identifier-field-ids': identifiers } : {}) },
    properties,
  };
  const spec = input.partition_spec;
  if (spec !== undefined && spec !== null) {
    if (!isObject(spec) || !Array.isArray(spec.fields))
      throw invalid('create_iceberg_table_input.partition_spec needs a fields list');
    request['partition-spec'] = {
      'spec-id': 0,
      fields: (spec.fields as unknown[]).map((f) => {
        const o = isObject(f) ? f : {};
        return { name: o.name, transform: o.transform, 'source-id': o.source_id };
      }),
    };
  }
  const order = input.write_order;
  if (order !== undefined && order !== null) {
    if (!isObject(order) || !Array.isArray(order.fields))
      throw invalid('create_iceberg_table_input.write_order needs a fields list');
    request['write-order'] = {
      fields: (order.fields as unknown[]).map((f) => {
        const o = isObject(f) ? f : {};
        return {
          transform: o.transform,
          'source-id': o.source_id,
          ...(typeof o.direction === 'string' ? { direction: o.direction.toLowerCase() } : {}),
          ...(typeof o.null_order === 'string' ? { 'null-order': o.null_order.toLowerCase().replace('_', '-') } : {}),
        };
      }),
    };
  }
  return request;
}
