// JSON for Iceberg: clients draw snapshot ids from the whole 64-bit range, which JSON.parse would
// round to the nearest double (and the metadata would then name a snapshot no manifest has).
// Integers beyond 2^53 are kept as bigint and written back digit for digit; all else is as usual.
// The native parser and writer do the work whenever no such integer can be present: lossless-json
// is exact but several times slower, and metadata files are large.
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

const parseNumber = (text: string): number | bigint =>
  isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
/** Every integer beyond 2^53 has at least 16 digits; a text without such a run has none. */
const LONG_DIGITS = /\d{16}/;

export function parseIceberg<T = unknown>(text: string): T {
  return (LONG_DIGITS.test(text) ? parse(text, undefined, parseNumber) : JSON.parse(text)) as T;
}

export function stringifyIceberg(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    // Only a bigint stops the native writer here (our values are never circular).
    if (!(err instanceof TypeError)) throw err;
    return stringify(value) ?? 'null';
  }
}
