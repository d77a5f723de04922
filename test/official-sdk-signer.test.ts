// Compatibility with the official Node.js SDK (@huaweicloud/huaweicloud-sdk-core 3.1.211): requests signed
// by its own AKSKSigner, and requests it actually sends over a loopback socket, verify on our side.

import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as CoreApi from '@huaweicloud/huaweicloud-sdk-core';
import type * as SignerApi from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import type * as ClientBuilderApi from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient, HttpRequestOptions } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import {
  canonicalRequest,
  type SignedRequestInput,
  sign,
  verifyRequestSignature,
} from '../src/services/iam/request-signature.js';

// The SDK is CommonJS. Resolve it from this file, or from the working directory when compiled outside the tree.
function sdkRequire(): NodeRequire {
  for (const base of [import.meta.url, path.join(process.cwd(), 'package.json')]) {
    const req = createRequire(base);
    try {
      req.resolve('@huaweicloud/huaweicloud-sdk-core');
      return req;
    } catch {
      /* try the next base */
    }
  }
  throw new Error(
    '@huaweicloud/huaweicloud-sdk-core is not installed (npm install -D @huaweicloud/huaweicloud-sdk-core@3.1.211)',
  );
}
const requireSdk = sdkRequire();
const { BasicCredentials } = requireSdk('@huaweicloud/huaweicloud-sdk-core') as typeof CoreApi;
const { ClientBuilder } = requireSdk('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as typeof ClientBuilderApi;
const { AKSKSigner } = requireSdk('@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner') as typeof SignerApi;

const AK = 'EXAMPLEAK0123456789A';
const SK = 'EXAMPLEsk0123456789abcdefghijklmnopqrstu';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const INSTANCE = '2180518f-42b8-4947-b20b-adfc53981a25';
const secretFor = (ak: string): string | undefined => (ak === AK ? SK : undefined);
const credentials = () => new BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT);

const lowerCase = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
const signedHeadersOf = (req: SignedRequestInput): string =>
  /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))?.[1] ?? '';

describe('AKSKSigner.sign called directly', () => {
  const endpoint = `https://lakeformation.cn-north-4.myhuaweicloud.com/v1/${PROJECT}/instances`;
  const now = new Date('2024-01-01T00:00:00Z');
  const baseHeaders = () => ({
    'content-type': 'application/json',
    'X-Project-Id': PROJECT,
    'X-Sdk-Date': '20240101T000000Z',
  });

  test('its GET signature is worked example A and verifies', () => {
    const out = AKSKSigner.sign(
      { endpoint, method: 'GET', headers: baseHeaders(), queryParams: { offset: 0, limit: 10 } },
      credentials(),
    ) as Record<string, string>;
    assert.equal(
      out.Authorization,
      `SDK-HMAC-SHA256 Access=${AK}, ` +
        `SignedHeaders=content-type;host;x-project-id;x-sdk-date, ` +
        `Signature=f3e84ffe1b300ec21c6c4d8f530a28eca2e2659825d4d8000a5af88eb1ac1f16`,
    );
    const req: SignedRequestInput = {
      method: 'GET',
      rawUrl: `/v1/${PROJECT}/instances?offset=0&limit=10`,
      headers: lowerCase(out),
      body: Buffer.alloc(0),
    };
    assert.deepEqual(verifyRequestSignature(req, secretFor, now), { ok: true, accessKey: AK });
  });

  test('its POST signature is the reference POST example and verifies over JSON.stringify(data)', () => {
    const data = { catalog_name: 'demo', description: 'test' };
    const out = AKSKSigner.sign(
      { endpoint: `${endpoint}/${INSTANCE}/catalogs`, method: 'POST', headers: baseHeaders(), queryParams: {}, data },
      credentials(),
    ) as Record<string, string>;
    assert.match(
      out.Authorization ?? '',
      /Signature=4092943421a83728e1d226a055cdb29ed53f6b48603acfa248ed3d8a9726b8d1$/,
    );
    const req: SignedRequestInput = {
      method: 'POST',
      rawUrl: `/v1/${PROJECT}/instances/${INSTANCE}/catalogs`,
      headers: lowerCase(out),
      body: Buffer.from(JSON.stringify(data)),
    };
    assert.equal(verifyRequestSignature(req, secretFor, now).ok, true);
    assert.equal(
      verifyRequestSignature(
        { ...req, body: Buffer.from(JSON.stringify({ ...data, description: 'x' })) },
        secretFor,
        now,
      ).ok,
      false,
    );
  });
});

