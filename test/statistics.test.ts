// Column statistics of tables and partitions over HTTP on both metadata stores.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const COLUMNS = [
  { column_name: 'id', column_type: 'bigint' },
  { column_name: 'price', column_type: 'double' },
  { column_name: 'amount', column_type: 'decimal(10,2)' },
  { column_name: 'day', column_type: 'date' },
  { column_name: 'name', column_type: 'string' },
  { column_name: 'ok', column_type: 'boolean' },
  { column_name: 'blob', column_type: 'binary' },
];
// 12.34 and 99.99 as Hive writes decimals: big-endian two's complement unscaled value and a scale.
const dec = (unscaled: number, scale = 2) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(unscaled);
  return { unscaled: b.toString('base64'), scale };
};
const ALL_TYPES = [
  {
    column_name: 'id',
    column_type: 'bigint',
    data_type: 'longStats',
    long_statistics_data: {
      minimum_value: -5,
      maximum_value: 1000,
      number_of_distinct_value: 900,
      number_of_null: 2,
      bit_vector: 'SExM',
    },
  },
  {
    column_name: 'price',
    column_type: 'double',
    data_type: 'doubleStats',
    double_statistics_data: {
      minimum_value: 0.5,
      maximum_value: 99.5,
      number_of_distinct_value: 50,
      number_of_null: 0,
    },
  },
  {
    column_name: 'amount',
    column_type: 'decimal(10,2)',
    data_type: 'decimalStats',
    decimal_statistics_data: {
      minimum_value: dec(1234),
      maximum_value: dec(9999),
      number_of_distinct_value: 10,
      number_of_null: 1,
    },
  },
  {
    column_name: 'day',
    column_type: 'date',
    data_type: 'dateStats',
    date_statistics_data: {
      minimum_value: '2024-01-01T00:00:00Z',
      maximum_value: '2024-12-31T00:00:00Z',
      number_of_distinct_value: 366,
      number_of_null: 0,
    },
  },
  {
    column_name: 'name',
    column_type: 'string',
    data_type: 'stringStats',
    string_statistics_data: {
      average_length: 7.5,
      maximum_length: 32,
      number_of_distinct_value: 900,
      number_of_null: 3,
    },
  },
  {
    column_name: 'ok',
    column_type: 'boolean',
    data_type: 'booleanStats',
    boolean_statistics_data: { number_of_true: 10, number_of_false: 5, number_of_null: 1 },
  },
  {
    column_name: 'blob',
    column_type: 'binary',
    data_type: 'binaryStats',
    binary_statistics_data: { average_length: 100, maximum_length: 4096, number_of_null: 0 },
  },
];
const byName = (objs: { column_name: string }[]): Record<string, any> =>
  Object.fromEntries(objs.map((o) => [o.column_name, o]));

