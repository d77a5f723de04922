// JSON for Iceberg: clients draw snapshot ids from the whole 64-bit range, which JSON.parse would
// round to the nearest double (and the metadata would then name a snapshot no manifest has).
// Integers beyond 2^53 are kept as bigint and written back digit for digit; all else is as usual.
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

const parseNumber = (text: string): number | bigint => (isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text));

export function parseIceberg<T = unknown>(text: string): T {
  return parse(text, undefined, parseNumber) as T;
}

export function stringifyIceberg(value: unknown): string {
  return stringify(value) ?? 'null';
}
