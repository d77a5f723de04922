// LakeCat functions over HTTP on both metadata stores.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`functions (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const cat = () => `/v1/${project}/instances/${instance}/catalogs/fx`;
    const fns = (db = 'udfs') => `${cat()}/databases/${db}/functions`;
    const fn = (name: string, cls = `com.example.${name}`) => ({
      function_name: name,
      class_name: cls,
      function_type: 'JAVA',
      owner: 'admin',
      owner_type: 'USER',
    });

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '1000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'fx_inst');
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'fx' },
          })
        ).status,
        201,
      );
      for (const db of ['udfs', 'more'])
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: db } })).status,
          201,
        );
    });
    after(async () => {
      await server?.stop();
    });

    test('create round-trips, names are lower-cased, duplicates and bad input are refused', async () => {
      const body = { ...fn('Upper'), resource_uris: [{ type: 'JAR', uri: 'obs://lakeform/jars/udf.jar' }] };
      const r = await server.request('POST', fns(), { token, body });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.function_name, 'upper');
      assert.equal(r.json.database_name, 'udfs');
      assert.equal(r.json.catalog_name, 'fx');
      assert.deepEqual(r.json.resource_uris, body.resource_uris);
      assert.deepEqual((await server.request('GET', `${fns()}/UPPER`, { token })).json, r.json);
      assert.equal((await server.request('POST', fns(), { token, body: fn('UPPER') })).status, 409);
      assert.equal(
        (await server.request('POST', fns(), { token, body: { function_name: 'x' } })).status,
        400,
        'class_name is required',
      );
      assert.equal(
        (await server.request('POST', fns(), { token, body: { ...fn('y'), function_type: 'PYTHON' } })).status,
        400,
      );
      assert.equal((await server.request('POST', fns('nodb'), { token, body: fn('z') })).status, 404);
    });

    test('fifty parallel creates of one function: one 201, forty-nine 409', async () => {
      const all = await Promise.all(
        Array.from({ length: 50 }, () => server.request('POST', fns(), { token, body: fn('raced') })),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 201).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 49, String(codes));
    });

    test('update (POST on the function) replaces the class and renames; taken names are 409', async () => {
      const r = await server.request('POST', `${fns()}/upper`, { token, body: fn('upper', 'com.example.Upper2') });
      assert.equal(r.status, 200, r.text);
      assert.equal((await server.request('GET', `${fns()}/upper`, { token })).json.class_name, 'com.example.Upper2');
      assert.equal((await server.request('POST', `${fns()}/upper`, { token, body: fn('raced') })).status, 409);
      assert.equal(
        (await server.request('POST', `${fns()}/upper`, { token, body: fn('to_upper', 'com.example.Upper2') })).status,
        200,
      );
      assert.equal((await server.request('GET', `${fns()}/upper`, { token })).status, 404);
    });

    test('names filter by pattern; lists page by marker within a database and across the catalog', async () => {
      for (const n of ['a1', 'a2', 'b1'])
        assert.equal((await server.request('POST', fns(), { token, body: fn(n) })).status, 201);
      for (const n of ['a1', 'c1'])
        assert.equal((await server.request('POST', fns('more'), { token, body: fn(n) })).status, 201);
      const names = await server.request('GET', `${fns()}/names`, { token, query: { function_pattern: 'a*|to_*' } });
      assert.deepEqual(names.json, ['a1', 'a2', 'to_upper']);
      const inDb: string[] = [];
      let marker: string | undefined;
      do {
        const page = await server.request('GET', fns(), { token, query: { limit: 2, marker } });
        if (marker === undefined) {
          // ListFunctions takes up to 2,000 a page, as the reference says.
          const big = await server.request('GET', fns(), { token, query: { limit: 2000 } });
          assert.equal(big.status, 200, big.text);
          assert.equal((await server.request('GET', fns(), { token, query: { limit: 2001 } })).status, 400);
        }
        assert.equal(page.status, 200, page.text);
        inDb.push(...page.json.functions.map((f: { function_name: string }) => f.function_name));
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(inDb, ['a1', 'a2', 'b1', 'raced', 'to_upper']);
      const all: string[] = [];
      marker = undefined;
      do {
        const page: {
          json: { functions: { database_name: string; function_name: string }[]; page_info: { next_marker?: string } };
        } = await server.request('GET', `${cat()}/functions`, { token, query: { limit: 3, marker } });
        all.push(
          ...page.json.functions.map(
            (f: { database_name: string; function_name: string }) => `${f.database_name}.${f.function_name}`,
          ),
        );
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(all, ['more.a1', 'more.c1', 'udfs.a1', 'udfs.a2', 'udfs.b1', 'udfs.raced', 'udfs.to_upper']);
      const p1 = await server.request('GET', `${cat()}/functions`, { token, query: { limit: 3 } });
      const p2 = await server.request('GET', `${cat()}/functions`, {
        token,
        query: { limit: 3, marker: p1.json.page_info.next_marker },
      });
      const back = await server.request('GET', `${cat()}/functions`, {
        token,
        query: { limit: 3, marker: p2.json.page_info.previous_marker, reverse_page: true },
      });
      assert.deepEqual(back.json.functions, p1.json.functions);
    });

    test('a database with functions is dropped only with cascade; a rename carries its functions', async () => {
      const refused = await server.request('DELETE', `${cat()}/databases/more`, { token });
      assert.equal(refused.status, 409, refused.text);
      assert.equal(
        (await server.request('PUT', `${cat()}/databases/more`, { token, body: { database_name: 'extra' } })).status,
        200,
      );
      assert.equal((await server.request('GET', `${fns('extra')}/c1`, { token })).json.database_name, 'extra');
      const count0 = (await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token }))
        .json.functions_count;
      assert.equal(count0, 7);
      assert.equal(
        (await server.request('DELETE', `${cat()}/databases/extra`, { token, query: { cascade: true } })).status,
        200,
      );
      assert.equal((await server.request('GET', `${fns('extra')}/c1`, { token })).status, 404);
      assert.equal(
        (await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token })).json
          .functions_count,
        5,
      );
    });

    test('only administrators and owners see or change a function', async () => {
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'dev', password: 'Dev-pass-123' } },
          })
        ).status,
        201,
      );
      const dev = await server.login('dev', 'Dev-pass-123');
      assert.equal(
        (await server.request('GET', `${fns()}/names`, { token: dev.token })).status,
        404,
        'the database is invisible to dev',
      );
      assert.equal((await server.request('GET', `${fns()}/a1`, { token: dev.token })).status, 404);
      assert.equal(
        (await server.request('POST', fns(), { token: dev.token, body: { function_name: 'mine', class_name: 'x.Y' } }))
          .status,
        404,
      );
      assert.equal((await server.request('DELETE', `${fns()}/a1`, { token: dev.token })).status, 404);
      assert.equal(
        (await server.request('POST', `${fns()}/a1`, { token, body: { ...fn('a1'), owner: 'dev' } })).status,
        200,
      );
      assert.deepEqual((await server.request('GET', `${fns()}/names`, { token: dev.token })).json, ['a1']);
      assert.equal((await server.request('DELETE', `${fns()}/a1`, { token: dev.token })).status, 200);
    });
  });
}
