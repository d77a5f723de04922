// parseIceberg reads JSON as lossless-json does (integers beyond 2^53 as bigint, all else as JSON.parse), through
// the native parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInteger, isSafeNumber, parse } from 'lossless-json';
import { parseIceberg } from '../src/services/iceberg/json.js';

const lossless = (text: string): unknown =>
  parse(text, undefined, (s) => (isInteger(s) && !isSafeNumber(s) ? BigInt(s) : Number(s)));

/** The outcome of a parse, comparable: its value, or that it threw. */
const outcome = (f: () => unknown): unknown => {
  try {
    return { value: f() };
  } catch {
    return 'throws';
  }
};

test('integers beyond 2^53 are bigints digit for digit, anywhere a value may be', () => {
  const v = parseIceberg<Record<string, unknown>>(
    '{"a":9223372036854775807,"b":[-9223372036854775808,1,{"c":12345678901234567}],"d":"9223372036854775807",' +
      '"e":9007199254740991,"f":1.2345678901234567e3,"g":12345678901234567.5,"__proto__":9007199254740993}',
  );
  assert.equal(v.a, 9223372036854775807n);
  assert.deepEqual(v.b, [-9223372036854775808n, 1, { c: 12345678901234567n }]);
  assert.equal(v.d, '9223372036854775807');
  assert.equal(v.e, 9007199254740991);
  assert.equal(v.f, 1234.5678901234567);
  assert.equal(v.g, 12345678901234568);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, 9007199254740993n);
  assert.equal(parseIceberg('12345678901234567890'), 12345678901234567890n);
});

test('reads every text as lossless-json does, valid or not', () => {
  const texts = [
    '{"id":1234567890123456789}',
    '{1234567890123456789:1}',
    '[1234567890123456789,]',
    '{"a":1234567890123456789',
    '{"a":01234567890123456789}',
    '{"a":-1234567890123456789e2}',
    '{"a":1234567890123456789.0}',
    '{"s":"x\\"1234567890123456789","n":1234567890123456789}',
    '{"s":"\\udbff\\udbff1","n":1234567890123456789}',
    '{"s":"\udbff\udbff1","n":1234567890123456789}',
    '{"s":"a\\\\","n":[1234567890123456789, 2]}',
    ' [ 1234567890123456789 ] ',
    '{"a":99999999999999999999999999999999}',
    '{"a":1e400,"b":1234567890123456789}',
  ];
  for (const text of texts)
    assert.deepEqual(
      outcome(() => parseIceberg(text)),
      outcome(() => lossless(text)),
      text,
    );
  // A text that spells the mark out is still read exactly.
  assert.deepEqual(parseIceberg('{"s":"\\udbff\\udbff1","n":1234567890123456789}'), {
    s: '\udbff\udbff1',
    n: 1234567890123456789n,
  });
});

test('random documents read alike', () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const atoms = [
    '1234567890123456789',
    '-9007199254740993',
    '9007199254740991',
    '0',
    '-1.5',
    '"a\\"b"',
    '"\\\\"',
    'true',
    'null',
    '"1234567890123456789"',
    '3e20',
  ];
  const value = (depth: number): string => {
    const r = rand();
    if (depth > 3 || r < 0.4) return atoms[Math.floor(rand() * atoms.length)] as string;
    const n = Math.floor(rand() * 4);
    const items = Array.from({ length: n }, () => value(depth + 1));
    if (r < 0.7) return `[${items.join(',')}]`;
    return `{${items.map((x, i) => `"k${i}${rand() < 0.2 ? '\\n' : ''}":${x}`).join(', ')}}`;
  };
  for (let i = 0; i < 500; i++) {
    const text = value(0);
    assert.deepEqual(
      outcome(() => parseIceberg(text)),
      outcome(() => lossless(text)),
      text,
    );
  }
});
