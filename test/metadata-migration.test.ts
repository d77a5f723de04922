// METADATA_MIGRATION end to end: a Hive Metastore 3.x schema loaded by our fixtures into a real
// MariaDB and a real PostgreSQL, migrated by a job into a lakeform catalog (on SQLite from
// MariaDB, on PostgreSQL from PostgreSQL), and checked object by object: databases, tables with
// their storage, 1,500 partitions, functions, a view; locations rewritten, secrets sealed, the
// conflict strategy and sync_objects honoured, and an object that cannot move reported.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { HmsFixture, hmsBackends, ORDERS_PARTITIONS, sampleModel } from './helpers/hms-fixture.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const stores = await backends();
const sources = await hmsBackends();

// Both metastore kinds at once: each waits mostly on its database (schema loads, the job's reads and writes).
describe('metadata migration', { concurrency: true }, () => {
  for (const source of sources) {
    // Each metastore kind lands in one of our stores: MariaDB into SQLite, PostgreSQL into PostgreSQL.
    const store = stores.find((s) => s.name === (source.name === 'mariadb' ? 'sqlite' : 'postgres')) ?? stores[0];
    const skip = source.skip ?? (store ? undefined : 'no metadata store');
    describe(`metadata migration from a Hive Metastore on ${source.name} (into ${store?.name})`, {
      skip,
      concurrency: false,
    }, () => {
      const model = sampleModel();
      // A reader with a password on MariaDB (PostgreSQL here trusts local connections, so any password passes).
      const password = `Hms-${randomBytes(8).toString('hex')}`;
      const reader = `hms_mig_${randomBytes(4).toString('hex')}`;
      let fx: HmsFixture;
      let server: TestServer;
      let token: string;
      let project: string;
      let instance: string;
      const jobs = () => `/v1/${project}/instances/${instance}/lf-jobs`;
      const lake = () => `/v1/${project}/instances/${instance}/catalogs`;
      const target = () => `obs://lakeform/instances/${instance}/hms`;

      before(async () => {
        // The server starts while the metastore's schema loads.
        const starting = startServer(store as NonNullable<typeof store>, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
        try {
          fx = await HmsFixture.create(source);
          await fx.createSchema('3.x');
          await fx.load(model, '3.x');
          if (source.name === 'mariadb') await fx.createReader(reader, password);
        } finally {
          server = await starting;
        }
        ({ token, projectId: project } = await server.login());
        instance = await createRunningInstance(server, token, project, 'hms_inst');
        for (const catalog of ['migrated', 'only_dbs'])
          assert.equal((await server.request('POST', lake(), { token, body: { catalog_name: catalog } })).status, 201);
      });
      after(async () => {
        await server?.stop();
        await fx?.drop();
      });

      const parameter = (catalog: string, extra: Record<string, unknown> = {}) => ({
        metadata_migration_parameter: {
          datasource_type: source.type,
          datasource_parameter:
            source.name === 'mariadb' ? fx.connection({ user: reader, password }) : fx.connection({ password }),
          source_catalog: 'hive',
          target_catalog: catalog,
          conflict_strategy: 'UPSERT',
          default_owner: 'migrator',
          // The metastore's HDFS and one of its S3A buckets move to our storage; s3a://logs is left unmapped on
          // purpose.
          locations: [
            { key: 'hdfs://nn:8020', value: target() },
            { key: 's3a://web-bucket', value: `${target()}/web-bucket` },
          ],
          ...extra,
        },
      });
      async function run(name: string, p: unknown, query?: Record<string, string>) {
        const created = await server.request('POST', jobs(), {
          token,
          body: { name, type: 'METADATA_MIGRATION', parameter: p },
        });
        assert.equal(created.status, 200, created.text);
        const id = created.json.id as string;
        assert.equal(
          (await server.request('POST', `${jobs()}/${id}/start`, { token, ...(query ? { query } : {}) })).status,
          200,
        );
        for (let i = 0; i < 600; i++) {
          const s = await server.request('GET', `${jobs()}/${id}`, { token });
          if (!['SUBMITTED', 'RUNNING'].includes(s.json.status)) return { id, job: s.json, text: s.text };
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the migration did not end in 30 s');
      }

      test(
        'databases, tables, partitions, functions and a view arrive ' +
          'field by field; the unmappable table is reported',
        async () => {
          const { id, job, text } = await run('hms_full', parameter('migrated'));
          assert.ok(!text.includes(password), 'the password is never returned');
          assert.equal(job.status, 'PARTIAL_SUCCESS', text);
          assert.equal(job.last_run.failed, 1, 'events_ext: its s3a://logs location has no rewrite pair');
          const hiveDbs = model.databases.filter((d) => d.catalog === 'hive').map((d) => d.database);
          const names = (await server.request('GET', `${lake()}/migrated/databases/names`, { token })).json as string[];
          assert.deepEqual(names, hiveDbs.map((d) => d.name).sort());
          const sales = (await server.request('GET', `${lake()}/migrated/databases/sales`, { token })).json;
          assert.equal(sales.description, 'Sales data — 销售');
          assert.equal(sales.location, `${target()}/warehouse/sales.db`);
          assert.deepEqual(sales.parameters, { 'owner.team': 'revenue', 'retention.days': '30', zh: '销售数据' });
          assert.equal(sales.owner, 'etl');

          const orders = (await server.request('GET', `${lake()}/migrated/databases/sales/tables/orders`, { token }))
            .json;
          const src = (
            model.tables.find((t) => t.catalog === 'hive' && t.table.name === 'orders') as (typeof model.tables)[number]
          ).table;
          assert.equal(orders.table_type, 'MANAGED_TABLE');
          assert.equal(orders.owner, 'etl');
          assert.deepEqual(
            orders.storage_descriptor.columns.map(
              (c: { column_name: string; column_type: string }) => `${c.column_name}:${c.column_type}`,
            ),
            src.storage.columns.map((c) => `${c.name}:${c.type}`),
          );
          assert.equal(orders.storage_descriptor.columns[2].comment, '金额 (amount)');
          assert.deepEqual(
            orders.partition_keys.map((c: { column_name: string }) => c.column_name),
            ['dt', 'hr'],
          );
          assert.equal(orders.storage_descriptor.location, `${target()}/warehouse/sales.db/orders`);
          assert.equal(orders.storage_descriptor.input_format, src.storage.inputFormat);
          assert.equal(orders.storage_descriptor.serde_info.serialization_library, src.storage.serdeLib);
          assert.deepEqual(orders.storage_descriptor.bucket_columns, ['customer_id']);
          assert.equal(orders.storage_descriptor.number_of_buckets, 4);
          assert.deepEqual(orders.storage_descriptor.sort_columns, [{ column: 'order_id', sort_order: 1 }]);
          assert.equal(orders.parameters.comment, 'orders, one row per order');

          const parts = await server.request('GET', `${lake()}/migrated/databases/sales/tables/orders/partitions`, {
            token,
            query: { limit: 2 },
          });
          assert.equal(
            parts.json.partitions[0].storage_descriptor.location.startsWith(
              `${target()}/warehouse/sales.db/orders/dt=`,
            ),
            true,
          );
          const names1500 = await server.request(
            'GET',
            `${lake()}/migrated/databases/sales/tables/orders/partitions/partition-names`,
            { token, query: { limit: 2000 } },
          );
          assert.equal(names1500.status, 200, names1500.text);
          assert.equal(names1500.json.partition_name_list.length, ORDERS_PARTITIONS);
          assert.equal(
            job.last_run.created >= ORDERS_PARTITIONS,
            true,
            `partitions counted as created (${job.last_run.created})`,
          );

          const view = (await server.request('GET', `${lake()}/migrated/databases/sales/tables/big_orders`, { token }))
            .json;
          assert.equal(view.table_type, 'VIRTUAL_VIEW');
          assert.equal(view.view_original_text, 'SELECT order_id, amount FROM orders WHERE amount > 100');
          assert.ok(view.view_expanded_text.length > 10_000);
          const pages = (await server.request('GET', `${lake()}/migrated/databases/web/tables/pages`, { token })).json;
          assert.equal(pages.storage_descriptor.location, `${target()}/web-bucket/pages`);
          assert.equal(
            (await server.request('GET', `${lake()}/migrated/databases/sales/tables/events_ext`, { token })).status,
            404,
          );

          const fns = (await server.request('GET', `${lake()}/migrated/databases/sales/functions`, { token })).json
            .functions as {
            function_name: string;
            class_name: string;
            owner: string;
            resource_uris: { type: string; uri: string }[];
          }[];
          const mask = fns.find((f) => f.function_name === 'mask_email');
          assert.equal(mask?.class_name, 'com.example.udf.MaskEmail');
          assert.deepEqual(mask?.resource_uris, [
            { type: 'JAR', uri: `${target()}/udf/mask.jar` },
            { type: 'FILE', uri: 's3a://conf/mask.properties' },
          ]);
          assert.equal(
            fns.find((f) => f.function_name === 'geo_lookup')?.owner,
            'migrator',
            'default_owner where the source has none',
          );

          const history = await server.request('GET', `${jobs()}/${id}/history`, { token });
          const logs = await server.request('GET', `${jobs()}/${id}/runs/${history.json.jobs[0].id}/logs`, {
            token,
            query: { limit: 1000 },
          });
          const log = (logs.json.logs as { message: string }[]).map((l) => l.message).join('\n');
          assert.match(log, /table sales\.events_ext: .*s3a:\/\/logs/);
          assert.match(log, new RegExp(`${ORDERS_PARTITIONS} partition\\(s\\) added`));
        },
      );

      test('SKIP leaves everything in place; sync_objects limits what moves', async () => {
        const again = await run('hms_skip', parameter('migrated', { conflict_strategy: 'SKIP' }));
        assert.equal(again.job.last_run.created, 0, again.text);
        assert.ok(again.job.last_run.skipped > ORDERS_PARTITIONS, `skipped ${again.job.last_run.skipped}`);
        const dbsOnly = await run('hms_dbs', parameter('only_dbs', { sync_objects: ['DATABASE'] }));
        assert.equal(dbsOnly.job.status, 'SUCCESS', dbsOnly.text);
        assert.deepEqual(
          (await server.request('GET', `${lake()}/only_dbs/databases/sales/tables/names`, { token })).json,
          [],
        );
        assert.equal((await server.request('GET', `${lake()}/only_dbs/databases/sales`, { token })).json.owner, 'etl');
      });

      async function logOf(id: string) {
        const history = await server.request('GET', `${jobs()}/${id}/history`, { token });
        const logs = await server.request('GET', `${jobs()}/${id}/runs/${history.json.jobs[0].id}/logs`, {
          token,
          query: { limit: 1000 },
        });
        return (logs.json.logs as { message: string }[]).map((l) => l.message).join('\n');
      }

      const comparison =
        'COMPARISON compares source and target, writes nothing, and logs each difference and a summary';
      test(comparison, async () => {
        const orders = `${lake()}/migrated/databases/sales/tables/orders`;
        const first = (await server.request('GET', `${orders}/partitions`, { token, query: { limit: 1 } })).json
          .partitions[0];
        const dropped = first.partition_values as string[];
        assert.equal(
          (
            await server.request('POST', `${orders}/partitions/batch-drop`, {
              token,
              body: { partition_values: [dropped] },
            })
          ).status,
          200,
        );
        const extra = {
          table_name: 'only_here',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: [] },
        };
        assert.equal(
          (await server.request('POST', `${lake()}/migrated/databases/sales/tables`, { token, body: extra })).status,
          201,
        );
        const pages = `${lake()}/migrated/databases/web/tables/pages`;
        const changed = await server.request('PUT', pages, {
          token,
          body: { table: { parameters: { changed: 'in the target' } } },
        });
        assert.equal(changed.status, 200, changed.text);
        const before = (await server.request('GET', pages, { token })).json;

        const r = await run('hms_compare', parameter('migrated'), { mode: 'COMPARISON' });
        assert.equal(r.job.status, 'SUCCESS', r.text);
        assert.equal(r.job.last_run.mode, 'COMPARISON');
        assert.equal(r.job.last_run.created + r.job.last_run.updated, 0, 'a comparison writes nothing');
        const log = await logOf(r.id);
        assert.match(log, /missing_in_target: table sales\.events_ext/);
        assert.match(log, /missing_in_source: table sales\.only_here/);
        assert.match(
          log,
          new RegExp(`partition_missing_in_target: table sales\\.orders: partition \\(${dropped.join(', ')}\\)`),
        );
        assert.match(log, /parameters_differ: table web\.pages: parameters .*changed/);
        assert.doesNotMatch(log, /columns_differ: |location_differs: /, 'a migrated table compares equal');
        assert.match(
          log,
          new RegExp(
            'comparison summary: 4 difference\\(s\\); missing_in_target 1, missing_in_source 1, columns_differ 0, ' +
              '.*parameters_differ 1, .*partition_missing_in_target 1, partition_missing_in_source 0',
          ),
        );
        // Nothing was written: the dropped partition, the changed table and the missing table stay as they were.
        const again = await server.request('POST', `${orders}/partitions/batch-get`, {
          token,
          body: { values: [dropped] },
        });
        assert.equal(again.status, 200, again.text);
        assert.deepEqual(again.json, []);
        assert.deepEqual((await server.request('GET', pages, { token })).json, before);
        assert.equal(
          (await server.request('GET', `${lake()}/migrated/databases/sales/tables/events_ext`, { token })).status,
          404,
        );
      });

      test('COMPARISON into an empty catalog reports every source object missing and creates none', async () => {
        assert.equal(
          (await server.request('POST', lake(), { token, body: { catalog_name: 'compare_empty' } })).status,
          201,
        );
        const r = await run('hms_compare_empty', parameter('compare_empty', { sync_objects: ['DATABASE'] }), {
          mode: 'COMPARISON',
        });
        assert.equal(r.job.status, 'SUCCESS', r.text);
        // Every catalog has its `default` database: it is compared; the others are missing.
        const others = model.databases
          .filter((d) => d.catalog === 'hive' && d.database.name !== 'default')
          .map((d) => d.database.name);
        const log = await logOf(r.id);
        for (const name of others) assert.match(log, new RegExp(`missing_in_target: database ${name}\\n`));
        assert.match(log, new RegExp(`missing_in_target ${others.length}, missing_in_source 0,`));
        assert.match(log, /location_differs: database default: location .*\/hms\/warehouse in the source/);
        assert.deepEqual((await server.request('GET', `${lake()}/compare_empty/databases/names`, { token })).json, [
          'default',
        ]);
      });

      test('cascade=true brings the child metadata of the kinds sync_objects names', async () => {
        assert.equal((await server.request('POST', lake(), { token, body: { catalog_name: 'cascaded' } })).status, 201);
        const r = await run('hms_cascade', parameter('cascaded', { sync_objects: ['DATABASE'] }), { cascade: 'true' });
        assert.equal(r.job.last_run.cascade, true);
        const tables = (await server.request('GET', `${lake()}/cascaded/databases/sales/tables/names`, { token }))
          .json as string[];
        assert.ok(tables.includes('orders'), `tables came with their database: ${tables.join(', ')}`);
        const names = await server.request(
          'GET',
          `${lake()}/cascaded/databases/sales/tables/orders/partitions/partition-names`,
          { token, query: { limit: 2000 } },
        );
        assert.equal(names.json.partition_name_list.length, ORDERS_PARTITIONS, 'and the tables their partitions');
        const fns = (await server.request('GET', `${lake()}/cascaded/databases/sales/functions`, { token })).json
          .functions as unknown[];
        assert.ok(fns.length > 0, 'and functions');
      });

      test('COMPARISON is refused for a job kind that has no target to compare', async () => {
        const created = await server.request('POST', jobs(), {
          token,
          body: {
            name: 'discover_cmp',
            type: 'METADATA_DISCOVERY',
            parameter: {
              metadata_discovery_parameter: {
                data_location: 'obs://x/y',
                target_catalog: 'migrated',
                target_database: 'sales',
              },
            },
          },
        });
        assert.equal(created.status, 200, created.text);
        const r = await server.request('POST', `${jobs()}/${created.json.id}/start`, {
          token,
          query: { mode: 'COMPARISON' },
        });
        assert.equal(r.status, 400, r.text);
        assert.match(r.text, /COMPARISON applies to METADATA_MIGRATION/);
      });

      test('a wrong password fails the run with a clear reason that does not show it', async () => {
        const bad = parameter('migrated');
        bad.metadata_migration_parameter.datasource_parameter = {
          ...bad.metadata_migration_parameter.datasource_parameter,
          username: 'no_such_user',
          password: 'Wr0ng-Secret-xyz',
        };
        const r = await run('hms_badauth', bad);
        assert.equal(r.job.status, 'FAILED');
        assert.ok(!r.text.includes('Wr0ng-Secret-xyz'));
        assert.match(r.job.last_run.message, /authentic|denied|password|user/i);
      });
    });
  }
});
