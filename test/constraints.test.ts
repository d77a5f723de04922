// Table constraints over HTTP on both metadata stores: the six kinds per batch, validation,
// foreign keys and what they hold in place (keys, tables, columns, databases), renames,
// events and access.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer, waitUntilGone } from './helpers/server.js';

const flags = { enable_constraint: true, validate_constraint: false, rely_constraint: true };
const col = (column_name: string, column_type = 'string') => ({ column_name, column_type });
type Body = Record<string, unknown>;
const pk = (name: string, column: string, key_sequence?: number) => ({
  primary_key_name: name,
  column_name: column,
  ...(key_sequence === undefined ? {} : { key_sequence }),
  ...flags,
});
const fk = (
  name: string,
  column: string,
  parent: { db: string; table: string; column: string; key?: string },
  key_sequence = 1,
) => ({
  foreign_key_name: name,
  foreign_key_column_name: column,
  parent_key_database_name: parent.db,
  parent_key_table_name: parent.table,
  parent_key_column_name: parent.column,
  parent_key_name: parent.key ?? '',
  key_sequence,
  update_rule: 0,
  delete_rule: 1,
  ...flags,
});
const named = (name: string, column: string, extra: Body = {}) => ({
  constraint_name: name,
  column_name: column,
  ...flags,
  ...extra,
});

