// SDK-HMAC-SHA256 request signing: the reference's worked examples, encoding rules and every rejection path.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  canonicalRequest,
  parseAuthorization,
  parseSdkDate,
  type SignedRequestInput,
  sign,
  signRequest,
  stringToSign,
  verifyRequestSignature,
} from '../src/services/iam/request-signature.js';

const AK = 'EXAMPLEAK0123456789A';
const SK = 'EXAMPLEsk0123456789abcdefghijklmnopqrstu';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const DATE = '20240101T000000Z';
const NOW = new Date('2024-01-01T00:00:00Z');
const HOST = 'lakeformation.cn-north-4.myhuaweicloud.com';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const secretFor = (ak: string): string | undefined => (ak === AK ? SK : undefined);

const nodeHeaders = (): Record<string, string> => ({
  'content-type': 'application/json',
  host: HOST,
  'x-project-id': PROJECT,
  'x-sdk-date': DATE,
});
const input = (
  method: string,
  rawUrl: string,
  headers: Record<string, string | string[] | undefined>,
  body = '',
): SignedRequestInput => ({ method, rawUrl, headers, body: Buffer.from(body) });
const authorize = (req: SignedRequestInput, signed: string[], secret = SK, ak = AK): SignedRequestInput => {
  const date = req.headers['x-sdk-date'];
  assert.equal(typeof date, 'string');
  const signature = sign(secret, date as string, canonicalRequest(req, signed));
  return {
    ...req,
    headers: {
      ...req.headers,
      authorization: `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    },
  };
};
/** Canonical query line for a received URL (third line of the canonical request). */
const queryLine = (rawUrl: string): string =>
  canonicalRequest(input('GET', rawUrl, { 'x-sdk-date': DATE }), ['x-sdk-date']).split('\n')[2] ?? '';
const uriLine = (rawUrl: string): string =>
  canonicalRequest(input('GET', rawUrl, { 'x-sdk-date': DATE }), ['x-sdk-date']).split('\n')[1] ?? '';

describe('worked example A (Node SDK form)', () => {
  const get = input('GET', `/v1/${PROJECT}/instances?offset=0&limit=10`, nodeHeaders());
  const signed = ['content-type', 'host', 'x-project-id', 'x-sdk-date'];

  test('canonical request, its hash, the string to sign and the signature are exact', () => {
    const canonical = canonicalRequest(get, signed);
    assert.equal(
      canonical,
      [
        'GET',
        `/v1/${PROJECT}/instances/`,
        'limit=10&offset=0',
        'content-type:application/json',
        `host:${HOST}`,
        `x-project-id:${PROJECT}`,
        `x-sdk-date:${DATE}`,
        '',
        'content-type;host;x-project-id;x-sdk-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    assert.equal(sha256(canonical), '40fe142eda18f4edcf25c20df0babf3d93e3d04d45b5dc60d9f5cf76a9186cd6');
    assert.equal(
      stringToSign(DATE, canonical),
      `SDK-HMAC-SHA256\n${DATE}\n40fe142eda18f4edcf25c20df0babf3d93e3d04d45b5dc60d9f5cf76a9186cd6`,
    );
    assert.equal(sign(SK, DATE, canonical), 'f3e84ffe1b300ec21c6c4d8f530a28eca2e2659825d4d8000a5af88eb1ac1f16');
  });

  test('the Authorization header from the reference verifies', () => {
    const req = {
      ...get,
      headers: {
        ...get.headers,
        authorization:
          `SDK-HMAC-SHA256 Access=${AK}, ` +
          `SignedHeaders=content-type;host;x-project-id;x-sdk-date, ` +
          `Signature=f3e84ffe1b300ec21c6c4d8f530a28eca2e2659825d4d8000a5af88eb1ac1f16`,
      },
    };
    assert.deepEqual(verifyRequestSignature(req, secretFor, NOW), { ok: true, accessKey: AK });
  });

  test('POST with a JSON body', () => {
    const body = '{"catalog_name":"demo","description":"test"}';
    assert.equal(Buffer.byteLength(body), 44);
    const post = input(
      'POST',
      `/v1/${PROJECT}/instances/2180518f-42b8-4947-b20b-adfc53981a25/catalogs`,
      nodeHeaders(),
      body,
    );
    const canonical = canonicalRequest(post, signed);
    const lines = canonical.split('\n');
    assert.equal(lines[1], `/v1/${PROJECT}/instances/2180518f-42b8-4947-b20b-adfc53981a25/catalogs/`);
    assert.equal(lines[2], '');
    assert.equal(lines.at(-1), '95f0db3f29db046e7f8c39c2f01280a1c9aee55e84a185c1e1d961e0b571cb1c');
    assert.equal(sha256(canonical), 'b6c3cd24f803629ad2cdb7625b5f582338690de7582ad7a22287cca3d3a7539a');
    assert.equal(sign(SK, DATE, canonical), '4092943421a83728e1d226a055cdb29ed53f6b48603acfa248ed3d8a9726b8d1');
    const req = {
      ...post,
      headers: {
        ...post.headers,
        authorization:
          `SDK-HMAC-SHA256 Access=${AK}, ` +
          `SignedHeaders=content-type;host;x-project-id;x-sdk-date, ` +
          `Signature=4092943421a83728e1d226a055cdb29ed53f6b48603acfa248ed3d8a9726b8d1`,
      },
    };
    assert.deepEqual(verifyRequestSignature(req, secretFor, NOW), { ok: true, accessKey: AK });
  });
});

describe('worked example B (Go SDK form: no host, content-type sent but unsigned)', () => {
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'huaweicloud-usdk-go/3.0',
    'x-project-id': PROJECT,
    'x-sdk-date': DATE,
  };
  const get = input('GET', `/v1/${PROJECT}/instances?offset=0&limit=10`, headers);

  test('canonical request, hash and signature are exact', () => {
    const canonical = canonicalRequest(get, ['user-agent', 'x-project-id', 'x-sdk-date']);
    assert.equal(
      canonical,
      [
        'GET',
        `/v1/${PROJECT}/instances/`,
        'limit=10&offset=0',
        'user-agent:huaweicloud-usdk-go/3.0',
        `x-project-id:${PROJECT}`,
        `x-sdk-date:${DATE}`,
        '',
        'user-agent;x-project-id;x-sdk-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    assert.equal(sha256(canonical), 'e96c222bdee241d19fa7253f44d6f9c342becb55e1ebe1a611199d6fcff8c2c7');
    assert.equal(sign(SK, DATE, canonical), 'dc703844e39b4178977737548690d5d84a993aca554bd2e6744f6c91b367d629');
  });

  test('verifies without host or content-type among the signed headers', () => {
    const req = {
      ...get,
      headers: {
        ...headers,
        authorization:
          `SDK-HMAC-SHA256 Access=${AK}, ` +
          `SignedHeaders=user-agent;x-project-id;x-sdk-date, ` +
          `Signature=dc703844e39b4178977737548690d5d84a993aca554bd2e6744f6c91b367d629`,
      },
    };
    assert.deepEqual(verifyRequestSignature(req, secretFor, NOW), { ok: true, accessKey: AK });
    // The unsigned content-type may change without affecting the signature.
    assert.equal(
      verifyRequestSignature({ ...req, headers: { ...req.headers, 'content-type': 'text/plain' } }, secretFor, NOW).ok,
      true,
    );
  });
});

describe('canonical form', () => {
  test('query: decoded, sorted by name then value, re-encoded', () => {
    assert.equal(queryLine('/p?name=a%20b%2F%C3%A9'), 'name=a%20b%2F%C3%A9');
    assert.equal(queryLine('/p?name=a+b'), 'name=a%20b', "'+' is a space");
    assert.equal(queryLine('/p?name=a%2Bb'), 'name=a%2Bb', "an encoded '+' stays a plus");
    assert.equal(queryLine('/p?path=/a/b'), 'path=%2Fa%2Fb', "a raw '/' is encoded");
    assert.equal(queryLine('/p?q=%e4%b8%ad%e6%96%87'), 'q=%E4%B8%AD%E6%96%87', 'UTF-8, hex upper-cased');
    assert.equal(queryLine("/p?q=it's(*)!~%7E"), 'q=it%27s%28%2A%29%21~~', 'only A-Z a-z 0-9 - _ . ~ stay bare');
    assert.equal(
      queryLine('/p?b=2&a=1&a=0&c=&d&a=10'),
      'a=0&a=1&a=10&b=2&c=&d=',
      'repeated names, empty values, bare names',
    );
    assert.equal(queryLine('/p?flag=true&limit=10&offset=0'), 'flag=true&limit=10&offset=0');
    assert.equal(queryLine('/p?&&x=1&'), 'x=1', 'empty pieces are ignored');
    assert.equal(queryLine('/p?'), '');
    assert.equal(queryLine('/p'), '');
    assert.equal(queryLine('/p?bad=%zz%4'), 'bad=%25zz%254', 'a stray % is taken literally');
  });

  test('query is sorted on decoded bytes, as the SDKs sort before encoding', () => {
    // Encoded, "%C3%A9" < "z"; decoded, "é" (0xC3 0xA9) > "z" (0x7A).
    assert.equal(queryLine('/p?%C3%A9=1&z=2'), 'z=2&%C3%A9=1');
    assert.equal(queryLine('/p?k=%C3%A9&k=z'), 'k=z&k=%C3%A9');
    assert.equal(queryLine('/p?a-=1&a!=2'), 'a%21=2&a-=1');
  });

  test('path: each segment decoded then re-encoded, trailing slash added', () => {
    assert.equal(uriLine('/v1/p/instances'), '/v1/p/instances/');
    assert.equal(uriLine('/v1/p/instances/'), '/v1/p/instances/');
    assert.equal(uriLine('/'), '/');
    assert.equal(uriLine('/v1/a%20b/c'), '/v1/a%20b/c/');
    assert.equal(uriLine('/v1/a%2Fb'), '/v1/a%2Fb/', 'an encoded slash stays inside its segment');
    assert.equal(uriLine('/v1/a+b'), '/v1/a%2Bb/', "'+' in a path is a plus");
    assert.equal(uriLine('/v1/%e4%b8%ad%E6%96%87_db'), '/v1/%E4%B8%AD%E6%96%87_db/');
    assert.equal(uriLine('/v1/x%7E.y-z_'), '/v1/x~.y-z_/');
    assert.equal(uriLine("/v1/it's(1)"), '/v1/it%27s%281%29/');
    assert.equal(uriLine('/v1//double'), '/v1//double/');
    assert.equal(uriLine('http://example.com:8080/v1/p?x=1'), '/v1/p/', 'absolute-form target');
  });

  test('header values are trimmed; names are lower-cased and sorted', () => {
    const req = input('GET', '/p', { 'x-sdk-date': DATE, 'x-b': '  spaced  value  ', 'x-a': ['1', '2'] });
    const lines = canonicalRequest(req, ['X-Sdk-Date', 'x-b', 'X-A']).split('\n');
    assert.deepEqual(lines.slice(3, 7), ['x-a:1,2', 'x-b:spaced  value', `x-sdk-date:${DATE}`, '']);
    assert.equal(lines[7], 'x-a;x-b;x-sdk-date');
  });

  test('payload hash: body bytes, or X-Sdk-Content-Sha256 when present', () => {
    assert.equal(
      canonicalRequest(input('GET', '/p', { 'x-sdk-date': DATE }), ['x-sdk-date'])
        .split('\n')
        .at(-1),
      EMPTY_SHA256,
    );
    assert.equal(
      canonicalRequest(input('GET', '/p', { 'x-sdk-date': DATE }, '{}'), ['x-sdk-date'])
        .split('\n')
        .at(-1),
      sha256('{}'),
    );
    const unsigned = input('PUT', '/p', { 'x-sdk-date': DATE, 'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD' }, 'anything');
    assert.equal(canonicalRequest(unsigned, ['x-sdk-date']).split('\n').at(-1), 'UNSIGNED-PAYLOAD');
  });
});

describe('parsing', () => {
  test('Authorization: tolerant of spacing and case, strict about content', () => {
    const sig = 'A'.repeat(64);
    assert.deepEqual(
      parseAuthorization(`  sdk-hmac-sha256   Access = ${AK} ,SignedHeaders= Host;X-Sdk-Date ,  Signature=${sig}  `),
      { accessKey: AK, signedHeaders: ['host', 'x-sdk-date'], signature: 'a'.repeat(64) },
    );
    assert.deepEqual(
      parseAuthorization(`SDK-HMAC-SHA256 Signature=${sig}, Access=${AK}, SignedHeaders=x-sdk-date`)?.signedHeaders,
      ['x-sdk-date'],
    );
    for (const bad of [
      '',
      'Bearer abc',
      `SDK-HMAC-SHA256`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=x-sdk-date`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=x-sdk-date, Signature=abc`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=x-sdk-date, Signature=${'g'.repeat(64)}`,
      `SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;;x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=x sdk date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${AK}, Access=OTHER, SignedHeaders=x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256 Access=${AK} SignedHeaders=x-sdk-date Signature=${sig}`,
      `V11-HMAC-SHA256 Access=${AK}, SignedHeaders=x-sdk-date, Signature=${sig}`,
      `SDK-HMAC-SHA256X Access=${AK}, SignedHeaders=x-sdk-date, Signature=${sig}`,
    ])
      assert.equal(parseAuthorization(bad), null, bad);
  });

  test('X-Sdk-Date: exactly YYYYMMDDTHHMMSSZ in UTC, real calendar values only', () => {
    assert.equal(parseSdkDate(DATE)?.toISOString(), '2024-01-01T00:00:00.000Z');
    assert.equal(parseSdkDate('20240229T235959Z')?.toISOString(), '2024-02-29T23:59:59.000Z');
    assert.equal(parseSdkDate('00990101T000000Z')?.getUTCFullYear(), 99);
    for (const bad of [
      '',
      '2024-01-01T00:00:00Z',
      '20240101T000000',
      '20240101t000000z',
      '20240101T000000Z ',
      '20241301T000000Z',
      '20240230T000000Z',
      '20230229T000000Z',
      '20240101T240000Z',
      '20240101T006000Z',
      '20240101T000060Z',
      '20240100T000000Z',
      'Mon, 01 Jan 2024 00:00:00 GMT',
    ]) {
      assert.equal(parseSdkDate(bad), null, bad);
    }
  });
});

