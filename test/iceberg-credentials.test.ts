// Iceberg REST credential vending: `X-Iceberg-Access-Delegation: vended-credentials` on a table
// load or create yields `storage-credentials` scoped to the table's location with an expiry,
// loadCredentials refreshes them, and a commit cannot move the table's paths (and with them what
// later credentials reach) to storage the instance may not use. On the local backend the
// credential is lakeform's own scoped key, checked against lakeform's storage listing; on S3 it
// comes from the store's STS with a session policy naming exactly the table's prefix.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '../src/services/iam/request-signature.js';
import { S3ObjectStorage } from '../src/storage/s3-storage.js';
import { startS3Server, type TestS3Server } from './helpers/s3-server.js';
import {
  type Backend,
  backends,
  createRunningInstance,
  startServer,
  storedLocation,
  warehouseFile,
} from './helpers/server.js';
import { type AssumeRoleCall, startSts } from './helpers/sts-server.js';

const VENDED = { 'X-Iceberg-Access-Delegation': 'vended-credentials' };
const KEYS = ['s3.access-key-id', 's3.secret-access-key', 's3.session-token', 's3.session-token-expires-at-ms'];
const SCHEMA = { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const user = (name: string) => ({ principal_name: name, principal_source: 'IAM', principal_type: 'USER' });

interface Cred {
  prefix: string;
  config: Record<string, string>;
}

/**
 * A running server with an instance, catalog `lake`, namespace `sales` and users `reader` (SELECT on orders), `writer`
 * (SELECT, INSERT) and `nobody`.
 */
async function setUp(backend: Backend, env: Record<string, string> = {}) {
  const server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000', ...env } });
  const { token, projectId: project } = await server.login();
  const instance = await createRunningInstance(server, token, project, 'ice_vend');
  const prefix = `${instance}~lake`;
  const ice = (method: string, p: string, o: { body?: unknown; t?: string; headers?: Record<string, string> } = {}) =>
    server.request(method, `/iceberg/v1${p}`, {
      headers: { Authorization: `Bearer ${o.t ?? token}`, ...o.headers },
      body: o.body,
    });
  const ok = async (method: string, p: string, body?: unknown) => {
    const r = await server.request(method, p, { token, body });
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
    return r;
  };
  await ok('POST', `/v1/${project}/instances/${instance}/catalogs`, { catalog_name: 'lake' });
  assert.equal((await ice('POST', `/${prefix}/namespaces`, { body: { namespace: ['sales'] } })).status, 200);
  for (const name of ['orders', 'orders2']) {
    const r = await ice('POST', `/${prefix}/namespaces/sales/tables`, { body: { name, schema: SCHEMA } });
    assert.equal(r.status, 200, r.text);
  }
  const tokens: Record<string, string> = {};
  for (const name of ['reader', 'writer', 'nobody']) {
    await ok('POST', '/v3/users', { user: { name, password: 'Pass-word-123' } });
    tokens[name] = (await server.login(name, 'Pass-word-123')).token;
  }
  const grant = (name: string, permissions: string[]) =>
    ok('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
      effect: true,
      principal_list: [user(name)],
      resource: {
        type: 'TABLE',
        catalogs: [{ name: 'lake', databases: [{ name: 'sales', tables: [{ name: 'orders' }] }] }],
      },
      permissions,
    });
  await grant('reader', ['SELECT']);
  await grant('writer', ['SELECT', 'INSERT']);
  const table = (name: string) => `/${prefix}/namespaces/sales/tables/${name}`;
  return { server, token, project, instance, prefix, ice, ok, tokens, table };
}

const credsOf = (json: { 'storage-credentials'?: Cred[] }): Cred => {
  const list = json['storage-credentials'];
  assert.ok(Array.isArray(list) && list.length === 1, `one storage credential: ${JSON.stringify(list)}`);
  return list[0] as Cred;
};

