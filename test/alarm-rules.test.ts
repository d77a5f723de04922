// The pure rules of alarms, without a server: comparisons and webhook URL validation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holds, validateWebhookUrl } from '../src/services/alarms/rules.js';

test('holds compares a value with a threshold by each operator', () => {
  const table: [number, '>' | '>=' | '<' | '<=' | '=', number, boolean][] = [
    [2, '>', 1, true],
    [1, '>', 1, false],
    [1, '>=', 1, true],
    [0.99, '>=', 1, false],
    [0, '<', 1, true],
    [1, '<', 1, false],
    [1, '<=', 1, true],
    [1.01, '<=', 1, false],
    [0.01, '=', 1 / 100, true],
    [0, '=', 1, false],
  ];
  for (const [value, op, threshold, expected] of table)
    assert.equal(holds(value, op, threshold), expected, `${value} ${op} ${threshold}`);
});

test('webhook URLs: absolute http(s), no credentials, no fragment; kept as written', () => {
  for (const ok of [
    'http://127.0.0.1:8080/hook',
    'https://hooks.example.com/services/T0/B1?token=x',
    'https://[::1]/a',
  ])
    assert.equal(validateWebhookUrl(ok), ok);
  const bad: [string, RegExp][] = [
    ['hooks.example.com/x', /not an absolute URL/],
    ['', /not an absolute URL/],
    ['ftp://h/x', /http or https, not ftp/],
    ['javascript:alert(1)', /http or https, not javascript/],
    ['file:///etc/passwd', /http or https, not file/],
    ['https://u:p@h.example.com/', /credentials/],
    ['https://u@h.example.com/', /credentials/],
    ['https://h.example.com/#x', /fragment/],
  ];
  for (const [url, message] of bad)
    assert.throws(
      () => validateWebhookUrl(url),
      (err: Error) => message.test(err.message),
      url,
    );
});
