// Vended storage credentials (ShowCredential): validated before anything is issued, scoped to
// exactly one prefix, never widened by names or locations, and usable for nothing else. Each
// test is an attack of a known class (vending before validation, wildcard names, locations
// that reach other tables' or other projects' data) or the proof that the scope holds.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { signRequest } from '../src/services/iam/request-signature.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`vended credentials (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let other: string;
    const users: Record<string, string> = {};
    const base = () => `/v1/${project}/instances/${instance}`;
    const tables = () => `${base()}/catalogs/c/databases/d/tables`;
    const vend = (body: Record<string, unknown>, as = token) =>
      server.request('POST', `${base()}/credential`, { token: as, body });
    const onTable = (table_name: string, extra: Record<string, unknown> = {}) => ({
      table: { catalog_name: 'c', database_name: 'd', table_name },
      ...extra,
    });
    const put = (key: string) => {
      const file = path.join(server.dataDir, 'warehouse', 'lakeform', key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, 'rows');
    };

    /** Calls an operation signed with a vended credential. */
    async function withCredential(cred: { access: string; secret: string; security_token: string }, urlPath: string) {
      const url = `${server.url}${urlPath}`;
      const headers = signRequest({
        method: 'GET',
        url,
        accessKey: cred.access,
        secretKey: cred.secret,
        headers: { 'X-Project-Id': project, 'X-Security-Token': cred.security_token },
      });
      const r = await fetch(url, { headers });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    }
    const listWith = async (cred: { access: string; secret: string; security_token: string }, prefix = '') =>
      withCredential(
        cred,
        `/v1/${project}/obs/buckets/lakeform?limit=1000${prefix ? `&prefix=${encodeURIComponent(prefix)}` : ''}`,
      );

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'cred_inst');
      other = await createRunningInstance(server, token, project, 'cred_other');
      const ok = async (method: string, p: string, body?: unknown) => {
        const r = await server.request(method, p, { token, body });
        assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
        return r;
      };
      await ok('POST', `${base()}/catalogs`, { catalog_name: 'c' });
      await ok('POST', `${base()}/catalogs/c/databases`, { database_name: 'd' });
      const table = (name: string, extra: Record<string, unknown> = {}) =>
        ok('POST', tables(), {
          table_name: name,
          table_type: 'MANAGED_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
          ...extra,
        });
      await table('orders');
      await table('orders2');
      await table('view1', {
        table_type: 'VIRTUAL_VIEW',
        view_original_text: 'select 1',
        storage_descriptor: { columns: [] },
      });
      const dbLocation = (await ok('GET', `${base()}/catalogs/c/databases/d`)).json.location as string;
      await table('wide', { table_type: 'EXTERNAL_TABLE', storage_descriptor: { columns: [], location: dbLocation } });
      for (const name of ['reader', 'nobody']) {
        await ok('POST', '/v3/users', { user: { name, password: 'Pass-word-123' } });
        users[name] = (await server.login(name, 'Pass-word-123')).token;
      }
      await ok('POST', `${base()}/policies/grant`, {
        effect: true,
        principal_list: [{ principal_name: 'reader', principal_source: 'IAM', principal_type: 'USER' }],
        resource: {
          type: 'TABLE',
          catalogs: [{ name: 'c', databases: [{ name: 'd', tables: [{ name: 'orders' }] }] }],
        },
        permissions: ['SELECT'],
      });
      for (const key of [
        'c/d.db/orders/part-0.parquet',
        'c/d.db/orders/dt=1/part-1.parquet',
        'c/d.db/orders2/part-0.parquet',
      ])
        put(`instances/${instance}/${key}`);
      put(`instances/${other}/secret.parquet`);
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'a reader of a table gets a temporary credential that lists ' +
        "exactly that table's prefix, not its sibling orders2",
      async () => {
        const r = await vend(onTable('orders', { user_names: ['reader'] }), users.reader);
        assert.equal(r.status, 200, r.text);
        for (const k of ['access', 'secret', 'security_token', 'expires_at']) assert.ok(r.json[k], k);
        assert.equal(r.json.location, `obs://lakeform/instances/${instance}/c/d.db/orders`);
        const ttl = Date.parse(r.json.expires_at) - Date.now();
        assert.ok(ttl > 3_540_000 && ttl <= 3_600_000 + 5000, `by default it lasts the reference's hour (${ttl} ms)`);
        const everything = await listWith(r.json);
        assert.equal(everything.status, 200, JSON.stringify(everything.json));
        assert.deepEqual(everything.json.object_names, [
          `instances/${instance}/c/d.db/orders/dt=1/part-1.parquet`,
          `instances/${instance}/c/d.db/orders/part-0.parquet`,
        ]);
        assert.deepEqual(
          (await listWith(r.json, `instances/${instance}/c/d.db/orders2`)).json.object_names,
          [],
          'a sibling prefix is outside the scope',
        );
        assert.deepEqual((await listWith(r.json, `instances/${other}/`)).json.object_names, []);
        assert.equal((await withCredential(r.json, `/v1/${project}/obs/buckets/elsewhere?limit=10`)).status, 404);
        // The credential is for storage only: no other operation accepts it.
        const api = await withCredential(r.json, `${tables()}`);
        assert.equal(api.status, 403, JSON.stringify(api.json));
        assert.match(String(api.json.error_msg), /storage credential/);
        assert.equal((await withCredential(r.json, `/v1/${project}/obs/buckets`)).status, 403);
        // Asking again refreshes: a second, independent credential.
        const again = await vend(onTable('orders'), users.reader);
        assert.notEqual(again.json.access, r.json.access);
        assert.equal((await listWith(again.json)).status, 200);
      },
    );

    test(
      'validation comes before vending: an invisible table is 404, a ' +
        'missing privilege 403, and neither issues anything',
      async () => {
        const invisible = await vend(onTable('orders'), users.nobody);
        assert.equal(invisible.status, 404, invisible.text);
        assert.equal(invisible.json.access, undefined);
        assert.deepEqual(
          await vend(onTable('orders2'), users.reader).then((r) => r.status),
          404,
          'no grant reaches orders2',
        );
        const write = await vend(onTable('orders', { access: 'READ_WRITE' }), users.reader);
        assert.equal(write.status, 403, write.text);
        assert.match(write.json.error_msg, /INSERT/);
        assert.equal((await vend(onTable('nosuch'), users.reader)).status, 404);
      },
    );

    test('names cannot widen a scope: wildcards and pattern characters are refused by the name rules', async () => {
      for (const name of ['order*', 'orders%', 'ord?rs', 'orders/..', '*']) {
        const r = await vend(onTable(name), users.reader);
        assert.equal(r.status, 400, `${name}: ${r.status} ${r.text}`);
      }
      assert.equal(
        (await vend({ table: { catalog_name: '*', database_name: 'd', table_name: 'orders' } }, users.reader)).status,
        400,
      );
    });

    test(
      'principals: a user asks only for itself; an administrator ' +
        'asking for others needs them to hold the privilege',
      async () => {
        assert.equal((await vend(onTable('orders', { user_names: ['nobody'] }), users.reader)).status, 403);
        assert.equal((await vend(onTable('orders', { roles: ['any_role'] }), users.reader)).status, 403);
        const forReader = await vend(onTable('orders', { user_names: ['reader'] }));
        assert.equal(forReader.status, 200, forReader.text);
        const refused = await vend(onTable('orders2', { user_names: ['reader'] }));
        assert.equal(refused.status, 403, refused.text);
        assert.match(refused.json.error_msg, /reader lack SELECT/);
      },
    );

    test(
      'locations: a view has none; a table whose location holds other ' +
        "tables gets nothing; bare locations stay in the project's own space",
      async () => {
        assert.equal((await vend(onTable('view1'))).status, 400);
        const wide = await vend(onTable('wide'));
        assert.equal(wide.status, 403, wide.text);
        assert.match(wide.json.error_msg, /also holds table c\.d\.orders/);
        const foreign = await vend({ location: `obs://lakeform/instances/${other}` });
        assert.equal(foreign.status, 403, "another instance's folder");
        assert.equal((await vend({ location: `obs://lakeform/instances/${instance}/c/*` })).status, 400);
        assert.equal((await vend({ location: `obs://lakeform/instances/${instance}/c/../../${other}` })).status, 400);
        assert.equal((await vend({ location: 'obs://lakeform/elsewhere' })).status, 403, 'not authorized');
        assert.equal(
          (await vend({ location: 'obs://lakeform/elsewhere' }, users.reader)).status,
          403,
          'bare locations are for administrators',
        );
        // Creating a table that points into another instance's folder is refused up front.
        const sneaky = await server.request('POST', tables(), {
          token,
          body: {
            table_name: 'sneaky',
            table_type: 'EXTERNAL_TABLE',
            owner_type: 'USER',
            storage_descriptor: { columns: [], location: `obs://lakeform/instances/${other}` },
          },
        });
        assert.equal(sneaky.status, 403, sneaky.text);
        const viaFile = await server.request('POST', tables(), {
          token,
          body: {
            table_name: 'sneaky2',
            table_type: 'EXTERNAL_TABLE',
            owner_type: 'USER',
            storage_descriptor: {
              columns: [],
              location: `file://${path.join(server.dataDir, 'warehouse', 'lakeform', 'instances', other, 'x')}`,
            },
          },
        });
        assert.equal(viaFile.status, 403, `the same folder spelled as a file: ${viaFile.text}`);
      },
    );

    test(
      "identities without a table (the reference's request): the " +
        'credential reaches the tables they hold the privilege on, and ' +
        'nothing else',
      async () => {
        for (const [body, as] of [
          [{ user_names: ['reader'] }, token],
          [{ user_names: ['reader'] }, users.reader],
          [{ user_names: ['reader', 'nobody'], groups: [], roles: [] }, token],
        ] as const) {
          const r = await vend(body, as);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.json.tables, ['c.d.orders']);
          assert.equal(r.json.locations.length, 1);
          assert.match(r.json.locations[0], /\/c\/d\.db\/orders$/);
          const names = (await listWith(r.json)).json.object_names as string[];
          assert.deepEqual(names.sort(), [
            `instances/${instance}/c/d.db/orders/dt=1/part-1.parquet`,
            `instances/${instance}/c/d.db/orders/part-0.parquet`,
          ]);
          assert.deepEqual(
            (await listWith(r.json, `instances/${instance}/c/d.db/orders2`)).json.object_names,
            [],
            'not the sibling orders2',
          );
        }
        const none = await vend({ user_names: ['nobody'] });
        assert.equal(none.status, 403, none.text);
        assert.match(none.json.error_msg, /user nobody hold SELECT on no table/);
        assert.equal((await vend({ user_names: ['reader'] }, users.nobody)).status, 403, 'only for itself');
        const write = await vend({ user_names: ['reader'], access: 'READ_WRITE' });
        assert.equal(write.status, 403, 'SELECT is no INSERT');
      },
    );

    test(
      'among many near-miss locations (t1 and t10, `_` and `%` in paths, both spellings) the lookups find exactly ' +
        'the table asked for and the tables truly under it',
      async () => {
        const ok = async (method: string, p: string, body?: unknown) => {
          const r = await server.request(method, p, { token, body });
          assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
        };
        await ok('POST', `${base()}/catalogs/c/databases`, { database_name: 'near' });
        const root = `obs://lakeform/instances/${instance}/c/near.db`;
        const at = {
          t1: `${root}/t1`,
          t10: `${root}/t10`,
          t1_x: `${root}/t1_x`,
          pct1: `${root}/t1%`, // its own credential would be refused: `%` is a policy character
          w_1: `${root}/w_1`,
          wx1: `${root}/wx1/sub`, // what an unescaped `w_1/%` would take for a table under w_1
          wpct: `${root}/w%1/sub`,
          holder: `${root}/h`,
          held: `s3://lakeform/instances/${instance}/c/near.db/h/inner`, // the other spelling, truly under h
          hx: `${root}/hx`,
        };
        // Filler first: the tables asked for are not the first rows of the instance.
        for (let i = 0; i < 30; i++) at[`f${i}` as keyof typeof at] = `${root}/t1${i}x/f`;
        for (const [name, location] of Object.entries(at))
          await ok('POST', `${base()}/catalogs/c/databases/near/tables`, {
            table_name: name,
            table_type: 'EXTERNAL_TABLE',
            owner_type: 'USER',
            storage_descriptor: { columns: [], location },
          });
        const near = (table_name: string) => ({ table: { catalog_name: 'c', database_name: 'near', table_name } });
        for (const name of ['t1', 't10', 'w_1', 'hx']) {
          const r = await vend(near(name));
          assert.equal(r.status, 200, `${name}: no other table lies under its location: ${r.text}`);
          assert.equal(r.json.location, at[name as keyof typeof at]);
        }
        const holder = await vend(near('holder'));
        assert.equal(holder.status, 403, holder.text);
        assert.match(holder.json.error_msg, /also holds table c\.near\.held/);

        // The identity path: grants (exact, `*`, a denial) and ownership decide, in SQL, among all of them.
        await ok('POST', '/v3/users', { user: { name: 'picker', password: 'Pass-word-123' } });
        const grant = async (effect: boolean, name: string) =>
          ok('POST', `${base()}/policies/grant`, {
            effect,
            principal_list: [{ principal_name: 'picker', principal_source: 'IAM', principal_type: 'USER' }],
            resource: { type: 'TABLE', catalogs: [{ name: 'c', databases: [{ name: 'near', tables: [{ name }] }] }] },
            permissions: ['SELECT'],
          });
        const picked = async () => {
          const r = await vend({ user_names: ['picker'] });
          assert.equal(r.status, 200, r.text);
          return { tables: [...r.json.tables].sort(), locations: [...r.json.locations].sort() };
        };
        await grant(true, 'w_1');
        assert.deepEqual(await picked(), { tables: ['c.near.w_1'], locations: [at.w_1] }, '`_` is no wildcard');
        await grant(true, 't1*');
        await grant(false, 't1_x');
        const both = await picked();
        assert.deepEqual(
          both.tables,
          ['c.near.t1', 'c.near.t10', 'c.near.w_1'],
          'the denial of t1_x holds over the pattern',
        );
        assert.deepEqual(both.locations, [at.t1, at.t10, at.w_1].sort());
      },
    );

    test(
      'an identity with 20,000 table grants (through its group) and 5,000 denials (through a role) gets exactly the ' +
        'tables it reaches or owns, and once it reaches more than a credential covers, a refusal: never a 500',
      async () => {
        const ok = async (method: string, p: string, body?: unknown, query?: Record<string, string>) => {
          const r = await server.request(method, p, { token, body, query });
          assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
          return r;
        };
        await ok('POST', `${base()}/catalogs/c/databases`, { database_name: 'bulk' });
        await ok('POST', '/v3/users', { user: { name: 'hoarder', password: 'Pass-word-123' } });
        const group = (await ok('POST', '/v3/groups', { group: { name: 'hoarders' } })).json.group.id as string;
        const user = (await ok('GET', '/v3/users', undefined, { name: 'hoarder' })).json.users[0].id as string;
        await ok('PUT', `/v3/groups/${group}/users/${user}`);
        await ok('POST', `${base()}/roles`, { role_name: 'hoard_role' });
        await ok('POST', `${base()}/roles/hoard_role/grant-principals`, [
          { principal_name: 'hoarders', principal_source: 'IAM', principal_type: 'GROUP' },
        ]);
        const table = (name: string, extra: Record<string, unknown> = {}) =>
          ok('POST', `${base()}/catalogs/c/databases/bulk/tables`, {
            table_name: name,
            table_type: 'MANAGED_TABLE',
            owner_type: 'USER',
            storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
            ...extra,
          });
        for (const name of ['keep0', 'keep1', 'keep2', 'other']) await table(name);
        await table('mine', { owner: 'hoarder' });
        await table('theirs', { owner: 'Hoard_Role', owner_type: 'ROLE' });

        // Written straight into the store: 25,000 grants through the API would take minutes. The grants name tables
        // that do not exist (dropped, or never made) beside the few that do.
        const store = (server.running as RunningServer).services.store;
        const now = new Date().toISOString();
        const policy = (principal: [string, string, string], effect: number, name: string) => ({
          instance_id: instance,
          principal_type: principal[0],
          principal_source: principal[1],
          principal_name: principal[2],
          resource_type: 'TABLE',
          resource_name: `c.bulk.${name}`,
          resource: JSON.stringify({
            type: 'TABLE',
            catalogs: [{ name: 'c', databases: [{ name: 'bulk', tables: [{ name }] }] }],
          }),
          effect,
          permissions: '["SELECT"]',
          grantable: '[]',
          condition: null,
          data_filter: null,
          data_mask: null,
          created_by: 'admin',
          created_at: now,
          updated_at: now,
        });
        const grant = async (principal: [string, string, string], effect: number, names: string[]) => {
          const rows = names.map((n) => policy(principal, effect, n));
          for (let i = 0; i < rows.length; i += 500)
            await store.db
              .insertInto('policies')
              .values(rows.slice(i, i + 500))
              .execute();
        };
        const gone = (n: number) => Array.from({ length: n }, (_, i) => `gone${i}`);
        await grant(['GROUP', 'IAM', 'hoarders'], 1, [...gone(20_000), 'keep0', 'keep1', 'keep2']);
        await grant(['ROLE', 'LOCAL', 'hoard_role'], 0, [...gone(5_000), 'keep2', 'mine', 'theirs']);

        const reached = async (body: Record<string, unknown>) => {
          const r = await vend(body);
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json.locations.length, r.json.tables.length);
          return [...r.json.tables].sort();
        };
        assert.deepEqual(
          await reached({ user_names: ['hoarder'] }),
          ['c.bulk.keep0', 'c.bulk.keep1', 'c.bulk.mine'],
          'the denial of keep2 holds; what the user owns it reaches though denied',
        );
        assert.deepEqual(
          await reached({ user_names: ['hoarder'], roles: ['HOARD_ROLE'] }),
          ['c.bulk.keep0', 'c.bulk.keep1', 'c.bulk.mine', 'c.bulk.theirs'],
          'the role owns theirs, whatever the case of its name',
        );

        const more = Array.from({ length: 51 }, (_, i) => `more${i}`);
        for (const name of more) await table(name);
        await grant(['GROUP', 'IAM', 'hoarders'], 1, more);
        const tooMany = await vend({ user_names: ['hoarder'] });
        assert.equal(tooMany.status, 400, tooMany.text);
        assert.match(tooMany.json.error_msg, /reach more than 50 tables/);

        // Denials the statements leave to the grant rules (beyond the first 5,000) refuse rows of a full page: the
        // tables behind them are still found.
        await grant(['ROLE', 'LOCAL', 'hoard_role'], 0, more.slice(0, 5));
        assert.deepEqual(
          await reached({ user_names: ['hoarder'] }),
          ['c.bulk.keep0', 'c.bulk.keep1', 'c.bulk.mine', ...more.slice(5).map((n) => `c.bulk.${n}`)].sort(),
        );
      },
    );

    test('an administrator asking for itself without a table gets the instance folder, and only it', async () => {
      const r = await vend({ user_names: ['admin'] });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.location, `obs://lakeform/instances/${instance}`);
      const names = (await listWith(r.json)).json.object_names as string[];
      assert.ok(names.length >= 3 && names.every((n) => n.startsWith(`instances/${instance}/`)), names.join(' '));
      assert.equal((await vend({}, users.reader)).status, 403, 'a non-administrator must name a table');
    });
  });
}