describe('verification', () => {
  const signedNames = ['content-type', 'host', 'x-project-id', 'x-sdk-date'];
  const body = '{"name":"demo"}';
  const good = authorize(
    input('POST', `/v1/${PROJECT}/instances?limit=10&name=a%20b`, nodeHeaders(), body),
    signedNames,
  );
  const reason = (r: ReturnType<typeof verifyRequestSignature>): string => (r.ok ? 'ok' : r.reason);

  test('a correctly signed request passes', () => {
    assert.deepEqual(verifyRequestSignature(good, secretFor, NOW), { ok: true, accessKey: AK });
  });

  test('a different but equivalent encoding of path and query still passes', () => {
    const req = { ...good, rawUrl: `/v1/${PROJECT}/instances/?name=a+b&limit=%31%30` };
    assert.equal(verifyRequestSignature(req, secretFor, NOW).ok, true);
  });

  test('tampering is detected', () => {
    const cases: Array<[string, SignedRequestInput]> = [
      ['body', { ...good, body: Buffer.from('{"name":"evil"}') }],
      ['body emptied', { ...good, body: Buffer.alloc(0) }],
      ['query value', { ...good, rawUrl: `/v1/${PROJECT}/instances?limit=11&name=a%20b` }],
      ['query added', { ...good, rawUrl: `/v1/${PROJECT}/instances?limit=10&name=a%20b&admin=true` }],
      ['path', { ...good, rawUrl: `/v1/${PROJECT}/instancez?limit=10&name=a%20b` }],
      ['method', { ...good, method: 'PUT' }],
      ['signed header', { ...good, headers: { ...good.headers, 'x-project-id': 'ffffffffffffffffffffffffffffffff' } }],
      ['host', { ...good, headers: { ...good.headers, host: 'evil.example' } }],
    ];
    for (const [what, req] of cases)
      assert.equal(
        reason(verifyRequestSignature(req, secretFor, NOW)),
        'the signature does not match the request',
        what,
      );
  });

  test('a wrong secret fails like tampering', () => {
    const req = authorize(input('GET', '/p', nodeHeaders()), signedNames, 'not-the-secret');
    assert.equal(reason(verifyRequestSignature(req, secretFor, NOW)), 'the signature does not match the request');
  });

  test('an unknown access key is refused', () => {
    const req = authorize(input('GET', '/p', nodeHeaders()), signedNames, SK, 'UNKNOWNAK');
    assert.equal(reason(verifyRequestSignature(req, secretFor, NOW)), 'the access key is not known');
  });

  test('a signed header missing from the request is refused', () => {
    const headers = { ...good.headers };
    delete headers['x-project-id'];
    assert.match(
      reason(verifyRequestSignature({ ...good, headers }, secretFor, NOW)),
      /signed header 'x-project-id' is not in the request/,
    );
  });

  test('X-Sdk-Date must be signed and present', () => {
    const unsignedDate = authorize(input('GET', '/p', nodeHeaders()), ['host']);
    assert.match(
      reason(verifyRequestSignature(unsignedDate, secretFor, NOW)),
      /X-Sdk-Date must be one of the signed headers/,
    );
    const headers = { ...good.headers };
    delete headers['x-sdk-date'];
    assert.match(
      reason(verifyRequestSignature({ ...good, headers }, secretFor, NOW)),
      /'x-sdk-date' is not in the request/,
    );
  });

  test('clock skew: 14 minutes either way passes, 16 minutes either way fails', () => {
    const minute = 60_000;
    assert.equal(verifyRequestSignature(good, secretFor, new Date(NOW.getTime() + 14 * minute)).ok, true);
    assert.equal(verifyRequestSignature(good, secretFor, new Date(NOW.getTime() - 14 * minute)).ok, true);
    // Server 16 minutes later: the request's date is in the past.
    assert.equal(
      reason(verifyRequestSignature(good, secretFor, new Date(NOW.getTime() + 16 * minute))),
      'X-Sdk-Date is more than 15 minutes behind the server clock',
    );
    // Server 16 minutes earlier: the request's date is in the future.
    assert.equal(
      reason(verifyRequestSignature(good, secretFor, new Date(NOW.getTime() - 16 * minute))),
      'X-Sdk-Date is more than 15 minutes ahead of the server clock',
    );
    assert.match(
      reason(verifyRequestSignature(good, secretFor, new Date(NOW.getTime() + 6 * minute), 5 * minute)),
      /more than 5 minutes behind/,
    );
  });

  test('a malformed X-Sdk-Date is refused even when correctly signed', () => {
    for (const date of ['2024-01-01T00:00:00Z', '20241301T000000Z', '20240101T000000', 'now']) {
      const req = authorize(input('GET', '/p', { ...nodeHeaders(), 'x-sdk-date': date }), signedNames);
      assert.match(reason(verifyRequestSignature(req, secretFor, NOW)), /X-Sdk-Date is malformed/, date);
    }
  });

  test('a malformed or missing Authorization header is refused', () => {
    const sig = /Signature=([0-9a-f]{64})/.exec(good.headers.authorization as string)?.[1] ?? '';
    for (const auth of [
      undefined,
      '',
      'Bearer abc',
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date`,
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=host;x-sdk-date, Signature=${sig.slice(1)}`,
    ]) {
      assert.equal(
        verifyRequestSignature({ ...good, headers: { ...good.headers, authorization: auth } }, secretFor, NOW).ok,
        false,
        String(auth),
      );
    }
    assert.equal(
      verifyRequestSignature(
        { ...good, headers: { ...good.headers, authorization: [good.headers.authorization as string, 'x'] } },
        secretFor,
        NOW,
      ).ok,
      false,
    );
  });

  test('reasons never reveal the secret or the expected signature', () => {
    const req = authorize(input('GET', '/p', nodeHeaders()), signedNames, 'not-the-secret');
    const expected = sign(SK, DATE, canonicalRequest(req, signedNames));
    const r = reason(verifyRequestSignature(req, secretFor, NOW));
    assert.ok(!r.includes(SK) && !r.includes(expected), r);
  });

  test('UNSIGNED-PAYLOAD: the body is not covered, but the marker itself is', () => {
    const headers = {
      ...nodeHeaders(),
      'content-type': 'multipart/form-data; boundary=x',
      'x-sdk-content-sha256': 'UNSIGNED-PAYLOAD',
    };
    const req = authorize(input('POST', '/v1/p/upload', headers, '--x\r\npart\r\n--x--'), [
      'host',
      'x-project-id',
      'x-sdk-content-sha256',
      'x-sdk-date',
    ]);
    assert.equal(verifyRequestSignature(req, secretFor, NOW).ok, true);
    assert.equal(verifyRequestSignature({ ...req, body: Buffer.from('other') }, secretFor, NOW).ok, true);
    // Dropping the marker makes the body hash count again, which no longer matches.
    const without = { ...req.headers };
    delete without['x-sdk-content-sha256'];
    assert.equal(verifyRequestSignature({ ...req, headers: without }, secretFor, NOW).ok, false);
  });

  test('X-Sdk-Content-Sha256 carrying a hash must be the hash of the body received', () => {
    const withHash = authorize(
      input('POST', '/p', { ...nodeHeaders(), 'x-sdk-content-sha256': sha256(body) }, body),
      signedNames,
    );
    assert.equal(verifyRequestSignature(withHash, secretFor, NOW).ok, true);
    // An attacker adding the original body's hash as the header cannot then swap the body.
    const injected = {
      ...good,
      headers: { ...good.headers, 'x-sdk-content-sha256': sha256(body) },
      body: Buffer.from('{"name":"evil"}'),
    };
    assert.equal(
      reason(verifyRequestSignature(injected, secretFor, NOW)),
      'X-Sdk-Content-Sha256 does not match the request body',
    );
  });

  test('header lines in localeCompare order (the Node SDK with an underscore header) also verify', () => {
    const headers = { ...nodeHeaders(), x_trace: 't1' };
    const names = ['content-type', 'host', 'x-project-id', 'x-sdk-date', 'x_trace'];
    const lines = [...names]
      .sort((a, b) => a.localeCompare(b))
      .map((n) => `${n}:${headers[n as keyof typeof headers]}\n`)
      .join('');
    assert.ok(lines.startsWith('content-type') && lines.indexOf('x_trace') < lines.indexOf('x-project-id'));
    const canonical = ['GET', '/p/', '', lines, names.join(';'), EMPTY_SHA256].join('\n');
    const req = input('GET', '/p', {
      ...headers,
      authorization:
        `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=${names.join(';')}, ` + `Signature=${sign(SK, DATE, canonical)}`,
    });
    assert.equal(verifyRequestSignature(req, secretFor, NOW).ok, true);
  });
});

