// LakeCat grants (policies): grant, revoke, show, check-permission and the Ranger-style sync, on both stores.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { prng } from './helpers/prng.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const role = (name: string) => ({ principal_name: name, principal_source: 'LOCAL', principal_type: 'ROLE' });
const user = (name: string) => ({ principal_name: name, principal_source: 'IAM', principal_type: 'USER' });
const group = (name: string) => ({ principal_name: name, principal_source: 'IAM', principal_type: 'GROUP' });
const tableRes = (table: string, db = 'sales', columns?: { column_name: string[]; filter: string }) => ({
  type: columns ? 'COLUMN' : 'TABLE',
  catalogs: [{ name: 'pc', databases: [{ name: db, tables: [{ name: table, ...(columns ? { columns } : {}) }] }] }],
});
const dbRes = (db: string) => ({ type: 'DATABASE', catalogs: [{ name: 'pc', databases: [{ name: db }] }] });
const onTable = (table: string, extra: Record<string, unknown> = {}) => ({
  resource_type: 'TABLE',
  catalog: 'pc',
  database: 'sales',
  table,
  ...extra,
});

for (const backend of await backends()) {
  describe(`policies (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const base = () => `/v1/${project}/instances/${instance}`;
    const grant = (body: Record<string, unknown>) =>
      server.request('POST', `${base()}/policies/grant`, { token, body: { effect: true, ...body } });
    const revoke = (body: Record<string, unknown>) =>
      server.request('POST', `${base()}/policies/revoke`, { token, body: { effect: true, ...body } });
    const check = async (...requests: { action: string; principal: unknown[]; resource: unknown }[]) => {
      const r = await server.request('POST', `${base()}/policies/check-permission`, {
        token,
        body: { access_request: requests },
      });
      assert.equal(r.status, 200, r.text);
      return r.json.map((x: { check_result: boolean }) => x.check_result);
    };

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'policy_inst');
      const cat = `${base()}/catalogs`;
      assert.equal((await server.request('POST', cat, { token, body: { catalog_name: 'pc' } })).status, 201);
      for (const db of ['sales', 'hr'])
        assert.equal(
          (await server.request('POST', `${cat}/pc/databases`, { token, body: { database_name: db } })).status,
          201,
        );
      for (const t of ['orders', 'order_lines', 'refunds']) {
        assert.equal(
          (
            await server.request('POST', `${cat}/pc/databases/sales/tables`, {
              token,
              body: {
                table_name: t,
                table_type: 'EXTERNAL_TABLE',
                owner_type: 'USER',
                storage_descriptor: { columns: [{ column_name: 'id', column_type: 'int' }] },
              },
            })
          ).status,
          201,
        );
      }
      for (const r of ['analyst', 'lead', 'auditor'])
        assert.equal((await server.request('POST', `${base()}/roles`, { token, body: { role_name: r } })).status, 201);
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'dana', password: 'Pass-word-123' } },
          })
        ).status,
        201,
      );
      const g = await server.request('POST', '/v3/groups', { token, body: { group: { name: 'bi' } } });
      const u = await server.request('GET', '/v3/users', { token, query: { name: 'dana' } });
      assert.equal(
        (await server.request('PUT', `/v3/groups/${g.json.group.id}/users/${u.json.users[0].id}`, { token })).status,
        204,
      );
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'grant merges permissions, show lists them, check agrees, revoke ' + 'removes them (and the policy when empty)',
      async () => {
        const r = await grant({
          principal_list: [role('analyst')],
          resource: tableRes('orders'),
          permissions: ['SELECT', 'DESCRIBE'],
        });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(
          r.json.policies.map((p: { resource_name: string; permissions: string[] }) => [
            p.resource_name,
            p.permissions,
          ]),
          [['pc.sales.orders', ['DESCRIBE', 'SELECT']]],
        );
        assert.deepEqual(
          await check(
            { action: 'SELECT', principal: [role('analyst')], resource: onTable('orders') },
            { action: 'DROP', principal: [role('analyst')], resource: onTable('orders') },
          ),
          [true, false],
        );
        assert.equal(
          (
            await grant({
              principal_list: [role('Analyst')],
              resource: tableRes('orders'),
              permissions: ['INSERT'],
              grant_able_permissions: ['SELECT'],
            })
          ).status,
          200,
        );
        const shown = await server.request('GET', `${base()}/policies/show`, {
          token,
          query: { principal_type: 'ROLE', principal_name: 'analyst' },
        });
        assert.equal(shown.status, 200, shown.text);
        assert.equal(shown.json.policies.length, 1);
        assert.deepEqual(shown.json.policies[0].permissions, ['DESCRIBE', 'INSERT', 'SELECT']);
        assert.deepEqual(shown.json.policies[0].grant_able_permissions, ['SELECT']);
        assert.equal(shown.json.policies[0].project_id, project);
        assert.equal(
          (await revoke({ principal_list: [role('analyst')], resource: tableRes('orders'), permissions: ['SELECT'] }))
            .status,
          200,
        );
        assert.deepEqual(await check({ action: 'SELECT', principal: [role('analyst')], resource: onTable('orders') }), [
          false,
        ]);
        assert.equal(
          (await revoke({ principal_list: [role('analyst')], resource: tableRes('orders'), permissions: ['ALL'] }))
            .status,
          200,
        );
        assert.deepEqual(
          (
            await server.request('GET', `${base()}/policies/show`, {
              token,
              query: { principal_type: 'ROLE', principal_name: 'analyst' },
            })
          ).json.policies,
          [],
        );
        assert.equal(
          (await revoke({ principal_list: [role('analyst')], resource: tableRes('orders'), permissions: ['ALL'] }))
            .status,
          200,
          'revoking what is not granted changes nothing',
        );
      },
    );

    test(
      'grants reach a user through groups and nested roles; parents ' +
        'and wildcards cover what is below; deny overrides allow',
      async () => {
        assert.equal(
          (await server.request('POST', `${base()}/roles/lead/grant-principals`, { token, body: [group('bi')] }))
            .status,
          200,
        );
        assert.equal(
          (await server.request('POST', `${base()}/roles/analyst/grant-principals`, { token, body: [role('lead')] }))
            .status,
          200,
        );
        assert.equal(
          (await grant({ principal_list: [role('analyst')], resource: dbRes('sales'), permissions: ['SELECT'] }))
            .status,
          200,
        );
        // dana -> group bi -> role lead -> role analyst -> SELECT on database sales
        assert.deepEqual(
          await check(
            { action: 'SELECT', principal: [user('dana')], resource: onTable('orders') },
            {
              action: 'SELECT',
              principal: [user('dana')],
              resource: { resource_type: 'TABLE', catalog: 'pc', database: 'hr', table: 'x' },
            },
            { action: 'SELECT', principal: [user('admin')], resource: onTable('orders') },
          ),
          [true, false, false],
        );
        assert.equal(
          (await grant({ principal_list: [user('dana')], resource: tableRes('order*'), permissions: ['ALTER'] }))
            .status,
          200,
        );
        assert.deepEqual(
          await check(
            { action: 'ALTER', principal: [user('dana')], resource: onTable('order_lines') },
            { action: 'ALTER', principal: [user('dana')], resource: onTable('refunds') },
          ),
          [true, false],
        );
        assert.equal(
          (
            await grant({
              principal_list: [group('bi')],
              resource: tableRes('refunds'),
              permissions: ['SELECT'],
              effect: false,
            })
          ).status,
          200,
        );
        assert.deepEqual(
          await check(
            { action: 'SELECT', principal: [user('dana')], resource: onTable('refunds') },
            { action: 'SELECT', principal: [user('dana')], resource: onTable('orders') },
          ),
          [false, true],
        );
        assert.equal(
          (await server.request('POST', `${base()}/roles/lead/revoke-principals`, { token, body: [group('bi')] }))
            .status,
          200,
        );
        assert.deepEqual(
          await check({ action: 'SELECT', principal: [user('dana')], resource: onTable('orders') }),
          [false],
          'leaving the role ends the grant at once',
        );
      },
    );

    test('column grants include or exclude columns; a column grant does not cover the whole table', async () => {
      assert.equal(
        (
          await grant({
            principal_list: [role('auditor')],
            resource: tableRes('orders', 'sales', { column_name: ['id', 'amount'], filter: 'Include' }),
            permissions: ['SELECT'],
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await grant({
            principal_list: [role('auditor')],
            resource: tableRes('refunds', 'sales', { column_name: ['secret'], filter: 'Exclude' }),
            permissions: ['SELECT'],
          })
        ).status,
        200,
      );
      const col = (table: string, columns: string[]) => ({
        action: 'SELECT',
        principal: [role('auditor')],
        resource: { ...onTable(table), resource_type: 'COLUMN', columns },
      });
      assert.deepEqual(
        await check(
          col('orders', ['id']),
          col('orders', ['id', 'note']),
          col('refunds', ['id']),
          col('refunds', ['secret']),
          { action: 'SELECT', principal: [role('auditor')], resource: onTable('orders') },
        ),
        [true, false, true, false, false],
      );
    });

    test(
      'bad grants: missing objects or principals are 404 and nothing ' + 'is granted; non-administrators are refused',
      async () => {
        const before = (await server.request('GET', `${base()}/policies/show`, { token })).json.policies.length;
        const r = await grant({
          principal_list: [role('analyst'), user('nobody')],
          resource: tableRes('ghost'),
          permissions: ['SELECT'],
        });
        assert.equal(r.status, 404, r.text);
        assert.match(r.json.error_msg, /ghost/);
        assert.match(r.json.error_msg, /nobody/);
        assert.equal((await server.request('GET', `${base()}/policies/show`, { token })).json.policies.length, before);
        assert.equal(
          (
            await grant({
              principal_list: [role('analyst')],
              resource: { type: 'MODEL', catalogs: [{ name: 'pc' }] },
              permissions: ['SELECT'],
            })
          ).status,
          400,
        );
        assert.equal(
          (
            await grant({
              principal_list: [role('analyst')],
              resource: { type: 'TABLE', catalogs: [{ name: 'pc' }] },
              permissions: ['SELECT'],
            })
          ).status,
          400,
        );
        assert.equal(
          (await grant({ principal_list: [role('analyst')], resource: tableRes('orders'), permissions: ['FLY'] }))
            .status,
          400,
        );
        // A condition cannot be evaluated (no request carries its context): refused, never stored to allow always.
        for (const verb of ['grant', 'revoke']) {
          const c = await server.request('POST', `${base()}/policies/${verb}`, {
            token,
            body: {
              effect: true,
              principal_list: [role('analyst')],
              resource: tableRes('orders'),
              permissions: ['SELECT'],
              conditions: 'ip=127.0.0.1',
            },
          });
          assert.equal(c.status, 400, c.text);
          assert.match(c.json.error_msg, /conditions "ip=127\.0\.0\.1" cannot be evaluated/);
        }
        assert.equal((await server.request('GET', `${base()}/policies/show`, { token })).json.policies.length, before);
        const dana = await server.login('dana', 'Pass-word-123');
        assert.equal(
          (
            await server.request('POST', `${base()}/policies/grant`, {
              token: dana.token,
              body: {
                effect: true,
                principal_list: [user('dana')],
                resource: tableRes('orders'),
                permissions: ['ALL'],
              },
            })
          ).status,
          403,
        );
      },
    );

    test('ListPolicy returns Ranger policies; show pages by marker', async () => {
      const r = await server.request('GET', `${base()}/policies`, { token, query: { limit: 2 } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.policies.length, 2);
      const p = r.json.policies[0];
      assert.ok(p.resources.catalog && Array.isArray(p.policy_items) && Array.isArray(p.deny_policy_items));
      const all: number[] = [];
      let marker: string | undefined;
      do {
        const page = await server.request('GET', `${base()}/policies`, { token, query: { limit: 2, marker } });
        all.push(...page.json.policies.map((x: { id: number }) => x.id));
        marker = page.json.page_info.next_marker;
      } while (marker);
      const shown = await server.request('GET', `${base()}/policies/show`, { token });
      assert.equal(all.length, shown.json.policies.length);
      const deny = (
        await server.request('GET', `${base()}/policies`, { token, query: { limit: 100 } })
      ).json.policies.find((x: { deny_policy_items: unknown[] }) => x.deny_policy_items.length);
      assert.deepEqual(deny.deny_policy_items[0].groups, ['bi']);
    });

    test('ListInterfaces applies its filter: a keyword in the principal or resource name, any case', async () => {
      type Shown = { principal_name: string; resource_name: string };
      const all = (await server.request('GET', `${base()}/policies/show`, { token })).json.policies as Shown[];
      const hits = (kw: string) =>
        all.filter((p) => `${p.principal_name}\n${p.resource_name}`.toLowerCase().includes(kw.toLowerCase()));
      // A keyword that narrows the list: part of a principal's or a resource's name.
      const words = all.flatMap((p) => [p.principal_name, p.resource_name.split('.').at(-1) ?? '']);
      const kw = words.map((w) => w.slice(1, 4)).find((w) => w && hits(w).length < all.length) ?? 'x';
      for (const filter of [kw, kw.toUpperCase(), 'bi', 'no_such%thing']) {
        const r = await server.request('GET', `${base()}/policies/show`, { token, query: { filter } });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(
          r.json.policies,
          all.filter((p) => hits(filter).includes(p)),
          filter,
        );
      }
      assert.ok(hits(kw).length > 0 && hits(kw).length < all.length, `the keyword ${kw} narrows the list`);
    });

    test('reverse_page without a marker lists the last page; its previous_marker pages back', async () => {
      const all = (await server.request('GET', `${base()}/policies/show`, { token })).json.policies;
      assert.ok(all.length > 2);
      const last = await server.request('GET', `${base()}/policies/show`, {
        token,
        query: { limit: 2, reverse_page: true },
      });
      assert.equal(last.status, 200, last.text);
      assert.deepEqual(last.json.policies, all.slice(-2), 'the end of the listing, in listing order');
      assert.equal(last.json.page_info.next_marker, undefined, 'nothing follows the last page');
      const before = await server.request('GET', `${base()}/policies/show`, {
        token,
        query: { limit: 2, reverse_page: true, marker: last.json.page_info.previous_marker },
      });
      assert.deepEqual(before.json.policies, all.slice(-4, -2));
    });

    test(
      'grants are enforced on tables: what a grant reaches is visible, ' +
        'actions it lacks are 403, the rest stays invisible',
      async () => {
        const dana = (await server.login('dana', 'Pass-word-123')).token;
        const t = `${base()}/catalogs/pc/databases/sales/tables`;
        // From the tests above, dana holds ALTER on tables order* directly, and nothing else that reaches sales.
        const names = await server.request('GET', `${t}/names`, { token: dana });
        assert.equal(names.status, 200, names.text);
        assert.deepEqual(names.json, ['order_lines', 'orders']);
        const listed = await server.request('GET', t, { token: dana });
        assert.deepEqual(
          listed.json.tables.map((x: { table_name: string }) => x.table_name),
          ['order_lines', 'orders'],
        );
        assert.equal((await server.request('GET', `${t}/orders`, { token: dana })).status, 200);
        assert.equal(
          (await server.request('GET', `${t}/refunds`, { token: dana })).status,
          404,
          'no grant reaches it: invisible',
        );
        const altered = await server.request('PUT', `${t}/order_lines`, {
          token: dana,
          body: { table: { comments: 'by dana' } },
        });
        assert.equal(altered.status, 200, altered.text);
        const drop = await server.request('DELETE', `${t}/orders`, { token: dana });
        assert.equal(drop.status, 403, drop.text);
        assert.match(drop.json.error_msg, /DROP/);
        const body = {
          table_name: 'dana_t',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [] },
        };
        assert.equal((await server.request('POST', t, { token: dana, body })).status, 403);
        assert.equal(
          (await grant({ principal_list: [user('dana')], resource: dbRes('sales'), permissions: ['CREATE_TABLE'] }))
            .status,
          200,
        );
        const created = await server.request('POST', t, { token: dana, body });
        assert.equal(created.status, 201, created.text);
        assert.equal(created.json.owner, 'dana');
        assert.equal(
          (await server.request('DELETE', `${t}/dana_t`, { token: dana })).status,
          200,
          'the owner may drop what it owns',
        );
        assert.equal(
          (await revoke({ principal_list: [user('dana')], resource: tableRes('order*'), permissions: ['ALTER'] }))
            .status,
          200,
        );
        assert.equal(
          (await server.request('PUT', `${t}/order_lines`, { token: dana, body: { table: { comments: 'again' } } }))
            .status,
          404,
          'a revoke takes effect on the next request',
        );
        assert.deepEqual((await server.request('GET', `${t}/names`, { token: dana })).json, []);
      },
    );

    test(
      'grants are enforced on databases: a grant inside a database ' +
        'makes it visible, ALTER and DROP need their own, ' +
        'CREATE_DATABASE on the catalog creates',
      async () => {
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'erik', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const erik = (await server.login('erik', 'Pass-word-123')).token;
        const dbs = `${base()}/catalogs/pc/databases`;
        assert.equal(
          (await server.request('GET', `${dbs}/names`, { token: erik })).status,
          404,
          'no grant reaches the catalog',
        );
        assert.equal((await server.request('GET', `${dbs}/sales`, { token: erik })).status, 404);
        assert.equal(
          (await grant({ principal_list: [user('erik')], resource: tableRes('orders'), permissions: ['SELECT'] }))
            .status,
          200,
        );
        assert.deepEqual((await server.request('GET', `${dbs}/names`, { token: erik })).json, ['sales']);
        assert.deepEqual(
          (await server.request('GET', dbs, { token: erik })).json.databases.map(
            (d: { database_name: string }) => d.database_name,
          ),
          ['sales'],
        );
        assert.equal((await server.request('GET', `${dbs}/sales`, { token: erik })).status, 200);
        const alter = await server.request('PUT', `${dbs}/sales`, {
          token: erik,
          body: { database_name: 'sales', description: 'x' },
        });
        assert.equal(alter.status, 403, alter.text);
        assert.match(alter.json.error_msg, /ALTER/);
        assert.equal(
          (await grant({ principal_list: [user('erik')], resource: dbRes('sales'), permissions: ['ALTER'] })).status,
          200,
        );
        assert.equal(
          (
            await server.request('PUT', `${dbs}/sales`, {
              token: erik,
              body: { database_name: 'sales', description: 'by erik' },
            })
          ).status,
          200,
        );
        assert.equal((await server.request('DELETE', `${dbs}/hr`, { token: erik })).status, 404, 'no grant reaches hr');
        assert.equal(
          (await server.request('POST', dbs, { token: erik, body: { database_name: 'erik_db' } })).status,
          403,
        );
        assert.equal(
          (
            await grant({
              principal_list: [user('erik')],
              resource: { type: 'CATALOG', catalogs: [{ name: 'pc' }] },
              permissions: ['CREATE_DATABASE'],
            })
          ).status,
          200,
        );
        const created = await server.request('POST', dbs, { token: erik, body: { database_name: 'erik_db' } });
        assert.equal(created.status, 201, created.text);
        assert.deepEqual(
          (await server.request('GET', `${dbs}/names`, { token: erik })).json,
          ['erik_db', 'sales'],
          'CREATE_DATABASE does not reveal the other databases',
        );
        assert.equal(
          (await server.request('DELETE', `${dbs}/erik_db`, { token: erik })).status,
          200,
          'the owner drops what it owns',
        );
      },
    );

    test(
      'grants are enforced on functions: FUNC grants make a function ' +
        'visible, DROP needs its own, CREATE_FUNC on the database creates',
      async () => {
        const fns = `${base()}/catalogs/pc/databases/sales/functions`;
        const fn = (name: string) => ({
          function_name: name,
          class_name: 'com.example.Udf',
          function_type: 'JAVA',
          owner_type: 'USER',
          resource_uris: [{ type: 'JAR', uri: 'obs://lakeform/udf.jar' }],
        });
        assert.equal((await server.request('POST', fns, { token, body: fn('mask_pii') })).status, 201);
        assert.equal((await server.request('POST', fns, { token, body: fn('hash_id') })).status, 201);
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'fay', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const fay = (await server.login('fay', 'Pass-word-123')).token;
        assert.equal(
          (await server.request('GET', `${fns}/names`, { token: fay })).status,
          404,
          'no grant reaches the database',
        );
        assert.equal((await server.request('GET', `${fns}/mask_pii`, { token: fay })).status, 404);
        const funcRes = (name: string) => ({
          type: 'FUNC',
          catalogs: [{ name: 'pc', databases: [{ name: 'sales', functions: [{ name }] }] }],
        });
        assert.equal(
          (
            await grant({
              principal_list: [user('fay')],
              resource: funcRes('mask*'),
              permissions: ['EXEC', 'DESCRIBE'],
            })
          ).status,
          200,
        );
        assert.deepEqual((await server.request('GET', `${fns}/names`, { token: fay })).json, ['mask_pii']);
        assert.equal((await server.request('GET', `${fns}/mask_pii`, { token: fay })).status, 200);
        assert.equal((await server.request('GET', `${fns}/hash_id`, { token: fay })).status, 404);
        const drop = await server.request('DELETE', `${fns}/mask_pii`, { token: fay });
        assert.equal(drop.status, 403, drop.text);
        assert.match(drop.json.error_msg, /DROP/);
        assert.equal(
          (await server.request('GET', `${base()}/catalogs/pc/databases/sales/tables/names`, { token: fay })).json
            .length,
          0,
          'a function grant shows no tables',
        );
        assert.equal((await server.request('POST', fns, { token: fay, body: fn('fay_fn') })).status, 403);
        assert.equal(
          (await grant({ principal_list: [user('fay')], resource: dbRes('sales'), permissions: ['CREATE_FUNC'] }))
            .status,
          200,
        );
        assert.equal((await server.request('POST', fns, { token: fay, body: fn('fay_fn') })).status, 201);
      },
    );

    test(
      'grants are enforced on catalogs: visible when a grant reaches ' +
        'into them; ALTER and DROP need their own grant',
      async () => {
        assert.equal(
          (await server.request('POST', `${base()}/catalogs`, { token, body: { catalog_name: 'other' } })).status,
          201,
        );
        const fay = (await server.login('fay', 'Pass-word-123')).token;
        const names = async () =>
          (await server.request('GET', `${base()}/catalogs`, { token: fay })).json.map(
            (c: { catalog_name: string }) => c.catalog_name,
          );
        assert.deepEqual(await names(), ['pc'], 'fay holds grants inside pc only');
        assert.equal((await server.request('GET', `${base()}/catalogs/other`, { token: fay })).status, 404);
        const alter = await server.request('PUT', `${base()}/catalogs/pc`, {
          token: fay,
          body: { catalog_name: 'pc', description: 'x' },
        });
        assert.equal(alter.status, 403, alter.text);
        assert.match(alter.json.error_msg, /ALTER/);
      },
    );

    test(
      'renaming a role carries its grants; deleting it removes them; ' +
        'an IAM group change takes effect on the next request',
      async () => {
        assert.equal(
          (await server.request('POST', `${base()}/roles`, { token, body: { role_name: 'temp_role' } })).status,
          201,
        );
        assert.equal(
          (await grant({ principal_list: [role('temp_role')], resource: tableRes('refunds'), permissions: ['SELECT'] }))
            .status,
          200,
        );
        assert.equal(
          (await server.request('PUT', `${base()}/roles/temp_role`, { token, body: { role_name: 'renamed_role' } }))
            .status,
          200,
        );
        assert.deepEqual(
          await check({ action: 'SELECT', principal: [role('renamed_role')], resource: onTable('refunds') }),
          [true],
        );
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'gil', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const gil = (await server.login('gil', 'Pass-word-123')).token;
        const g = await server.request('POST', '/v3/groups', { token, body: { group: { name: 'finance' } } });
        assert.equal(
          (
            await server.request('POST', `${base()}/roles/renamed_role/grant-principals`, {
              token,
              body: [group('finance')],
            })
          ).status,
          200,
        );
        const t = `${base()}/catalogs/pc/databases/sales/tables/refunds`;
        assert.equal((await server.request('GET', t, { token: gil })).status, 404);
        const u = await server.request('GET', '/v3/users', { token, query: { name: 'gil' } });
        assert.equal(
          (await server.request('PUT', `/v3/groups/${g.json.group.id}/users/${u.json.users[0].id}`, { token })).status,
          204,
        );
        assert.equal((await server.request('GET', t, { token: gil })).status, 200, 'joining the group grants at once');
        assert.equal(
          (await server.request('DELETE', `/v3/groups/${g.json.group.id}/users/${u.json.users[0].id}`, { token }))
            .status,
          204,
        );
        assert.equal((await server.request('GET', t, { token: gil })).status, 404, 'leaving it revokes at once');
        assert.equal((await server.request('DELETE', `${base()}/roles/renamed_role`, { token })).status, 204);
        const left = await server.request('GET', `${base()}/policies/show`, {
          token,
          query: { principal_type: 'ROLE', principal_name: 'renamed_role' },
        });
        assert.deepEqual(left.json.policies, []);
      },
    );

    test(
      'the audit trail records grants, revokes, role changes and ' +
        'refused requests, newest first, for administrators',
      async () => {
        const deniedEvents = () =>
          server.request('GET', `${base()}/audit-events`, { token, query: { result: 'denied', limit: 5 } });
        // fay was refused this very call before (the function grant test): the newest refusal until now.
        const previous = Number((await deniedEvents()).json.audit_events[0]?.id ?? 0);
        const fay = (await server.login('fay', 'Pass-word-123')).token;
        const refused = await server.request('DELETE', `${base()}/catalogs/pc/databases/sales/functions/mask_pii`, {
          token: fay,
        });
        assert.equal(refused.status, 403);
        // The refusal is recorded after the answer: wait until it is (a fixed 100 ms was too short under load).
        let denied = await deniedEvents();
        for (let i = 0; i < 100 && !(Number(denied.json.audit_events[0]?.id) > previous); i++) {
          await new Promise((r) => setTimeout(r, 20));
          denied = await deniedEvents();
        }
        const all = await server.request('GET', `${base()}/audit-events`, { token, query: { limit: 1000 } });
        assert.equal(all.status, 200, all.text);
        const actions = new Set(all.json.audit_events.map((e: { action: string }) => e.action));
        for (const a of [
          'GRANT',
          'REVOKE',
          'CREATE_ROLE',
          'UPDATE_ROLE',
          'DELETE_ROLE',
          'GRANT_PRINCIPALS',
          'REVOKE_PRINCIPALS',
        ])
          assert.ok(actions.has(a), a);
        const last = denied.json.audit_events[0];
        assert.equal(last.principal, 'fay');
        assert.equal(last.action, 'DeleteFunction');
        assert.match(last.detail, /DROP/);
        const ids = all.json.audit_events.map((e: { id: number }) => e.id);
        assert.deepEqual(
          ids,
          [...ids].sort((a: number, b: number) => b - a),
          'newest first',
        );
        const page = await server.request('GET', `${base()}/audit-events`, { token, query: { limit: 2 } });
        const next = await server.request('GET', `${base()}/audit-events`, {
          token,
          query: { limit: 2, marker: page.json.page_info.next_marker },
        });
        assert.deepEqual(
          [...page.json.audit_events, ...next.json.audit_events].map((e: { id: number }) => e.id),
          ids.slice(0, 4),
        );
        assert.equal((await server.request('GET', `${base()}/audit-events`, { token: fay })).status, 403);
      },
    );

    test('a user whose only grant is on some columns reads the table with those columns only', async () => {
      const cols = [
        { column_name: 'id', column_type: 'int' },
        { column_name: 'amount', column_type: 'double' },
        { column_name: 'ssn', column_type: 'string' },
      ];
      const t = `${base()}/catalogs/pc/databases/hr/tables`;
      assert.equal(
        (
          await server.request('POST', t, {
            token,
            body: {
              table_name: 'staff',
              table_type: 'EXTERNAL_TABLE',
              owner_type: 'USER',
              storage_descriptor: { columns: cols },
            },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'hal', password: 'Pass-word-123' } },
          })
        ).status,
        201,
      );
      const hal = (await server.login('hal', 'Pass-word-123')).token;
      assert.equal(
        (
          await grant({
            principal_list: [user('hal')],
            resource: tableRes('staff', 'hr', { column_name: ['ssn'], filter: 'Exclude' }),
            permissions: ['SELECT'],
          })
        ).status,
        200,
      );
      for (let i = 0; i < 3; i++) {
        // every path of ShowTable: the full read, the stamp, and the unchanged store
        const r = await server.request('GET', `${t}/staff`, { token: hal });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(
          r.json.storage_descriptor.columns.map((c: { column_name: string }) => c.column_name),
          ['id', 'amount'],
        );
      }
      assert.equal(
        (await server.request('GET', `${t}/staff`, { token })).json.storage_descriptor.columns.length,
        3,
        'the administrator reads every column',
      );
      assert.equal(
        (await grant({ principal_list: [user('hal')], resource: tableRes('staff', 'hr'), permissions: ['SELECT'] }))
          .status,
        200,
      );
      assert.equal(
        (await server.request('GET', `${t}/staff`, { token: hal })).json.storage_descriptor.columns.length,
        3,
        'a table grant reads every column',
      );
    });

    test(
      'grant option: a holder may pass on what it holds with grant ' + 'option, an owner what it owns, nobody else',
      async () => {
        for (const name of ['ivy', 'jay'])
          assert.equal(
            (await server.request('POST', '/v3/users', { token, body: { user: { name, password: 'Pass-word-123' } } }))
              .status,
            201,
          );
        const ivy = (await server.login('ivy', 'Pass-word-123')).token;
        const pass = (body: Record<string, unknown>) =>
          server.request('POST', `${base()}/policies/grant`, { token: ivy, body: { effect: true, ...body } });
        assert.equal(
          (
            await grant({
              principal_list: [user('ivy')],
              resource: tableRes('orders'),
              permissions: ['SELECT', 'DROP'],
              grant_able_permissions: ['SELECT'],
            })
          ).status,
          200,
        );
        const ok = await pass({ principal_list: [user('jay')], resource: tableRes('orders'), permissions: ['SELECT'] });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(await check({ action: 'SELECT', principal: [user('jay')], resource: onTable('orders') }), [
          true,
        ]);
        const drop = await pass({ principal_list: [user('jay')], resource: tableRes('orders'), permissions: ['DROP'] });
        assert.equal(drop.status, 403, 'DROP is held without grant option');
        assert.match(drop.json.error_msg, /DROP/);
        assert.equal(
          (await pass({ principal_list: [user('jay')], resource: tableRes('refunds'), permissions: ['SELECT'] }))
            .status,
          403,
        );
        assert.equal(
          (await pass({ principal_list: [user('jay')], resource: tableRes('ord*'), permissions: ['SELECT'] })).status,
          403,
          'wildcards are for administrators',
        );
        const revoked = await server.request('POST', `${base()}/policies/revoke`, {
          token: ivy,
          body: { effect: true, principal_list: [user('jay')], resource: tableRes('orders'), permissions: ['SELECT'] },
        });
        assert.equal(revoked.status, 200, revoked.text);
        assert.deepEqual(await check({ action: 'SELECT', principal: [user('jay')], resource: onTable('orders') }), [
          false,
        ]);
        // An owner grants on what it owns.
        assert.equal(
          (await grant({ principal_list: [user('ivy')], resource: dbRes('hr'), permissions: ['CREATE_TABLE'] })).status,
          200,
        );
        const t = `${base()}/catalogs/pc/databases/hr/tables`;
        assert.equal(
          (
            await server.request('POST', t, {
              token: ivy,
              body: {
                table_name: 'ivy_t',
                table_type: 'EXTERNAL_TABLE',
                owner_type: 'USER',
                storage_descriptor: { columns: [] },
              },
            })
          ).status,
          201,
        );
        assert.equal(
          (
            await pass({
              principal_list: [user('jay')],
              resource: tableRes('ivy_t', 'hr'),
              permissions: ['SELECT', 'ALTER'],
            })
          ).status,
          200,
        );
      },
    );

    test(
      'role members keep their principal_source; directory members ' + 'need no IAM user; checks match the source',
      async () => {
        const ldap = (name: string) => ({ principal_name: name, principal_source: 'LDAP', principal_type: 'USER' });
        assert.equal(
          (await server.request('POST', `${base()}/roles`, { token, body: { role_name: 'dir_readers' } })).status,
          201,
        );
        // nobody_in_iam exists only in the directory: recorded as given, no IAM lookup.
        const added = await server.request('POST', `${base()}/roles/dir_readers/grant-principals`, {
          token,
          body: [ldap('dana'), ldap('nobody_in_iam'), { ...ldap('saml_sam'), principal_source: 'SAML' }],
        });
        assert.equal(added.status, 200, added.text);
        const members = await server.request('GET', `${base()}/roles/dir_readers/principals`, { token });
        assert.equal(members.status, 200, members.text);
        const listed = JSON.stringify(members.json);
        for (const [n, src] of [
          ['dana', 'LDAP'],
          ['nobody_in_iam', 'LDAP'],
          ['saml_sam', 'SAML'],
        ])
          assert.match(
            listed,
            new RegExp(
              `"principal_name":"${n}"[^}]*"principal_source":"${src}"|` +
                `"principal_source":"${src}"[^}]*"principal_name":"${n}"`,
            ),
          );
        assert.equal(
          (
            await grant({
              principal_list: [role('dir_readers')],
              resource: tableRes('order_lines'),
              permissions: ['DROP'],
            })
          ).status,
          200,
        );
        // LDAP user dana holds the role; IAM user dana (a different identity of the same name) does not.
        assert.deepEqual(
          await check(
            { action: 'DROP', principal: [ldap('dana')], resource: onTable('order_lines') },
            { action: 'DROP', principal: [user('dana')], resource: onTable('order_lines') },
            { action: 'DROP', principal: [ldap('nobody_in_iam')], resource: onTable('order_lines') },
          ),
          [true, false, true],
        );
        const dana = (await server.login('dana', 'Pass-word-123')).token;
        const drop = await server.request('DELETE', `${base()}/catalogs/pc/databases/sales/tables/order_lines`, {
          token: dana,
        });
        assert.notEqual(drop.status, 200, 'the IAM user is not the LDAP member');
        const roles = await server.request('GET', `${base()}/users/dana/roles`, { token });
        assert.equal(roles.status, 200, roles.text);
        assert.doesNotMatch(JSON.stringify(roles.json), /dir_readers/, "IAM dana's roles are her own");
      },
    );

    test('property: replaying the deltas from any earlier version gives the full policy set', async () => {
      const sync = (q: Record<string, string | number | boolean>) =>
        server.request('GET', `${base()}/policies/policy`, { token, query: q });
      const full = async () => {
        const r = await sync({ last_known_version: -1 });
        assert.equal(r.status, 200, r.text);
        return {
          version: r.json.policy_version as number,
          byId: new Map<number, unknown>(r.json.policies.map((p: { id: number }) => [p.id, p])),
        };
      };
      const seed = Number(process.env.LAKEFORM_TEST_SEED ?? 7);
      const rand = prng(seed);
      const snapshots = [await full()];
      const tables = ['orders', 'order_lines', 'refunds'];
      const perms = ['SELECT', 'INSERT', 'ALTER', 'DROP', 'DESCRIBE'];
      for (let i = 0; i < 25; i++) {
        const body = {
          principal_list: [role(['analyst', 'lead', 'auditor'][Math.floor(rand() * 3)] as string)],
          resource: tableRes(tables[Math.floor(rand() * 3)] as string),
          permissions: perms.filter(() => rand() < 0.4).concat(perms[Math.floor(rand() * perms.length)] as string),
        };
        const r = rand() < 0.6 ? await grant(body) : await revoke(body);
        assert.equal(r.status, 200, r.text);
        snapshots.push(await full());
      }
      const now = snapshots[snapshots.length - 1] as Awaited<ReturnType<typeof full>>;
      for (const s of snapshots) {
        const r = await sync({ last_known_version: s.version, supports_policy_deltas: true });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.policy_version, now.version);
        const replay = new Map(s.byId);
        for (const d of r.json.policy_deltas as { change_type: number; policy: { id: number; version?: number } }[]) {
          if (d.change_type === 2) replay.delete(d.policy.id);
          else {
            const { version: _v, ...policy } = d.policy;
            replay.set(d.policy.id, policy);
          }
        }
        assert.deepEqual(
          new Map([...replay].sort((a, b) => a[0] - b[0])),
          new Map([...now.byId].sort((a, b) => a[0] - b[0])),
          `seed ${seed}, from version ${s.version}`,
        );
      }
      assert.deepEqual(
        (await sync({ last_known_version: now.version, supports_policy_deltas: true })).json.policy_deltas,
        [],
      );
    });
  });
}
