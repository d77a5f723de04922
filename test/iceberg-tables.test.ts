// Iceberg tables over the REST catalog on both metadata stores: each is a LakeCat table of format
// ICEBERG whose metadata file lives in the local warehouse, so both APIs and the files must agree.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IcebergRestCatalog } from 'iceberg-js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  type TestServer,
} from './helpers/server.js';

const user = (name: string) => ({ principal_name: name, principal_source: 'IAM', principal_type: 'USER' });

// Ids in the request are the client's own; the server must renumber them.
const SCHEMA = {
  type: 'struct',
  'schema-id': 7,
  'identifier-field-ids': [50],
  fields: [
    { id: 50, name: 'id', required: true, type: 'long' },
    { id: 51, name: 'ts', required: false, type: 'timestamptz' },
    { id: 52, name: 'price', required: false, type: 'decimal(10,2)', doc: 'in euros' },
    {
      id: 53,
      name: 'address',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 60, name: 'city', required: false, type: 'string' },
          { id: 61, name: 'zip', required: false, type: 'int' },
        ],
      },
    },
    {
      id: 54,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 70, element: 'string', 'element-required': false },
    },
    {
      id: 55,
      name: 'attrs',
      required: false,
      type: { type: 'map', 'key-id': 80, key: 'string', 'value-id': 81, value: 'double', 'value-required': true },
    },
  ],
};

