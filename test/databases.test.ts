// LakeCat databases over HTTP on both metadata stores: fields, names, patterns, keyset paging,
// renames, cascade rules, data deletion and access.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  backends,
  createRunningInstance,
  type Response,
  startServer,
  type TestServer,
  waitUntilGone,
} from './helpers/server.js';

for (const backend of await backends()) {
  describe(`databases (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const cat = () => `/v1/${project}/instances/${instance}/catalogs/lake`;
    const dbs = () => `${cat()}/databases`;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'dbs_inst');
      const c = await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
        token,
        body: { catalog_name: 'lake', location: 'obs://lakeform/lake' },
      });
      assert.equal(c.status, 201, c.text);
    });
    after(async () => {
      await server?.stop();
    });

    test('a new catalog has a database named default at the catalog location', async () => {
      const r = await server.request('GET', `${dbs()}/default`, { token });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.location, 'obs://lakeform/lake');
      const names = await server.request('GET', `${dbs()}/names`, { token, query: { database_pattern: '*' } });
      assert.deepEqual(names.json, ['default']);
    });

    test('the default database cannot be deleted, even with cascade (400, as the reference says)', async () => {
      for (const query of [{}, { cascade: 'true', delete_data: 'true' }]) {
        const r = await server.request('DELETE', `${dbs()}/default`, { token, query });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error_msg, /default database .*cannot be deleted/);
      }
      assert.equal((await server.request('GET', `${dbs()}/default`, { token })).status, 200);
    });

    test(
      'create round-trips every field; names are lower-cased; the ' + 'default location is <catalog>/<name>.db',
      async () => {
        const body = {
          database_name: 'Sales',
          description: 'sales data',
          owner: 'admin',
          owner_type: 'USER',
          owner_auth_source_type: 'IAM',
          parameters: { team: 'finance', 'retention.days': '30' },
          external_database_id: 'ext-1',
          data_statistic_enable: true,
          function_location_list: ['obs://lakeform/lake/udf'],
          table_location_list: ['obs://lakeform/lake/tables'],
        };
        const r = await server.request('POST', dbs(), { token, body });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.database_name, 'sales');
        assert.equal(r.json.catalog_name, 'lake');
        assert.equal(r.json.location, 'obs://lakeform/lake/sales.db');
        assert.deepEqual(r.json.parameters, body.parameters);
        assert.equal(r.json.external_database_id, 'ext-1');
        assert.equal(r.json.data_statistic_enable, true);
        assert.equal(r.json.database_type, 'MANAGED_DATABASE');
        assert.deepEqual(r.json.function_location_list, body.function_location_list);
        assert.deepEqual(r.json.table_location_list, body.table_location_list);
        const shown = await server.request('GET', `${dbs()}/SALES`, { token });
        assert.deepEqual(shown.json, r.json);
        assert.equal((await server.request('POST', dbs(), { token, body: { database_name: 'SALES' } })).status, 409);
        assert.equal((await server.request('POST', dbs(), { token, body: { database_name: 'bad name' } })).status, 400);
        assert.equal(
          (await server.request('POST', dbs(), { token, body: { database_name: 'x', location: 'ftp://x/y' } })).status,
          400,
        );
        assert.equal(
          (
            await server.request('POST', dbs(), {
              token,
              body: { database_name: 'f', database_type: 'FOREIGN_DATABASE' },
            })
          ).status,
          400,
        );
        assert.equal(
          (
            await server.request('POST', `/v1/${project}/instances/${instance}/catalogs/nope/databases`, {
              token,
              body: { database_name: 'x' },
            })
          ).status,
          404,
        );
      },
    );

    test('fifty parallel creates of one database: one 201, forty-nine 409', async () => {
      const all = await Promise.all(
        Array.from({ length: 50 }, () => server.request('POST', dbs(), { token, body: { database_name: 'raced' } })),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 201).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 49, String(codes));
    });

    test('patterns filter with * and | case-insensitively; names list is sorted', async () => {
      for (const n of ['sales_eu', 'sales_us', 'hr', 'ops_2024', 'under_score', 'underXscore']) {
        assert.equal((await server.request('POST', dbs(), { token, body: { database_name: n } })).status, 201);
      }
      const names = async (p: string) =>
        (await server.request('GET', `${dbs()}/names`, { token, query: { database_pattern: p } })).json as string[];
      assert.deepEqual(await names('sales*'), ['sales', 'sales_eu', 'sales_us']);
      assert.deepEqual(await names('SALES_*|hr'), ['hr', 'sales_eu', 'sales_us']);
      assert.deepEqual(await names('under_score'), ['under_score'], "'_' is literal, not LIKE's any-character");
      assert.deepEqual(await names('*2024'), ['ops_2024']);
      const listed = await server.request('GET', dbs(), { token, query: { database_name_pattern: 'sales*' } });
      assert.deepEqual(
        listed.json.databases.map((d: { database_name: string }) => d.database_name),
        ['sales', 'sales_eu', 'sales_us'],
      );
      const ext = await server.request('GET', dbs(), { token, query: { external_database_id: 'ext-1' } });
      assert.deepEqual(
        ext.json.databases.map((d: { database_name: string }) => d.database_name),
        ['sales'],
      );
    });

    test('keyset paging visits every database once, forward and back, with page_info markers', async () => {
      const all = (await server.request('GET', `${dbs()}/names`, { token })).json as string[];
      const seen: string[] = [];
      const markers: (string | undefined)[] = [];
      let marker: string | undefined;
      let page: Response;
      do {
        page = await server.request('GET', dbs(), { token, query: { limit: 3, marker } });
        assert.equal(page.status, 200, page.text);
        assert.equal(page.json.page_info.current_count, page.json.databases.length);
        seen.push(...page.json.databases.map((d: { database_name: string }) => d.database_name));
        markers.push(marker);
        marker = page.json.page_info.next_marker;
        if (marker) assert.ok(marker.length <= 32);
      } while (marker);
      assert.deepEqual(seen, all);
      assert.equal(markers.length, Math.ceil(all.length / 3));
      // The first page has no previous marker; a later page's previous marker leads back.
      const first = await server.request('GET', dbs(), { token, query: { limit: 3 } });
      assert.equal(first.json.page_info.previous_marker, undefined);
      const second = await server.request('GET', dbs(), {
        token,
        query: { limit: 3, marker: first.json.page_info.next_marker },
      });
      const back = await server.request('GET', dbs(), {
        token,
        query: { limit: 3, marker: second.json.page_info.previous_marker, reverse_page: true },
      });
      assert.deepEqual(
        back.json.databases.map((d: { database_name: string }) => d.database_name),
        first.json.databases.map((d: { database_name: string }) => d.database_name),
      );
      assert.equal(back.json.page_info.previous_marker, undefined, 'nothing before the first page');
      assert.ok(back.json.page_info.next_marker);
      assert.equal((await server.request('GET', dbs(), { token, query: { marker: 'not-a-marker' } })).status, 400);
      assert.equal((await server.request('GET', dbs(), { token, query: { limit: 1001 } })).status, 400);
      const deleted = await server.request('GET', dbs(), { token, query: { deleted: true } });
      assert.deepEqual(deleted.json.databases, []);
    });

    test('update replaces given fields, keeps the rest, renames, and refuses a taken name', async () => {
      const r = await server.request('PUT', `${dbs()}/sales`, {
        token,
        body: { database_name: 'sales', description: 'changed', parameters: { team: 'fin' } },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.description, 'changed');
      assert.deepEqual(r.json.parameters, { team: 'fin' });
      assert.equal(r.json.external_database_id, 'ext-1', 'fields not sent are kept');
      assert.equal(
        (await server.request('PUT', `${dbs()}/sales`, { token, body: { database_name: 'hr' } })).status,
        409,
      );
      const renamed = await server.request('PUT', `${dbs()}/sales`, { token, body: { database_name: 'revenue' } });
      assert.equal(renamed.status, 200);
      assert.equal((await server.request('GET', `${dbs()}/sales`, { token })).status, 404);
      assert.equal((await server.request('GET', `${dbs()}/revenue`, { token })).json.description, 'changed');
      assert.equal(
        (await server.request('PUT', `${dbs()}/default`, { token, body: { database_name: 'other' } })).status,
        400,
      );
    });

    test('a catalog rename carries its databases; a non-empty catalog cannot be deleted', async () => {
      const renamed = await server.request('PUT', cat(), { token, body: { catalog_name: 'lake2' } });
      assert.equal(renamed.status, 200, renamed.text);
      const moved = await server.request(
        'GET',
        `/v1/${project}/instances/${instance}/catalogs/lake2/databases/revenue`,
        { token },
      );
      assert.equal(moved.status, 200);
      assert.equal(moved.json.catalog_name, 'lake2');
      assert.equal(
        (
          await server.request('PUT', `/v1/${project}/instances/${instance}/catalogs/lake2`, {
            token,
            body: { catalog_name: 'lake' },
          })
        ).status,
        200,
      );
      const del = await server.request('DELETE', cat(), { token });
      assert.equal(del.status, 409, del.text);
      assert.match(del.json.error_msg, /not empty/);
    });

    test(
      "delete_data removes each internal table's files at purge; never " + "an external table's, never by prefix",
      async () => {
        const warehouse = path.join(server.dataDir, 'warehouse', 'lakeform', 'lake');
        const file = (...p: string[]) => {
          fs.mkdirSync(path.join(warehouse, ...p), { recursive: true });
          fs.writeFileSync(path.join(warehouse, ...p, 'part-0.parquet'), 'data');
          return path.join(warehouse, ...p, 'part-0.parquet');
        };
        const columns = [{ column_name: 'id', column_type: 'int' }];
        for (const db of ['keepdata', 'dropdata']) {
          assert.equal((await server.request('POST', dbs(), { token, body: { database_name: db } })).status, 201);
          for (const [name, type] of [
            ['t1', 'MANAGED_TABLE'],
            ['x1', 'EXTERNAL_TABLE'],
          ] as const) {
            const body = {
              table_name: name,
              table_type: type,
              owner_type: 'USER',
              storage_descriptor: { columns, location: `obs://lakeform/lake/${db}.db/${name}` },
            };
            const r = await server.request('POST', `${dbs()}/${db}/tables`, { token, body });
            assert.equal(r.status, 201, r.text);
          }
        }
        const kept = [file('keepdata.db', 't1'), file('dropdata.db', 'x1'), file('dropdata.db', 'loose')];
        const managed = file('dropdata.db', 't1');
        assert.equal(
          (await server.request('DELETE', `${dbs()}/keepdata`, { token, query: { cascade: true } })).status,
          200,
        );
        assert.equal(
          (await server.request('DELETE', `${dbs()}/dropdata`, { token, query: { delete_data: true, cascade: true } }))
            .status,
          200,
        );
        assert.ok(fs.existsSync(managed), 'the data stays while the database is in the recycle bin');
        const purge = await server.request('DELETE', `/v1/${project}/instances/${instance}/recycle-bin`, { token });
        assert.equal(purge.status, 200, purge.text);
        assert.ok(!fs.existsSync(managed), "the managed table's own files go at purge");
        for (const f of kept) assert.ok(fs.existsSync(f), `${f} stays`);
        assert.equal((await server.request('GET', `${dbs()}/dropdata`, { token })).status, 404);
        assert.equal((await server.request('DELETE', `${dbs()}/dropdata`, { token })).status, 404);
      },
    );

    test('a user who is neither admin nor owner sees and changes nothing; an owner manages its own', async () => {
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'analyst', password: 'Analyst-pass-1' } },
          })
        ).status,
        201,
      );
      const analyst = await server.login('analyst', 'Analyst-pass-1');
      // The catalog itself is invisible: listing or creating in it is as for a catalog that does not exist.
      const names = await server.request('GET', `${dbs()}/names`, { token: analyst.token });
      assert.equal(names.status, 404, names.text);
      assert.deepEqual(names.json, { error_code: 'lakeformation.01000404', error_msg: 'catalog lake does not exist' });
      assert.equal((await server.request('GET', `${dbs()}/hr`, { token: analyst.token })).status, 404);
      assert.equal(
        (await server.request('POST', dbs(), { token: analyst.token, body: { database_name: 'mine' } })).status,
        404,
      );
      assert.equal(
        (await server.request('PUT', `${dbs()}/hr`, { token, body: { database_name: 'hr', owner: 'analyst' } })).status,
        200,
      );
      const list = await server.request('GET', dbs(), { token: analyst.token });
      assert.deepEqual(
        list.json.databases.map((d: { database_name: string }) => d.database_name),
        ['hr'],
      );
      assert.equal(
        (
          await server.request('PUT', `${dbs()}/hr`, {
            token: analyst.token,
            body: { database_name: 'hr', description: 'mine now' },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await server.request('PUT', `${dbs()}/hr`, {
            token: analyst.token,
            body: { database_name: 'hr', owner: 'admin' },
          })
        ).status,
        403,
      );
    });

    test('dropping the instance for good removes its catalogs and databases with it', async () => {
      assert.equal(
        (
          await server.request('DELETE', `/v1/${project}/instances/${instance}`, {
            token,
            query: { to_recycle_bin: false },
          })
        ).status,
        202,
      );
      const status = await waitUntilGone(server, token, `/v1/${project}/instances/${instance}`);
      assert.equal(
        status,
        404,
        `the instance is purged: ${server
          .output()
          .split('\n')
          .filter((l) => /lifecycle/.test(l))
          .slice(-2)
          .join('\n')}`,
      );
    });
  });
}
