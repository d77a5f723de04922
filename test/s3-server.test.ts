// The server on LAKEFORM_STORAGE=s3, end to end: a lakeform process against a test S3 server, driven over HTTP.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parseLocation } from '../src/storage/object-storage.js';
import { S3ObjectStorage } from '../src/storage/s3-storage.js';
import { startS3Server } from './helpers/s3-server.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const s3 = await startS3Server();
// The test's own view of the S3 server, to put data files and see what is left.
const storage = new S3ObjectStorage(s3.settings);
after(async () => {
  storage.close();
  await s3.stop();
});

const columns = [
  { column_name: 'id', column_type: 'bigint' },
  { column_name: 'name', column_type: 'string' },
];
const table = (name: string, type: string, location?: string) => ({
  table_name: name,
  table_type: type,
  owner: 'admin',
  owner_type: 'USER',
  storage_descriptor: { columns, ...(location ? { location } : {}) },
});
const keysUnder = async (bucket: string, prefix: string) =>
  (await storage.listObjects(bucket, { prefix, limit: 1000 })).objects.map((o) => o.key);

for (const backend of await backends()) {
  describe(`s3 storage end to end (${backend.name})`, () => {
    const bucket = `lf-e2e-${backend.name}`;
    let existedBefore: boolean;
    let server: TestServer;
    let token: string;
    let db: string;
    let jobs: string;
    let instanceId: string;

    before(async () => {
      existedBefore = await storage.bucketExists(bucket);
      server = await startServer(backend, { env: { ...s3.env, LAKEFORM_DEFAULT_BUCKET: bucket } });
      const login = await server.login();
      token = login.token;
      const instance = await createRunningInstance(server, token, login.projectId, 's3_inst');
      instanceId = instance;
      jobs = `/v1/${login.projectId}/instances/${instance}/lf-jobs`;
      db = `/v1/${login.projectId}/instances/${instance}/catalogs/hive/databases/sales`;
      const created = await server.request(
        'POST',
        `/v1/${login.projectId}/instances/${instance}/catalogs/hive/databases`,
        { token, body: { database_name: 'sales' } },
      );
      assert.equal(created.status, 201, created.text);
    });
    after(async () => {
      await server?.stop();
    });

    test('the default bucket is created at start', async () => {
      assert.equal(existedBefore, false);
      assert.equal(await storage.bucketExists(bucket), true);
      assert.match(server.output(), /"storage":"s3".*lakeform listening/);
    });

    test(
      "DeleteTable with delete_data removes a managed table's objects " + 'from S3 at purge, and nothing else',
      async () => {
        const r = await server.request('POST', `${db}/tables`, { token, body: table('orders', 'MANAGED_TABLE') });
        assert.equal(r.status, 201, r.text);
        const loc = parseLocation(r.json.storage_descriptor.location as string);
        assert.ok(loc?.scheme === 'obs' && loc.bucket === bucket, r.json.storage_descriptor.location);
        const data = ['part-00000.parquet', 'dt=2024-01-01/part-00000.parquet', '_SUCCESS'].map(
          (f) => `${loc.key}/${f}`,
        );
        // Same leading characters, other tables.
        const neighbours = [`${loc.key}2/part-00000.parquet`, `${loc.key}_backup/part-00000.parquet`];
        for (const k of [...data, ...neighbours]) await storage.putObject(bucket, k, 'rows');
        assert.deepEqual(await keysUnder(bucket, `${loc.key}/`), [...data].sort());

        const ext = await server.request('POST', `${db}/tables`, {
          token,
          body: table('ext', 'EXTERNAL_TABLE', `s3://${bucket}/external/ext`),
        });
        assert.equal(ext.status, 201, ext.text);
        await storage.putObject(bucket, 'external/ext/part-0', 'theirs');

        for (const name of ['orders', 'ext']) {
          const dropped = await server.request('DELETE', `${db}/tables/${name}`, {
            token,
            query: { delete_data: true },
          });
          assert.equal(dropped.status, 200, dropped.text);
        }
        assert.deepEqual(await keysUnder(bucket, `${loc.key}/`), [...data].sort(), 'kept while in the recycle bin');
        const purged = await server.request('DELETE', db.replace(/\/catalogs\/.*$/, '/recycle-bin'), { token });
        assert.equal(purged.status, 200, purged.text);
        assert.deepEqual(await keysUnder(bucket, `${loc.key}/`), [], "the managed table's objects are gone at purge");
        assert.deepEqual(await keysUnder(bucket, loc.key), [...neighbours].sort(), 'its neighbours stay');
        assert.deepEqual(
          await keysUnder(bucket, 'external/'),
          ['external/ext/part-0'],
          "an external table's data stays",
        );
      },
    );

    test('file:// locations are refused: no local warehouse backs them', async () => {
      const r = await server.request('POST', `${db}/tables`, {
        token,
        body: table('local_one', 'MANAGED_TABLE', `file://${server.dataDir}/warehouse/${bucket}/t`),
      });
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.error_msg, /file:\/\/ locations need the local storage backend/);
    });

    test('metadata discovery scans S3: Parquet files in partition folders become a partitioned table', async () => {
      const root = `instances/${instanceId}/landing`;
      for (const dt of ['2024-01-01', '2024-01-02']) {
        await storage.putObject(
          bucket,
          `${root}/clicks/dt=${dt}/part-0.parquet`,
          Buffer.from(
            parquetWriteBuffer({
              columnData: [
                { name: 'id', data: new Int32Array([1, 2]), type: 'INT32' },
                { name: 'url', data: ['a', 'b'], type: 'STRING' },
              ],
            }),
          ),
        );
      }
      await storage.putObject(bucket, `${root}/clicks/_SUCCESS`, '');
      const created = await server.request('POST', jobs, {
        token,
        body: {
          name: 'disc_s3',
          type: 'METADATA_DISCOVERY',
          parameter: {
            metadata_discovery_parameter: {
              data_location: `s3://${bucket}/${root}`,
              target_catalog: 'hive',
              target_database: 'landing',
            },
          },
        },
      });
      assert.equal(created.status, 200, created.text);
      assert.equal((await server.request('POST', `${jobs}/${created.json.id}/start`, { token })).status, 200);
      let job: any;
      for (let i = 0; i < 200; i++) {
        job = (await server.request('GET', `${jobs}/${created.json.id}`, { token })).json;
        if (!['SUBMITTED', 'RUNNING'].includes(job.status)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(job.status, 'SUCCESS', JSON.stringify(job));
      const t = await server.request('GET', `${db.replace(/sales$/, 'landing')}/tables/clicks`, { token });
      assert.equal(t.status, 200, t.text);
      assert.equal(t.json.storage_descriptor.location, `s3://${bucket}/${root}/clicks`);
      assert.deepEqual(t.json.storage_descriptor.columns, [
        { column_name: 'id', column_type: 'int' },
        { column_name: 'url', column_type: 'string' },
      ]);
      assert.deepEqual(t.json.partition_keys, [{ column_name: 'dt', column_type: 'date' }]);
      const parts = await server.request('GET', `${db.replace(/sales$/, 'landing')}/tables/clicks/partitions`, {
        token,
      });
      assert.equal(parts.json.partitions.length, 2);
    });
  });
}

test('a store that cannot be reached stops the start, with an error that names no secret', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-'));
  const secret = 'e2e-secret-never-printed';
  try {
    await assert.rejects(
      startServer(
        { name: 'sqlite' },
        {
          dataDir,
          process: true,
          env: { ...s3.env, LAKEFORM_S3_ENDPOINT: `http://127.0.0.1:${port}`, LAKEFORM_S3_SECRET_ACCESS_KEY: secret },
        },
      ),
      (e: Error) =>
        /exited with 1 before listening/.test(e.message) &&
        /HeadBucket on bucket 'lakeform' failed: .*ECONNREFUSED/.test(e.message) &&
        !e.message.includes(secret),
    );
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
