// LakeCat catalogs over HTTP: the top of the metadata hierarchy, on both metadata stores.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`catalogs (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const base = () => `/v1/${project}/instances/${instance}/catalogs`;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'lakecat_one');
      // A second bucket of the local storage: a folder under the warehouse.
      fs.mkdirSync(path.join(server.dataDir, 'warehouse', 'datalake'));
    });
    after(async () => {
      await server?.stop();
    });

    test('a new instance starts with the default catalog hive under the default warehouse', async () => {
      const r = await server.request('GET', base(), { token });
      assert.equal(r.status, 200, r.text);
      const hive = r.json.find((c: { catalog_name: string }) => c.catalog_name === 'hive');
      assert.ok(hive, JSON.stringify(r.json));
      assert.equal(hive.location, `obs://lakeform/instances/${instance}/hive`);
    });

    test('create stores every field, lower-cases the name, and show/list return it', async () => {
      const body = {
        catalog_name: 'Sales_EU',
        description: 'European sales',
        location: 'obs://datalake/sales/eu',
        database_location_list: ['obs://datalake/sales/eu/dbs'],
      };
      const r = await server.request('POST', base(), { token, body });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.catalog_name, 'sales_eu');
      assert.equal(r.json.description, 'European sales');
      assert.equal(r.json.location, 'obs://datalake/sales/eu');
      assert.deepEqual(r.json.database_location_list, ['obs://datalake/sales/eu/dbs']);
      assert.equal(r.json.owner, 'admin');
      assert.equal(r.json.owner_type, 'USER');
      const shown = await server.request('GET', `${base()}/SALES_eu`, { token });
      assert.equal(shown.status, 200, 'names are case-insensitive');
      assert.deepEqual({ ...shown.json }, { ...r.json });
      const dup = await server.request('POST', base(), { token, body: { ...body, catalog_name: 'SALES_EU' } });
      assert.equal(dup.status, 409);
    });

    test('fifty parallel creates of one name: exactly one 201 and forty-nine clean 409s', async () => {
      const all = await Promise.all(
        Array.from({ length: 50 }, () =>
          server.request('POST', base(), { token, body: { catalog_name: 'contended' } }),
        ),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 201).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 49, String(codes));
      assert.ok(all.every((r) => typeof r.json.error_code === 'string' || r.status === 201));
    });

    test('locations are validated: scheme, bucket, path, and file:// only under the local warehouse', async () => {
      for (const location of [
        'http://x/y',
        'obs://',
        'obs://Bad_Bucket/x',
        'obs://bucket/../x',
        'obs://no-such-bucket/x',
        'file:///etc/passwd',
        'file:///tmp/x',
      ]) {
        const r = await server.request('POST', base(), { token, body: { catalog_name: 'badloc', location } });
        assert.equal(r.status, 400, `${location}: ${r.text}`);
      }
      const bad = await server.request('POST', base(), { token, body: { catalog_name: 'bad-name!' } });
      assert.equal(bad.status, 400);
      const ok = await server.request('POST', base(), {
        token,
        body: { catalog_name: 'local_one', location: `file://${server.dataDir}/warehouse/lakeform/local_one` },
      });
      assert.equal(ok.status, 201, ok.text);
    });

    test('update replaces fields and a new catalog_name renames; renaming onto a taken name is 409', async () => {
      const r = await server.request('PUT', `${base()}/sales_eu`, {
        token,
        body: { catalog_name: 'sales_eu', description: 'changed' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.description, 'changed');
      assert.equal(r.json.location, 'obs://datalake/sales/eu', 'fields not sent are kept');
      const taken = await server.request('PUT', `${base()}/sales_eu`, { token, body: { catalog_name: 'contended' } });
      assert.equal(taken.status, 409);
      const renamed = await server.request('PUT', `${base()}/sales_eu`, {
        token,
        body: { catalog_name: 'sales_europe' },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((await server.request('GET', `${base()}/sales_eu`, { token })).status, 404);
      assert.equal((await server.request('GET', `${base()}/sales_europe`, { token })).json.description, 'changed');
    });

    test('the default instance is addressable as "default"', async () => {
      const r = await server.request('GET', `/v1/${project}/instances/default/catalogs/sales_europe`, { token });
      assert.equal(r.status, 200, r.text);
    });

    test('a user who is neither admin nor owner sees no catalog and cannot create one', async () => {
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'viewer', password: 'Viewer-pass-1' } },
          })
        ).status,
        201,
      );
      const viewer = await server.login('viewer', 'Viewer-pass-1');
      const list = await server.request('GET', base(), { token: viewer.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.json, []);
      assert.equal((await server.request('GET', `${base()}/sales_europe`, { token: viewer.token })).status, 404);
      assert.equal(
        (
          await server.request('PUT', `${base()}/sales_europe`, {
            token: viewer.token,
            body: { catalog_name: 'sales_europe', description: 'x' },
          })
        ).status,
        404,
      );
      assert.equal((await server.request('DELETE', `${base()}/sales_europe`, { token: viewer.token })).status, 404);
      assert.equal(
        (await server.request('POST', base(), { token: viewer.token, body: { catalog_name: 'mine' } })).status,
        403,
      );
      // An owner may manage its catalog.
      const given = await server.request('PUT', `${base()}/contended`, {
        token,
        body: { catalog_name: 'contended', owner: 'viewer' },
      });
      assert.equal(given.status, 200, given.text);
      const own = await server.request('GET', base(), { token: viewer.token });
      assert.deepEqual(
        own.json.map((c: { catalog_name: string }) => c.catalog_name),
        ['contended'],
      );
      const steal = await server.request('PUT', `${base()}/contended`, {
        token: viewer.token,
        body: { catalog_name: 'contended', owner: 'someone_else' },
      });
      assert.equal(steal.status, 403);
    });

    test('delete removes the catalog; an unknown catalog or instance is 404', async () => {
      assert.equal((await server.request('DELETE', `${base()}/sales_europe`, { token })).status, 200);
      assert.equal((await server.request('GET', `${base()}/sales_europe`, { token })).status, 404);
      assert.equal((await server.request('DELETE', `${base()}/sales_europe`, { token })).status, 404);
      assert.equal(
        (
          await server.request('GET', `/v1/${project}/instances/00000000-0000-4000-8000-000000000000/catalogs`, {
            token,
          })
        ).status,
        404,
      );
    });

    test('an instance in the recycle bin serves no catalog calls (409) until recovered', async () => {
      assert.equal(
        (
          await server.request('DELETE', `/v1/${project}/instances/${instance}`, {
            token,
            query: { to_recycle_bin: true },
          })
        ).status,
        202,
      );
      const r = await server.request('GET', base(), { token });
      assert.equal(r.status, 409, r.text);
      assert.equal(
        (await server.request('POST', `/v1/${project}/instances/${instance}/recover`, { token })).status,
        200,
      );
      for (let i = 0; i < 100; i++) {
        if ((await server.request('GET', base(), { token })).status === 200) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const back = await server.request('GET', base(), { token });
      assert.equal(back.status, 200);
      assert.ok(
        back.json.some((c: { catalog_name: string }) => c.catalog_name === 'contended'),
        'catalogs survive the recycle bin',
      );
    });
  });
}