for (const backend of await backends()) {
  describe(`iceberg tables (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let prefix: string;
    const ice = (
      method: string,
      p: string,
      o: { body?: unknown; query?: Record<string, string | number>; t?: string; headers?: Record<string, string> } = {},
    ) =>
      server.request(method, `/iceberg/v1${p}`, {
        headers: { Authorization: `Bearer ${o.t ?? token}`, ...o.headers },
        body: o.body,
        query: o.query,
      });
    const tables = (namespace: string) => `/${prefix}/namespaces/${namespace}/tables`;
    const lf = () => `/v1/${project}/instances/${instance}/catalogs/lake/databases`;
    /** Where the local backend keeps an object of a storage location. */
    const fileOf = (location: string): string => {
      const m = /^(obs|s3|file):\/\/([^/]*)(\/.*)$/.exec(location);
      assert.ok(m, location);
      return m[1] === 'file'
        ? (m[3] as string)
        : path.join(server.dataDir, 'warehouse', m[2] as string, (m[3] as string).slice(1));
    };
    /** The engine form of a stored location: the local backend's folder (docs/metastore.md, one rule). */
    const engineOf = (stored: string): string => `file://${fileOf(stored)}`;
    const create = (namespace: string, name: string, extra: Record<string, unknown> = {}) =>
      ice('POST', tables(namespace), {
        body: {
          name,
          schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'int' }] },
          ...extra,
        },
      });

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_tables');
      prefix = await createIcebergCatalog(server, token, project, instance);
      for (const n of ['sales', 'other'])
        assert.equal((await ice('POST', `/${prefix}/namespaces`, { body: { namespace: [n] } })).status, 200);
    });
    after(async () => {
      await server?.stop();
    });

    test('config advertises the table endpoints', async () => {
      const r = await ice('GET', '/config', { query: { warehouse: `${instance}/lake` } });
      for (const e of [
        'GET /v1/{prefix}/namespaces/{namespace}/tables',
        'POST /v1/{prefix}/namespaces/{namespace}/tables',
        'GET /v1/{prefix}/namespaces/{namespace}/tables/{table}',
        'HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}',
        'DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}',
        'POST /v1/{prefix}/tables/rename',
      ]) {
        assert.ok(r.json.endpoints.includes(e), e);
      }
      assert.ok(r.json.endpoints.includes('POST /v1/{prefix}/namespaces/{namespace}/tables/{table}'), 'commits');
    });

    test('create writes v2 metadata with fresh ids, and load reads it back', async () => {
      const r = await ice('POST', tables('sales'), {
        body: {
          name: 'Orders',
          schema: SCHEMA,
          properties: { owner_team: 'sales' },
          'partition-spec': {
            'spec-id': 3,
            fields: [
              { name: 'ts_day', transform: 'day', 'source-id': 51, 'field-id': 4000 },
              { name: 'zip_b', transform: 'bucket[8]', 'source-id': 61 },
            ],
          },
          'write-order': {
            'order-id': 5,
            fields: [{ transform: 'identity', 'source-id': 50, direction: 'desc', 'null-order': 'nulls-last' }],
          },
        },
      });
      assert.equal(r.status, 200, r.text);
      const m = r.json.metadata;
      assert.equal(m['format-version'], 2);
      assert.match(m['table-uuid'], /^[0-9a-f-]{36}$/);
      const ids = (s: { fields: { id: number; name: string; type: unknown }[] }) => s.fields.map((f) => [f.name, f.id]);
      const schema = m.schemas[0];
      assert.equal(schema['schema-id'], 0);
      assert.equal(m['current-schema-id'], 0);
      // Top-level fields first, then nested ones in order.
      assert.deepEqual(ids(schema), [
        ['id', 1],
        ['ts', 2],
        ['price', 3],
        ['address', 4],
        ['tags', 5],
        ['attrs', 6],
      ]);
      assert.deepEqual(ids(schema.fields[3].type), [
        ['city', 7],
        ['zip', 8],
      ]);
      assert.equal(schema.fields[4].type['element-id'], 9);
      assert.deepEqual([schema.fields[5].type['key-id'], schema.fields[5].type['value-id']], [10, 11]);
      assert.deepEqual(schema['identifier-field-ids'], [1]);
      assert.equal(m['last-column-id'], 11);
      assert.deepEqual(m['partition-specs'], [
        {
          'spec-id': 0,
          fields: [
            { name: 'ts_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
            { name: 'zip_b', transform: 'bucket[8]', 'source-id': 8, 'field-id': 1001 },
          ],
        },
      ]);
      assert.equal(m['default-spec-id'], 0);
      assert.equal(m['last-partition-id'], 1001);
      assert.deepEqual(m['sort-orders'], [
        {
          'order-id': 1,
          fields: [{ transform: 'identity', 'source-id': 1, direction: 'desc', 'null-order': 'nulls-last' }],
        },
      ]);
      assert.equal(m['default-sort-order-id'], 1);
      assert.deepEqual(m.properties, { owner_team: 'sales' });
      assert.equal(m['current-snapshot-id'], -1);
      assert.deepEqual([m.snapshots, m['snapshot-log'], m['metadata-log'], m.refs], [[], [], [], {}]);
      const db = (await server.request('GET', `${lf()}/sales`, { token })).json;
      assert.equal(m.location, engineOf(`${db.location}/orders`));
      assert.match(
        r.json['metadata-location'],
        new RegExp(`^${m.location}/metadata/00000-[0-9a-f-]{36}\\.metadata\\.json$`),
      );
      assert.deepEqual(r.json.config, {});

      // The file sits where the engine was told, and keeps the stored obs:// form inside.
      const onDisk = JSON.parse(fs.readFileSync(new URL(r.json['metadata-location']), 'utf8'));
      assert.equal(onDisk.location, `${db.location}/orders`);
      assert.deepEqual({ ...onDisk, location: engineOf(onDisk.location) }, m);
      for (const k of [
        'format-version',
        'table-uuid',
        'location',
        'last-sequence-number',
        'last-updated-ms',
        'last-column-id',
        'current-schema-id',
        'schemas',
        'default-spec-id',
        'partition-specs',
        'last-partition-id',
        'default-sort-order-id',
        'sort-orders',
      ])
        assert.ok(k in onDisk, k);

      const loaded = await ice('GET', `${tables('sales')}/orders`);
      assert.equal(loaded.status, 200, loaded.text);
      assert.deepEqual(loaded.json, r.json);
    });

    test('the table is a LakeCat ICEBERG table with Hive columns and the metadata location', async () => {
      const shown = await server.request('GET', `${lf()}/sales/tables/orders`, { token });
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.json.table_format, 'ICEBERG');
      assert.equal(shown.json.table_type, 'EXTERNAL_TABLE');
      assert.deepEqual(shown.json.storage_descriptor.columns, [
        { column_name: 'id', column_type: 'bigint' },
        { column_name: 'ts', column_type: 'timestamp' },
        { column_name: 'price', column_type: 'decimal(10,2)', comment: 'in euros' },
        { column_name: 'address', column_type: 'struct<city:string,zip:int>' },
        { column_name: 'tags', column_type: 'array<string>' },
        { column_name: 'attrs', column_type: 'map<string,double>' },
      ]);
      const loaded = await ice('GET', `${tables('sales')}/orders`);
      assert.equal(shown.json.parameters.table_type, 'ICEBERG');
      // LakeFormation keeps obs://; engines get the same paths as file:// on the local backend.
      assert.match(shown.json.parameters.metadata_location, /^obs:\/\//);
      assert.equal(engineOf(shown.json.parameters.metadata_location), loaded.json['metadata-location']);
      assert.equal(engineOf(shown.json.storage_descriptor.location), loaded.json.metadata.location);
    });

    test('create honours a location in the request, and refuses one outside the storage', async () => {
      const db = (await server.request('GET', `${lf()}/other`, { token })).json;
      const location = `${db.location}/elsewhere/placed`;
      const r = await create('other', 'placed', { location: `${location}/` });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.metadata.location, engineOf(location));
      assert.ok(r.json['metadata-location'].startsWith(`${engineOf(location)}/metadata/`));
      assert.ok(fs.existsSync(new URL(r.json['metadata-location'])));
      assert.equal(
        (await server.request('GET', `${lf()}/other/tables/placed`, { token })).json.storage_descriptor.location,
        location,
      );
      const outside = await create('other', 'outside', { location: 'hdfs://nn/x' });
      assert.equal(outside.status, 400, outside.text);
      assert.equal((await ice('HEAD', `${tables('other')}/outside`)).status, 404);
      assert.equal((await ice('DELETE', `${tables('other')}/placed`)).status, 204);
    });

    test(
      'engines may send file://, s3a:// or obs:// paths, all stored as ' + 'obs://; no scheme or .. escapes the guards',
      async () => {
        const db = (await server.request('GET', `${lf()}/other`, { token })).json;
        const stored = `${db.location}/via_file`;
        const r = await create('other', 'via_file', {
          location: engineOf(stored),
          properties: { 'write.data.path': `${engineOf(stored)}/d` },
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.metadata.location, engineOf(stored));
        assert.equal(r.json.metadata.properties['write.data.path'], `${engineOf(stored)}/d`);
        assert.ok(fs.existsSync(new URL(r.json['metadata-location'])));
        const shown = (await server.request('GET', `${lf()}/other/tables/via_file`, { token })).json;
        assert.equal(shown.storage_descriptor.location, stored);
        assert.equal(shown.parameters['write.data.path'], `${stored}/d`);
        const viaS3a = await create('other', 'via_s3a', { location: `${stored.replace(/^obs:/, 's3a:')}2` });
        assert.equal(viaS3a.status, 200, viaS3a.text);
        assert.equal(viaS3a.json.metadata.location, `${engineOf(stored)}2`);

        const warehouse = path.join(server.dataDir, 'warehouse');
        const escapes: [string, number][] = [
          [`${engineOf(db.location)}/../../x`, 400],
          [`file://${warehouse}/../outside`, 400],
          ['file:///etc/lakeform', 400],
          [`${stored.replace(/^obs:/, 's3a:')}/../../../x`, 400],
          [`s3a://lakeform/instances/not-${instance}/x`, 403],
          [`file://${warehouse}/lakeform/instances/not-${instance}/x`, 403],
        ];
        for (const [location, status] of escapes) {
          const refused = await create('other', 'escape', { location });
          assert.equal(refused.status, status, `${location}: ${refused.text}`);
          const moved = await ice('POST', `${tables('other')}/via_file`, {
            body: {
              requirements: [],
              updates: [{ action: 'set-properties', updates: { 'write.data.path': location } }],
            },
          });
          assert.equal(moved.status, status, `write.data.path ${location}: ${moved.text}`);
        }
        assert.equal((await ice('HEAD', `${tables('other')}/escape`)).status, 404);

        // A namespace's location too: given as file://, shown so, stored as obs://.
        const nsStored = `${db.location.replace(/\/other\.db$/, '')}/placed_ns`;
        const ns = await ice('POST', `/${prefix}/namespaces`, {
          body: { namespace: ['placed_ns'], properties: { location: engineOf(nsStored) } },
        });
        assert.equal(ns.status, 200, ns.text);
        assert.equal(ns.json.properties.location, engineOf(nsStored));
        assert.equal(
          (await ice('GET', `/${prefix}/namespaces/placed_ns`)).json.properties.location,
          engineOf(nsStored),
        );
        assert.equal((await server.request('GET', `${lf()}/placed_ns`, { token })).json.location, nsStored);
        for (const t of ['via_file', 'via_s3a'])
          assert.equal((await ice('DELETE', `${tables('other')}/${t}`)).status, 204);
        assert.equal((await ice('DELETE', `/${prefix}/namespaces/placed_ns`)).status, 204);
      },
    );

    test('every primitive type has its Hive column type', async () => {
      const types: [string, string][] = [
        ['boolean', 'boolean'],
        ['int', 'int'],
        ['float', 'float'],
        ['double', 'double'],
        ['date', 'date'],
        ['timestamp', 'timestamp'],
        ['time', 'string'],
        ['string', 'string'],
        ['uuid', 'string'],
        ['binary', 'binary'],
        ['fixed[16]', 'binary'],
        ['decimal(38, 0)', 'decimal(38,0)'],
      ];
      const r = await ice('POST', tables('other'), {
        body: {
          name: 'typed',
          schema: {
            type: 'struct',
            fields: types.map(([t], i) => ({ id: i + 1, name: `c${i}`, required: false, type: t })),
          },
        },
      });
      assert.equal(r.status, 200, r.text);
      const shown = await server.request('GET', `${lf()}/other/tables/typed`, { token });
      assert.deepEqual(
        shown.json.storage_descriptor.columns.map((c: { column_type: string }) => c.column_type),
        types.map(([, h]) => h),
      );
      assert.equal(
        (await ice('DELETE', `${tables('other')}/typed`, { query: { purgeRequested: 'true' } })).status,
        204,
      );
    });

    test('create refuses an existing table, a missing namespace and bad schemas; staging creates nothing', async () => {
      const again = await create('sales', 'orders');
      assert.equal(again.status, 409, again.text);
      assert.equal(again.json.error.type, 'AlreadyExistsException');
      const noNs = await create('nowhere', 't');
      assert.equal(noNs.status, 404);
      assert.equal(noNs.json.error.type, 'NoSuchNamespaceException');
      // A staged create answers with metadata but creates nothing until its commit.
      const staged = await create('sales', 'staged', { 'stage-create': true });
      assert.equal(staged.status, 200, staged.text);
      assert.equal(staged.json['metadata-location'], undefined);
      assert.equal(
        (
          await ice('POST', tables('sales'), {
            body: { name: 'bad', schema: { type: 'struct', fields: [{ id: 1, name: 'x', type: 'nonsense' }] } },
          })
        ).status,
        400,
      );
      const badSource = await create('sales', 'bad', {
        'partition-spec': { fields: [{ name: 'p', transform: 'identity', 'source-id': 99 }] },
      });
      assert.equal(badSource.status, 400, badSource.text);
      assert.equal((await ice('HEAD', `${tables('sales')}/bad`)).status, 404);
      assert.equal((await ice('HEAD', `${tables('sales')}/staged`)).status, 404);
    });

    test('a table created through LakeFormation is not an Iceberg table', async () => {
      const t = await server.request('POST', `${lf()}/sales/tables`, {
        token,
        body: {
          table_name: 'hive_t',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
        },
      });
      assert.equal(t.status, 201, t.text);
      const listed = await ice('GET', tables('sales'));
      assert.equal(listed.status, 200, listed.text);
      assert.ok(!listed.json.identifiers.some((i: { name: string }) => i.name === 'hive_t'), listed.text);
      const loaded = await ice('GET', `${tables('sales')}/hive_t`);
      assert.equal(loaded.status, 404);
      assert.equal(loaded.json.error.type, 'NoSuchTableException');
      assert.match(loaded.json.error.message, /not an Iceberg table/);
      assert.equal((await ice('DELETE', `${tables('sales')}/hive_t`)).status, 404);
      assert.equal((await server.request('GET', `${lf()}/sales/tables/hive_t`, { token })).status, 200, 'still there');
    });

    test('listing pages with pageSize and pageToken', async () => {
      for (const n of ['l1', 'l2', 'l3', 'l4']) assert.equal((await create('other', n)).status, 200);
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const r = await ice('GET', tables('other'), { query: { pageSize: 3, ...(pageToken ? { pageToken } : {}) } });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.identifiers.length <= 3);
        for (const i of r.json.identifiers) assert.deepEqual(i.namespace, ['other']);
        seen.push(...r.json.identifiers.map((i: { name: string }) => i.name));
        pageToken = r.json['next-page-token'];
        pages++;
      } while (pageToken && pages < 10);
      assert.deepEqual(seen.sort(), ['l1', 'l2', 'l3', 'l4']);
      assert.equal(pages, 2);
      assert.equal((await ice('GET', tables('nowhere'))).status, 404);
      assert.equal((await ice('GET', tables('other'), { query: { pageSize: 0 } })).status, 400);
    });

    test('exists, and load with ETag / If-None-Match', async () => {
      assert.equal((await ice('HEAD', `${tables('sales')}/orders`)).status, 204);
      assert.equal((await ice('HEAD', `${tables('sales')}/nothing`)).status, 404);
      const r = await ice('GET', `${tables('sales')}/orders`);
      const etag = r.headers.get('etag');
      assert.ok(etag?.startsWith('"'), String(etag));
      const same = await ice('GET', `${tables('sales')}/orders`, { headers: { 'If-None-Match': String(etag) } });
      assert.equal(same.status, 304);
      assert.equal(same.text, '');
      const other = await ice('GET', `${tables('sales')}/orders`, { headers: { 'If-None-Match': '"something-else"' } });
      assert.equal(other.status, 200);
      assert.equal(
        (await ice('GET', `${tables('other')}/l1`)).headers.get('etag') === etag,
        false,
        'each metadata file has its own tag',
      );
    });

    test('a load after a commit answers the new metadata, whatever earlier loads answered', async () => {
      const url = `${tables('sales')}/orders`;
      const before = await ice('GET', url);
      assert.equal((await ice('GET', url)).text, before.text, 'the same metadata answers the same bytes');
      const committed = await ice('POST', url, {
        body: { requirements: [], updates: [{ action: 'set-properties', updates: { 'load.after': 'commit' } }] },
      });
      assert.equal(committed.status, 200, committed.text);
      const after = await ice('GET', url);
      assert.equal(after.status, 200);
      assert.equal(after.json['metadata-location'], committed.json['metadata-location']);
      assert.notEqual(after.json['metadata-location'], before.json['metadata-location']);
      assert.equal(after.json.metadata.properties['load.after'], 'commit');
      assert.deepEqual(after.json.config, {});
      assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
      const stale = await ice('GET', url, { headers: { 'If-None-Match': String(before.headers.get('etag')) } });
      assert.equal(stale.status, 200, 'the old tag no longer matches');
      assert.equal(stale.text, after.text);
    });

    test("a load answered again as before is the caller's own, and follows grants, renames and drops", async () => {
      assert.equal((await create('other', 'kept_load')).status, 200);
      const url = `${tables('other')}/kept_load`;
      const first = await ice('GET', url);
      assert.equal(first.status, 200, first.text);
      assert.equal((await ice('GET', url)).text, first.text);
      const refs = await ice('GET', url, { query: { snapshots: 'refs' } });
      assert.equal(refs.status, 200, refs.text);
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'icek', password: 'Ice-kept-pass-1' } },
          })
        ).status,
        201,
      );
      const u = await server.login('icek', 'Ice-kept-pass-1');
      // Loaded by the administrator just now, with nothing written since: not this caller's answer.
      assert.equal((await ice('GET', url, { t: u.token })).status, 404);
      const policy = {
        effect: true,
        principal_list: [user('icek')],
        resource: {
          type: 'TABLE',
          catalogs: [{ name: 'lake', databases: [{ name: 'other', tables: [{ name: 'kept_load' }] }] }],
        },
        permissions: ['SELECT'],
      };
      const grants = `/v1/${project}/instances/${instance}/policies`;
      assert.equal((await server.request('POST', `${grants}/grant`, { token, body: policy })).status, 200);
      const granted = await ice('GET', url, { t: u.token });
      assert.equal(granted.status, 200, granted.text);
      assert.equal(granted.json['metadata-location'], first.json['metadata-location']);
      assert.equal((await server.request('POST', `${grants}/revoke`, { token, body: policy })).status, 200);
      assert.equal((await ice('GET', url, { t: u.token })).status, 404, 'refused again after the revoke');
      const id = (name: string) => ({ namespace: ['other'], name });
      const renamed = await ice('POST', `/${prefix}/tables/rename`, {
        body: { source: id('kept_load'), destination: id('kept_load2') },
      });
      assert.equal(renamed.status, 204, renamed.text);
      assert.equal((await ice('GET', url)).status, 404, 'the old name is gone');
      const moved = await ice('GET', `${tables('other')}/kept_load2`);
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.json['metadata-location'], first.json['metadata-location']);
      assert.equal((await ice('DELETE', `${tables('other')}/kept_load2`)).status, 204);
      const dropped = await ice('GET', `${tables('other')}/kept_load2`);
      assert.equal(dropped.status, 404, dropped.text);
      assert.equal(dropped.json.error.type, 'NoSuchTableException');
    });

    test("a load's or commit's warehouse refuses before its body, namespace or table does", async () => {
      assert.equal(
        (await server.request('POST', '/v3/projects', { token, body: { project: { name: 'ice-commit-other' } } }))
          .status,
        201,
      );
      const foreign = await server.login('admin', server.adminPassword, 'ice-commit-other');
      const url = `${tables('sales')}/orders`;
      for (const body of [
        { requirements: [], updates: [{ action: 'set-location', location: 'file:///a/../b' }] },
        { requirements: [], updates: [] },
      ]) {
        for (const [t, target] of [
          [foreign.token, url],
          [foreign.token, `${tables('sales')}/nothing`],
        ] as const) {
          const r = await ice('POST', target, { t, body });
          assert.equal(r.status, 404, r.text);
          assert.equal(r.json.error.type, 'NoSuchWarehouseException', r.text);
        }
      }
      for (const target of [url, `${tables('sales')}/nothing`, `${tables('a.b')}/orders`]) {
        const r = await ice('GET', target, { t: foreign.token });
        assert.equal(r.status, 404, r.text);
        assert.equal(r.json.error.type, 'NoSuchWarehouseException', r.text);
      }
      assert.equal((await ice('GET', `${tables('a.b')}/orders`)).status, 400);
      const bad = await ice('POST', url, {
        body: { requirements: [], updates: [{ action: 'set-location', location: 'file:///a/../b' }] },
      });
      assert.equal(bad.status, 400, bad.text);
      const missing = await ice('POST', `${tables('sales')}/nothing`, { body: { requirements: [], updates: [] } });
      assert.equal(missing.status, 404, missing.text);
      assert.equal(missing.json.error.type, 'NoSuchTableException');
      const done = await ice('POST', url, { body: { requirements: [], updates: [] } });
      assert.equal(done.status, 200, done.text);
    });

    test('drop without purge keeps the files; with purge removes them', async () => {
      const kept = await create('other', 'kept');
      const purged = await create('other', 'purged');
      const keptFile = fileOf(kept.json['metadata-location']);
      const purgedFile = fileOf(purged.json['metadata-location']);
      assert.ok(fs.existsSync(keptFile) && fs.existsSync(purgedFile));
      assert.equal((await ice('DELETE', `${tables('other')}/kept`)).status, 204);
      assert.equal(
        (await ice('DELETE', `${tables('other')}/purged`, { query: { purgeRequested: 'true' } })).status,
        204,
      );
      assert.ok(fs.existsSync(keptFile), 'a plain drop leaves the files');
      assert.ok(!fs.existsSync(purgedFile), 'a purge removes them');
      for (const n of ['kept', 'purged']) {
        assert.equal((await ice('HEAD', `${tables('other')}/${n}`)).status, 404);
        assert.equal((await server.request('GET', `${lf()}/other/tables/${n}`, { token })).status, 404);
      }
      const again = await ice('DELETE', `${tables('other')}/kept`);
      assert.equal(again.status, 404);
      assert.equal(again.json.error.type, 'NoSuchTableException');
    });

    test('rename within a namespace; 404 and 409 as the spec says', async () => {
      assert.equal((await create('other', 'before')).status, 200);
      const id = (namespace: string, name: string) => ({ namespace: [namespace], name });
      const r = await ice('POST', `/${prefix}/tables/rename`, {
        body: { source: id('other', 'before'), destination: id('other', 'after') },
      });
      assert.equal(r.status, 204, r.text);
      assert.equal((await ice('HEAD', `${tables('other')}/before`)).status, 404);
      const loaded = await ice('GET', `${tables('other')}/after`);
      assert.equal(loaded.status, 200, loaded.text);
      assert.ok(fs.existsSync(fileOf(loaded.json['metadata-location'])));
      const missing = await ice('POST', `/${prefix}/tables/rename`, {
        body: { source: id('other', 'before'), destination: id('other', 'x') },
      });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.type, 'NoSuchTableException');
      const taken = await ice('POST', `/${prefix}/tables/rename`, {
        body: { source: id('other', 'after'), destination: id('other', 'l1') },
      });
      assert.equal(taken.status, 409, taken.text);
      assert.equal(taken.json.error.type, 'AlreadyExistsException');
      const noNs = await ice('POST', `/${prefix}/tables/rename`, {
        body: { source: id('other', 'after'), destination: id('nowhere', 'x') },
      });
      assert.equal(noNs.status, 404);
      assert.equal(noNs.json.error.type, 'NoSuchNamespaceException');
      assert.equal(
        (await ice('POST', `/${prefix}/tables/rename`, { body: { source: id('other', 'after') } })).status,
        400,
      );
    });

    test(
      'a user without grants sees nothing; a table grant shows that ' + 'table; another project sees nothing',
      async () => {
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'icet', password: 'Ice-tables-pass-1' } },
            })
          ).status,
          201,
        );
        const u = await server.login('icet', 'Ice-tables-pass-1');
        assert.equal((await ice('GET', tables('sales'), { t: u.token })).status, 404);
        assert.equal((await ice('GET', `${tables('sales')}/orders`, { t: u.token })).status, 404);
        assert.equal((await ice('HEAD', `${tables('sales')}/orders`, { t: u.token })).status, 404);
        assert.equal((await ice('DELETE', `${tables('sales')}/orders`, { t: u.token })).status, 404);
        const g = await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
          token,
          body: {
            effect: true,
            principal_list: [user('icet')],
            resource: {
              type: 'TABLE',
              catalogs: [{ name: 'lake', databases: [{ name: 'other', tables: [{ name: 'l1' }] }] }],
            },
            permissions: ['SELECT'],
          },
        });
        assert.equal(g.status, 200, g.text);
        const listed = await ice('GET', tables('other'), { t: u.token });
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.json.identifiers, [{ namespace: ['other'], name: 'l1' }]);
        assert.equal((await ice('GET', `${tables('other')}/l1`, { t: u.token })).status, 200);
        const drop = await ice('DELETE', `${tables('other')}/l1`, { t: u.token });
        assert.equal(drop.status, 403, drop.text);
        assert.equal(drop.json.error.type, 'ForbiddenException');
        assert.equal((await ice('HEAD', `${tables('other')}/l1`)).status, 204, 'still there');

        assert.equal(
          (await server.request('POST', '/v3/projects', { token, body: { project: { name: 'ice-tables-other' } } }))
            .status,
          201,
        );
        const other = await server.login('admin', server.adminPassword, 'ice-tables-other');
        assert.equal((await ice('GET', tables('sales'), { t: other.token })).status, 404);
        assert.equal((await ice('GET', `${tables('sales')}/orders`, { t: other.token })).status, 404);
        assert.equal((await ice('DELETE', `${tables('sales')}/orders`, { t: other.token })).status, 404);
        assert.equal((await ice('HEAD', `${tables('sales')}/orders`)).status, 204, 'still there');
      },
    );

    test(
      'iceberg-js, a third-party client, creates, loads, commits, ' +
        'lists, renames across namespaces, registers and drops a table',
      async () => {
        const catalog = new IcebergRestCatalog({
          baseUrl: `${server.url}/iceberg/`,
          warehouse: `${instance}/lake`,
          auth: { type: 'bearer', token },
        });
        const created = await catalog.createTable({ namespace: ['sales'] }, {
          name: 'via_js',
          schema: {
            type: 'struct',
            fields: [
              { id: 1, name: 'id', type: 'long', required: true },
              { id: 2, name: 'name', type: 'string', required: false },
            ],
          },
          'partition-spec': { 'spec-id': 0, fields: [{ name: 'id_bucket', transform: 'bucket[4]', 'source-id': 1 }] },
        } as Parameters<typeof catalog.createTable>[1]);
        assert.equal(created['format-version'], 2);
        const loaded = await catalog.loadTable({ namespace: ['sales'], name: 'via_js' });
        assert.equal(loaded['table-uuid'], created['table-uuid']);
        assert.equal(await catalog.tableExists({ namespace: ['sales'], name: 'via_js' }), true);
        const names = (await catalog.listTables({ namespace: ['sales'] })).identifiers.map((i) => i.name);
        assert.ok(names.includes('via_js') && names.includes('orders') && !names.includes('hive_t'), names.join(','));
        // A commit through the client: an appended snapshot and a property, guarded by the table's uuid.
        const committed = await catalog.commitTable({ namespace: ['sales'], name: 'via_js' }, {
          requirements: [
            { type: 'assert-table-uuid', uuid: created['table-uuid'] },
            { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
          ],
          updates: [
            {
              action: 'add-snapshot',
              snapshot: {
                'snapshot-id': 42,
                'sequence-number': 1,
                'timestamp-ms': Date.now(),
                'manifest-list': 'obs://x/snap-42.avro',
                summary: { operation: 'append' },
                'schema-id': 0,
              },
            },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 42 },
            { action: 'set-properties', updates: { 'written.by': 'iceberg-js' } },
          ],
        } as Parameters<typeof catalog.commitTable>[1]);
        assert.equal(committed.metadata['current-snapshot-id'], 42);
        const reloaded = await catalog.loadTable({ namespace: ['sales'], name: 'via_js' });
        assert.equal(reloaded.properties?.['written.by'], 'iceberg-js');
        // A nested namespace and a rename into it, then register the table's metadata under another name.
        await catalog.createNamespace({ namespace: ['sales', 'archive'] });
        const children = await catalog.listNamespaces({ parent: { namespace: ['sales'] } });
        assert.deepEqual(children.namespaces, [{ namespace: ['sales', 'archive'] }]);
        await catalog.renameTable({
          source: { namespace: ['sales'], name: 'via_js' },
          destination: { namespace: ['sales', 'archive'], name: 'via_js2' },
        });
        assert.equal(await catalog.tableExists({ namespace: ['sales'], name: 'via_js' }), false);
        assert.equal(await catalog.tableExists({ namespace: ['sales', 'archive'], name: 'via_js2' }), true);
        const location = (await ice('GET', `/${prefix}/namespaces/sales%1Farchive/tables/via_js2`)).json[
          'metadata-location'
        ];
        const registered = await catalog.registerTable(
          { namespace: ['sales', 'archive'] },
          { name: 'via_js_copy', 'metadata-location': location },
        );
        assert.equal(registered['table-uuid'], created['table-uuid']);
        await catalog.dropTable({ namespace: ['sales', 'archive'], name: 'via_js_copy' });
        await catalog.dropTable({ namespace: ['sales', 'archive'], name: 'via_js2' }, { purge: true });
        assert.equal(await catalog.tableExists({ namespace: ['sales', 'archive'], name: 'via_js2' }), false);
        await catalog.dropNamespace({ namespace: ['sales', 'archive'] });
      },
    );
  });
}
