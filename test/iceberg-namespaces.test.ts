// The Iceberg REST catalog's config, namespaces and authentication over HTTP on both metadata
// stores; namespaces are LakeCat databases, so both APIs must agree.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IcebergRestCatalog } from 'iceberg-js';
import { ICEBERG_ENDPOINTS } from '../src/http/routes/iceberg/index.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const user = (name: string) => ({ principal_name: name, principal_source: 'IAM', principal_type: 'USER' });

for (const backend of await backends()) {
  describe(`iceberg namespaces (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let prefix: string;
    const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
    const ice = (
      method: string,
      path: string,
      o: { body?: unknown; query?: Record<string, string | number>; t?: string } = {},
    ) => server.request(method, `/iceberg/v1${path}`, { ...bearer(o.t ?? token), body: o.body, query: o.query });
    const ns = (p = prefix) => `/${p}/namespaces`;
    const lf = () => `/v1/${project}/instances/${instance}/catalogs/lake/databases`;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_inst');
      const c = await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
        token,
        body: { catalog_name: 'lake' },
      });
      assert.equal(c.status, 201, c.text);
      prefix = `${instance}~lake`;
    });
    after(async () => {
      await server?.stop();
    });

    test('config resolves the warehouse to a prefix and lists exactly the endpoints served', async () => {
      const r = await ice('GET', '/config', { query: { warehouse: `${instance}/LAKE` } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.defaults, {});
      assert.deepEqual(r.json.overrides, { prefix });
      assert.deepEqual([...r.json.endpoints].sort(), [...ICEBERG_ENDPOINTS].sort());
      assert.equal(r.json['idempotency-key-lifetime'], 'PT30M');
      // Everything advertised is routed: none falls through to the not-found handler.
      for (const e of r.json.endpoints as string[]) {
        const [method, path] = e.split(' ') as [string, string];
        const url = path
          .replace('/v1/{prefix}', `/${prefix}`)
          .replace('{namespace}', 'no_ns')
          .replace(/\{\w+\}/g, 'x');
        const probe = await ice(
          method,
          url,
          method === 'GET' || method === 'HEAD' || method === 'DELETE' ? {} : { body: {} },
        );
        assert.ok(
          !(probe.status === 404 && /no Iceberg endpoint/.test(probe.text)),
          `${e} is advertised but not served`,
        );
      }
      const missing = await ice('GET', '/config', { query: { warehouse: `${instance}/nope` } });
      assert.equal(missing.status, 404);
      assert.equal(missing.json.error.type, 'NoSuchWarehouseException');
      const none = await ice('GET', '/config');
      assert.equal(none.status, 400);
      assert.deepEqual(Object.keys(none.json.error).sort(), ['code', 'message', 'type']);
      assert.equal(none.json.error.type, 'BadRequestException');
      assert.equal(none.json.error.code, 400);
    });

    test('a catalog name alone names the default instance', async () => {
      assert.equal(
        (await server.request('POST', `/v1/${project}/instances/${instance}/default`, { token })).status,
        200,
      );
      const r = await ice('GET', '/config', { query: { warehouse: 'lake' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.overrides.prefix, prefix);
    });

    test('namespace lifecycle: create, load, exists, list, drop', async () => {
      const created = await ice('POST', ns(), {
        body: { namespace: ['Events'], properties: { owner_team: 'data', comment: 'clicks' } },
      });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.json, { namespace: ['events'], properties: { owner_team: 'data', comment: 'clicks' } });
      const again = await ice('POST', ns(), { body: { namespace: ['events'] } });
      assert.equal(again.status, 409);
      assert.equal(again.json.error.type, 'AlreadyExistsException');
      const loaded = await ice('GET', `${ns()}/events`);
      assert.equal(loaded.status, 200, loaded.text);
      assert.deepEqual(loaded.json, created.json);
      assert.equal((await ice('HEAD', `${ns()}/events`)).status, 204);
      assert.equal((await ice('HEAD', `${ns()}/nothing`)).status, 404);
      const listed = await ice('GET', ns());
      assert.deepEqual(listed.json.namespaces, [['default'], ['events']]);
      // The same database through LakeFormation: the description came from `comment`.
      const shown = await server.request('GET', `${lf()}/events`, { token });
      assert.equal(shown.status, 200);
      assert.equal(shown.json.description, 'clicks');
      assert.equal((await ice('DELETE', `${ns()}/events`)).status, 204);
      const gone = await ice('GET', `${ns()}/events`);
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.type, 'NoSuchNamespaceException');
      assert.equal((await ice('DELETE', `${ns()}/events`)).status, 404);
      assert.equal((await server.request('GET', `${lf()}/events`, { token })).status, 404);
    });

    test(
      'a nested namespace needs its parent; levels with dots and bad ' + 'bodies are 400 in the Iceberg shape',
      async () => {
        const orphan = await ice('POST', ns(), { body: { namespace: ['a', 'b'] } });
        assert.equal(orphan.status, 404);
        assert.equal(orphan.json.error.type, 'NoSuchNamespaceException');
        assert.equal((await ice('GET', `${ns()}/a%1Fb`)).status, 404);
        const dotted = await ice('POST', ns(), { body: { namespace: ['a.b'] } });
        assert.equal(dotted.status, 400);
        assert.equal(dotted.json.error.type, 'BadRequestException');
        assert.match(dotted.json.error.message, /joined with '\.'/);
        assert.equal((await ice('POST', ns(), { body: { namespace: [] } })).status, 400);
        assert.equal((await ice('POST', ns(), { body: { namespace: 'flat' } })).status, 400);
        assert.equal((await ice('POST', ns(), { body: { namespace: ['bad name'] } })).status, 400);
        assert.equal((await ice('GET', '/nosep/namespaces')).status, 400);
      },
    );

    test('listing pages with pageSize and pageToken; a parent has no children', async () => {
      for (const n of ['p1', 'p2', 'p3', 'p4', 'p5'])
        assert.equal((await ice('POST', ns(), { body: { namespace: [n] } })).status, 200);
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const r = await ice('GET', ns(), { query: { pageSize: 2, ...(pageToken ? { pageToken } : {}) } });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.namespaces.length <= 2);
        seen.push(...r.json.namespaces.map((n: string[]) => n.join('.')));
        pageToken = r.json['next-page-token'];
        pages++;
      } while (pageToken && pages < 10);
      assert.deepEqual(seen, ['default', 'p1', 'p2', 'p3', 'p4', 'p5']);
      assert.equal(pages, 3);
      const children = await ice('GET', ns(), { query: { parent: 'p1' } });
      assert.deepEqual(children.json, { namespaces: [] });
      assert.equal((await ice('GET', ns(), { query: { parent: 'nope' } })).status, 404);
      assert.equal((await ice('GET', ns(), { query: { pageSize: 0 } })).status, 400);
    });

    test('properties: updates and removals, with missing keys reported; both at once is 422', async () => {
      assert.equal(
        (await ice('POST', ns(), { body: { namespace: ['props'], properties: { a: '1', b: '2' } } })).status,
        200,
      );
      const r = await ice('POST', `${ns()}/props/properties`, {
        body: { removals: ['a', 'zz'], updates: { b: '3', c: '4' } },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { updated: ['b', 'c'], removed: ['a'], missing: ['zz'] });
      assert.deepEqual((await ice('GET', `${ns()}/props`)).json.properties, { b: '3', c: '4' });
      assert.deepEqual((await server.request('GET', `${lf()}/props`, { token })).json.parameters, { b: '3', c: '4' });
      const both = await ice('POST', `${ns()}/props/properties`, { body: { removals: ['b'], updates: { b: '5' } } });
      assert.equal(both.status, 422);
      assert.equal(both.json.error.type, 'UnprocessableEntityException');
      assert.equal((await ice('POST', `${ns()}/nothing/properties`, { body: { updates: { x: '1' } } })).status, 404);
    });

    test('parallel property updates never lose one: each answered 200 is stored, the rest are 409', async () => {
      assert.equal((await ice('POST', ns(), { body: { namespace: ['raced'] } })).status, 200);
      const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
      const answers = await Promise.all(
        keys.map((k) => ice('POST', `${ns()}/raced/properties`, { body: { updates: { [k]: 'v' } } })),
      );
      const ok = keys.filter((_, i) => answers[i]?.status === 200);
      assert.ok(ok.length >= 1);
      for (const a of answers) if (a.status !== 200) assert.equal(a.json.error.code, 409, a.text);
      const stored = (await ice('GET', `${ns()}/raced`)).json.properties;
      assert.deepEqual(Object.keys(stored).sort(), ok.sort());
    });

    test('a namespace holding a table is not dropped: 409 NamespaceNotEmptyException', async () => {
      assert.equal((await ice('POST', ns(), { body: { namespace: ['full'] } })).status, 200);
      const t = await server.request('POST', `${lf()}/full/tables`, {
        token,
        body: {
          table_name: 't',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
        },
      });
      assert.equal(t.status, 201, t.text);
      const r = await ice('DELETE', `${ns()}/full`);
      assert.equal(r.status, 409);
      assert.equal(r.json.error.type, 'NamespaceNotEmptyException');
      assert.equal(r.json.error.code, 409);
      assert.equal((await ice('HEAD', `${ns()}/full`)).status, 204);
    });

    test('a database created through LakeFormation is a namespace, with its parameters as properties', async () => {
      assert.equal(
        (await server.request('POST', lf(), { token, body: { database_name: 'from_lf', parameters: { k: 'v' } } }))
          .status,
        201,
      );
      const r = await ice('GET', `${ns()}/from_lf`);
      assert.deepEqual(r.json, { namespace: ['from_lf'], properties: { k: 'v' } });
      const names = await server.request('GET', `${lf()}/names`, { token });
      assert.ok(names.json.includes('props') && names.json.includes('from_lf'), names.text);
    });

    test('authentication: no token or a bad one is 401 NotAuthorizedException', async () => {
      const none = await server.request('GET', `/iceberg/v1${ns()}`);
      assert.equal(none.status, 401);
      assert.equal(none.json.error.type, 'NotAuthorizedException');
      const bad = await ice('GET', ns(), { t: 'lf1.not-a-token' });
      assert.equal(bad.status, 401);
      assert.equal(bad.json.error.type, 'NotAuthorizedException');
    });

    test(
      'OAuth2 client credentials: an AK/SK becomes a bearer token; a ' + 'wrong secret is 401 invalid_client',
      async () => {
        const me = await server.login();
        const key = await server.request('POST', '/v3.0/OS-CREDENTIAL/credentials', {
          token,
          body: { credential: { user_id: me.userId } },
        });
        assert.equal(key.status, 201, key.text);
        const { access, secret } = key.json.credential;
        const form = (fields: Record<string, string>) =>
          server.request('POST', '/iceberg/v1/oauth/tokens', {
            rawBody: new URLSearchParams(fields).toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          });
        const r = await form({
          grant_type: 'client_credentials',
          client_id: access,
          client_secret: secret,
          scope: 'catalog',
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.token_type, 'bearer');
        assert.equal(r.json.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
        assert.ok(r.json.expires_in > 3600 && r.json.expires_in <= 86400, String(r.json.expires_in));
        const listed = await ice('GET', ns(), { t: r.json.access_token });
        assert.equal(listed.status, 200, listed.text);
        assert.ok(listed.json.namespaces.length > 0);
        const wrong = await form({ grant_type: 'client_credentials', client_id: access, client_secret: `${secret}x` });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.json.error, 'invalid_client');
        const unknown = await form({ grant_type: 'client_credentials', client_id: 'NOSUCHKEY', client_secret: secret });
        assert.equal(unknown.status, 401);
        assert.equal((await form({ grant_type: 'password', client_id: access, client_secret: secret })).status, 400);
        const scoped = await form({
          grant_type: 'client_credentials',
          client_id: access,
          client_secret: secret,
          scope: `catalog project:${project}`,
        });
        assert.equal(scoped.status, 200, scoped.text);
        assert.equal(
          (
            await form({
              grant_type: 'client_credentials',
              client_id: access,
              client_secret: secret,
              scope: 'project:0123456789abcdef0123456789abcdef',
            })
          ).status,
          400,
        );
        // Token exchange, as clients refresh a session: a valid token becomes a fresh one of the same user and project.
        const exchange = (subject: string) =>
          form({
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: subject,
            subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
            scope: 'catalog',
          });
        const refreshed = await exchange(r.json.access_token);
        assert.equal(refreshed.status, 200, refreshed.text);
        assert.notEqual(refreshed.json.access_token, r.json.access_token);
        assert.equal((await ice('GET', ns(), { t: refreshed.json.access_token })).status, 200);
        const bogus = await exchange('not-a-token');
        assert.equal(bogus.status, 400);
        assert.equal(bogus.json.error, 'invalid_request');
        const revoked = await server.request('DELETE', '/v3/auth/tokens', {
          token,
          headers: { 'X-Subject-Token': refreshed.json.access_token },
        });
        assert.ok(revoked.status === 204 || revoked.status === 200, revoked.text);
        assert.equal((await exchange(refreshed.json.access_token)).status, 400, 'a revoked token cannot be exchanged');
      },
    );

    test(
      'a user without grants sees nothing; a database grant shows that ' + 'namespace only; DROP needs its own grant',
      async () => {
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'iceuser', password: 'Ice-user-pass-1' } },
            })
          ).status,
          201,
        );
        const u = await server.login('iceuser', 'Ice-user-pass-1');
        const hidden = await ice('GET', ns(), { t: u.token });
        assert.equal(hidden.status, 404, hidden.text);
        assert.equal((await ice('GET', `${ns()}/props`, { t: u.token })).status, 404);
        assert.equal((await ice('POST', ns(), { t: u.token, body: { namespace: ['mine'] } })).status, 404);
        const g = await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
          token,
          body: {
            effect: true,
            principal_list: [user('iceuser')],
            resource: { type: 'DATABASE', catalogs: [{ name: 'lake', databases: [{ name: 'props' }] }] },
            permissions: ['SELECT'],
          },
        });
        assert.equal(g.status, 200, g.text);
        const visible = await ice('GET', ns(), { t: u.token });
        assert.equal(visible.status, 200, visible.text);
        assert.deepEqual(visible.json.namespaces, [['props']]);
        assert.equal((await ice('GET', `${ns()}/props`, { t: u.token })).status, 200);
        const drop = await ice('DELETE', `${ns()}/props`, { t: u.token });
        assert.equal(drop.status, 403, drop.text);
        assert.equal(drop.json.error.type, 'ForbiddenException');
        const alter = await ice('POST', `${ns()}/props/properties`, { t: u.token, body: { updates: { x: '1' } } });
        assert.equal(alter.status, 403);
        // Refusals land in the instance's audit trail, as on the LakeFormation routes (written after the answer: poll
        // briefly).
        let mine: string[] = [];
        for (let i = 0; i < 50 && mine.length < 2; i++) {
          if (i) await new Promise((r) => setTimeout(r, 20));
          const audit = await server.request('GET', `/v1/${project}/instances/${instance}/audit-events`, {
            token,
            query: { result: 'denied' },
          });
          mine = audit.json.audit_events
            .filter((e: { principal: string }) => e.principal === 'iceuser')
            .map((e: { action: string }) => e.action)
            .sort();
        }
        assert.deepEqual(mine, ['IcebergDropNamespace', 'IcebergUpdateNamespaceProperties']);
      },
    );

    test('iceberg-js, a third-party client, drives config and namespaces', async () => {
      const catalog = new IcebergRestCatalog({
        baseUrl: `${server.url}/iceberg/`,
        warehouse: `${instance}/lake`,
        auth: { type: 'bearer', token },
      });
      const config = await catalog.loadConfig();
      assert.equal(config.overrides?.prefix, prefix);
      await catalog.createNamespace({ namespace: ['via_js'] }, { properties: { source: 'iceberg-js' } });
      assert.equal(await catalog.namespaceExists({ namespace: ['via_js'] }), true);
      assert.equal(await catalog.namespaceExists({ namespace: ['not_there'] }), false);
      assert.deepEqual(await catalog.loadNamespaceMetadata({ namespace: ['via_js'] }), {
        properties: { source: 'iceberg-js' },
      });
      const first = await catalog.listNamespaces({ pageSize: 3 });
      assert.equal(first.namespaces.length, 3);
      assert.ok(first.nextPageToken);
      const all = (await catalog.listNamespaces()).namespaces.map((n) => n.namespace.join('.'));
      assert.ok(all.includes('via_js') && all.includes('from_lf'), all.join(','));
      const changed = await catalog.updateNamespaceProperties(
        { namespace: ['via_js'] },
        { removals: ['source', 'nope'], updates: { team: 'x' } },
      );
      assert.deepEqual(changed, { updated: ['team'], removed: ['source'], missing: ['nope'] });
      await catalog.dropNamespace({ namespace: ['via_js'] });
      assert.equal(await catalog.namespaceExists({ namespace: ['via_js'] }), false);
      await assert.rejects(
        catalog.dropNamespace({ namespace: ['full'] }),
        (err: Error & { status?: number; icebergType?: string }) =>
          err.status === 409 && err.icebergType === 'NamespaceNotEmptyException',
      );
    });

    test('a token of another project learns nothing of this instance', async () => {
      const created = await server.request('POST', '/v3/projects', { token, body: { project: { name: 'ice-other' } } });
      assert.equal(created.status, 201, created.text);
      const other = await server.login('admin', server.adminPassword, 'ice-other');
      const cfg = await ice('GET', '/config', { t: other.token, query: { warehouse: `${instance}/lake` } });
      assert.equal(cfg.status, 404);
      const nope = await ice('GET', '/config', { t: other.token, query: { warehouse: `${instance}/nothing` } });
      assert.deepEqual(
        { status: nope.status, type: nope.json.error.type },
        { status: cfg.status, type: cfg.json.error.type },
      );
      assert.equal((await ice('GET', ns(), { t: other.token })).status, 404);
      assert.equal((await ice('GET', `${ns()}/props`, { t: other.token })).status, 404);
      assert.equal((await ice('DELETE', `${ns()}/props`, { t: other.token })).status, 404);
      assert.equal((await ice('HEAD', `${ns()}/props`)).status, 204, 'still there');
    });
  });
}

for (const backend of await backends()) {
  describe(`iceberg request rate (${backend.name})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '3' } });
    });
    after(async () => {
      await server?.stop();
    });

    test("Iceberg calls count against the instance's QPS spec; another project's calls do not spend it", async () => {
      const { token, projectId } = await server.login();
      const instance = await createRunningInstance(server, token, projectId, 'ice_rate');
      const prefix = `${instance}~hive`;
      const list = (t: string) =>
        server.request('GET', `/iceberg/v1/${prefix}/namespaces`, { headers: { Authorization: `Bearer ${t}` } });
      assert.equal(
        (await server.request('POST', '/v3/projects', { token, body: { project: { name: 'rate-other' } } })).status,
        201,
      );
      const other = await server.login('admin', server.adminPassword, 'rate-other');
      await new Promise((r) => setTimeout(r, 1100)); // a full bucket: 5 strides × 3 = 15 calls
      const foreign = await Promise.all(Array.from({ length: 30 }, () => list(other.token)));
      assert.deepEqual([...new Set(foreign.map((r) => r.status))], [404]);
      const started = performance.now();
      const mine = await Promise.all(Array.from({ length: 25 }, () => list(token)));
      const refill = Math.ceil(((performance.now() - started) / 1000) * 15);
      const codes = mine.map((r) => r.status);
      // 15 in the bucket, plus what refills (15/s) while the burst is served.
      const ok = codes.filter((c) => c === 200).length;
      assert.ok(ok >= 15 && ok <= 15 + refill && ok < 25, `${codes} (refill ${refill})`);
      assert.equal(codes.filter((c) => c === 429).length, 25 - ok, String(codes));
      const refused = mine.find((r) => r.status === 429);
      assert.equal(refused?.json.error.type, 'TooManyRequestsException');
    });
  });
}