describe('signRequest round trip', () => {
  const toInput = (method: string, url: string, headers: Record<string, string>, body = ''): SignedRequestInput => {
    const u = new URL(url);
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
    return { method, rawUrl: u.pathname + u.search, headers: lower, body: Buffer.from(body) };
  };

  test('signed requests verify, and the result names the key', () => {
    const url = `http://127.0.0.1:8080/v1/${PROJECT}/instances?limit=5&name=a%20b&tag=%E4%B8%AD&tag=x`;
    const body = JSON.stringify({ name: 'inst_1', description: 'é' });
    const headers = signRequest({
      method: 'POST',
      url,
      body,
      accessKey: AK,
      secretKey: SK,
      date: NOW,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
    });
    assert.equal(headers['X-Sdk-Date'], DATE);
    assert.equal(headers.Host, '127.0.0.1:8080');
    assert.match(
      headers.Authorization ?? '',
      new RegExp(
        '^SDK-HMAC-SHA256 Access=EXAMPLEAK0123456789A, ' +
          'SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$',
      ),
    );
    assert.deepEqual(verifyRequestSignature(toInput('POST', url, headers, body), secretFor, NOW), {
      ok: true,
      accessKey: AK,
    });
    assert.equal(
      verifyRequestSignature(toInput('POST', url, headers, body.replace('inst_1', 'inst_2')), secretFor, NOW).ok,
      false,
    );
  });

  test('reproduces worked example A when given the same inputs', () => {
    const url = `https://${HOST}/v1/${PROJECT}/instances?offset=0&limit=10`;
    const headers = signRequest({
      method: 'GET',
      url,
      accessKey: AK,
      secretKey: SK,
      date: NOW,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
    });
    assert.equal(
      headers.Authorization,
      `SDK-HMAC-SHA256 Access=${AK}, ` +
        `SignedHeaders=content-type;host;x-project-id;x-sdk-date, ` +
        `Signature=f3e84ffe1b300ec21c6c4d8f530a28eca2e2659825d4d8000a5af88eb1ac1f16`,
    );
  });

  test('keeps a caller-supplied X-Sdk-Date and Host, drops a stale Authorization, refuses duplicate names', () => {
    const url = 'http://localhost/v1/p';
    const headers = signRequest({
      method: 'DELETE',
      url,
      accessKey: AK,
      secretKey: SK,
      headers: { 'x-sdk-date': DATE, host: 'api.example', Authorization: 'old' },
    });
    assert.equal(headers['x-sdk-date'], DATE);
    assert.equal(headers['X-Sdk-Date'], undefined);
    assert.equal(headers.host, 'api.example');
    assert.equal(headers.Host, undefined);
    assert.notEqual(headers.Authorization, 'old');
    assert.equal(verifyRequestSignature(toInput('DELETE', url, headers), secretFor, NOW).ok, true);
    assert.throws(
      () => signRequest({ method: 'GET', url, accessKey: AK, secretKey: SK, headers: { 'X-A': '1', 'x-a': '2' } }),
      TypeError,
    );
  });

  test('without a date it signs with the current time', () => {
    const url = 'http://localhost/v1/p?x=1';
    const headers = signRequest({ method: 'GET', url, accessKey: AK, secretKey: SK, headers: {} });
    assert.equal(verifyRequestSignature(toInput('GET', url, headers), secretFor, new Date()).ok, true);
  });
});
