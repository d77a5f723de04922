// LakeCat tables over HTTP on both metadata stores.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { backends, createRunningInstance, startServer, storedLocation, type TestServer } from './helpers/server.js';

const sd = (location?: string) => ({
  columns: [
    { column_name: 'id', column_type: 'bigint', comment: 'row id' },
    { column_name: 'name', column_type: 'string' },
    { column_name: 'price', column_type: 'decimal(10,2)' },
  ],
  ...(location ? { location } : {}),
  input_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  output_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  compressed: false,
  number_of_buckets: 4,
  bucket_columns: ['id'],
  sort_columns: [{ column: 'id', sort_order: 1 }],
  parameters: { 'parquet.compression': 'ZSTD' },
  serde_info: {
    name: 'pq',
    serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    parameters: { 'serialization.format': '1' },
  },
  skewed_info: {
    skewed_column_names: ['name'],
    skewed_column_values: [['a'], ['b']],
    skewed_column_value_location_maps: { a: 'obs://lakeform/skew/a' },
  },
  stored_as_sub_directories: false,
});

for (const backend of await backends()) {
  describe(`tables (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const cat = () => `/v1/${project}/instances/${instance}/catalogs/tc`;
    const tables = (db = 'sales') => `${cat()}/databases/${db}/tables`;

    before(async () => {
      server = await startServer(backend, {
        env: { LAKEFORM_QPS_PER_STRIDE: '1000', LAKEFORM_TABLE_VERSIONS_KEPT: '3' },
      });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'tables_inst');
      fs.mkdirSync(path.join(server.dataDir, 'warehouse', 'datalake'));
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'tc', location: 'obs://lakeform/tc' },
          })
        ).status,
        201,
      );
      for (const db of ['sales', 'hr'])
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: db } })).status,
          201,
        );
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'a catalog keeps its branch_name: created, shown, listed, kept ' + 'by an update that omits it, replaced',
      async () => {
        const cats = `/v1/${project}/instances/${instance}/catalogs`;
        const made = await server.request('POST', cats, {
          token,
          body: { catalog_name: 'branched', branch_name: 'dev_1' },
        });
        assert.equal(made.status, 201, made.text);
        assert.equal(made.json.branch_name, 'dev_1');
        assert.equal((await server.request('GET', `${cats}/branched`, { token })).json.branch_name, 'dev_1');
        const listed = (await server.request('GET', cats, { token })).json;
        assert.equal(listed.find((c: { catalog_name: string }) => c.catalog_name === 'branched').branch_name, 'dev_1');
        const body = { catalog_name: 'branched', description: 'kept' };
        assert.equal((await server.request('PUT', `${cats}/branched`, { token, body })).status, 200);
        assert.equal((await server.request('GET', `${cats}/branched`, { token })).json.branch_name, 'dev_1');
        const moved = { ...body, branch_name: 'main' };
        assert.equal((await server.request('PUT', `${cats}/branched`, { token, body: moved })).status, 200);
        assert.equal((await server.request('GET', `${cats}/branched`, { token })).json.branch_name, 'main');
        const bad = await server.request('POST', cats, { token, body: { catalog_name: 'bad_b', branch_name: 'a-b' } });
        assert.equal(bad.status, 400, 'the pattern of the reference');
      },
    );

    test(
      'external_table_id: given at creation, returned by ShowTable and ' + 'ListTables, never changed by an update',
      async () => {
        const body = {
          table_name: 'ext_id',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          external_table_id: 'client-T_42',
          storage_descriptor: { columns: [{ column_name: 'a', column_type: 'int' }] },
        };
        assert.equal((await server.request('POST', tables('hr'), { token, body })).status, 201);
        const shown = await server.request('GET', `${tables('hr')}/ext_id`, { token });
        assert.equal(shown.json.external_table_id, 'client-T_42');
        const listed = await server.request('GET', tables('hr'), { token, query: { table_name_pattern: 'ext_id' } });
        assert.equal(listed.json.tables[0].external_table_id, 'client-T_42');
        const put = (table: Record<string, unknown>) =>
          server.request('PUT', `${tables('hr')}/ext_id`, { token, body: { table } });
        const same = await put({ external_table_id: 'client-T_42', comments: 'same id sent back' });
        assert.equal(same.status, 200, same.text);
        assert.equal((await put({ comments: 'omitted' })).status, 200);
        const moved = await put({ external_table_id: 'other' });
        assert.equal(moved.status, 400, moved.text);
        assert.match(moved.json.error_msg, /external_table_id .*cannot change .*"client-T_42"/);
        assert.equal(
          (await server.request('GET', `${tables('hr')}/ext_id`, { token })).json.external_table_id,
          'client-T_42',
        );
        const bad = await server.request('POST', tables('hr'), {
          token,
          body: { ...body, table_name: 'ext_bad', external_table_id: 'has space' },
        });
        assert.equal(bad.status, 400, 'the pattern of the reference');
        assert.equal((await server.request('DELETE', `${tables('hr')}/ext_id`, { token })).status, 200);
      },
    );

    test('a partitioned table round-trips field for field; its location defaults under the database', async () => {
      const body = {
        table_name: 'Orders',
        table_type: 'MANAGED_TABLE',
        table_format: 'HIVE',
        owner: 'admin',
        owner_type: 'USER',
        comments: 'all orders',
        retention: 7,
        parameters: { classification: 'parquet' },
        storage_descriptor: sd(),
        partition_keys: [
          { column_name: 'dt', column_type: 'date', comment: 'day' },
          { column_name: 'region', column_type: 'string' },
        ],
      };
      const r = await server.request('POST', tables(), { token, body });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.table_name, 'orders');
      assert.equal(r.json.storage_descriptor.location, 'obs://lakeform/tc/sales.db/orders');
      const { location: _l, ...sentSd } = { ...r.json.storage_descriptor };
      assert.deepEqual(sentSd, sd());
      assert.deepEqual(r.json.partition_keys, body.partition_keys);
      assert.deepEqual(r.json.parameters, body.parameters);
      assert.equal(r.json.retention, 7);
      assert.equal(r.json.comments, 'all orders');
      assert.equal(r.json.version_id, '1');
      const shown = await server.request('GET', `${tables()}/ORDERS`, { token });
      assert.deepEqual(shown.json, r.json);
      assert.equal(
        (await server.request('POST', tables(), { token, body: { ...body, table_name: 'orders' } })).status,
        409,
      );
    });

    test('bad definitions are refused with 400', async () => {
      const base = { table_type: 'EXTERNAL_TABLE', owner_type: 'USER' };
      const cases: [Record<string, unknown>, RegExp][] = [
        [
          {
            ...base,
            table_name: 'dup_cols',
            storage_descriptor: {
              columns: [
                { column_name: 'a', column_type: 'int' },
                { column_name: 'A', column_type: 'int' },
              ],
            },
          },
          /twice/,
        ],
        [
          {
            ...base,
            table_name: 'dup_part',
            storage_descriptor: { columns: [{ column_name: 'dt', column_type: 'int' }] },
            partition_keys: [{ column_name: 'dt', column_type: 'string' }],
          },
          /twice/,
        ],
        [
          {
            ...base,
            table_name: 'bad_bucket',
            storage_descriptor: { columns: [{ column_name: 'a', column_type: 'int' }], bucket_columns: ['zz'] },
          },
          /bucket/,
        ],
        [{ ...base, table_name: 'bad_loc', storage_descriptor: { columns: [], location: 'hdfs://nn/x' } }, /location/],
        [
          { ...base, table_type: 'VIRTUAL_VIEW', table_name: 'no_text', storage_descriptor: { columns: [] } },
          /view_original_text/,
        ],
        [
          {
            ...base,
            table_name: 'ice_no_format',
            storage_descriptor: { columns: [] },
            create_open_table_format_input: { create_iceberg_table_input: { schema: {} } },
          },
          /ICEBERG/,
        ],
        [{ ...base, table_name: 'bad-name', storage_descriptor: { columns: [] } }, /table_name/],
        [{ ...base, table_name: 'bad_type', table_type: 'TEMP', storage_descriptor: { columns: [] } }, /table_type/],
      ];
      for (const [body, why] of cases) {
        const r = await server.request('POST', tables(), { token, body });
        assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
        assert.match(r.json.error_msg, why);
      }
      assert.equal(
        (
          await server.request('POST', tables('nodb'), {
            token,
            body: { ...base, table_name: 'x', storage_descriptor: { columns: [] } },
          })
        ).status,
        404,
      );
    });

    test('views, Iceberg definitions and external tables are stored as written', async () => {
      const v = await server.request('POST', tables(), {
        token,
        body: {
          table_name: 'big_orders',
          table_type: 'VIRTUAL_VIEW',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
          view_original_text: 'select id from orders where price > 100',
          view_expanded_text: 'SELECT `orders`.`id` FROM `tc`.`sales`.`orders` WHERE `price` > 100',
        },
      });
      assert.equal(v.status, 201, v.text);
      assert.equal(v.json.view_original_text, 'select id from orders where price > 100');
      assert.equal(v.json.storage_descriptor.location, undefined, 'a view has no location');
      const iceberg = {
        create_iceberg_table_input: {
          schema: {
            schema_id: 0,
            type: 'struct',
            identifier_field_ids: [1],
            fields: [{ id: 1, name: 'id', required: true, type: 'LONG' }],
          },
          partition_spec: {
            spec_id: 0,
            fields: [{ field_id: 1000, name: 'id_bucket', source_id: 1, transform: 'bucket[16]' }],
          },
        },
      };
      const i = await server.request('POST', tables(), {
        token,
        body: {
          table_name: 'events',
          table_type: 'EXTERNAL_TABLE',
          table_format: 'ICEBERG',
          owner_type: 'USER',
          storage_descriptor: {
            columns: [{ column_name: 'id', column_type: 'bigint' }],
            location: 'obs://datalake/events',
          },
          create_open_table_format_input: iceberg,
        },
      });
      assert.equal(i.status, 201, i.text);
      assert.equal(i.json.table_format, 'ICEBERG');
      // A real Iceberg table: its first metadata file, pointed at, and loadable through the Iceberg endpoint.
      const shown = (await server.request('GET', `${tables()}/events`, { token })).json;
      const metadataLocation = shown.parameters.metadata_location as string;
      assert.match(metadataLocation, /^obs:\/\/datalake\/events\/metadata\/00000-.*\.metadata\.json$/);
      assert.equal(shown.create_open_table_format_input, undefined, 'the metadata file is the definition');
      assert.ok(fs.existsSync(path.join(server.dataDir, 'warehouse', 'datalake', metadataLocation.slice(14))));
      const loaded = await server.request('GET', `/iceberg/v1/${instance}~tc/namespaces/sales/tables/events`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(loaded.status, 200, loaded.text);
      // Engines get the same file as a file:// path (one rule: docs/iceberg.md).
      assert.equal(storedLocation(server.dataDir, loaded.json['metadata-location']), metadataLocation);
      const m = loaded.json.metadata;
      assert.deepEqual(m.schemas[0].fields, [{ id: 1, name: 'id', required: true, type: 'long' }]);
      assert.deepEqual(m.schemas[0]['identifier-field-ids'], [1]);
      assert.deepEqual(m['partition-specs'][0].fields, [
        { name: 'id_bucket', transform: 'bucket[16]', 'source-id': 1, 'field-id': 1000 },
      ]);
      // Nested types as JSON, a sort order, properties from parameters; columns derived from the schema.
      const nested = await server.request('POST', tables(), {
        token,
        body: {
          table_name: 'clicks',
          table_type: 'EXTERNAL_TABLE',
          table_format: 'ICEBERG',
          owner_type: 'USER',
          parameters: { 'write.format.default': 'orc' },
          storage_descriptor: { columns: [] },
          create_open_table_format_input: {
            create_iceberg_table_input: {
              schema: {
                schema_id: 0,
                type: 'struct',
                identifier_field_ids: [],
                fields: [
                  { id: 1, name: 'at', required: false, type: 'TIMESTAMP' },
                  {
                    id: 2,
                    name: 'tags',
                    required: false,
                    type: 'LIST',
                    type_json: '{"type":"list","element-id":3,"element":"string","element-required":false}',
                  },
                ],
              },
              write_order: {
                order_id: 1,
                fields: [{ source_id: 1, transform: 'identity', direction: 'DESC', null_order: 'NULLS_LAST' }],
              },
            },
          },
        },
      });
      assert.equal(nested.status, 201, nested.text);
      assert.deepEqual(nested.json.storage_descriptor.columns, [
        { column_name: 'at', column_type: 'timestamp' },
        { column_name: 'tags', column_type: 'array<string>' },
      ]);
      const nm = (
        await server.request('GET', `/iceberg/v1/${instance}~tc/namespaces/sales/tables/clicks`, {
          headers: { Authorization: `Bearer ${token}` },
        })
      ).json.metadata;
      assert.equal(nm.properties['write.format.default'], 'orc');
      assert.deepEqual(nm['sort-orders'][1] ?? nm['sort-orders'][0], {
        'order-id': 1,
        fields: [{ transform: 'identity', 'source-id': 1, direction: 'desc', 'null-order': 'nulls-last' }],
      });
      // The Iceberg rules apply as on the Iceberg endpoint; Lance has no writer here.
      const refusals: [Record<string, unknown>, RegExp][] = [
        [
          {
            create_iceberg_table_input: {
              schema: { type: 'struct', fields: [{ id: 1, name: 'a', type: 'NOPE', required: false }] },
            },
          },
          /NOPE|nope/,
        ],
        [
          {
            create_iceberg_table_input: {
              schema: { type: 'struct', fields: [{ id: 1, name: 'a', type: 'DECIMAL', required: false }] },
            },
          },
          /precision/,
        ],
        [
          {
            create_iceberg_table_input: {
              schema: { type: 'struct', fields: [{ id: 1, name: 'a', type: 'INTEGER', required: false }] },
              partition_spec: {
                spec_id: 0,
                fields: [{ field_id: 1000, name: 'p', source_id: 9, transform: 'identity' }],
              },
            },
          },
          /source-id 9/,
        ],
        [{ create_lance_table_input: { schema: { fields: [] } } }, /Lance/],
      ];
      for (const [open, why] of refusals) {
        const r = await server.request('POST', tables(), {
          token,
          body: {
            table_name: 'refused',
            table_type: 'EXTERNAL_TABLE',
            table_format: open.create_lance_table_input ? 'LANCE' : 'ICEBERG',
            owner_type: 'USER',
            storage_descriptor: { columns: [] },
            create_open_table_format_input: open,
          },
        });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error_msg, why);
      }
      const mismatch = await server.request('POST', tables(), {
        token,
        body: {
          table_name: 'refused',
          table_type: 'EXTERNAL_TABLE',
          table_format: 'ICEBERG',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'other', column_type: 'int' }] },
          create_open_table_format_input: iceberg,
        },
      });
      assert.equal(mismatch.status, 400, mismatch.text);
      assert.match(mismatch.json.error_msg, /do not match the Iceberg schema/);
      assert.equal((await server.request('GET', `${tables()}/refused`, { token })).status, 404);
      // The listings of the tests below count the tables of this database.
      assert.equal((await server.request('DELETE', `${tables()}/clicks`, { token })).status, 200);
    });

    test('names, by-name lookup, filtered keyset pages and table meta across databases', async () => {
      for (const n of ['t_a', 't_b', 't_c']) {
        assert.equal(
          (
            await server.request('POST', tables(), {
              token,
              body: {
                table_name: n,
                table_type: 'EXTERNAL_TABLE',
                owner_type: 'USER',
                storage_descriptor: { columns: [] },
              },
            })
          ).status,
          201,
        );
      }
      assert.equal(
        (
          await server.request('POST', tables('hr'), {
            token,
            body: {
              table_name: 'staff',
              table_type: 'MANAGED_TABLE',
              owner_type: 'USER',
              storage_descriptor: { columns: [] },
            },
          })
        ).status,
        201,
      );
      assert.deepEqual(
        (await server.request('GET', `${tables()}/names`, { token, query: { table_pattern: 't_*' } })).json,
        ['t_a', 't_b', 't_c'],
      );
      assert.deepEqual(
        (await server.request('GET', `${tables()}/names`, { token, query: { table_type: 'VIRTUAL_VIEW' } })).json,
        ['big_orders'],
      );
      const byName = await server.request('POST', `${tables()}/list-by-names`, {
        token,
        body: { table_names: ['T_B', 'orders', 'missing'] },
      });
      assert.equal(byName.status, 200, byName.text);
      assert.deepEqual(
        byName.json.map((t: { table_name: string }) => t.table_name),
        ['orders', 't_b'],
      );
      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const page: { json: { tables: { table_name: string }[]; page_info: { next_marker?: string } } } =
          await server.request('GET', tables(), { token, query: { limit: 2, marker, table_type: 'EXTERNAL_TABLE' } });
        seen.push(...page.json.tables.map((t) => t.table_name));
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(seen, ['events', 't_a', 't_b', 't_c']);
      const iceOnly = await server.request('GET', tables(), { token, query: { table_format: 'ICEBERG' } });
      assert.deepEqual(
        iceOnly.json.tables.map((t: { table_name: string }) => t.table_name),
        ['events'],
      );
      const slim = await server.request('GET', tables(), {
        token,
        query: { table_name_pattern: 'orders', include_fields: 'table_type' },
      });
      assert.deepEqual(slim.json.tables, [{ table_name: 'orders', table_type: 'MANAGED_TABLE' }]);
      // Up to 5,000 a page when only names are asked for; 1,000 otherwise.
      const names5k = await server.request('GET', tables(), { token, query: { limit: 5000, include_fields: 'name' } });
      assert.equal(names5k.status, 200, names5k.text);
      assert.ok(names5k.json.tables.every((t: Record<string, unknown>) => Object.keys(t).join() === 'table_name'));
      const whole5k = await server.request('GET', tables(), { token, query: { limit: 5000 } });
      assert.equal(whole5k.status, 400, whole5k.text);
      assert.match(whole5k.json.error_msg, /include_fields=name/);
      assert.equal(
        (await server.request('GET', tables(), { token, query: { limit: 5001, include_fields: 'name' } })).status,
        400,
      );
      const meta = await server.request('GET', `${cat()}/databases/tables`, {
        token,
        query: { database_name_pattern: '*', table_name_pattern: 's*|t_a' },
      });
      assert.equal(meta.status, 200, meta.text);
      assert.deepEqual(
        meta.json.table_metas.map(
          (m: { database_name: string; table_name: string }) => `${m.database_name}.${m.table_name}`,
        ),
        ['hr.staff', 'sales.t_a'],
      );
      const managedOnly = await server.request('GET', `${cat()}/databases/tables`, {
        token,
        query: { table_types: ['MANAGED_TABLE'] },
      });
      assert.deepEqual(
        managedOnly.json.table_metas.map((m: { table_name: string }) => m.table_name),
        ['staff', 'orders'],
      );
      const byFilter = async (filter: string) => {
        const r = await server.request('GET', tables(), { token, query: { filter } });
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return r.json.tables.map((t: { table_name: string }) => t.table_name);
      };
      assert.deepEqual(await byFilter('hive_filter_field_params__classification = "parquet"'), ['orders']);
      assert.deepEqual(
        await byFilter(
          'hive_filter_field_params__classification <> "parquet" OR hive_filter_field_owner__ LIKE "adm%"',
        ),
        ['big_orders', 'events', 'orders', 't_a', 't_b', 't_c'],
        'a table without the parameter does not match <>, as NULL in SQL',
      );
      assert.deepEqual(await byFilter('hive_filter_field_owner__ = "nobody"'), []);
      assert.deepEqual(
        await byFilter('hive_filter_field_last_access__ > 0 AND hive_filter_field_params__classification = "parquet"'),
        ['orders'],
      );
      assert.deepEqual(
        await byFilter('hive_filter_field_last_access__ > 4102444800'),
        [],
        'nothing was accessed after 2100',
      );
      // The reference's priority: a name pattern or a table type decides, and the filter applies only without both.
      const nobody = 'hive_filter_field_owner__ = "nobody"';
      const ranked = async (query: Record<string, string>) => {
        const r = await server.request('GET', tables(), { token, query: { filter: nobody, ...query } });
        assert.equal(r.status, 200, r.text);
        return r.json.tables.map((t: { table_name: string }) => t.table_name);
      };
      assert.deepEqual(await ranked({ table_name_pattern: 't_*' }), ['t_a', 't_b', 't_c'], 'the pattern decides');
      assert.deepEqual(await ranked({ table_type: 'MANAGED_TABLE' }), ['orders'], 'the type decides');
      assert.deepEqual(await ranked({ table_format: 'HIVE' }), [], 'the format does not outrank the filter');
      for (const bad of [
        'owner = "x"',
        'hive_filter_field_last_access__ > "yesterday"',
        'hive_filter_field_owner__ =',
      ]) {
        const r = await server.request('GET', tables(), { token, query: { filter: bad } });
        assert.equal(r.status, 400, `${bad}: ${r.text}`);
        assert.match(r.json.error_msg, /position/);
      }
    });

    test('update replaces the definition, checks version_id, renames, and keeps what is not sent', async () => {
      const current = (await server.request('GET', `${tables()}/orders`, { token })).json;
      const stale = await server.request('PUT', `${tables()}/orders`, {
        token,
        body: { table: { comments: 'x' }, version_id: '99' },
      });
      assert.equal(stale.status, 409, stale.text);
      const r = await server.request('PUT', `${tables()}/orders`, {
        token,
        body: { table: { comments: 'changed', parameters: { a: 'b' } }, version_id: current.version_id },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.comments, 'changed');
      assert.deepEqual(r.json.parameters, { a: 'b' });
      assert.deepEqual(r.json.partition_keys, current.partition_keys, 'fields not sent are kept');
      assert.equal(r.json.version_id, '2');
      // The definition replaced is kept as version 1.
      const v1 = await server.request('GET', `${tables()}/orders`, { token, query: { version_id: '1' } });
      assert.equal(v1.status, 200, v1.text);
      assert.equal(v1.json.version_id, '1');
      assert.equal(v1.json.comments, current.comments);
      assert.deepEqual(v1.json.parameters, current.parameters);
      for (const missing of ['3', 'abc']) {
        const r404 = await server.request('GET', `${tables()}/orders`, { token, query: { version_id: missing } });
        assert.equal(r404.status, 404, r404.text);
      }
      assert.equal(
        (await server.request('PUT', `${tables()}/orders`, { token, body: { table: { table_name: 't_a' } } })).status,
        409,
      );
      const renamed = await server.request('PUT', `${tables()}/orders`, {
        token,
        body: { table: { table_name: 'all_orders' } },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((await server.request('GET', `${tables()}/orders`, { token })).status, 404);
      assert.equal((await server.request('GET', `${tables()}/all_orders`, { token })).json.comments, 'changed');
      // Versions survive a rename; the listing is newest first, the current one on top.
      const listed = await server.request('GET', `${tables()}/all_orders/versions`, { token });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.json.table_versions.map((v: { version_id: string; is_current: boolean }) => [
          v.version_id,
          v.is_current,
        ]),
        [
          ['3', true],
          ['2', false],
          ['1', false],
        ],
      );
      assert.equal(listed.json.table_versions[1].table.table_name, 'orders');
      assert.equal(listed.json.table_versions[1].table.comments, 'changed');
    });

    test('table versions: paged newest first, bounded by LAKEFORM_TABLE_VERSIONS_KEPT', async () => {
      const made = await server.request('POST', tables('hr'), {
        token,
        body: {
          table_name: 'versioned',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [{ column_name: 'c0', column_type: 'int' }] },
        },
      });
      assert.equal(made.status, 201, made.text);
      const t = `${tables('hr')}/versioned`;
      for (let i = 1; i <= 5; i++) {
        const r = await server.request('PUT', t, {
          token,
          body: { table: { storage_descriptor: { columns: [{ column_name: `c${i}`, column_type: 'int' }] } } },
        });
        assert.equal(r.status, 200, r.text);
      }
      // The server keeps 3 replaced versions: 5, 4 and 3 (6 is current).
      const seen: string[] = [];
      let marker: string | undefined;
      do {
        const page = await server.request('GET', `${t}/versions`, { token, query: { limit: 2, marker } });
        assert.equal(page.status, 200, page.text);
        assert.ok(page.json.table_versions.length <= 2);
        seen.push(...page.json.table_versions.map((v: { version_id: string }) => v.version_id));
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(seen, ['6', '5', '4', '3']);
      const v4 = await server.request('GET', t, { token, query: { version_id: '4' } });
      assert.equal(v4.json.storage_descriptor.columns[0].column_name, 'c3', 'schema history from the versions');
      const gone = await server.request('GET', t, { token, query: { version_id: '2' } });
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error_code, 'lakeformation.01000404', 'a missing object has a code of its own');
      const bad = await server.request('GET', `${t}/versions`, { token, query: { marker: 'x' } });
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.json.error_code, 'common.01000001');
      assert.equal((await server.request('DELETE', t, { token })).status, 200);
    });

    test(
      'ShowTable answers from cache only while nothing changed: own ' +
        "writes at once, another process's within 50 ms",
      async () => {
        const first = await server.request('GET', `${tables()}/t_b`, { token });
        assert.equal(first.status, 200, first.text);
        const up = await server.request('PUT', `${tables()}/t_b`, { token, body: { table: { comments: 'via api' } } });
        assert.equal(up.status, 200, up.text);
        assert.equal((await server.request('GET', `${tables()}/t_b`, { token })).json.comments, 'via api');
        if (backend.name !== 'sqlite') return;
        // Another process writes the database file directly, as the admin CLI does.
        const other = new SqliteDatabase(path.join(server.dataDir, 'lakeform.db'));
        try {
          other.pragma('busy_timeout = 5000');
          other
            .prepare(
              `UPDATE tables SET version = version + 1, definition = ` +
                `json_set(definition, '$.comments', 'from outside') WHERE name = 't_b'`,
            )
            .run();
        } finally {
          other.close();
        }
        await new Promise((r) => setTimeout(r, 120));
        assert.equal((await server.request('GET', `${tables()}/t_b`, { token })).json.comments, 'from outside');
      },
    );

    test('concurrent updates with the same version: one wins, the others get 409', async () => {
      const v = (await server.request('GET', `${tables()}/t_a`, { token })).json.version_id;
      const all = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          server.request('PUT', `${tables()}/t_a`, { token, body: { table: { comments: `w${i}` }, version_id: v } }),
        ),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 200).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 9, String(codes));
    });

    test(
      'alter_params: CASCADE reaches the partitions, file statistics ' + 'on request, is_async after the answer',
      async () => {
        assert.equal(
          (await server.request('POST', `${cat()}/databases`, { token, body: { database_name: 'altering' } })).status,
          201,
        );
        const t = `${tables('altering')}/pt`;
        const cols = [{ column_name: 'id', column_type: 'bigint' }];
        const made = await server.request('POST', tables('altering'), {
          token,
          body: {
            table_name: 'pt',
            table_type: 'MANAGED_TABLE',
            owner_type: 'USER',
            partition_keys: [{ column_name: 'dt', column_type: 'string' }],
            storage_descriptor: { columns: cols },
          },
        });
        assert.equal(made.status, 201, made.text);
        const add = await server.request('POST', `${t}/partitions/batch-create`, {
          token,
          body: {
            partitions: ['a', 'b', 'c'].map((v) => ({ partition_values: [v], storage_descriptor: { columns: cols } })),
          },
        });
        assert.equal(add.status, 201, add.text);
        const partColumns = async () =>
          (await server.request('GET', `${t}/partitions`, { token })).json.partitions.map(
            (p: { storage_descriptor: { columns: { column_name: string }[] } }) =>
              p.storage_descriptor.columns.map((c) => c.column_name).join(','),
          );
        const alter = (table: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
          server.request('PUT', t, { token, body: { table, ...extra } });
        const withCols = (...names: string[]) => ({
          storage_descriptor: { columns: names.map((n) => ({ column_name: n, column_type: 'bigint' })) },
        });
        assert.equal((await alter(withCols('id', 'x'))).status, 200);
        assert.deepEqual(await partColumns(), ['id', 'id', 'id'], 'without CASCADE the partitions keep their columns');
        const cascaded = await alter(withCols('id', 'x', 'y'), { alter_params: { CASCADE: 'true' } });
        assert.equal(cascaded.status, 200, cascaded.text);
        assert.deepEqual(await partColumns(), ['id,x,y', 'id,x,y', 'id,x,y']);
        // File statistics: recomputed only when DO_NOT_UPDATE_STATS is false; hidden files do not count.
        const m = /^obs:\/\/([^/]+)\/(.*)$/.exec(made.json.storage_descriptor.location) as RegExpExecArray;
        const dir = path.join(server.dataDir, 'warehouse', m[1] as string, m[2] as string);
        fs.mkdirSync(path.join(dir, 'dt=a'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'dt=a', 'f1.parquet'), 'x'.repeat(10));
        fs.writeFileSync(path.join(dir, 'dt=a', 'f2.parquet'), 'x'.repeat(5));
        fs.writeFileSync(path.join(dir, '_SUCCESS'), '');
        const counted = await alter(
          { comments: 'c1' },
          { alter_params: { DO_NOT_UPDATE_STATS: 'false', STATS_GENERATED: 'TASK' } },
        );
        assert.equal(counted.status, 200, counted.text);
        assert.equal(counted.json.parameters.numFiles, '2');
        assert.equal(counted.json.parameters.totalSize, '15');
        assert.deepEqual(JSON.parse(counted.json.parameters.COLUMN_STATS_ACCURATE), { BASIC_STATS: 'true' });
        fs.writeFileSync(path.join(dir, 'dt=a', 'f3.parquet'), 'x');
        const kept = await alter({ comments: 'c2' }, { alter_params: { DO_NOT_UPDATE_STATS: 'true' } });
        assert.equal(kept.json.parameters.numFiles, '2', 'DO_NOT_UPDATE_STATS true keeps them');
        const byUser = await alter(
          { comments: 'c3' },
          { alter_params: { DO_NOT_UPDATE_STATS: false, STATS_GENERATED: 'UNSET' } },
        );
        assert.equal(byUser.json.parameters.numFiles, '3');
        assert.equal(byUser.json.parameters.COLUMN_STATS_ACCURATE, undefined, 'not from a task: not marked accurate');
        // is_async: the change is answered at once; the files are counted after the answer.
        fs.writeFileSync(path.join(dir, 'dt=a', 'f4.parquet'), 'x');
        const later = await alter(
          { comments: 'c4' },
          { is_async: true, alter_params: { DO_NOT_UPDATE_STATS: 'false' } },
        );
        assert.equal(later.status, 200, later.text);
        assert.equal(later.json.parameters.numFiles, '3');
        let seen = '';
        for (let i = 0; i < 100 && seen !== '4'; i++) {
          seen = (await server.request('GET', t, { token })).json.parameters.numFiles;
          if (seen !== '4') await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(seen, '4');
        for (const bad of [{ FOO: '1' }, { CASCADE: 'maybe' }, { STATS_GENERATED: 'ME' }]) {
          const r = await alter({ comments: 'bad' }, { alter_params: bad });
          assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
        }
        assert.equal(
          (await server.request('GET', t, { token })).json.comments,
          'c4',
          'a refused alter changes nothing',
        );
        // The drop test below counts the catalog's tables.
        assert.equal((await server.request('DELETE', t, { token })).status, 200);
      },
    );

    test("truncate empties a managed table's files and keeps the table; other types are refused", async () => {
      assert.equal(
        (
          await server.request('POST', tables(), {
            token,
            body: {
              table_name: 'scratch',
              table_type: 'MANAGED_TABLE',
              owner_type: 'USER',
              storage_descriptor: { columns: [] },
            },
          })
        ).status,
        201,
      );
      const dir = path.join(server.dataDir, 'warehouse', 'lakeform', 'tc', 'sales.db', 'scratch');
      fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'sub', 'part-0'), 'x');
      const r = await server.request('POST', `${tables()}/scratch/truncate`, { token });
      assert.equal(r.status, 204, r.text);
      assert.ok(!fs.existsSync(path.join(dir, 'sub', 'part-0')));
      assert.equal((await server.request('GET', `${tables()}/scratch`, { token })).status, 200, 'the definition stays');
      const ext = await server.request('POST', `${tables()}/t_a/truncate`, { token });
      assert.equal(ext.status, 400);
      assert.match(ext.json.error_msg, /MANAGED_TABLE/);
      assert.equal((await server.request('POST', `${tables()}/nothere/truncate`, { token })).status, 404);
      assert.equal((await server.request('DELETE', `${tables()}/scratch`, { token })).status, 200);
    });

    test(
      "drop: delete_data removes a managed table's files at purge, " +
        "never an external table's; databases with tables need cascade",
      async () => {
        const dir = path.join(server.dataDir, 'warehouse', 'lakeform', 'tc', 'hr.db', 'staff');
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'part-0'), 'x');
        const ext = path.join(server.dataDir, 'warehouse', 'lakeform', 'tc', 'sales.db', 't_b');
        fs.mkdirSync(ext, { recursive: true });
        fs.writeFileSync(path.join(ext, 'part-0'), 'x');
        assert.equal(
          (await server.request('DELETE', `${tables()}/t_b`, { token, query: { delete_data: true } })).status,
          200,
        );
        assert.ok(fs.existsSync(path.join(ext, 'part-0')), 'external data stays');
        assert.equal((await server.request('DELETE', `${cat()}/databases/hr`, { token })).status, 409);
        assert.equal(
          (await server.request('DELETE', `${tables('hr')}/staff`, { token, query: { delete_data: true } })).status,
          200,
        );
        assert.ok(fs.existsSync(path.join(dir, 'part-0')), 'the dropped table waits in the recycle bin with its data');
        assert.equal(
          (await server.request('DELETE', `/v1/${project}/instances/${instance}/recycle-bin`, { token })).status,
          200,
        );
        assert.ok(!fs.existsSync(path.join(dir, 'part-0')), 'managed data goes when the entry is purged');
        assert.ok(fs.existsSync(path.join(ext, 'part-0')), 'external data stays, purged or not');
        const count = await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token });
        assert.equal(count.json.tables_count, 5);
        assert.equal(
          (await server.request('DELETE', `${cat()}/databases/sales`, { token, query: { cascade: true } })).status,
          200,
        );
        assert.equal(
          (await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token })).json
            .tables_count,
          0,
        );
      },
    );
  });
}
