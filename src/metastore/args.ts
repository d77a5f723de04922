import { T } from './runtime.js';

/**
 * A method's arguments read by their IDL types (for methods whose reply the server encodes itself,
 * which therefore do not go through the generated processor and its argument structs). Values
 * come out as the generated code makes them: structs as generated objects, maps as plain objects.
 */

// Thrift type ids (TType) of the IDL's base types; `list`, `map` and structs are handled apart.
const BASE: Record<string, number> = { bool: 2, byte: 3, double: 4, i16: 6, i32: 8, i64: 10, string: 11, binary: 11 };
const STRUCT = 12;
const MAP = 13;
const LIST = 15;

const structOf = (type: string) => (T as unknown as Record<string, unknown>)[type];

function typeId(type: string): number | undefined {
  if (BASE[type] !== undefined) return BASE[type];
  if (type.startsWith('list<')) return LIST;
  if (type.startsWith('map<')) return MAP;
  const cls = structOf(type) as { prototype?: { read?: unknown } } | undefined;
  return typeof cls?.prototype?.read === 'function' ? STRUCT : undefined;
}

/** The two type arguments of `map<K,V>` (commas of nested types skipped). */
function mapArgs(type: string): [string, string] {
  const inner = type.slice(4, -1);
  let depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if (ch === ',' && depth === 0) return [inner.slice(0, i), inner.slice(i + 1)];
  }
  throw new Error(`metastore: cannot read the IDL type ${type}`);
}

/** Whether every type in `type` can be read here (checked at start-up for the methods that need it). */
export function readable(type: string): boolean {
  if (type.startsWith('list<')) return readable(type.slice(5, -1));
  if (type.startsWith('map<')) {
    const [k, v] = mapArgs(type);
    return (k === 'string' || BASE[k] !== undefined) && readable(v);
  }
  return typeId(type) !== undefined;
}

function readValue(input: any, type: string): unknown {
  switch (type) {
    case 'bool':
      return input.readBool();
    case 'byte':
      return input.readByte();
    case 'double':
      return input.readDouble();
    case 'i16':
      return input.readI16();
    case 'i32':
      return input.readI32();
    case 'i64':
      return input.readI64();
    case 'string':
      return input.readString();
    case 'binary':
      return input.readBinary();
  }
  if (type.startsWith('list<')) {
    const elem = type.slice(5, -1);
    const { size } = input.readListBegin() as { size: number };
    const out: unknown[] = [];
    for (let i = 0; i < size; i++) out.push(readValue(input, elem));
    input.readListEnd();
    return out;
  }
  if (type.startsWith('map<')) {
    const [k, v] = mapArgs(type);
    const { size } = input.readMapBegin() as { size: number };
    const out: Record<string, unknown> = {};
    for (let i = 0; i < size; i++) {
      const key = readValue(input, k) as string;
      out[key] = readValue(input, v);
    }
    input.readMapEnd();
    return out;
  }
  const Struct = structOf(type) as new () => { read(i: unknown): void };
  const s = new Struct();
  s.read(input);
  return s;
}

/**
 * The arguments struct of a call, in the order of `fields`; a field of another id or type is skipped, as the generated
 * code does.
 */
export function readArgs(input: any, fields: { id: number; type: string }[]): unknown[] {
  const out: unknown[] = fields.map(() => null);
  input.readStructBegin();
  for (;;) {
    const f = input.readFieldBegin() as { ftype: number; fid: number };
    if (f.ftype === 0) break;
    const i = fields.findIndex((x) => x.id === f.fid);
    const field = fields[i];
    if (field && typeId(field.type) === f.ftype) out[i] = readValue(input, field.type);
    else input.skip(f.ftype);
    input.readFieldEnd();
  }
  input.readStructEnd();
  return out;
}
