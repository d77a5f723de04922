// What no request body may carry: found anywhere in it and named by its field path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { valueProblem } from '../src/http/input-check.js';

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
