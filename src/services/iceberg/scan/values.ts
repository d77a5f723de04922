// Values of Iceberg primitive types as scan planning compares them: decoded from a manifest's
// binary bounds (table spec, Appendix D) and Avro partition tuples, parsed from a filter's JSON
// literals, transformed by partition transforms, and written back as the spec's JSON values.
// In memory: int and date are numbers; long, time and timestamps bigints; decimals their unscaled
// bigint; uuid, fixed and binary lowercase hex; strings strings.
import { badRequest } from '../errors.js';
import { bucketOf, hashLong, minBigEndian, murmur3 } from './murmur3.js';

export type Value = number | bigint | string | boolean | null;

const DAY_MICROS = 86_400_000_000n;
const HOUR_MICROS = 3_600_000_000n;
const MS_PER_DAY = 86_400_000;
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/;

export const isPrimitive = (t: unknown): t is string => typeof t === 'string';
const scaleOf = (type: string): number => Number(DECIMAL.exec(type)?.[2] ?? 0);
const isNanos = (type: string) => type === 'timestamp_ns' || type === 'timestamptz_ns';
const isTimestamp = (type: string) => type.startsWith('timestamp');
const BIG_KINDS = new Set(['long', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const HEX_KINDS = (type: string) => type === 'uuid' || type === 'binary' || type.startsWith('fixed');

/** Total order of two values of one type (never called with null). */
export function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A bound from a manifest (binary single-value serialization), or undefined for a type that has none. */
export function decodeBound(type: string, buf: Buffer): Value | undefined {
  if (type === 'int' || type === 'date') return buf.length >= 4 ? buf.readInt32LE(0) : undefined;
  if (BIG_KINDS.has(type)) {
    // A column promoted from int keeps the 4-byte bounds of its older files.
    if (buf.length === 4) return BigInt(buf.readInt32LE(0));
    return buf.length >= 8 ? buf.readBigInt64LE(0) : undefined;
  }
  if (type === 'float' || type === 'double') {
    if (buf.length === 4) return buf.readFloatLE(0);
    return buf.length >= 8 ? buf.readDoubleLE(0) : undefined;
  }
  if (type === 'boolean') return buf.length > 0 ? buf[0] !== 0 : undefined;
  if (type === 'string') return buf.toString('utf8');
  if (DECIMAL.test(type)) return buf.length > 0 ? signedBigEndian(buf) : undefined;
  if (HEX_KINDS(type)) return buf.toString('hex');
  return undefined;
}

function signedBigEndian(buf: Uint8Array): bigint {
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  return BigInt.asIntN(buf.length * 8, v);
}

/** A partition tuple's value as the Avro decoder gave it, in the partition field's result type. */
export function fromAvro(type: string, raw: unknown): Value {
  if (raw === null || raw === undefined) return null;
  if (type === 'int' || type === 'date') return Number(raw);
  if (BIG_KINDS.has(type)) return BigInt(raw as number | bigint);
  if (type === 'float' || type === 'double') return Number(raw);
  if (type === 'boolean') return Boolean(raw);
  if (type === 'string') return String(raw);
  if (DECIMAL.test(type)) return Buffer.isBuffer(raw) ? signedBigEndian(raw) : BigInt(raw as number);
  if (type === 'uuid' && typeof raw === 'string') return raw.replaceAll('-', '').toLowerCase();
  if (Buffer.isBuffer(raw)) return raw.toString('hex');
  return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'bigint' ? raw : null;
}

function daysOf(text: string): number | undefined {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? undefined : ms / MS_PER_DAY;
}

/** Microseconds (or nanoseconds) of an ISO-8601 timestamp; a zone offset is applied when present. */
function timestampOf(text: string, nanos: boolean): bigint | undefined {
  const m = /^(-?\d{4,}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) return undefined;
  const days = daysOf(m[1] as string);
  if (days === undefined) return undefined;
  const seconds = BigInt(days) * 86_400n + BigInt(Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
  let offset = 0n;
  if (m[6] && m[6] !== 'Z') {
    const sign = m[6].startsWith('-') ? -1n : 1n;
    offset = sign * BigInt(Number(m[6].slice(1, 3)) * 3600 + Number(m[6].slice(4, 6)) * 60);
  }
  const fraction = (m[5] ?? '').padEnd(9, '0');
  const unit = nanos ? 1_000_000_000n : 1_000_000n;
  const sub = nanos ? BigInt(fraction) : BigInt(fraction.slice(0, 6));
  return (seconds - offset) * unit + sub;
}

function timeOf(text: string): bigint | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text);
  if (!m) return undefined;
  const s = BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0));
  return s * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0'));
}