for (const backend of await backends()) {
  describe(`iceberg vended credentials, local storage (${backend.name})`, () => {
    let env: Awaited<ReturnType<typeof setUp>>;
    let other: string;
    const fileOf = (location: string) => warehouseFile(env.server.dataDir, location);
    /**
     * Lists a bucket with a vended credential through lakeform's own storage listing (the only place its key works).
     */
    async function listWith(c: Record<string, string>, prefix: string) {
      const url =
        `${env.server.url}/v1/${env.project}/obs/buckets/lakeform` + `?limit=1000&prefix=${encodeURIComponent(prefix)}`;
      const headers = signRequest({
        method: 'GET',
        url,
        accessKey: c['s3.access-key-id'] as string,
        secretKey: c['s3.secret-access-key'] as string,
        headers: { 'X-Project-Id': env.project, 'X-Security-Token': c['s3.session-token'] as string },
      });
      const r = await fetch(url, { headers });
      return { status: r.status, json: (await r.json()) as { object_names?: string[] } };
    }
    /** The object key of a location engines get (file:// on the local backend). */
    const keyOf = (location: string) => storedLocation(env.server.dataDir, location).replace(/^obs:\/\/lakeform\//, '');

    before(async () => {
      env = await setUp(backend);
      other = await createRunningInstance(env.server, env.token, env.project, 'ice_vend_other');
      const orders = (await env.ice('GET', env.table('orders'))).json.metadata.location as string;
      for (const f of [`${orders}/data/part-0.parquet`, `${orders}2/data/part-0.parquet`]) {
        fs.mkdirSync(path.dirname(fileOf(f)), { recursive: true });
        fs.writeFileSync(fileOf(f), 'rows');
      }
    });
    after(async () => {
      await env?.server.stop();
    });

    test(
      'a load with the header carries one credential for exactly the ' +
        "table's location, with a future expiry, that reaches orders and " +
        'not orders2',
      async () => {
        const r = await env.ice('GET', env.table('orders'), { headers: VENDED });
        assert.equal(r.status, 200, r.text);
        const c = credsOf(r.json);
        const location = r.json.metadata.location as string;
        assert.equal(c.prefix, location);
        const warehouse = path.join(env.server.dataDir, 'warehouse');
        assert.match(location, new RegExp(`^file://${warehouse}/lakeform/instances/${env.instance}/.*/orders$`));
        for (const k of KEYS) assert.ok(c.config[k], k);
        for (const k of KEYS)
          assert.equal(r.json.config[k], c.config[k], `config mirrors ${k} for clients that read only config`);
        const ttl = Number(c.config['s3.session-token-expires-at-ms']) - Date.now();
        assert.ok(ttl > 60_000 && ttl <= 3_600_000 + 5000, `expires within the hour (${ttl} ms)`);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        assert.ok(r.headers.get('etag'), 'the metadata ETag stays');

        const mine = await listWith(c.config, `${keyOf(location)}/`);
        assert.equal(mine.status, 200, JSON.stringify(mine.json));
        assert.ok(
          mine.json.object_names?.includes(`${keyOf(location)}/data/part-0.parquet`),
          JSON.stringify(mine.json),
        );
        assert.ok(
          mine.json.object_names?.some((n) => n.startsWith(`${keyOf(location)}/metadata/`)),
          'the metadata files too',
        );
        assert.ok(
          mine.json.object_names?.every((n) => n.startsWith(`${keyOf(location)}/`)),
          JSON.stringify(mine.json),
        );
        assert.deepEqual(
          (await listWith(c.config, `${keyOf(location)}2/`)).json.object_names,
          [],
          'the sibling orders2 is outside the scope',
        );
        assert.deepEqual((await listWith(c.config, `instances/${other}/`)).json.object_names, []);
        // A storage credential calls no catalog operation.
        const url = `${env.server.url}/v1/${env.project}/instances/${env.instance}/catalogs`;
        const api = await fetch(url, {
          headers: signRequest({
            method: 'GET',
            url,
            accessKey: c.config['s3.access-key-id'] as string,
            secretKey: c.config['s3.secret-access-key'] as string,
            headers: { 'X-Project-Id': env.project, 'X-Security-Token': c.config['s3.session-token'] as string },
          }),
        });
        assert.equal(api.status, 403);
      },
    );

    test(
      'without the header, or with only a mechanism not served ' +
        '(remote-signing), nothing is vended; a list naming it is ' +
        'honoured',
      async () => {
        for (const headers of [{}, { 'X-Iceberg-Access-Delegation': 'remote-signing' }] as Record<string, string>[]) {
          const r = await env.ice('GET', env.table('orders'), { headers });
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json['storage-credentials'], undefined);
          assert.deepEqual(r.json.config, {});
        }
        const both = await env.ice('GET', env.table('orders'), {
          headers: { 'X-Iceberg-Access-Delegation': 'remote-signing, vended-credentials' },
        });
        assert.equal(credsOf(both.json).prefix, both.json.metadata.location);
      },
    );

    test('a created table carries credentials for its new location when asked', async () => {
      const r = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
        body: { name: 'fresh', schema: SCHEMA },
        headers: VENDED,
      });
      assert.equal(r.status, 200, r.text);
      const c = credsOf(r.json);
      assert.equal(c.prefix, r.json.metadata.location);
      assert.match(c.prefix, /\/fresh$/);
      const listed = await listWith(c.config, `${keyOf(c.prefix)}/`);
      assert.equal(listed.status, 200);
      assert.equal(listed.json.object_names?.length, 1, 'its first metadata file');
      const plain = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
        body: { name: 'fresh_plain', schema: SCHEMA },
      });
      assert.equal(plain.json['storage-credentials'], undefined);
    });

    test('a reader and a writer get credentials; a user without any privilege gets 404 and nothing', async () => {
      for (const who of ['reader', 'writer']) {
        const r = await env.ice('GET', env.table('orders'), { headers: VENDED, t: env.tokens[who] });
        assert.equal(r.status, 200, `${who}: ${r.text}`);
        const c = credsOf(r.json);
        assert.equal((await listWith(c.config, `${keyOf(c.prefix)}/`)).status, 200, who);
      }
      for (const p of [
        env.table('orders'),
        `${env.table('orders')}/credentials`,
        env.table('orders2'),
        `${env.table('orders2')}/credentials`,
      ]) {
        const r = await env.ice('GET', p, { headers: VENDED, t: env.tokens.nobody });
        assert.equal(r.status, 404, `${p}: ${r.text}`);
        assert.match(r.json.error.type, /^NoSuch(Warehouse|Table)Exception$/, p);
        assert.doesNotMatch(r.text, /access-key/);
      }
      // The reader's grant is on orders only.
      assert.equal((await env.ice('GET', `${env.table('orders2')}/credentials`, { t: env.tokens.reader })).status, 404);
    });

    test('a grant on some columns only is no grant of the files: the table loads, nothing is vended', async () => {
      await env.ok('POST', '/v3/users', { user: { name: 'partial', password: 'Pass-word-123' } });
      const partial = (await env.server.login('partial', 'Pass-word-123')).token;
      await env.ok('POST', `/v1/${env.project}/instances/${env.instance}/policies/grant`, {
        effect: true,
        principal_list: [user('partial')],
        permissions: ['SELECT'],
        resource: {
          type: 'COLUMN',
          catalogs: [
            {
              name: 'lake',
              databases: [
                { name: 'sales', tables: [{ name: 'orders', columns: { column_name: ['id'], filter: 'Include' } }] },
              ],
            },
          ],
        },
      });
      const r = await env.ice('GET', env.table('orders'), { headers: VENDED, t: partial });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json['storage-credentials'], undefined, 'data files hold every column');
      const c = await env.ice('GET', `${env.table('orders')}/credentials`, { t: partial });
      assert.equal(c.status, 403, c.text);
      assert.equal(c.json.error.type, 'ForbiddenException');
    });

    test('loadCredentials refreshes: a new key for the same prefix, expiring no earlier, and both work', async () => {
      const loaded = credsOf(
        (await env.ice('GET', env.table('orders'), { headers: VENDED, t: env.tokens.reader })).json,
      );
      await new Promise((r) => setTimeout(r, 5));
      const r = await env.ice('GET', `${env.table('orders')}/credentials`, { t: env.tokens.reader });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.json), ['storage-credentials']);
      const fresh = credsOf(r.json);
      assert.equal(fresh.prefix, loaded.prefix);
      assert.notEqual(fresh.config['s3.access-key-id'], loaded.config['s3.access-key-id']);
      assert.ok(
        Number(fresh.config['s3.session-token-expires-at-ms']) >=
          Number(loaded.config['s3.session-token-expires-at-ms']),
      );
      assert.equal(r.headers.get('cache-control'), 'no-store');
      for (const c of [loaded, fresh]) assert.equal((await listWith(c.config, `${keyOf(c.prefix)}/`)).status, 200);
      assert.equal((await env.ice('HEAD', `${env.table('orders')}/credentials`)).status, 405, 'a HEAD vends nothing');
      const config = await env.ice('GET', `/config?warehouse=${env.instance}/lake`);
      assert.ok(config.json.endpoints.includes('GET /v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials'));
    });

    test(
      'a commit moving the location or a write path to another ' +
        "instance's folder, an unauthorized bucket or a pattern is " +
        'refused and the pointer stays',
      async () => {
        fs.mkdirSync(path.join(env.server.dataDir, 'warehouse', 'authorized', 'ok'), { recursive: true });
        fs.mkdirSync(path.join(env.server.dataDir, 'warehouse', 'elsewhere'), { recursive: true });
        await env.ok('POST', '/v1/authorize-location', { locations: ['obs://authorized/ok'] });
        const before = (await env.ice('GET', env.table('orders'))).json;
        const foreign = `obs://lakeform/instances/${other}/stolen`;
        const refused: [unknown, number][] = [
          [{ action: 'set-location', location: foreign }, 403],
          [{ action: 'set-properties', updates: { 'write.data.path': `${foreign}/data` } }, 403],
          [{ action: 'set-properties', updates: { 'write.metadata.path': 'obs://elsewhere/meta' } }, 403],
          [{ action: 'set-properties', updates: { 'write.object-storage.path': 's3://elsewhere/objects' } }, 403],
          [{ action: 'set-properties', updates: { 'write.folder-storage.path': 'obs://nosuchbucket/x' } }, 400],
          [
            { action: 'set-properties', updates: { 'write.data.path': `obs://lakeform/instances/${env.instance}/*` } },
            400,
          ],
          [
            {
              action: 'set-properties',
              updates: { 'write.data.path': `obs://lakeform/instances/${env.instance}/../${other}` },
            },
            400,
          ],
          [{ action: 'set-properties', updates: { 'write.data.path': 'hdfs://namenode/x' } }, 400],
          [
            {
              action: 'set-location',
              location: `file://${path.join(env.server.dataDir, 'warehouse', 'lakeform', 'instances', other, 'x')}`,
            },
            403,
          ],
        ];
        for (const [update, status] of refused) {
          const r = await env.ice('POST', env.table('orders'), { body: { requirements: [], updates: [update] } });
          assert.equal(r.status, status, `${JSON.stringify(update)}: ${r.status} ${r.text}`);
          assert.equal(r.json.error.type, status === 403 ? 'ForbiddenException' : 'BadRequestException');
        }
        const afterwards = (await env.ice('GET', env.table('orders'))).json;
        assert.equal(afterwards['metadata-location'], before['metadata-location'], 'the pointer did not move');
        assert.ok(
          !fs.existsSync(path.join(env.server.dataDir, 'warehouse', 'lakeform', 'instances', other, 'stolen')),
          'nothing was written there',
        );
        // Inside an authorized location, or unchanged paths, commit as before.
        const allowed = await env.ice('POST', env.table('orders'), {
          body: {
            requirements: [],
            updates: [{ action: 'set-properties', updates: { 'write.data.path': 'obs://authorized/ok/orders-data' } }],
          },
        });
        assert.equal(allowed.status, 200, allowed.text);
        const unrelated = await env.ice('POST', env.table('orders'), {
          body: { requirements: [], updates: [{ action: 'set-properties', updates: { owner: 'x' } }] },
        });
        assert.equal(unrelated.status, 200, unrelated.text);
      },
    );

    test('createTable refuses write paths and locations the instance may not use, and leaves no table', async () => {
      for (const [properties, status] of [
        [{ 'write.data.path': `obs://lakeform/instances/${other}/data` }, 403],
        [{ 'write.metadata.path': 'obs://elsewhere/m' }, 403],
        [{ 'write.data.path': `obs://lakeform/instances/${env.instance}/x*` }, 400],
      ] as [Record<string, string>, number][]) {
        const r = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
          body: { name: 'sneaky', schema: SCHEMA, properties },
        });
        assert.equal(r.status, status, `${JSON.stringify(properties)}: ${r.text}`);
      }
      const located = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
        body: { name: 'sneaky', schema: SCHEMA, location: `obs://lakeform/instances/${other}/t` },
      });
      assert.equal(located.status, 403, located.text);
      assert.equal((await env.ice('HEAD', env.table('sneaky'))).status, 404);
    });

    test(
      'a table whose location holds another table loads without ' + 'credentials, and loadCredentials says why',
      async () => {
        const namespace = (await env.ice('GET', `/${env.prefix}/namespaces/sales`)).json;
        const dbLocation = (
          await env.server.request(
            'GET',
            `/v1/${env.project}/instances/${env.instance}/catalogs/lake/databases/sales`,
            {
              token: env.token,
            },
          )
        ).json.location as string;
        assert.ok(namespace);
        const wide = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
          body: { name: 'wide', schema: SCHEMA, location: dbLocation },
          headers: VENDED,
        });
        assert.equal(wide.status, 200, wide.text);
        assert.equal(wide.json['storage-credentials'], undefined, 'created, but nothing vended');
        const loaded = await env.ice('GET', env.table('wide'), { headers: VENDED });
        assert.equal(loaded.status, 200, loaded.text);
        assert.equal(loaded.json['storage-credentials'], undefined);
        assert.equal(loaded.json.config['s3.access-key-id'], undefined);
        const r = await env.ice('GET', `${env.table('wide')}/credentials`);
        assert.equal(r.status, 403, r.text);
        assert.equal(r.json.error.type, 'ForbiddenException');
        assert.match(r.json.error.message, /also holds table/);
        assert.match(env.server.output(), /no vended credentials for an Iceberg table load/);
      },
    );
  });

  describe(`iceberg vended credentials, S3 storage with an STS (${backend.name})`, () => {
    let s3: TestS3Server;
    let sts: Awaited<ReturnType<typeof startSts>>;
    let env: Awaited<ReturnType<typeof setUp>>;
    const bucket = `ice-vend-${backend.name}`;
    const policyOf = (call: AssumeRoleCall) =>
      JSON.parse(call.Policy) as { Statement: { Action: string[]; Resource: string[] }[] };

    before(async () => {
      s3 = await startS3Server();
      sts = await startSts();
      env = await setUp(backend, {
        ...s3.env,
        LAKEFORM_DEFAULT_BUCKET: bucket,
        LAKEFORM_S3_STS_ENDPOINT: sts.endpoint,
        LAKEFORM_S3_STS_ROLE_ARN: 'arn:aws:iam::000000000000:role/lakeform',
      });
    });
    after(async () => {
      await env?.server.stop();
      await sts?.stop();
      await s3?.stop();
    });

    test(
      "the STS's credential is vended with the store's endpoint, path " +
        "style and region, under a policy of exactly the table's prefix",
      async () => {
        const before = sts.calls.length;
        const r = await env.ice('GET', env.table('orders'), { headers: VENDED });
        assert.equal(r.status, 200, r.text);
        const c = credsOf(r.json);
        assert.equal(c.prefix, r.json.metadata.location);
        assert.equal(c.config['s3.access-key-id'], `ASIASTSVENDED${before + 1}`);
        assert.equal(c.config['s3.session-token'], `vended-session-${before + 1}`);
        assert.ok(Number(c.config['s3.session-token-expires-at-ms']) > Date.now());
        assert.equal(c.config['s3.endpoint'], s3.endpoint);
        assert.equal(c.config['s3.path-style-access'], 'true');
        assert.equal(c.config['client.region'], 'us-east-1');
        const key = c.prefix.replace(/^(obs|s3):\/\/[^/]+\//, '');
        assert.ok(c.prefix.includes(`//${bucket}/`), c.prefix);
        const policy = policyOf(sts.calls[before] as AssumeRoleCall);
        assert.deepEqual(
          policy.Statement[0]?.Resource,
          [`arn:aws:s3:::${bucket}/${key}/*`],
          'orders/ keeps orders2 out',
        );
        assert.ok(policy.Statement[0]?.Action.includes('s3:PutObject'), 'the administrator may write');
        assert.equal((sts.calls[before] as AssumeRoleCall).DurationSeconds, '3600');
      },
    );

    test(
      'on S3 engines get s3:// locations whose metadata object exists; ' +
        's3a:// is accepted; LakeFormation keeps obs://',
      async () => {
        const store = new S3ObjectStorage(s3.settings);
        const r = await env.ice('GET', env.table('orders'));
        assert.equal(r.status, 200, r.text);
        const m = r.json.metadata;
        assert.match(m.location, new RegExp(`^s3://${bucket}/instances/${env.instance}/.*/orders$`));
        const key = (r.json['metadata-location'] as string).replace(`s3://${bucket}/`, '');
        assert.ok(r.json['metadata-location'].startsWith(`${m.location}/metadata/`));
        assert.ok((await store.getObject(bucket, key)).length > 0, 'the metadata file is the object at that key');
        const lf = (
          await env.ok(
            'GET',
            `/v1/${env.project}/instances/${env.instance}/catalogs/lake/databases/sales/tables/orders`,
          )
        ).json;
        assert.equal(lf.parameters.metadata_location, `obs://${bucket}/${key}`);

        const placed = m.location.replace(/^s3:/, 's3a:').replace(/orders$/, 'placed_s3a');
        const made = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
          body: { name: 'placed_s3a', schema: SCHEMA, location: placed },
        });
        assert.equal(made.status, 200, made.text);
        assert.equal(made.json.metadata.location, placed.replace('s3a://', 's3://'));
        const shown = (
          await env.ok(
            'GET',
            `/v1/${env.project}/instances/${env.instance}/catalogs/lake/databases/sales/tables/placed_s3a`,
          )
        ).json;
        assert.equal(shown.storage_descriptor.location, placed.replace('s3a://', 'obs://'));
        // No scheme gets around the guards: a relative segment, a file:// path or another instance's folder.
        for (const [location, status] of [
          [`s3a://${bucket}/instances/${env.instance}/../not-${env.instance}/x`, 400],
          ['file:///tmp/x', 400],
          [`s3a://${bucket}/instances/not-${env.instance}/x`, 403],
        ] as const) {
          const refused = await env.ice('POST', `/${env.prefix}/namespaces/sales/tables`, {
            body: { name: 'escape', schema: SCHEMA, location },
          });
          assert.equal(refused.status, status, `${location}: ${refused.text}`);
        }
      },
    );

    test('a reader gets read-only credentials, a writer read-write; loadCredentials asks the STS again', async () => {
      let at = sts.calls.length;
      const read = await env.ice('GET', env.table('orders'), { headers: VENDED, t: env.tokens.reader });
      assert.equal(read.status, 200, read.text);
      credsOf(read.json);
      assert.deepEqual(policyOf(sts.calls[sts.calls.length - 1] as AssumeRoleCall).Statement[0]?.Action, [
        's3:GetObject',
        's3:GetObjectVersion',
      ]);
      assert.equal(sts.calls.length, at + 1, 'a refused READ_WRITE never reached the STS');
      at = sts.calls.length;
      const write = await env.ice('GET', `${env.table('orders')}/credentials`, { t: env.tokens.writer });
      assert.equal(write.status, 200, write.text);
      assert.equal(sts.calls.length, at + 1);
      assert.ok(policyOf(sts.calls[at] as AssumeRoleCall).Statement[0]?.Action.includes('s3:PutObject'));
      const none = await env.ice('GET', `${env.table('orders')}/credentials`, { t: env.tokens.nobody });
      assert.equal(none.status, 404);
      assert.equal(sts.calls.length, at + 1, 'nothing asked for a user without a privilege');
    });

    test(
      "a commit moving the table into another instance's folder is " + 'refused before any object is written there',
      async () => {
        const before = (await env.ice('GET', env.table('orders'))).json['metadata-location'];
        const seen = s3.requests.length;
        const foreign = `obs://${bucket}/instances/not-${env.instance}/stolen`;
        const r = await env.ice('POST', env.table('orders'), {
          body: { requirements: [], updates: [{ action: 'set-location', location: foreign }] },
        });
        assert.equal(r.status, 403, r.text);
        assert.deepEqual(
          s3.requests.slice(seen).filter((q) => q.includes('/stolen')),
          [],
          'not even a metadata file later removed',
        );
        assert.equal((await env.ice('GET', env.table('orders'))).json['metadata-location'], before);
      },
    );
  });
}

