// What no request body may carry: found anywhere in it and named by its field path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { valueProblem } from '../src/http/input-check.js';
import { MAYBE_UNSTORABLE, STORABLE, scanJson, TOO_DEEP } from '../src/http/json-depth.js';

describe('request body values', () => {
  test('a clean body has no problem; an unstorable text or number is named by its path, keys included', () => {
    const clean = { a: [1, 2n, null, true, { b: 'text', c: [[]] }], 'd-e': { f: -0.5 } };
    assert.equal(valueProblem(clean, ''), undefined);
    assert.equal(valueProblem('a\u0000b', ''), 'the body holds a NUL character (\\u0000), which text cannot store');
    assert.equal(
      valueProblem({ ...clean, x: [{}, { y: ['ok', '\ud800'] }] }, ''),
      'x[1].y[1] holds an unpaired UTF-16 surrogate, which is not valid Unicode text',
    );
    assert.equal(
      valueProblem({ ...clean, list: [{ 'k\udc00': 1 }] }, ''),
      'a field name in list[0] holds an unpaired UTF-16 surrogate, which is not valid Unicode text',
    );
    assert.equal(valueProblem({ n: [Number.POSITIVE_INFINITY] }, ''), 'n[0] is a number beyond range');
    // A paired surrogate (an emoji) is text.
    assert.equal(valueProblem({ s: '\ud83d\ude00' }, ''), undefined);
  });
});

describe('the scan of JSON text', () => {
  test('text that could parse to a refused value is never called storable; plain text is', () => {
    const huge = `2${'0'.repeat(308)}`;
    const refused = [
      '"a\\u0000"',
      '["\\uD800"]',
      '{"k\\udfff":1}',
      '{"a":"\\uDbFf\\udc00"}',
      '1e309',
      '[-2.5E+400]',
      huge,
      `${huge}.5`,
      '{"a":[1,{"b":1e400}]}',
    ];
    for (const text of refused) assert.equal(scanJson(text, 128), MAYBE_UNSTORABLE, text);
    const plain = [
      '{"a":"x\\\\u0000"}',
      '{"a":"\\u00e9\\u0001\\ue000"}',
      '[1.5,-3,"e1",12345678901234567890]',
      'true',
      '{"1e5":2}',
    ];
    for (const text of plain) {
      assert.equal(scanJson(text, 128), STORABLE, text);
      assert.equal(valueProblem(JSON.parse(text), ''), undefined, text);
    }
    assert.equal(scanJson('[[["1e999"]]]', 2), TOO_DEEP);
  });
});
