// The official Huawei Cloud Node.js SDK core, unchanged, against a real server: its own AK/SK
// signer, its project-id discovery through IAM, and its error parsing.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { backends, startServer, type TestServer } from './helpers/server.js';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
const core = require('@huaweicloud/huaweicloud-sdk-core') as any;
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as any;
const { Region } = require('@huaweicloud/huaweicloud-sdk-core/region/region') as any;

interface SdkRequest {
  method: string;
  url: string;
  queryParams?: Record<string, unknown>;
  data?: unknown;
}

for (const backend of await backends()) {
  describe(`official Node.js SDK (${backend.name})`, () => {
    let server: TestServer;
    let admin: { token: string; projectId: string; userId: string };
    let ak: string;
    let sk: string;
    before(async () => {
      server = await startServer(backend);
      admin = await server.login();
      const key = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
        token: admin.token,
        body: { credential: { user_id: admin.userId } },
      });
      assert.equal(key.status, 201, key.text);
      ({ access: ak, secret: sk } = key.json.credential);
    });
    after(async () => {
      await server?.stop();
    });

    const client = (credentials: any, region?: any) => {
      let b = new ClientBuilder((hc: any) => hc).withCredential(credentials);
      b = region ? b.withRegion(region) : b.withEndpoint(server.url);
      return b.build();
    };
    const send = (c: any, r: SdkRequest) =>
      c.sendRequest({
        method: r.method,
        url: r.url,
        contentType: 'application/json',
        queryParams: r.queryParams ?? {},
        pathParams: {},
        headers: {},
        data: r.data,
      });

    test("signed with the SDK's own signer: create, list with an encoded query, show, delete", async () => {
      const c = client(new core.BasicCredentials().withAk(ak).withSk(sk).withProjectId(admin.projectId));
      const created = await send(c, {
        method: 'POST',
        url: '/v1/{project_id}/instances',
        data: { name: 'sdk_made', charge_mode: 'postPaid', shared: true, description: 'from the SDK' },
      });
      assert.equal(created.httpStatusCode, 202);
      assert.equal(created.name, 'sdk_made');
      const listed = await send(c, {
        method: 'GET',
        url: '/v1/{project_id}/instances',
        queryParams: { offset: 0, limit: 10, in_recycle_bin: false, name: 'sdk_made' },
      });
      assert.equal(listed.httpStatusCode, 200);
      assert.deepEqual(
        listed.instances.map((i: { name: string }) => i.name),
        ['sdk_made'],
      );
      const tags = await send(c, {
        method: 'GET',
        url: '/v1/{project_id}/lakeformation-instance/tags',
        queryParams: { use_predefine_tags: false },
      });
      assert.equal(tags.httpStatusCode, 200);
      const shown = await send(c, { method: 'GET', url: `/v1/{project_id}/instances/${created.instance_id}` });
      assert.equal(shown.instance_id, created.instance_id);
      const deleted = await send(c, {
        method: 'DELETE',
        url: `/v1/{project_id}/instances/${created.instance_id}`,
        queryParams: { to_recycle_bin: false },
      });
      assert.equal(deleted.httpStatusCode, 202);
    });

    test('without a project id the SDK discovers it through GET /v3/projects?name=<region>', async () => {
      const credentials = new core.BasicCredentials().withAk(ak).withSk(sk).withIamEndpoint(server.url);
      const c = client(credentials, new Region('default', server.url));
      const listed = await send(c, { method: 'GET', url: '/v1/{project_id}/specs' });
      assert.equal(listed.httpStatusCode, 200);
      assert.equal(listed.spec_codes[0].spec_code, 'lakeformation.unit.basic.qps');
      assert.equal(credentials.projectId, admin.projectId);
    });

    test('errors reach the SDK as exceptions with status, error code and request id', async () => {
      const c = client(new core.BasicCredentials().withAk(ak).withSk(sk).withProjectId(admin.projectId));
      const err = await send(c, {
        method: 'GET',
        url: '/v1/{project_id}/instances/00000000-0000-4000-8000-000000000000',
      }).then(
        () => null,
        (e: any) => e,
      );
      assert.ok(err, 'the SDK raised');
      assert.equal(err.httpStatusCode, 404);
      assert.equal(err.errorCode, 'lakeformation.01000404');
      assert.match(err.requestId ?? '', /^[0-9a-f]{32}$/);
      const wrong = client(
        new core.BasicCredentials().withAk(ak).withSk('x'.repeat(40)).withProjectId(admin.projectId),
      );
      const denied = await send(wrong, { method: 'GET', url: '/v1/{project_id}/instances' }).then(
        () => null,
        (e: any) => e,
      );
      assert.equal(denied?.httpStatusCode, 401);
      assert.equal(denied?.errorCode, 'APIG.0301');
    });
  });
}
