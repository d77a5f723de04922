// Bad input answered in words: every problem at once with its field path, allowed values named,
// no regex dumps; unknown query parameters named; wrong Content-Type 415; 431 and bad URLs in our shape.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { patternInWords } from '../src/http/errors.js';
import { backends, startServer, type TestServer } from './helpers/server.js';

async function rawRequest(url: string, text: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () => socket.write(text));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

test('character-class patterns read as words', () => {
  assert.equal(patternInWords('^[a-zA-Z0-9_]+$'), 'may contain only letters, digits and the characters _');
  assert.equal(
    patternInWords('^[A-Za-z0-9_-]{1,64}$'),
    'may contain only letters, digits and the characters _ - (1 to 64 of them)',
  );
  assert.equal(
    patternInWords('^[a-zA-Z0-9\\u4e00-\\u9fa5_-]+$'),
    'may contain only letters, digits, Chinese characters and the characters _ -',
  );
  assert.equal(patternInWords('^(?:[A-Za-z0-9+/]{4})*$'), undefined);
});

const [backend] = await backends();
describe(`validation errors (${backend?.name})`, () => {
  let server: TestServer;
  let token: string;
  let project: string;
  before(async () => {
    server = await startServer(backend as NonNullable<typeof backend>);
    ({ token, projectId: project } = await server.login());
  });
  after(async () => {
    await server?.stop();
  });

  test('every problem is listed at once, in words, with the allowed values of an enum', async () => {
    const r = await server.request('POST', `/v1/${project}/instances`, {
      token,
      body: { name: 'bad name!', charge_mode: 'monthly', shared: 'yes' },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.error_code, 'common.01000001');
    const msg: string = r.json.error_msg;
    assert.match(msg, /charge_mode must be one of postPaid, prePaid/);
    assert.match(msg, /shared must be boolean/);
    assert.match(msg, /name (may contain only|must)/);
    assert.doesNotMatch(msg, /anyOf|must match a schema|\^\[|\$\/|body\./);
  });

  test('an unknown query parameter is refused and named', async () => {
    const r = await server.request('GET', `/v1/${project}/instances`, { token, query: { limt: 5 } });
    assert.equal(r.status, 400);
    assert.match(r.json.error_msg, /unknown query parameter limt; this operation takes .*limit/);
    const ok = await server.request('GET', `/v1/${project}/instances`, { token, query: { limit: 5 } });
    assert.equal(ok.status, 200, ok.text);
  });

  test('a JSON body with another Content-Type is 415', async () => {
    const r = await server.request('POST', `/v1/${project}/instances`, {
      token,
      rawBody: '{"name":"x"}',
      headers: { 'Content-Type': 'text/plain' },
    });
    assert.equal(r.status, 415);
    assert.equal(r.json.error_code, 'common.01000415');
  });

  test('unstorable values are refused however the JSON text spells them', async () => {
    const huge = `2${'0'.repeat(308)}`; // 2e308, beyond a double's range
    const cases: [string, RegExp][] = [
      ['{"name":"a\\u0000b"}', /^invalid request: name holds a NUL character/],
      ['{"name":"a\\uDC00b"}', /^invalid request: name holds an unpaired UTF-16 surrogate/],
      ['{"name":"a\\ud800"}', /^invalid request: name holds an unpaired UTF-16 surrogate/],
      ['{"name":"x","shared":1e309}', /^invalid request: shared is a number beyond range/],
      ['{"name":"x","shared":-2.5E+400}', /^invalid request: shared is a number beyond range/],
      [`{"name":"x","shared":${huge}}`, /^invalid request: shared is a number beyond range/],
      [`{"name":"x","shared":${huge}.5}`, /^invalid request: shared is a number beyond range/],
    ];
    const json = { 'Content-Type': 'application/json' };
    for (const [text, message] of cases) {
      const r = await server.request('POST', `/v1/${project}/instances`, { token, rawBody: text, headers: json });
      assert.equal(r.status, 400, text);
      assert.match(r.json.error_msg, message, text);
    }
    // Spelt-out escapes (an escaped backslash, then text) are text like any other: the schema judges them.
    const r = await server.request('POST', `/v1/${project}/instances`, {
      token,
      rawBody: '{"name":"a\\\\u0000"}',
      headers: json,
    });
    assert.equal(r.status, 400);
    assert.doesNotMatch(r.json.error_msg, /NUL/);
  });

  test('headers too large (431) and a malformed request come in our error shape', async () => {
    const big = await rawRequest(server.url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431/);
    assert.match(big, /"error_code":"common\.01000431"/);
    const bad = await rawRequest(server.url, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400/);
    assert.match(bad, /"error_code":"common\.01000400"/);
    const url = await server.request('GET', `/v1/${project}/instances/%E0%A4%A`, { token });
    assert.equal(url.status, 400, url.text);
    assert.equal(typeof url.json.error_msg, 'string', url.text);
  });
});