for (const backend of await backends()) {
  describe(`column statistics (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const t = (table = 'facts') => `/v1/${project}/instances/${instance}/catalogs/sc/databases/d/tables/${table}`;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'stats_inst');
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'sc' },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs/sc/databases`, {
            token,
            body: { database_name: 'd' },
          })
        ).status,
        201,
      );
      const r = await server.request('POST', `/v1/${project}/instances/${instance}/catalogs/sc/databases/d/tables`, {
        token,
        body: {
          table_name: 'facts',
          table_type: 'MANAGED_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: COLUMNS },
          partition_keys: [{ column_name: 'dt', column_type: 'string' }],
        },
      });
      assert.equal(r.status, 201, r.text);
      const add = await server.request('POST', `${t()}/partitions/batch-create`, {
        token,
        body: {
          if_not_exist: false,
          partitions: ['a', 'b', 'c'].map((v) => ({ partition_values: [v], storage_descriptor: { columns: COLUMNS } })),
        },
      });
      assert.equal(add.status, 201, add.text);
    });
    after(async () => {
      await server?.stop();
    });

    test('table statistics of every type round-trip; reads return only the columns asked for', async () => {
      const set = await server.request('POST', `${t()}/column-statistics`, {
        token,
        body: {
          merge: false,
          table_column_statistics: {
            column_statistics_desc: { last_analyzed_time: '2024-06-01T00:00:00Z' },
            column_statistics_objects: ALL_TYPES,
          },
        },
      });
      assert.equal(set.status, 200, set.text);
      const got = await server.request('POST', `${t()}/column-statistics/batch-get`, {
        token,
        body: { column_names: COLUMNS.map((c) => c.column_name).concat('nosuch') },
      });
      assert.equal(got.status, 200, got.text);
      assert.deepEqual(byName(got.json), byName(ALL_TYPES));
      const some = await server.request('POST', `${t()}/column-statistics/batch-get`, {
        token,
        body: { column_names: ['ID'] },
      });
      assert.deepEqual(
        some.json.map((o: { column_name: string }) => o.column_name),
        ['id'],
      );
    });

    test(
      'merge widens extremes and adds counts as Hive does; without ' + 'merge the new statistics replace the old',
      async () => {
        const merged = await server.request('POST', `${t()}/column-statistics`, {
          token,
          body: {
            merge: true,
            table_column_statistics: {
              column_statistics_desc: {},
              column_statistics_objects: [
                {
                  column_name: 'id',
                  column_type: 'bigint',
                  data_type: 'longStats',
                  long_statistics_data: {
                    minimum_value: 3,
                    maximum_value: 5000,
                    number_of_distinct_value: 100,
                    number_of_null: 3,
                  },
                },
                {
                  column_name: 'amount',
                  column_type: 'decimal(10,2)',
                  data_type: 'decimalStats',
                  decimal_statistics_data: {
                    minimum_value: dec(-100),
                    maximum_value: dec(5000),
                    number_of_distinct_value: 20,
                    number_of_null: 0,
                  },
                },
                {
                  column_name: 'ok',
                  column_type: 'boolean',
                  data_type: 'booleanStats',
                  boolean_statistics_data: { number_of_true: 1, number_of_false: 1, number_of_null: 1 },
                },
              ],
            },
          },
        });
        assert.equal(merged.status, 200, merged.text);
        const got = byName(
          (
            await server.request('POST', `${t()}/column-statistics/batch-get`, {
              token,
              body: { column_names: ['id', 'amount', 'ok'] },
            })
          ).json,
        );
        assert.deepEqual(got.id.long_statistics_data, {
          minimum_value: -5,
          maximum_value: 5000,
          number_of_distinct_value: 900,
          number_of_null: 5,
        });
        assert.deepEqual(got.amount.decimal_statistics_data.minimum_value, dec(-100));
        assert.deepEqual(got.amount.decimal_statistics_data.maximum_value, dec(9999));
        assert.deepEqual(got.ok.boolean_statistics_data, { number_of_true: 11, number_of_false: 6, number_of_null: 2 });
        await server.request('POST', `${t()}/column-statistics`, {
          token,
          body: {
            merge: false,
            table_column_statistics: { column_statistics_desc: {}, column_statistics_objects: [ALL_TYPES[0]] },
          },
        });
        const replaced = byName(
          (
            await server.request('POST', `${t()}/column-statistics/batch-get`, {
              token,
              body: { column_names: ['id'] },
            })
          ).json,
        );
        assert.deepEqual(replaced.id, ALL_TYPES[0]);
      },
    );

    test('bad statistics are refused naming the entry, and nothing is written', async () => {
      const cases: [unknown[], RegExp][] = [
        [
          [
            {
              column_name: 'nosuch',
              column_type: 'int',
              data_type: 'longStats',
              long_statistics_data: {
                minimum_value: 1,
                maximum_value: 2,
                number_of_distinct_value: 1,
                number_of_null: 0,
              },
            },
          ],
          /nosuch is not a column/,
        ],
        [
          [
            {
              column_name: 'name',
              column_type: 'string',
              data_type: 'longStats',
              long_statistics_data: {
                minimum_value: 1,
                maximum_value: 2,
                number_of_distinct_value: 1,
                number_of_null: 0,
              },
            },
          ],
          /takes stringStats/,
        ],
        [[{ column_name: 'price', column_type: 'double', data_type: 'doubleStats' }], /needs double_statistics_data/],
      ];
      for (const [objects, why] of cases) {
        const r = await server.request('POST', `${t()}/column-statistics`, {
          token,
          body: {
            merge: false,
            table_column_statistics: {
              column_statistics_desc: {},
              column_statistics_objects: [ALL_TYPES[1], ...objects],
            },
          },
        });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error_msg, why);
      }
      const negative = await server.request('POST', `${t()}/column-statistics`, {
        token,
        body: {
          merge: false,
          table_column_statistics: {
            column_statistics_desc: {},
            column_statistics_objects: [
              {
                ...ALL_TYPES[1],
                double_statistics_data: {
                  minimum_value: 1,
                  maximum_value: 2,
                  number_of_distinct_value: -1,
                  number_of_null: 0,
                },
              },
            ],
          },
        },
      });
      assert.equal(negative.status, 400);
      const price = byName(
        (
          await server.request('POST', `${t()}/column-statistics/batch-get`, {
            token,
            body: { column_names: ['price'] },
          })
        ).json,
      );
      assert.deepEqual(price.price, ALL_TYPES[1], 'the valid entry of a refused request was not written');
    });

    test('table statistics delete by column or all; unknown columns are 404', async () => {
      assert.equal(
        (await server.request('DELETE', `${t()}/column-statistics`, { token, query: { column_name: 'id' } })).status,
        204,
      );
      assert.equal(
        (await server.request('DELETE', `${t()}/column-statistics`, { token, query: { column_name: 'id' } })).status,
        404,
        'no statistics left for id',
      );
      assert.equal(
        (await server.request('DELETE', `${t()}/column-statistics`, { token, query: { column_name: 'nosuch' } }))
          .status,
        404,
      );
      const left = await server.request('POST', `${t()}/column-statistics/batch-get`, {
        token,
        body: { column_names: COLUMNS.map((c) => c.column_name) },
      });
      assert.ok(!left.json.some((o: { column_name: string }) => o.column_name === 'id') && left.json.length === 6);
      assert.equal((await server.request('DELETE', `${t()}/column-statistics`, { token })).status, 204);
      assert.deepEqual(
        (
          await server.request('POST', `${t()}/column-statistics/batch-get`, {
            token,
            body: { column_names: ['name'] },
          })
        ).json,
        [],
      );
    });

    test('partition statistics: set per partition, read per partition name or aggregated, merge, delete', async () => {
      const long = (min: number, max: number, nulls: number) => ({
        column_name: 'id',
        column_type: 'bigint',
        data_type: 'longStats',
        long_statistics_data: {
          minimum_value: min,
          maximum_value: max,
          number_of_distinct_value: max - min,
          number_of_null: nulls,
        },
      });
      const set = await server.request('POST', `${t()}/partitions/column-statistics`, {
        token,
        body: {
          need_merge: false,
          statistics: [
            {
              column_statistics_desc: { partition_values: ['a'] },
              column_statistics_objects: [long(1, 10, 1), ALL_TYPES[4]],
            },
            { column_statistics_desc: { partition_values: ['b'] }, column_statistics_objects: [long(5, 50, 2)] },
          ],
        },
      });
      assert.equal(set.status, 200, set.text);
      const show = (aggregate: boolean, cols = ['id', 'name']) =>
        server.request('POST', `${t()}/partitions/column-statistics/batch-get`, {
          token,
          body: {
            aggregate_statics: aggregate,
            column_names: cols,
            partition_values_list: [['a'], ['b'], ['c'], ['zz']],
          },
        });
      const per = await show(false);
      assert.equal(per.status, 200, per.text);
      assert.equal(per.json.found_partition_number, 3);
      assert.deepEqual(Object.keys(per.json.column_statistics).sort(), ['dt=a', 'dt=b']);
      assert.deepEqual(byName(per.json.column_statistics['dt=a']).id, long(1, 10, 1));
      assert.equal(per.json.column_statistics['dt=b'].length, 1);
      const agg = await show(true);
      assert.deepEqual(byName(agg.json.column_statistics.aggregated).id.long_statistics_data, {
        minimum_value: 1,
        maximum_value: 50,
        number_of_distinct_value: 45,
        number_of_null: 3,
      });
      const missing = await server.request('POST', `${t()}/partitions/column-statistics`, {
        token,
        body: {
          need_merge: false,
          statistics: [
            { column_statistics_desc: { partition_values: ['c'] }, column_statistics_objects: [long(0, 1, 0)] },
            { column_statistics_desc: { partition_values: ['zz'] }, column_statistics_objects: [long(0, 1, 0)] },
          ],
        },
      });
      assert.equal(missing.status, 404, missing.text);
      assert.match(missing.json.error_msg, /zz/);
      assert.equal((await show(false)).json.column_statistics['dt=c'], undefined, 'nothing was written for c');
      await server.request('POST', `${t()}/partitions/column-statistics`, {
        token,
        body: {
          need_merge: true,
          statistics: [
            { column_statistics_desc: { partition_values: ['a'] }, column_statistics_objects: [long(-3, 4, 4)] },
          ],
        },
      });
      assert.deepEqual(byName((await show(false)).json.column_statistics['dt=a']).id.long_statistics_data, {
        minimum_value: -3,
        maximum_value: 10,
        number_of_distinct_value: 9,
        number_of_null: 5,
      });
      assert.equal(
        (
          await server.request('DELETE', `${t()}/partitions/column-statistics`, {
            token,
            query: { partition_values: ['a'], column_name: 'id' },
          })
        ).status,
        204,
      );
      assert.deepEqual(
        (await show(false)).json.column_statistics['dt=a'].map((o: { column_name: string }) => o.column_name),
        ['name'],
      );
      assert.equal(
        (
          await server.request('DELETE', `${t()}/partitions/column-statistics`, {
            token,
            query: { partition_values: ['zz'] },
          })
        ).status,
        404,
      );
    });

    test(
      'dropping a partition drops its statistics: a partition added ' + 'again under the same values has none',
      async () => {
        assert.equal(
          (await server.request('POST', `${t()}/partitions/batch-drop`, { token, body: { partition_values: [['b']] } }))
            .status,
          200,
        );
        assert.equal(
          (
            await server.request('POST', `${t()}/partitions/batch-create`, {
              token,
              body: {
                if_not_exist: false,
                partitions: [{ partition_values: ['b'], storage_descriptor: { columns: COLUMNS } }],
              },
            })
          ).status,
          201,
        );
        const r = await server.request('POST', `${t()}/partitions/column-statistics/batch-get`, {
          token,
          body: { aggregate_statics: false, column_names: ['id'], partition_values_list: [['b']] },
        });
        assert.deepEqual(r.json, { column_statistics: {}, found_partition_number: 1 });
      },
    );

    test(
      'an update that drops a column drops its statistics; partition ' + 'keys cannot change under partitions',
      async () => {
        await server.request('POST', `${t()}/column-statistics`, {
          token,
          body: {
            merge: false,
            table_column_statistics: {
              column_statistics_desc: {},
              column_statistics_objects: [ALL_TYPES[1], ALL_TYPES[4]],
            },
          },
        });
        const cols = COLUMNS.filter((c) => c.column_name !== 'price');
        const r = await server.request('PUT', t(), {
          token,
          body: { table: { storage_descriptor: { columns: cols } } },
        });
        assert.equal(r.status, 200, r.text);
        const left = await server.request('POST', `${t()}/column-statistics/batch-get`, {
          token,
          body: { column_names: ['price', 'name'] },
        });
        assert.deepEqual(
          left.json.map((o: { column_name: string }) => o.column_name),
          ['name'],
        );
        const keys = await server.request('PUT', t(), {
          token,
          body: { table: { partition_keys: [{ column_name: 'dt', column_type: 'int' }] } },
        });
        assert.equal(keys.status, 400, keys.text);
        assert.match(keys.json.error_msg, /partition keys cannot change/);
      },
    );

    test('a table renamed keeps its partitions and statistics; a dropped table takes them with it', async () => {
      await server.request('POST', `${t()}/column-statistics`, {
        token,
        body: {
          merge: false,
          table_column_statistics: { column_statistics_desc: {}, column_statistics_objects: [ALL_TYPES[0]] },
        },
      });
      const renamed = await server.request('PUT', t(), { token, body: { table: { table_name: 'facts2' } } });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal((await server.request('GET', `${t('facts2')}/partitions/names`, { token })).json.length, 3);
      assert.equal(
        (
          await server.request('POST', `${t('facts2')}/column-statistics/batch-get`, {
            token,
            body: { column_names: ['id'] },
          })
        ).json.length,
        1,
      );
      assert.equal((await server.request('DELETE', t('facts2'), { token })).status, 200);
      const count = await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token });
      assert.equal(count.json.partitions_count, 0);
    });
  });
}