function decimalOf(text: string, scale: number): bigint | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[2] === '' && !m[3])) return undefined;
  const digits = `${m[2]}${m[3] ?? ''}`;
  let exp = -(m[3]?.length ?? 0) + Number(m[4] ?? 0) + scale;
  let v = BigInt(digits || '0');
  for (; exp > 0; exp--) v *= 10n;
  // A literal finer than the column's scale is rounded toward zero; comparisons stay inclusive.
  for (; exp < 0; exp++) v /= 10n;
  return m[1] === '-' ? -v : v;
}

const integral = (x: unknown): x is number | bigint =>
  typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x));

/** A filter literal as a value of the column's type; a literal that is not one is the client's error. */
export function literalOf(type: string, raw: unknown, column: string): Value {
  const wrong = () => badRequest(`the literal ${JSON.stringify(String(raw))} is not a ${type} value for ${column}`);
  let v: Value | undefined;
  if (type === 'int') v = integral(raw) && Math.abs(Number(raw)) <= 2 ** 31 ? Number(raw) : undefined;
  else if (type === 'long') v = integral(raw) ? BigInt(raw) : undefined;
  else if (type === 'float' || type === 'double') v = typeof raw === 'number' ? raw : undefined;
  else if (type === 'boolean') v = typeof raw === 'boolean' ? raw : undefined;
  else if (type === 'string') v = typeof raw === 'string' ? raw : undefined;
  else if (type === 'date') v = typeof raw === 'string' ? daysOf(raw) : integral(raw) ? Number(raw) : undefined;
  else if (type === 'time') v = typeof raw === 'string' ? timeOf(raw) : integral(raw) ? BigInt(raw) : undefined;
  else if (isTimestamp(type))
    v = typeof raw === 'string' ? timestampOf(raw, isNanos(type)) : integral(raw) ? BigInt(raw) : undefined;
  else if (DECIMAL.test(type))
    v = typeof raw === 'string' || typeof raw === 'number' ? decimalOf(String(raw), scaleOf(type)) : undefined;
  else if (type === 'uuid')
    v =
      typeof raw === 'string' && /^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(raw)
        ? raw.replaceAll('-', '').toLowerCase()
        : undefined;
  else if (HEX_KINDS(type))
    v = typeof raw === 'string' && /^([0-9a-f]{2})*$/i.test(raw) ? raw.toLowerCase() : undefined;
  if (v === undefined) throw wrong();
  return v;
}

/** The bytes a value hashes as (Appendix B). */
function hashOf(type: string, v: Value): number {
  if (type === 'int' || type === 'date' || type === 'long' || type === 'time') return hashLong(v as number | bigint);
  if (isTimestamp(type)) {
    const x = v as bigint;
    // Nanosecond timestamps hash as microseconds, floored.
    return hashLong(isNanos(type) ? (x >= 0n ? x / 1000n : -((-x + 999n) / 1000n)) : x);
  }
  if (type === 'string') return murmur3(Buffer.from(v as string, 'utf8'));
  if (DECIMAL.test(type)) return murmur3(minBigEndian(v as bigint));
  if (HEX_KINDS(type)) return murmur3(Buffer.from(v as string, 'hex'));
  throw badRequest(`bucket does not apply to ${type}`);
}