for (const backend of await backends()) {
  describe(`table constraints (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const cat = () => `/v1/${project}/instances/${instance}/catalogs/kc`;
    const table = (db: string, t: string) => `${cat()}/databases/${db}/tables/${t}`;
    const cons = (db: string, t: string) => `${table(db, t)}/constraints`;
    const add = (db: string, t: string, body: Body, as = token) =>
      server.request('POST', cons(db, t), { token: as, body });
    const list = async (db: string, t: string, type: string, query: Record<string, string> = {}, as = token) => {
      const r = await server.request('GET', cons(db, t), { token: as, query: { type, ...query } });
      assert.equal(r.status, 200, r.text);
      return r.json;
    };
    const namesOf = (entries: { primary_key_name?: string; foreign_key_name?: string; constraint_name?: string }[]) => [
      ...new Set(entries.map((e) => e.primary_key_name ?? e.foreign_key_name ?? e.constraint_name)),
    ];
    const createTable = async (
      db: string,
      name: string,
      columns: { column_name: string; column_type: string }[],
      partitionKeys: { column_name: string; column_type: string }[] = [],
    ) => {
      const r = await server.request('POST', `${cat()}/databases/${db}/tables`, {
        token,
        body: {
          table_name: name,
          table_type: 'MANAGED_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns },
          partition_keys: partitionKeys,
        },
      });
      assert.equal(r.status, 201, r.text);
    };
    const refused = async (
      r: { status: number; text: string; json: { error_code?: string; error_msg: string } },
      status: number,
      pattern: RegExp,
    ) => {
      assert.equal(r.status, status, r.text);
      assert.ok(r.json.error_code, r.text);
      assert.match(r.json.error_msg, pattern);
    };

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '1000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'constraints_inst');
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'kc' },
          })
        ).status,
        201,
      );
      for (const db of ['shop', 'crm'])
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: db } })).status,
          201,
        );
      await createTable(
        'shop',
        'orders',
        [
          col('id', 'bigint'),
          col('customer_id', 'bigint'),
          col('sku'),
          col('region'),
          col('amount', 'decimal(10,2)'),
          col('note'),
        ],
        [col('dt')],
      );
      await createTable('crm', 'customers', [col('id', 'bigint'), col('region'), col('email')]);
      await createTable('shop', 'race', [col('a'), col('b')]);
    });
    after(async () => {
      await server?.stop();
    });

    test('a batch of every kind round-trips, each listed by its kind in key order; names are lower-cased', async () => {
      const r = await add('shop', 'orders', {
        primary_keys: [pk('Orders_PK', 'dt', 2), pk('orders_pk', 'ID', 1)],
        unique_constraints: [
          named('orders_uq', 'region', { key_sequence: 2 }),
          named('orders_uq', 'sku', { key_sequence: 1 }),
        ],
        not_null_constraints: [named('nn_customer', 'customer_id')],
        check_constraints: [named('ck_amount', 'amount', { check_expression: 'amount > 0' })],
        default_constraints: [named('df_note', 'note', { default_value: "'none'" })],
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, '', 'no body, as the reference');
      const keys = await list('shop', 'orders', 'PRIMARY_KEY');
      assert.deepEqual(keys, {
        constraint_type: 'PRIMARY_KEY',
        primary_keys: [
          { table_name: 'orders', column_name: 'id', primary_key_name: 'orders_pk', key_sequence: 1, ...flags },
          { table_name: 'orders', column_name: 'dt', primary_key_name: 'orders_pk', key_sequence: 2, ...flags },
        ],
        foreign_keys: [],
        not_null_constraints: [],
        unique_constraints: [],
        check_constraints: [],
        default_constraints: [],
      });
      assert.deepEqual(
        (await list('shop', 'orders', 'UNIQUE_CSTR')).unique_constraints.map(
          (e: { column_name: string; key_sequence: number }) => `${e.key_sequence}:${e.column_name}`,
        ),
        ['1:sku', '2:region'],
      );
      assert.deepEqual((await list('shop', 'orders', 'NOT_NULL_CSTR')).not_null_constraints, [
        { table_name: 'orders', column_name: 'customer_id', constraint_name: 'nn_customer', ...flags },
      ]);
      assert.deepEqual((await list('shop', 'orders', 'CHECK_CSTR')).check_constraints, [
        {
          table_name: 'orders',
          column_name: 'amount',
          constraint_name: 'ck_amount',
          check_expression: 'amount > 0',
          ...flags,
        },
      ]);
      assert.deepEqual((await list('shop', 'orders', 'DEFAULT_CSTR')).default_constraints, [
        { table_name: 'orders', column_name: 'note', constraint_name: 'df_note', default_value: "'none'", ...flags },
      ]);
      assert.deepEqual((await list('shop', 'orders', 'FOREIGN_KEY')).foreign_keys, []);
      const typed = await add('crm', 'customers', {
        constraint_type: 'PRIMARY_KEY',
        primary_keys: [pk('customers_pk', 'id')],
      });
      assert.equal(typed.status, 200, typed.text);
    });

    test('bad batches are 400s naming the problem, and add nothing', async () => {
      const before = JSON.stringify(
        await Promise.all(
          ['UNIQUE_CSTR', 'NOT_NULL_CSTR', 'CHECK_CSTR', 'DEFAULT_CSTR'].map((t) => list('shop', 'orders', t)),
        ),
      );
      const cases: [Body, RegExp][] = [
        [
          { not_null_constraints: [named('nn_ok', 'sku'), named('nn_bad', 'nope')] },
          /NOT_NULL_CSTR nn_bad: nope is not a column/,
        ],
        [{}, /names no constraint/],
        [
          { constraint_type: 'UNIQUE_CSTR', not_null_constraints: [named('nn_x', 'sku')] },
          /also fills not_null_constraints/,
        ],
        [
          {
            not_null_constraints: [named('twice', 'sku')],
            check_constraints: [named('twice', 'amount', { check_expression: 'amount < 9' })],
          },
          /twice is given as NOT_NULL_CSTR and as CHECK_CSTR/,
        ],
        [{ not_null_constraints: [named('nn_y', 'sku'), named('nn_y', 'region')] }, /appears twice in the batch/],
        [{ check_constraints: [named('ck_y', 'amount')] }, /needs a check_expression/],
        [{ default_constraints: [named('df_y', 'note')] }, /needs a default_value/],
        [
          { unique_constraints: [named('uq_y', 'sku', { key_sequence: 1 }), named('uq_y', 'region')] },
          /key_sequence on every entry or on none/,
        ],
        [
          {
            unique_constraints: [
              named('uq_y', 'sku', { key_sequence: 1 }),
              named('uq_y', 'region', { key_sequence: 1 }),
            ],
          },
          /key_sequence appears twice/,
        ],
        [{ unique_constraints: [named('uq_y', 'sku'), named('uq_y', 'SKU')] }, /names a column twice/],
        [
          { unique_constraints: [named('uq_y', 'sku'), { ...named('uq_y', 'region'), rely_constraint: false }] },
          /disagree on enable_constraint/,
        ],
        [{ not_null_constraints: [{ constraint_name: 'nn_z', column_name: 'sku' }] }, /enable_constraint is required/],
        [{ not_null_constraints: [named('bad name', 'sku')] }, /constraint_name/],
        [{ constraint_type: 'PRIMARY', not_null_constraints: [] }, /constraint_type/],
      ];
      for (const [body, pattern] of cases) await refused(await add('shop', 'orders', body), 400, pattern);
      await refused(
        await add('shop', 'race', { primary_keys: [pk('pk_a', 'a'), pk('pk_b', 'b')] }),
        400,
        /one primary key; the request gives pk_a and pk_b/,
      );
      assert.equal(
        JSON.stringify(
          await Promise.all(
            ['UNIQUE_CSTR', 'NOT_NULL_CSTR', 'CHECK_CSTR', 'DEFAULT_CSTR'].map((t) => list('shop', 'orders', t)),
          ),
        ),
        before,
      );
      assert.deepEqual((await list('shop', 'race', 'PRIMARY_KEY')).primary_keys, []);
      await refused(await server.request('GET', cons('shop', 'orders'), { token }), 400, /type is required/);
      await refused(
        await server.request('GET', cons('shop', 'orders'), { token, query: { type: 'INDEX' } }),
        400,
        /type/,
      );
      await refused(
        await add('shop', 'nope', { not_null_constraints: [named('nn', 'a')] }),
        404,
        /table nope does not exist/,
      );
      await refused(
        await server.request('GET', cons('shop', 'nope'), { token, query: { type: 'PRIMARY_KEY' } }),
        404,
        /table nope/,
      );
    });

    test(
      'one primary key per table and one name per constraint: 409, ' + 'decided by the database under concurrency',
      async () => {
        await refused(
          await add('shop', 'orders', { primary_keys: [pk('another', 'sku')] }),
          409,
          /already has the primary key orders_pk/,
        );
        await refused(
          await add('shop', 'orders', { not_null_constraints: [named('CK_AMOUNT', 'sku')] }),
          409,
          /already has a constraint named ck_amount/,
        );
        const all = await Promise.all(
          Array.from({ length: 20 }, (_, i) => add('shop', 'race', { primary_keys: [pk(`race_pk_${i}`, 'a')] })),
        );
        const codes = all.map((r) => r.status);
        assert.equal(codes.filter((c) => c === 200).length, 1, String(codes));
        assert.equal(codes.filter((c) => c === 409).length, 19, String(codes));
        assert.equal((await list('shop', 'race', 'PRIMARY_KEY')).primary_keys.length, 1);
        const named20 = await Promise.all(
          Array.from({ length: 20 }, () => add('shop', 'race', { unique_constraints: [named('race_uq', 'b')] })),
        );
        assert.deepEqual(
          named20.map((r) => r.status).sort(),
          [200, ...Array(19).fill(409)],
          'one name, twenty writers',
        );
      },
    );

    test(
      "a foreign key references the parent's primary key or a unique " +
        'constraint, over matching columns, of a table that exists',
      async () => {
        const toCustomers = (name: string, key?: string) =>
          fk(name, 'customer_id', { db: 'CRM', table: 'customers', column: 'id', key });
        const r = await add('shop', 'orders', { foreign_keys: [toCustomers('fk_customer', 'customers_pk')] });
        assert.equal(r.status, 200, r.text);
        assert.equal(
          (await add('shop', 'orders', { foreign_keys: [toCustomers('fk_customer2')] })).status,
          200,
          'an empty parent_key_name finds the key by its columns',
        );
        const listed = await list('shop', 'orders', 'FOREIGN_KEY');
        assert.deepEqual(
          listed.foreign_keys,
          ['fk_customer', 'fk_customer2'].map((n) => ({
            foreign_key_database_name: 'shop',
            foreign_key_table_name: 'orders',
            foreign_key_column_name: 'customer_id',
            foreign_key_name: n,
            parent_key_database_name: 'crm',
            parent_key_table_name: 'customers',
            parent_key_column_name: 'id',
            parent_key_name: 'customers_pk',
            key_sequence: 1,
            update_rule: 0,
            delete_rule: 1,
            ...flags,
          })),
        );
        assert.equal((await list('shop', 'orders', 'FOREIGN_KEY', { parent_db: 'crm' })).foreign_keys.length, 2);
        assert.equal((await list('shop', 'orders', 'FOREIGN_KEY', { parent_db: 'shop' })).foreign_keys.length, 0);
        assert.equal(
          (await list('shop', 'orders', 'FOREIGN_KEY', { parent_db: 'crm', parent_tbl: 'Customers' })).foreign_keys
            .length,
          2,
        );
        assert.equal((await list('shop', 'orders', 'FOREIGN_KEY', { parent_tbl: 'orders' })).foreign_keys.length, 0);

        // A composite key: (sku, region) of orders is its unique constraint orders_uq.
        await createTable('shop', 'returns', [col('sku'), col('region'), col('qty', 'int')]);
        const composite = await add('shop', 'returns', {
          foreign_keys: [
            fk('fk_order_line', 'region', { db: 'shop', table: 'orders', column: 'region' }, 2),
            fk('fk_order_line', 'sku', { db: 'shop', table: 'orders', column: 'sku' }, 1),
          ],
        });
        assert.equal(composite.status, 200, composite.text);
        assert.deepEqual(
          (await list('shop', 'returns', 'FOREIGN_KEY')).foreign_keys.map(
            (e: { foreign_key_column_name: string; parent_key_column_name: string; parent_key_name: string }) =>
              `${e.foreign_key_column_name}->${e.parent_key_column_name}@${e.parent_key_name}`,
          ),
          ['sku->sku@orders_uq', 'region->region@orders_uq'],
        );

        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'sku', { db: 'shop', table: 'nope', column: 'sku' })],
          }),
          404,
          /table nope does not exist in database shop/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'sku', { db: 'shop', table: 'orders', column: 'note' })],
          }),
          400,
          /\(note\) of table shop.orders is not its primary key or a unique constraint/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'sku', { db: 'shop', table: 'orders', column: 'sku' })],
          }),
          400,
          /\(sku\) of table shop.orders is not its primary key/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'sku', { db: 'shop', table: 'orders', column: 'nope' })],
          }),
          400,
          /nope is not a column of table shop.orders/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'nope', { db: 'crm', table: 'customers', column: 'id' })],
          }),
          400,
          /FOREIGN_KEY fk_x: nope is not a column of the table/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'qty', { db: 'crm', table: 'customers', column: 'id', key: 'no_such_key' })],
          }),
          400,
          /has no primary key or unique constraint named no_such_key/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [fk('fk_x', 'sku', { db: 'shop', table: 'orders', column: 'sku', key: 'orders_pk' })],
          }),
          400,
          /key orders_pk of table shop.orders is on \(id, dt\), not \(sku\)/,
        );
        await refused(
          await add('shop', 'returns', {
            foreign_keys: [
              fk('fk_x', 'sku', { db: 'shop', table: 'orders', column: 'sku' }),
              fk('fk_x', 'qty', { db: 'crm', table: 'customers', column: 'id' }, 2),
            ],
          }),
          400,
          /disagree on the parent database, table and key/,
        );

        // A table may reference itself, its key coming in the same batch.
        await createTable('shop', 'tree', [col('id', 'bigint'), col('parent_id', 'bigint')]);
        const self = await add('shop', 'tree', {
          primary_keys: [pk('tree_pk', 'id')],
          foreign_keys: [fk('tree_parent', 'parent_id', { db: 'shop', table: 'tree', column: 'id' })],
        });
        assert.equal(self.status, 200, self.text);
        assert.equal((await list('shop', 'tree', 'FOREIGN_KEY')).foreign_keys[0].parent_key_name, 'tree_pk');
      },
    );

    test(
      'a referenced key or table stays until its foreign keys go; a ' + "table's own constraints go with it",
      async () => {
        await refused(
          await server.request('DELETE', table('crm', 'customers'), { token }),
          409,
          /referenced by foreign key fk_customer of table shop.orders, foreign key fk_customer2 of table shop.orders/,
        );
        await refused(
          await server.request('DELETE', `${cons('crm', 'customers')}/customers_pk`, { token }),
          409,
          /PRIMARY_KEY customers_pk is referenced by foreign key fk_customer/,
        );
        await refused(
          await server.request('DELETE', `${cons('shop', 'orders')}/orders_uq`, { token }),
          409,
          /referenced by foreign key fk_order_line of table shop.returns/,
        );
        await refused(
          await server.request('DELETE', `${cons('shop', 'orders')}/nope`, { token }),
          404,
          /no constraint named nope/,
        );
        assert.equal(
          (await server.request('DELETE', table('shop', 'tree'), { token })).status,
          200,
          'a reference to itself does not hold a table',
        );
        assert.equal(
          (await server.request('DELETE', table('shop', 'returns'), { token })).status,
          200,
          'the referencing table goes, and its foreign key with it',
        );
        assert.equal(
          (await server.request('DELETE', `${cons('shop', 'orders')}/ORDERS_UQ`, { token })).status,
          200,
          'no longer referenced',
        );
        for (const n of ['fk_customer', 'fk_customer2'])
          assert.equal((await server.request('DELETE', `${cons('shop', 'orders')}/${n}`, { token })).status, 200);
        assert.equal((await server.request('DELETE', table('crm', 'customers'), { token })).status, 200);
        await createTable('crm', 'customers', [col('id', 'bigint'), col('region')]);
        assert.deepEqual(
          (await list('crm', 'customers', 'PRIMARY_KEY')).primary_keys,
          [],
          'the dropped table took its constraints',
        );
        await createTable('shop', 'tree', [col('id', 'bigint')]);
        assert.deepEqual((await list('shop', 'tree', 'PRIMARY_KEY')).primary_keys, []);
        assert.deepEqual(namesOf((await list('shop', 'orders', 'UNIQUE_CSTR')).unique_constraints), []);
      },
    );

    test('renaming a table carries its constraints, and the foreign keys into it name it anew', async () => {
      assert.equal((await add('crm', 'customers', { primary_keys: [pk('customers_pk', 'id')] })).status, 200);
      assert.equal(
        (
          await add('shop', 'orders', {
            foreign_keys: [fk('fk_customer', 'customer_id', { db: 'crm', table: 'customers', column: 'id' })],
          })
        ).status,
        200,
      );
      const renamed = await server.request('PUT', table('crm', 'customers'), {
        token,
        body: { table: { table_name: 'clients' } },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.deepEqual(
        (await list('crm', 'clients', 'PRIMARY_KEY')).primary_keys.map(
          (e: { table_name: string; primary_key_name: string }) => `${e.table_name}.${e.primary_key_name}`,
        ),
        ['clients.customers_pk'],
      );
      const into = (await list('shop', 'orders', 'FOREIGN_KEY')).foreign_keys;
      assert.deepEqual(
        into.map((e: { parent_key_table_name: string }) => e.parent_key_table_name),
        ['clients'],
      );
      assert.equal((await list('shop', 'orders', 'FOREIGN_KEY', { parent_tbl: 'clients' })).foreign_keys.length, 1);
      await refused(
        await server.request('GET', cons('crm', 'customers'), { token, query: { type: 'PRIMARY_KEY' } }),
        404,
        /customers/,
      );
    });

    test('an update may not drop (or rename) a column a constraint uses', async () => {
      const shown = (await server.request('GET', table('shop', 'orders'), { token })).json;
      const without = (name: string) => ({
        table: {
          storage_descriptor: {
            ...shown.storage_descriptor,
            columns: shown.storage_descriptor.columns.filter((c: { column_name: string }) => c.column_name !== name),
          },
        },
      });
      await refused(
        await server.request('PUT', table('shop', 'orders'), { token, body: without('note') }),
        409,
        /column note of table orders is used by DEFAULT_CSTR df_note/,
      );
      await refused(
        await server.request('PUT', table('shop', 'orders'), { token, body: without('customer_id') }),
        409,
        /used by FOREIGN_KEY fk_customer|used by NOT_NULL_CSTR nn_customer/,
      );
      await refused(
        await server.request('PUT', table('crm', 'clients'), {
          token,
          body: { table: { storage_descriptor: { columns: [col('region')] } } },
        }),
        409,
        /column id of table clients is used by PRIMARY_KEY customers_pk/,
      );
      assert.deepEqual(
        (await server.request('GET', table('shop', 'orders'), { token })).json.storage_descriptor.columns,
        shown.storage_descriptor.columns,
        'a refused update changes nothing',
      );
      assert.equal((await server.request('DELETE', `${cons('shop', 'orders')}/df_note`, { token })).status, 200);
      const ok = await server.request('PUT', table('shop', 'orders'), { token, body: without('note') });
      assert.equal(ok.status, 200, ok.text);
    });

    test('every change is in the metadata event log, the constraint as ListConstraints shows it', async () => {
      const r = await server.request('GET', `/v1/${project}/instances/${instance}/metadata-event`, {
        token,
        query: { limit: 1000 },
      });
      assert.equal(r.status, 200, r.text);
      const ofPk = r.json.metadata_events.filter((e: { object_name?: string }) => e.object_name === 'orders/orders_pk');
      assert.deepEqual(
        ofPk.map((e: { metadata_action_type: string }) => e.metadata_action_type),
        ['CREATE_CONSTRAINT'],
      );
      assert.deepEqual(ofPk[0].metadata_object, await list('shop', 'orders', 'PRIMARY_KEY'));
      const dropped = r.json.metadata_events
        .filter((e: { metadata_action_type: string }) => e.metadata_action_type === 'DROP_CONSTRAINT')
        .map((e: { object_name: string }) => e.object_name);
      assert.deepEqual(dropped, ['orders/orders_uq', 'orders/fk_customer', 'orders/fk_customer2', 'orders/df_note']);
    });

    test(
      'access: listing needs the table visible; creating and dropping ' +
        'need ALTER on it; a parent must be visible too',
      async () => {
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'k_user', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const dev = (await server.login('k_user', 'Pass-word-123')).token;
        const policy = (db: string, t: string, permissions: string[]) => ({
          effect: true,
          principal_list: [{ principal_name: 'k_user', principal_source: 'IAM', principal_type: 'USER' }],
          resource: { type: 'TABLE', catalogs: [{ name: 'kc', databases: [{ name: db, tables: [{ name: t }] }] }] },
          permissions,
        });
        const grant = async (db: string, t: string, permissions: string[]) =>
          assert.equal(
            (
              await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
                token,
                body: policy(db, t, permissions),
              })
            ).status,
            200,
          );
        const uq = { unique_constraints: [named('dev_uq', 'sku')] };
        assert.equal(
          (await server.request('GET', cons('shop', 'orders'), { token: dev, query: { type: 'PRIMARY_KEY' } })).status,
          404,
        );
        assert.equal((await add('shop', 'orders', uq, dev)).status, 404);
        assert.equal(
          (await server.request('DELETE', `${cons('shop', 'orders')}/ck_amount`, { token: dev })).status,
          404,
        );
        // Through a column grant only, the constraints on other columns stay hidden, as those columns do.
        const columns = {
          effect: true,
          principal_list: [{ principal_name: 'k_user', principal_source: 'IAM', principal_type: 'USER' }],
          permissions: ['SELECT'],
          resource: {
            type: 'COLUMN',
            catalogs: [
              {
                name: 'kc',
                databases: [
                  {
                    name: 'shop',
                    tables: [{ name: 'orders', columns: { column_name: ['id', 'amount'], filter: 'Include' } }],
                  },
                ],
              },
            ],
          },
        };
        assert.equal(
          (
            await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
              token,
              body: columns,
            })
          ).status,
          200,
        );
        assert.deepEqual(
          namesOf((await list('shop', 'orders', 'PRIMARY_KEY', {}, dev)).primary_keys),
          ['orders_pk'],
          'on id and the partition key dt',
        );
        assert.deepEqual(namesOf((await list('shop', 'orders', 'CHECK_CSTR', {}, dev)).check_constraints), [
          'ck_amount',
        ]);
        assert.deepEqual(
          (await list('shop', 'orders', 'NOT_NULL_CSTR', {}, dev)).not_null_constraints,
          [],
          'customer_id is not granted',
        );
        assert.deepEqual((await list('shop', 'orders', 'NOT_NULL_CSTR')).not_null_constraints.length, 1);
        await grant('shop', 'orders', ['DESCRIBE']);
        assert.equal((await list('shop', 'orders', 'PRIMARY_KEY', {}, dev)).primary_keys.length, 2);
        assert.deepEqual(
          namesOf((await list('shop', 'orders', 'NOT_NULL_CSTR', {}, dev)).not_null_constraints),
          ['nn_customer'],
          'a table grant shows them all',
        );
        await refused(await add('shop', 'orders', uq, dev), 403, /ALTER/);
        await refused(
          await server.request('DELETE', `${cons('shop', 'orders')}/ck_amount`, { token: dev }),
          403,
          /ALTER/,
        );
        await grant('shop', 'orders', ['ALTER']);
        assert.equal((await add('shop', 'orders', uq, dev)).status, 200);
        assert.equal((await server.request('DELETE', `${cons('shop', 'orders')}/dev_uq`, { token: dev })).status, 200);
        const toClients = {
          foreign_keys: [fk('dev_fk', 'customer_id', { db: 'crm', table: 'clients', column: 'id' })],
        };
        await refused(await add('shop', 'orders', toClients, dev), 404, /table clients does not exist in database crm/);
        await grant('crm', 'clients', ['DESCRIBE']);
        assert.equal((await add('shop', 'orders', toClients, dev)).status, 200);
      },
    );

    test('a database goes with its tables only when no table elsewhere references them', async () => {
      await refused(
        await server.request('DELETE', `${cat()}/databases/crm`, { token, query: { cascade: true } }),
        409,
        /database crm holds tables referenced by foreign key (dev_fk|fk_customer) of table shop.orders/,
      );
      assert.equal(
        (await server.request('GET', table('crm', 'clients'), { token })).status,
        200,
        'a refused drop keeps everything',
      );
      for (const n of ['fk_customer', 'dev_fk'])
        assert.equal((await server.request('DELETE', `${cons('shop', 'orders')}/${n}`, { token })).status, 200);
      assert.equal(
        (await server.request('DELETE', `${cat()}/databases/crm`, { token, query: { cascade: true } })).status,
        200,
      );
      // References within a database go together with it, self-references included.
      assert.equal((await add('shop', 'tree', { primary_keys: [pk('tree_pk', 'id')] })).status, 200);
      assert.equal(
        (
          await add('shop', 'race', {
            foreign_keys: [fk('race_tree', 'a', { db: 'shop', table: 'tree', column: 'id' })],
          })
        ).status,
        200,
        (await list('shop', 'race', 'PRIMARY_KEY')).toString(),
      );
      assert.equal(
        (await server.request('DELETE', `${cat()}/databases/shop`, { token, query: { cascade: true } })).status,
        200,
      );
    });

    test(
      "a dropped table's foreign keys hold nothing live; a restore " + 'brings back only those whose key is live',
      async () => {
        const rb = (t: string) => server.request('POST', `${table('binned', t)}/restore`, { token, body: {} });
        const fks = async (t: string) => namesOf((await list('binned', t, 'FOREIGN_KEY')).foreign_keys);
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: 'binned' } })).status,
          201,
        );
        for (const t of ['p', 'c', 'd']) await createTable('binned', t, [col('id')]);
        assert.equal((await add('binned', 'p', { primary_keys: [pk('p_pk', 'id')] })).status, 200);
        for (const t of ['c', 'd'])
          assert.equal(
            (
              await add('binned', t, {
                foreign_keys: [fk(`${t}_fk`, 'id', { db: 'binned', table: 'p', column: 'id' })],
              })
            ).status,
            200,
          );
        assert.equal((await server.request('DELETE', table('binned', 'c'), { token })).status, 200);
        const held = await server.request('DELETE', table('binned', 'p'), { token });
        await refused(held, 409, /referenced by foreign key d_fk of table binned\.d; drop/);
        assert.doesNotMatch(held.json.error_msg, /c_fk|recycle/i, 'a dropped table holds nothing');
        assert.equal((await server.request('DELETE', table('binned', 'd'), { token })).status, 200);
        assert.equal((await server.request('DELETE', table('binned', 'p'), { token })).status, 200);
        assert.equal((await rb('c')).status, 200);
        assert.deepEqual(await fks('c'), [], 'its key still in the bin, the foreign key is not revived');
        assert.equal((await rb('p')).status, 200);
        assert.equal((await rb('d')).status, 200);
        assert.deepEqual(await fks('d'), ['d_fk'], 'its key live again, the foreign key is back');
        // A purge takes along other dropped tables' foreign keys into what it removes.
        assert.equal((await server.request('DELETE', table('binned', 'd'), { token })).status, 200);
        assert.equal((await server.request('DELETE', `${cons('binned', 'p')}/p_pk`, { token })).status, 200);
        assert.equal((await add('binned', 'p', { primary_keys: [pk('p_pk2', 'id')] })).status, 200);
        assert.equal(
          (await add('binned', 'c', { foreign_keys: [fk('c_fk', 'id', { db: 'binned', table: 'p', column: 'id' })] }))
            .status,
          200,
        );
        for (const t of ['c', 'p'])
          assert.equal((await server.request('DELETE', table('binned', t), { token })).status, 200);
        const bin = await server.request('GET', `${cat()}/databases/binned/tables`, {
          token,
          query: { deleted: 'true' },
        });
        const id = bin.json.tables.find((t: { table_name: string }) => t.table_name === 'p')?.recycle_bin_id;
        assert.ok(id, bin.text);
        const purge = (path = '') =>
          server.request('DELETE', `/v1/${project}/instances/${instance}/recycle-bin${path}`, { token });
        const purged = await purge(`/${id}`);
        assert.equal(purged.status, 200, purged.text);
        assert.equal((await purge()).status, 200);
      },
    );

    test('dropping the instance for good takes every constraint with it', async () => {
      assert.equal(
        (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: 'again' } })).status,
        201,
      );
      await createTable('again', 'p', [col('id')]);
      await createTable('again', 'c', [col('pid')]);
      assert.equal((await add('again', 'p', { primary_keys: [pk('p_pk', 'id')] })).status, 200);
      assert.equal(
        (await add('again', 'c', { foreign_keys: [fk('c_fk', 'pid', { db: 'again', table: 'p', column: 'id' })] }))
          .status,
        200,
      );
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
          .filter((l) => /lifecycle|error/i.test(l))
          .slice(-3)
          .join('\n')}`,
      );
    });
  });
}
