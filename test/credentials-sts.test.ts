// Vended credentials on S3-compatible storage with an STS: the server asks AssumeRole with a
// session policy naming exactly the table's prefix. A stand-in STS on loopback records what it
// is asked and answers as AWS's does; the S3 store is the tests' s3rver.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startS3Server, type TestS3Server } from './helpers/s3-server.js';
import { createRunningInstance, startServer, type TestServer } from './helpers/server.js';
import { type AssumeRoleCall, startSts } from './helpers/sts-server.js';

describe("vended credentials from the object store's STS (sqlite, S3 storage)", () => {
  let s3: TestS3Server;
  let sts: Awaited<ReturnType<typeof startSts>>;
  let server: TestServer;
  let token: string;
  let project: string;
  let instance: string;

  before(async () => {
    s3 = await startS3Server();
    sts = await startSts();
    server = await startServer(
      { name: 'sqlite' },
      {
        env: {
          ...s3.env,
          LAKEFORM_DEFAULT_BUCKET: 'sts-warehouse',
          LAKEFORM_S3_STS_ENDPOINT: sts.endpoint,
          LAKEFORM_S3_STS_ROLE_ARN: 'arn:aws:iam::000000000000:role/lakeform',
        },
      },
    );
    ({ token, projectId: project } = await server.login());
    instance = await createRunningInstance(server, token, project, 'sts_inst');
    const base = `/v1/${project}/instances/${instance}/catalogs`;
    assert.equal((await server.request('POST', base, { token, body: { catalog_name: 'c' } })).status, 201);
    assert.equal(
      (await server.request('POST', `${base}/c/databases`, { token, body: { database_name: 'd' } })).status,
      201,
    );
    for (const t of ['orders', 'orders2']) {
      const r = await server.request('POST', `${base}/c/databases/d/tables`, {
        token,
        body: { table_name: t, table_type: 'MANAGED_TABLE', owner_type: 'USER', storage_descriptor: { columns: [] } },
      });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => {
    await server?.stop();
    await sts?.stop();
    await s3?.stop();
  });

  test(
    'AssumeRole is asked with a session policy of exactly the ' + "table's prefix, and its credential is returned",
    async () => {
      const r = await server.request('POST', `/v1/${project}/instances/${instance}/credential`, {
        token,
        body: { table: { catalog_name: 'c', database_name: 'd', table_name: 'orders' }, duration_seconds: 1800 },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        [r.json.access, r.json.secret, r.json.security_token],
        ['ASIASTSVENDED1', 'vended-secret-1', 'vended-session-1'],
      );
      const call = sts.calls[0] as AssumeRoleCall;
      assert.equal(call.RoleArn, 'arn:aws:iam::000000000000:role/lakeform');
      assert.equal(call.DurationSeconds, '1800');
      const prefix = `instances/${instance}/c/d.db/orders/`;
      const policy = JSON.parse(call.Policy) as {
        Statement: { Action: string[]; Resource: string[]; Condition?: Record<string, Record<string, string[]>> }[];
      };
      assert.deepEqual(
        policy.Statement[0]?.Resource,
        [`arn:aws:s3:::sts-warehouse/${prefix}*`],
        'objects under the prefix only; the trailing / keeps orders2 out',
      );
      assert.deepEqual(policy.Statement[0]?.Action, ['s3:GetObject', 's3:GetObjectVersion'], 'READ grants no write');
      assert.deepEqual(policy.Statement[1]?.Condition, { StringLike: { 's3:prefix': [`${prefix}*`] } });
      assert.equal(
        (call.Policy.match(/[*?]/g) ?? []).length,
        2,
        "no wildcard but the two the policy puts at the prefix's end",
      );
    },
  );

  test('READ_WRITE adds the write actions; nothing reaches the STS for a request refused before', async () => {
    const before = sts.calls.length;
    const r = await server.request('POST', `/v1/${project}/instances/${instance}/credential`, {
      token,
      body: { table: { catalog_name: 'c', database_name: 'd', table_name: 'orders' }, access: 'READ_WRITE' },
    });
    assert.equal(r.status, 200, r.text);
    const policy = JSON.parse((sts.calls[before] as AssumeRoleCall).Policy) as { Statement: { Action: string[] }[] };
    assert.deepEqual(policy.Statement[0]?.Action, [
      's3:GetObject',
      's3:GetObjectVersion',
      's3:PutObject',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
    ]);
    for (const body of [
      { table: { catalog_name: 'c', database_name: 'd', table_name: 'nosuch' } },
      { table: { catalog_name: 'c', database_name: 'd', table_name: 'order*' } },
      { location: 'obs://sts-warehouse/instances/other/x' },
    ]) {
      const refused = await server.request('POST', `/v1/${project}/instances/${instance}/credential`, { token, body });
      assert.ok(refused.status >= 400, `${JSON.stringify(body)}: ${refused.status}`);
    }
    assert.equal(sts.calls.length, before + 1, 'refused requests never reached the STS');
  });
});