/** The bucket hash of a value of `type` as the spec defines it (its test values are in the tests). */
export const icebergHash = hashOf;

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
const micros = (type: string, v: Value) => (isNanos(type) ? floorDiv(v as bigint, 1000n) : (v as bigint));
const civil = (days: number) => {
  const d = new Date(days * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() };
};
const daysFrom = (type: string, v: Value): number =>
  type === 'date' ? (v as number) : Number(floorDiv(micros(type, v), DAY_MICROS));

/** A partition transform's name and argument (`bucket[16]`), or undefined for one this server does not know. */
export function parseTransform(t: string): { name: string; arg?: number } | undefined {
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(t);
  if (m) return { name: m[1] as string, arg: Number(m[2]) };
  return ['identity', 'year', 'month', 'day', 'hour', 'void'].includes(t) ? { name: t } : undefined;
}

/** The type of a transform's result for a source type. */
export function resultType(transform: string, source: string): string {
  const t = parseTransform(transform)?.name;
  if (t === 'bucket' || t === 'year' || t === 'month' || t === 'hour') return 'int';
  if (t === 'day') return 'date';
  return source;
}

/** A transform applied to a (non-null) value of `source`. */
export function applyTransform(transform: string, source: string, v: Value): Value {
  if (v === null) return null;
  const t = parseTransform(transform);
  switch (t?.name) {
    case 'identity':
      return v;
    case 'bucket':
      return bucketOf(hashOf(source, v), t.arg as number);
    case 'truncate': {
      const w = t.arg as number;
      if (typeof v === 'number') return v - (((v % w) + w) % w);
      if (typeof v === 'bigint') return v - (((v % BigInt(w)) + BigInt(w)) % BigInt(w));
      if (source === 'string')
        return Array.from(v as string)
          .slice(0, w)
          .join('');
      if (typeof v === 'string') return v.slice(0, 2 * w);
      return v;
    }
    case 'day':
      return daysFrom(source, v);
    case 'hour':
      return Number(floorDiv(micros(source, v), HOUR_MICROS));
    case 'month': {
      const c = civil(daysFrom(source, v));
      return (c.year - 1970) * 12 + c.month;
    }
    case 'year':
      return civil(daysFrom(source, v)).year - 1970;
    default:
      return null;
  }
}

/** Whether a transform orders its results as its inputs (so a range on the source is a range on the result). */
export const monotonic = (transform: string) =>
  ['identity', 'year', 'month', 'day', 'hour', 'truncate'].includes(parseTransform(transform)?.name ?? '');

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const isoDate = (days: number) => {
  const d = new Date(days * MS_PER_DAY);
  const y = d.getUTCFullYear();
  return `${y < 0 ? '-' : ''}${pad(Math.abs(y), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};

/** A value as the spec's JSON single-value serialization writes it (partition tuples of a file). */
export function toJson(type: string, v: Value): unknown {
  if (v === null) return null;
  if (type === 'date') return isoDate(v as number);
  if (type === 'long') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (type === 'time') {
    const us = v as bigint;
    const s = Number(us / 1_000_000n);
    return (
      `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` +
      `.${pad(Number(us % 1_000_000n), 6)}`
    );
  }
  if (isTimestamp(type)) {
    const unit = isNanos(type) ? 1_000_000_000n : 1_000_000n;
    const x = v as bigint;
    const seconds = floorDiv(x, unit);
    const fraction = x - seconds * unit;
    const days = Number(floorDiv(seconds, 86_400n));
    const s = Number(seconds - BigInt(days) * 86_400n);
    const clock = `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
    const frac = String(fraction).padStart(isNanos(type) ? 9 : 6, '0');
    return `${isoDate(days)}T${clock}.${frac}${type.startsWith('timestamptz') ? '+00:00' : ''}`;
  }
  if (DECIMAL.test(type)) {
    const scale = scaleOf(type);
    const x = v as bigint;
    if (scale <= 0) return scale === 0 ? String(x) : `${x}E+${-scale}`;
    const digits = (x < 0n ? -x : x).toString().padStart(scale + 1, '0');
    return `${x < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  if (type === 'uuid') {
    const h = v as string;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  if (HEX_KINDS(type)) return (v as string).toUpperCase();
  return v;
}