describe('iceberg vended credentials, S3 storage without an STS (sqlite)', () => {
  let s3: TestS3Server;
  let env: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    s3 = await startS3Server();
    env = await setUp({ name: 'sqlite' }, { ...s3.env, LAKEFORM_DEFAULT_BUCKET: 'ice-vend-nosts' });
  });
  after(async () => {
    await env?.server.stop();
    await s3?.stop();
  });

  test(
    "lakeform's own key is not an S3 key: a load vends nothing (the " +
      'engine keeps its own access) and loadCredentials says what to ' +
      'configure',
    async () => {
      const r = await env.ice('GET', env.table('orders'), { headers: VENDED });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json['storage-credentials'], undefined);
      assert.deepEqual(r.json.config, {});
      const c = await env.ice('GET', `${env.table('orders')}/credentials`);
      assert.equal(c.status, 501, c.text);
      assert.equal(c.json.error.type, 'UnsupportedOperationException');
      assert.match(c.json.error.message, /LAKEFORM_S3_STS_ROLE_ARN/);
    },
  );
});

describe('iceberg vended credentials, S3 storage whose STS is down (sqlite)', () => {
  let s3: TestS3Server;
  let env: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    s3 = await startS3Server();
    const sts = await startSts();
    await sts.stop(); // its port now refuses connections
    env = await setUp(
      { name: 'sqlite' },
      {
        ...s3.env,
        LAKEFORM_DEFAULT_BUCKET: 'ice-vend-stsdown',
        LAKEFORM_S3_STS_ENDPOINT: sts.endpoint,
        LAKEFORM_S3_STS_ROLE_ARN: 'arn:aws:iam::000000000000:role/lakeform',
      },
    );
  });
  after(async () => {
    await env?.server.stop();
    await s3?.stop();
  });

  test('a load still succeeds, without credentials, and the failure is logged; loadCredentials fails', async () => {
    const r = await env.ice('GET', env.table('orders'), { headers: VENDED });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json['storage-credentials'], undefined);
    assert.match(env.server.output(), /STS refused AssumeRole[^\n]*|no vended credentials for an Iceberg table load/);
    const c = await env.ice('GET', `${env.table('orders')}/credentials`);
    assert.ok(c.status >= 500, c.text);
    assert.doesNotMatch(c.text, /S3RVER/, "the store's own key never appears");
  });
});