interface Captured extends SignedRequestInput {
  headers: http.IncomingHttpHeaders;
}

describe('requests sent by the SDK client over a loopback socket', () => {
  let server: http.Server;
  let endpoint: string;
  let client: HcClient;
  const captured: Captured[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured.push({
          method: req.method ?? '',
          rawUrl: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new ClientBuilder((hc: HcClient) => hc).withEndpoint(endpoint).withCredential(credentials()).build();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Options shaped like the generated LakeFormation client's, sent through HcClient; returns what arrived. */
  async function send(
    opts: Partial<HttpRequestOptions> & Pick<HttpRequestOptions, 'method' | 'url'>,
    via: HcClient = client,
  ): Promise<Captured> {
    const before = captured.length;
    await via.sendRequest({ contentType: 'application/json', queryParams: {}, pathParams: {}, headers: {}, ...opts });
    assert.equal(captured.length, before + 1);
    return captured[before] as Captured;
  }
  const verify = (req: SignedRequestInput) => verifyRequestSignature(req, secretFor, new Date());

  test('GET with a query full of special characters', async () => {
    const req = await send({
      method: 'GET',
      url: '/v1/{project_id}/instances',
      queryParams: {
        offset: 0,
        limit: 10,
        name: 'a b/é+&=中',
        tag: ['zeta', 'alpha'],
        in_recycle_bin: true,
        pattern: 'db_*|t.x',
        quote: "it's (ok)!~",
      },
    });
    // The wire query is unsorted and leaves ' ( ) ! * raw; the signer encoded and sorted its own copy.
    assert.match(
      req.rawUrl,
      /^\/v1\/0a1b2c3d4e5f60718293a4b5c6d7e8f9\/instances\?offset=0&limit=10&name=a%20b%2F%C3%A9%2B%26%3D%E4%B8%AD&/,
    );
    assert.match(req.rawUrl, /quote=it's%20\(ok\)!~$/);
    assert.equal(signedHeadersOf(req), 'content-type;host;x-project-id;x-sdk-date');
    assert.equal(req.headers.host, endpoint.slice('http://'.length));
    assert.deepEqual(verify(req), { ok: true, accessKey: AK });
    assert.equal(verify({ ...req, rawUrl: req.rawUrl.replace('limit=10', 'limit=1000') }).ok, false, 'tampered query');
    assert.equal(
      verify({ ...req, rawUrl: req.rawUrl.replace('tag=zeta', 'tag=beta') }).ok,
      false,
      'tampered repeated value',
    );
    assert.equal(verify({ ...req, rawUrl: `${req.rawUrl}&extra=1` }).ok, false, 'added parameter');
  });

  test('GET carrying the two-byte body {}', async () => {
    const req = await send({ method: 'GET', url: '/v1/{project_id}/instances', data: {} });
    assert.equal(req.body.toString(), '{}');
    assert.equal(verify(req).ok, true);
    assert.equal(verify({ ...req, body: Buffer.alloc(0) }).ok, false, 'the body is covered even on a GET');
  });

  test('POST with a JSON body', async () => {
    const data = {
      name: 'inst_1',
      description: 'é 中文 "quoted"',
      charge_mode: 'postPaid',
      shared: true,
      tags: [{ key: 'k', value: 'v' }],
    };
    const req = await send({
      method: 'POST',
      url: '/v1/{project_id}/instances',
      headers: { 'Content-Type': 'application/json;charset=UTF-8' },
      data,
    });
    assert.equal(req.body.toString(), JSON.stringify(data));
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(verify(req), { ok: true, accessKey: AK });
    assert.equal(
      verify({ ...req, body: Buffer.from(JSON.stringify({ ...data, shared: false })) }).ok,
      false,
      'tampered body',
    );
    assert.equal(
      verify({ ...req, headers: { ...req.headers, 'x-project-id': 'ffffffffffffffffffffffffffffffff' } }).ok,
      false,
      'tampered signed header',
    );
  });

  test('DELETE: an empty-object body is dropped before signing and sending', async () => {
    const req = await send({
      method: 'DELETE',
      url: '/v1/{project_id}/instances/{instance_id}',
      pathParams: { instance_id: INSTANCE },
      data: {},
    });
    assert.equal(req.rawUrl, `/v1/${PROJECT}/instances/${INSTANCE}`);
    assert.equal(req.body.length, 0);
    assert.equal(verify(req).ok, true);
    assert.equal(
      verify({ ...req, rawUrl: `/v1/${PROJECT}/instances/00000000-0000-0000-0000-000000000000` }).ok,
      false,
      'another instance',
    );
    assert.equal(verify({ ...req, method: 'GET' }).ok, false, 'another method');
  });

  test('a non-JSON content type is sent as UNSIGNED-PAYLOAD, and that header is signed', async () => {
    const req = await send({
      method: 'PUT',
      url: '/v1/{project_id}/objects',
      contentType: 'text/plain',
      data: Buffer.from('hello'),
    });
    assert.equal(req.headers['x-sdk-content-sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal(signedHeadersOf(req), 'content-type;host;x-project-id;x-sdk-content-sha256;x-sdk-date');
    assert.equal(verify(req).ok, true);
    assert.equal(verify({ ...req, headers: { ...req.headers, 'x-sdk-content-sha256': undefined } }).ok, false);
  });

  test('a non-ASCII path parameter (database name) verifies', async () => {
    const req = await send({
      method: 'GET',
      url: '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}/databases/{database_name}',
      pathParams: { instance_id: INSTANCE, catalog_name: 'hive', database_name: '中文_db' },
    });
    assert.ok(req.rawUrl.endsWith('/databases/%E4%B8%AD%E6%96%87_db'));
    assert.equal(verify(req).ok, true);
  });

  test('temporary credentials: X-Security-Token is sent and signed', async () => {
    const temp = new ClientBuilder((hc: HcClient) => hc)
      .withEndpoint(endpoint)
      .withCredential(credentials().withSecurityToken('token-value'))
      .build();
    const req = await send({ method: 'GET', url: '/v1/{project_id}/instances' }, temp);
    assert.equal(req.headers['x-security-token'], 'token-value');
    assert.equal(signedHeadersOf(req), 'content-type;host;x-project-id;x-sdk-date;x-security-token');
    assert.equal(verify(req).ok, true);
    assert.equal(verify({ ...req, headers: { ...req.headers, 'x-security-token': 'other' } }).ok, false);
  });

  test('a custom header with an underscore: header lines come in localeCompare order', async () => {
    const req = await send({ method: 'GET', url: '/v1/{project_id}/instances', headers: { X_Trace: 't1' } });
    assert.equal(signedHeadersOf(req), 'content-type;host;x-project-id;x-sdk-date;x_trace');
    assert.equal(verify(req).ok, true);
  });

  test('a request signed with another secret fails', async () => {
    const other = new ClientBuilder((hc: HcClient) => hc)
      .withEndpoint(endpoint)
      .withCredential(new BasicCredentials().withAk(AK).withSk('another-secret').withProjectId(PROJECT))
      .build();
    const req = await send({ method: 'GET', url: '/v1/{project_id}/instances' }, other);
    assert.deepEqual(verify(req), { ok: false, reason: 'the signature does not match the request' });
  });

  test(
    'known SDK limitation: a path parameter that url.parse escapes ' + '(here a space) is signed double-encoded',
    async () => {
      const req = await send({ method: 'GET', url: '/v1/{project_id}/x/{name}', pathParams: { name: 'a b' } });
      assert.ok(req.rawUrl.endsWith('/x/a%20b'));
      assert.equal(verify(req).ok, false);
      // The SDK signed the segment "a%20b" encoded again ("a%2520b"); signing that form reproduces its signature.
      const names = signedHeadersOf(req).split(';');
      const date = String(req.headers['x-sdk-date']);
      const doubled = sign(
        SK,
        date,
        canonicalRequest({ ...req, rawUrl: req.rawUrl.replace('a%20b', 'a%2520b') }, names),
      );
      assert.match(String(req.headers.authorization), new RegExp(`Signature=${doubled}$`));
    },
  );
});
