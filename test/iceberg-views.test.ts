// Iceberg views over the REST catalog on both metadata stores, after the cases of Iceberg's
// ViewCatalogTests: a view is a LakeCat VIRTUAL_VIEW whose metadata file lives in the local
// warehouse; views and tables share one name space; replaces swap the pointer atomically.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  storedLocation,
  type TestServer,
  warehouseFile,
} from './helpers/server.js';

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'city', required: false, type: 'string', doc: 'where' },
  ],
};
const OTHER_SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [{ id: 1, name: 'total', required: false, type: 'long' }],
};
const version = (sql: string, o: Record<string, unknown> = {}) => ({
  'version-id': 1,
  'timestamp-ms': Date.now(),
  'schema-id': 0,
  summary: { 'engine-name': 'spark', 'engine-version': '3.5' },
  representations: [{ type: 'sql', sql, dialect: 'spark' }],
  'default-namespace': ['sales'],
  ...o,
});

for (const backend of await backends()) {
  describe(`iceberg views (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let prefix: string;
    const ice = (
      method: string,
      p: string,
      body?: unknown,
      query?: Record<string, string | number>,
      headers: Record<string, string> = {},
    ) =>
      server.request(method, `/iceberg/v1${p}`, {
        headers: { Authorization: `Bearer ${token}`, ...headers },
        body,
        query,
      });
    const views = (ns = 'sales') => `/${prefix}/namespaces/${ns}/views`;
    const tables = (ns = 'sales') => `/${prefix}/namespaces/${ns}/tables`;
    const lf = (ns: string, name: string) =>
      `/v1/${project}/instances/${instance}/catalogs/lake/databases/${ns}/tables/${name}`;
    const fileOf = (location: string) => warehouseFile(server.dataDir, location);
    const stored = (location: string) => storedLocation(server.dataDir, location);
    /** A metadata file as engines see it: the file keeps the stored obs:// location. */
    const onDisk = (location: string) => {
      const m = JSON.parse(fs.readFileSync(fileOf(location), 'utf8'));
      assert.match(m.location, /^obs:\/\//);
      return { ...m, location: `file://${fileOf(m.location)}` };
    };
    const createView = (name: string, o: Record<string, unknown> = {}, ns = 'sales') =>
      ice('POST', views(ns), {
        name,
        schema: SCHEMA,
        'view-version': version(`select id, city from ${ns}.t`),
        properties: {},
        ...o,
      });
    const createTable = (name: string) =>
      ice('POST', tables(), {
        name,
        schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'int' }] },
      });
    /** A replace as Iceberg's Java client sends it. */
    const replace = (
      name: string,
      sql: string,
      o: { uuid?: string; schema?: unknown; dialect?: string; extra?: unknown[] } = {},
    ) =>
      ice('POST', `${views()}/${name}`, {
        requirements: o.uuid ? [{ type: 'assert-view-uuid', uuid: o.uuid }] : [],
        updates: [
          { action: 'add-schema', schema: o.schema ?? SCHEMA, 'last-column-id': 2 },
          {
            action: 'add-view-version',
            'view-version': version(sql, {
              'version-id': 2,
              'schema-id': -1,
              representations: [{ type: 'sql', sql, dialect: o.dialect ?? 'spark' }],
            }),
          },
          { action: 'set-current-view-version', 'view-version-id': -1 },
          ...(o.extra ?? []),
        ],
      });

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_views');
      prefix = await createIcebergCatalog(server, token, project, instance);
      for (const n of ['sales', 'other'])
        assert.equal((await ice('POST', `/${prefix}/namespaces`, { namespace: [n] })).status, 200);
    });
    after(async () => {
      await server?.stop();
    });

    test('config advertises the view endpoints', async () => {
      const r = await ice('GET', '/config', undefined, { warehouse: `${instance}/lake` });
      for (const e of [
        'GET /v1/{prefix}/namespaces/{namespace}/views',
        'POST /v1/{prefix}/namespaces/{namespace}/views',
        'GET /v1/{prefix}/namespaces/{namespace}/views/{view}',
        'HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}',
        'POST /v1/{prefix}/namespaces/{namespace}/views/{view}',
        'DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}',
        'POST /v1/{prefix}/views/rename',
      ]) {
        assert.ok(r.json.endpoints.includes(e), e);
      }
    });

    test('create, exists, load, drop: the file written is what load returns', async () => {
      assert.equal((await ice('HEAD', `${views()}/basic`)).status, 404);
      const r = await createView('Basic', { properties: { owner_team: 'bi' } });
      assert.equal(r.status, 200, r.text);
      const m = r.json.metadata;
      assert.equal(m['format-version'], 1);
      assert.match(m['view-uuid'], /^[0-9a-f-]{36}$/);
      assert.equal(m['current-version-id'], 1);
      assert.equal(m.versions[0].representations[0].sql, 'select id, city from sales.t');
      assert.deepEqual(m.versions[0]['default-namespace'], ['sales']);
      assert.equal(m.properties.owner_team, 'bi');
      assert.deepEqual(
        m['version-log'].map((e: { 'version-id': number }) => e['version-id']),
        [1],
      );
      assert.match(r.json['metadata-location'], /\/sales\.db\/basic\/metadata\/00000-[0-9a-f-]+\.metadata\.json$/);
      assert.equal(m.location, r.json['metadata-location'].replace(/\/metadata\/[^/]+$/, ''));
      assert.match(m.location, /^file:\/\//, 'engines get file:// locations on the local backend');
      assert.deepEqual(onDisk(r.json['metadata-location']), m);

      assert.equal((await ice('HEAD', `${views()}/basic`)).status, 204);
      const loaded = await ice('GET', `${views()}/basic`);
      assert.equal(loaded.status, 200, loaded.text);
      assert.equal(loaded.json['metadata-location'], r.json['metadata-location']);
      assert.deepEqual(loaded.json.metadata, m);

      const again = await createView('basic');
      assert.equal(again.status, 409);
      assert.equal(again.json.error.type, 'AlreadyExistsException');

      assert.equal((await ice('DELETE', `${views()}/basic`)).status, 204);
      assert.equal((await ice('HEAD', `${views()}/basic`)).status, 404);
      const gone = await ice('GET', `${views()}/basic`);
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.type, 'NoSuchViewException');
      const dropMissing = await ice('DELETE', `${views()}/basic`);
      assert.equal(dropMissing.status, 404);
      assert.equal(dropMissing.json.error.type, 'NoSuchViewException');
      const dropNoNs = await ice('DELETE', `${views('nosuch')}/basic`);
      assert.equal(dropNoNs.status, 404);
      assert.equal(dropNoNs.json.error.type, 'NoSuchViewException', 'a view in a missing namespace is a missing view');
    });

    test('bad creates: missing namespace is 404, two queries for one dialect and bad schemas are 400', async () => {
      const noNs = await createView('v', {}, 'nosuch');
      assert.equal(noNs.status, 404);
      assert.equal(noNs.json.error.type, 'NoSuchNamespaceException');
      const twoSpark = await createView('v2', {
        'view-version': version('select 1', {
          representations: [
            { type: 'sql', sql: 'select 1', dialect: 'spark' },
            { type: 'sql', sql: 'select 2', dialect: 'SPARK' },
          ],
        }),
      });
      assert.equal(twoSpark.status, 400, twoSpark.text);
      assert.equal(twoSpark.json.error.type, 'BadRequestException');
      assert.equal(
        (
          await createView('v3', {
            schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'nope' }] },
          })
        ).status,
        400,
      );
      assert.equal((await createView('v4', { 'view-version': undefined })).status, 400);
      assert.equal((await createView('bad-name!')).status, 400);
      assert.equal((await ice('HEAD', `${views()}/v2`)).status, 404, 'a refused create leaves nothing behind');
      assert.equal((await ice('GET', `${views('nosuch')}`)).status, 404);
    });

    test('list pages views only; listTables does not show views', async () => {
      for (const n of ['l_a', 'l_b', 'l_c', 'l_d', 'l_e']) assert.equal((await createView(n, {}, 'other')).status, 200);
      assert.equal((await ice('POST', tables('other'), { name: 'l_table', schema: SCHEMA })).status, 200);
      const seen: string[] = [];
      let token_: string | undefined;
      let pages = 0;
      do {
        const r = await ice('GET', views('other'), undefined, {
          pageSize: 2,
          ...(token_ ? { pageToken: token_ } : {}),
        });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.identifiers.length <= 2);
        for (const id of r.json.identifiers) {
          assert.deepEqual(id.namespace, ['other']);
          seen.push(id.name);
        }
        token_ = r.json['next-page-token'];
        pages += 1;
      } while (token_ && pages < 10);
      assert.deepEqual(seen.sort(), ['l_a', 'l_b', 'l_c', 'l_d', 'l_e']);
      assert.equal(pages, 3);
      const t = await ice('GET', tables('other'));
      assert.deepEqual(
        t.json.identifiers.map((i: { name: string }) => i.name),
        ['l_table'],
      );
      assert.equal((await ice('GET', views('other'), undefined, { pageSize: 0 })).status, 400);
    });

    test('views and tables share names: clashes are 409, loading one as the other is 404', async () => {
      assert.equal((await createTable('clash_t')).status, 200);
      const v = await createView('clash_t');
      assert.equal(v.status, 409, v.text);
      assert.equal(v.json.error.type, 'AlreadyExistsException');
      assert.equal((await createView('clash_v')).status, 200);
      const t = await createTable('clash_v');
      assert.equal(t.status, 409, t.text);
      assert.equal(t.json.error.type, 'AlreadyExistsException');

      const viewAsTable = await ice('GET', `${tables()}/clash_v`);
      assert.equal(viewAsTable.status, 404);
      assert.equal(viewAsTable.json.error.type, 'NoSuchTableException');
      assert.equal((await ice('HEAD', `${tables()}/clash_v`)).status, 404);
      assert.equal((await ice('DELETE', `${tables()}/clash_v`)).status, 404, 'a table drop does not drop a view');
      assert.equal(
        (await ice('POST', `${tables()}/clash_v`, { requirements: [], updates: [] })).status,
        404,
        'nor does a table commit touch it',
      );
      const tableAsView = await ice('GET', `${views()}/clash_t`);
      assert.equal(tableAsView.status, 404);
      assert.equal(tableAsView.json.error.type, 'NoSuchViewException');
      assert.equal((await ice('HEAD', `${views()}/clash_t`)).status, 404);
      assert.equal((await ice('DELETE', `${views()}/clash_t`)).status, 404, 'a view drop does not drop a table');
      assert.equal((await ice('HEAD', `${tables()}/clash_t`)).status, 204);
      assert.equal((await ice('HEAD', `${views()}/clash_v`)).status, 204);
    });

    test('LakeFormation sees the view as a VIRTUAL_VIEW with its SQL, columns and metadata location', async () => {
      const r = await createView('lf_view', {
        'view-version': version('select id, city from sales.t', {
          representations: [
            { type: 'sql', sql: 'SELECT id, city FROM t', dialect: 'trino' },
            { type: 'sql', sql: 'select id, city from sales.t', dialect: 'spark' },
          ],
        }),
      });
      assert.equal(r.status, 200, r.text);
      const t = await server.request('GET', lf('sales', 'lf_view'), { token });
      assert.equal(t.status, 200, t.text);
      assert.equal(t.json.table_type, 'VIRTUAL_VIEW');
      assert.equal(t.json.table_format, 'ICEBERG');
      assert.equal(t.json.view_original_text, 'select id, city from sales.t', 'the spark SQL, not the first');
      assert.deepEqual(
        t.json.storage_descriptor.columns.map((c: { column_name: string; column_type: string }) => [
          c.column_name,
          c.column_type,
        ]),
        [
          ['id', 'bigint'],
          ['city', 'string'],
        ],
      );
      assert.equal(t.json.parameters.metadata_location, stored(r.json['metadata-location']));
      assert.equal(t.json.parameters.table_type, 'ICEBERG-VIEW');
      // A replace with another schema shows there too.
      const rep = await replace('lf_view', 'select count(*) as total from sales.t', {
        schema: OTHER_SCHEMA,
        extra: [{ action: 'set-properties', updates: { 'replace.drop-dialect.allowed': 'true' } }],
      });
      assert.equal(rep.status, 200, rep.text);
      const after = await server.request('GET', lf('sales', 'lf_view'), { token });
      assert.equal(after.json.view_original_text, 'select count(*) as total from sales.t');
      assert.deepEqual(
        after.json.storage_descriptor.columns.map((c: { column_name: string }) => c.column_name),
        ['total'],
      );
      assert.equal(after.json.parameters.metadata_location, stored(rep.json['metadata-location']));
      assert.equal(after.json.parameters.previous_metadata_location, stored(r.json['metadata-location']));
    });

    test(
      'replace adds a version, writes the next metadata file and moves ' + 'the pointer; a wrong uuid is 409',
      async () => {
        const created = await createView('rep');
        const uuid = created.json.metadata['view-uuid'];
        const r = await replace('rep', 'select count(*) as total from sales.t', {
          uuid,
          schema: OTHER_SCHEMA,
          extra: [
            { action: 'set-properties', updates: { k: 'v' } },
            { action: 'remove-properties', removals: ['nope'] },
          ],
        });
        assert.equal(r.status, 200, r.text);
        assert.match(r.json['metadata-location'], /\/metadata\/00001-[0-9a-f-]+\.metadata\.json$/);
        const m = r.json.metadata;
        assert.equal(m['view-uuid'], uuid);
        assert.equal(m['current-version-id'], 2);
        assert.deepEqual(
          m.versions.map((v: { 'version-id': number }) => v['version-id']),
          [1, 2],
        );
        assert.deepEqual(
          m.schemas.map((s: { 'schema-id': number }) => s['schema-id']),
          [0, 1],
        );
        assert.equal(m.versions[1]['schema-id'], 1, '-1 became the schema added in the same commit');
        assert.deepEqual(
          m['version-log'].map((e: { 'version-id': number }) => e['version-id']),
          [1, 2],
        );
        assert.equal(m.properties.k, 'v');
        assert.deepEqual(onDisk(r.json['metadata-location']), m);
        assert.ok(fs.existsSync(fileOf(created.json['metadata-location'])), 'the previous file stays');
        assert.deepEqual((await ice('GET', `${views()}/rep`)).json.metadata, m);

        const wrong = await replace('rep', 'select 42', { uuid: '00000000-0000-0000-0000-000000000000' });
        assert.equal(wrong.status, 409, wrong.text);
        assert.equal(wrong.json.error.type, 'CommitFailedException');
        assert.equal(
          (await ice('GET', `${views()}/rep`)).json['metadata-location'],
          r.json['metadata-location'],
          'a refused replace changes nothing',
        );

        // Back to the first query: version 1 is reused, not copied.
        const back = await ice('POST', `${views()}/rep`, {
          requirements: [{ type: 'assert-view-uuid', uuid }],
          updates: [
            {
              action: 'add-view-version',
              'view-version': version('select id, city from sales.t', { 'version-id': 3 }),
            },
            { action: 'set-current-view-version', 'view-version-id': -1 },
          ],
        });
        assert.equal(back.status, 200, back.text);
        assert.equal(back.json.metadata['current-version-id'], 1);
        assert.equal(back.json.metadata.versions.length, 2);

        const bad = await ice('POST', `${views()}/rep`, {
          requirements: [],
          updates: [{ action: 'set-current-view-version', 'view-version-id': 9 }],
        });
        assert.equal(bad.status, 400, bad.text);
        assert.equal(
          (
            await ice('POST', `${views()}/rep`, {
              requirements: [],
              updates: [{ action: 'upgrade-format-version', 'format-version': 2 }],
            })
          ).status,
          400,
        );
        assert.equal((await ice('POST', `${views()}/rep`, { requirements: [], updates: 'x' })).status, 400);
        assert.equal(
          (await replace('rep', 'select 1', { dialect: 'trino' })).status,
          400,
          'dropping the spark dialect needs replace.drop-dialect.allowed',
        );
        const missing = await replace('nosuch', 'select 1');
        assert.equal(missing.status, 404);
        assert.equal(missing.json.error.type, 'NoSuchViewException');
      },
    );

    test('a replace after drop and re-create under the same name fails on the old uuid', async () => {
      const first = await createView('recreated');
      const oldUuid = first.json.metadata['view-uuid'];
      assert.equal((await ice('DELETE', `${views()}/recreated`)).status, 204);
      const second = await createView('recreated');
      assert.notEqual(second.json.metadata['view-uuid'], oldUuid);
      const r = await replace('recreated', 'select 2', { uuid: oldUuid });
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.type, 'CommitFailedException');
    });

    test('concurrent replaces on one base all land, serialized: no version is lost', async () => {
      const created = await createView('busy', { properties: { 'version.history.num-entries': '100' } });
      const uuid = created.json.metadata['view-uuid'];
      const n = 12;
      // Half assert the uuid, half assert nothing: both kinds serialize.
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => replace('busy', `select ${i} as id, 'x' as city`, i % 2 ? { uuid } : {})),
      );
      for (const r of results) assert.equal(r.status, 200, r.text);
      const m = (await ice('GET', `${views()}/busy`)).json.metadata;
      const sqls = m.versions.map((v: { representations: { sql: string }[] }) => v.representations[0]?.sql);
      for (let i = 0; i < n; i++) assert.ok(sqls.includes(`select ${i} as id, 'x' as city`), `version ${i} kept`);
      const ids = m.versions.map((v: { 'version-id': number }) => v['version-id']);
      assert.equal(new Set(ids).size, n + 1, 'every version has its own id');
      assert.deepEqual(
        [...ids].sort((a: number, b: number) => a - b),
        ids,
        'ids grow in commit order',
      );
      assert.equal(m['current-version-id'], Math.max(...ids), 'the last replace is current');
      assert.equal(m['version-log'].length, n + 1);
      // Every replace wrote its own numbered file: the last is 000<n>.
      const loc = (await ice('GET', `${views()}/busy`)).json['metadata-location'];
      assert.match(loc, new RegExp(`/metadata/${String(n).padStart(5, '0')}-`));
    });

    test('version.history.num-entries bounds the versions kept', async () => {
      assert.equal((await createView('hist', { properties: { 'version.history.num-entries': '2' } })).status, 200);
      for (let i = 0; i < 4; i++) assert.equal((await replace('hist', `select ${i} as id, 'c' as city`)).status, 200);
      const m = (await ice('GET', `${views()}/hist`)).json.metadata;
      assert.deepEqual(
        m.versions.map((v: { 'version-id': number }) => v['version-id']),
        [4, 5],
      );
      assert.equal(m['current-version-id'], 5);
      assert.deepEqual(
        m['version-log'].map((e: { 'version-id': number }) => e['version-id']),
        [4, 5],
      );
      const zero = await ice('POST', `${views()}/hist`, {
        requirements: [],
        updates: [{ action: 'set-properties', updates: { 'version.history.num-entries': '0' } }],
      });
      assert.equal(zero.status, 400);
    });

    test('properties: set and removed on replace, LakeFormation parameters follow', async () => {
      assert.equal((await createView('props', { properties: { a: '1', b: '2' } })).status, 200);
      const r = await ice('POST', `${views()}/props`, {
        requirements: [],
        updates: [
          { action: 'set-properties', updates: { c: '3' } },
          { action: 'remove-properties', removals: ['a'] },
        ],
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.metadata.properties, { b: '2', c: '3' });
      assert.equal(r.json.metadata['current-version-id'], 1, 'a properties change adds no version');
      const t = await server.request('GET', lf('sales', 'props'), { token });
      assert.equal(t.json.parameters.a, undefined);
      assert.equal(t.json.parameters.c, '3');
    });

    test(
      'a user granted SELECT on a view loads it but may not replace or ' + 'drop it; without grants it is invisible',
      async () => {
        const created = await createView('guarded');
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'icev', password: 'Ice-views-pass-1' } },
            })
          ).status,
          201,
        );
        const u = await server.login('icev', 'Ice-views-pass-1');
        const as = (method: string, p: string, body?: unknown) =>
          server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${u.token}` }, body });
        assert.equal((await as('GET', `${views()}/guarded`)).status, 404);
        assert.equal((await as('DELETE', `${views()}/guarded`)).status, 404);
        const g = await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
          token,
          body: {
            effect: true,
            principal_list: [{ principal_name: 'icev', principal_source: 'IAM', principal_type: 'USER' }],
            resource: {
              type: 'TABLE',
              catalogs: [{ name: 'lake', databases: [{ name: 'sales', tables: [{ name: 'guarded' }] }] }],
            },
            permissions: ['SELECT'],
          },
        });
        assert.equal(g.status, 200, g.text);
        assert.equal((await as('GET', `${views()}/guarded`)).status, 200);
        assert.deepEqual((await as('GET', views())).json.identifiers, [{ namespace: ['sales'], name: 'guarded' }]);
        const rep = await as('POST', `${views()}/guarded`, {
          requirements: [],
          updates: [{ action: 'set-location', location: 'obs://lakeform/elsewhere/guarded' }],
        });
        assert.equal(rep.status, 403, rep.text);
        assert.equal(rep.json.error.type, 'ForbiddenException');
        assert.equal((await as('DELETE', `${views()}/guarded`)).status, 403);
        const now = await ice('GET', `${views()}/guarded`);
        assert.equal(now.json['metadata-location'], created.json['metadata-location'], 'unchanged');
        const dir = path.dirname(fileOf(created.json['metadata-location']));
        assert.deepEqual(fs.readdirSync(dir).length, 1, 'no file is left behind by the refused replace');
        assert.ok(
          !fs.existsSync(path.join(server.dataDir, 'warehouse', 'lakeform', 'elsewhere')),
          'nothing is left at the asked location',
        );
      },
    );

    test(
      'rename: to a new name, onto a view or table (409), of a missing ' + 'view (404), to a missing namespace (404)',
      async () => {
        assert.equal((await createView('ren_a')).status, 200);
        assert.equal((await createView('ren_b')).status, 200);
        assert.equal((await createTable('ren_t')).status, 200);
        const rename = (from: string, to: string, toNs = 'sales', fromNs = 'sales') =>
          ice('POST', `/${prefix}/views/rename`, {
            source: { namespace: [fromNs], name: from },
            destination: { namespace: [toNs], name: to },
          });
        const ontoView = await rename('ren_a', 'ren_b');
        assert.equal(ontoView.status, 409);
        assert.equal(ontoView.json.error.type, 'AlreadyExistsException');
        const ontoTable = await rename('ren_a', 'ren_t');
        assert.equal(ontoTable.status, 409);
        assert.equal(ontoTable.json.error.type, 'AlreadyExistsException');
        const missing = await rename('ren_none', 'ren_x');
        assert.equal(missing.status, 404);
        assert.equal(missing.json.error.type, 'NoSuchViewException');
        const missingSrcNs = await rename('ren_a', 'ren_x', 'sales', 'nosuch');
        assert.equal(missingSrcNs.status, 404);
        assert.equal(missingSrcNs.json.error.type, 'NoSuchViewException');
        const missingNs = await rename('ren_a', 'ren_x', 'nosuch');
        assert.equal(missingNs.status, 404);
        assert.equal(missingNs.json.error.type, 'NoSuchNamespaceException');
        const tableAsView = await rename('ren_t', 'ren_x');
        assert.equal(tableAsView.status, 404, 'a table is not renamed as a view');
        assert.equal(
          (
            await ice('POST', `/${prefix}/tables/rename`, {
              source: { namespace: ['sales'], name: 'ren_a' },
              destination: { namespace: ['sales'], name: 'ren_y' },
            })
          ).status,
          404,
          'nor a view as a table',
        );

        const before = (await ice('GET', `${views()}/ren_a`)).json;
        assert.equal((await rename('ren_a', 'ren_c')).status, 204);
        assert.equal((await ice('HEAD', `${views()}/ren_a`)).status, 404);
        const after = await ice('GET', `${views()}/ren_c`);
        assert.equal(after.status, 200);
        assert.deepEqual(after.json.metadata, before.metadata);
        // Across namespaces too: the view moves, its metadata stays where it is.
        assert.equal((await rename('ren_c', 'ren_d', 'other')).status, 204);
        assert.equal((await ice('HEAD', `${views()}/ren_c`)).status, 404);
        const moved = await ice('GET', `/${prefix}/namespaces/other/views/ren_d`);
        assert.equal(moved.status, 200, moved.text);
        assert.equal(moved.json['metadata-location'], after.json['metadata-location']);
      },
    );

    test(
      'Idempotency-Key: a retried create, replace, rename or drop gets ' + 'its first answer and changes nothing more',
      async () => {
        const key = () => ({ 'Idempotency-Key': randomUUID() });
        const body = { name: 'idem_v', schema: SCHEMA, 'view-version': version('select 1'), properties: {} };
        const k1 = key();
        const c1 = await ice('POST', views(), body, undefined, k1);
        const c2 = await ice('POST', views(), body, undefined, k1);
        assert.equal(c1.status, 200, c1.text);
        assert.equal(c2.status, 200, c2.text);
        assert.equal(c2.json['metadata-location'], c1.json['metadata-location']);
        assert.equal((await ice('POST', views(), body)).status, 409, 'without the key it is a second create');
        const replaceBody = { requirements: [], updates: [{ action: 'set-properties', updates: { round: '1' } }] };
        const k2 = key();
        const r1 = await ice('POST', `${views()}/idem_v`, replaceBody, undefined, k2);
        const r2 = await ice('POST', `${views()}/idem_v`, replaceBody, undefined, k2);
        assert.equal(r1.status, 200, r1.text);
        assert.equal(r2.json['metadata-location'], r1.json['metadata-location']);
        assert.equal(
          (await ice('GET', `${views()}/idem_v`)).json['metadata-location'],
          r1.json['metadata-location'],
          'one replace, not two',
        );
        const k3 = key();
        const renameBody = {
          source: { namespace: ['sales'], name: 'idem_v' },
          destination: { namespace: ['sales'], name: 'idem_w' },
        };
        assert.equal((await ice('POST', `/${prefix}/views/rename`, renameBody, undefined, k3)).status, 204);
        assert.equal((await ice('POST', `/${prefix}/views/rename`, renameBody, undefined, k3)).status, 204);
        const k4 = key();
        assert.equal((await ice('DELETE', `${views()}/idem_w`, undefined, undefined, k4)).status, 204);
        assert.equal((await ice('DELETE', `${views()}/idem_w`, undefined, undefined, k4)).status, 204);
        assert.equal((await ice('HEAD', `${views()}/idem_w`)).status, 404);
      },
    );
  });
}
