// Jobs: the operations, the runner (one run at a time, cooperative stop, a dead replica's run
// failed by its lease) and METADATA_DISCOVERY over real Parquet, CSV, JSON-lines and Avro files
// written with libraries in a partitioned layout, checked field by field.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import avro from 'avsc';
import SqliteDatabase from 'better-sqlite3';
import { stringify } from 'csv-stringify/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import pg from 'pg';
import { item, policy, rangerExport, res, tableRes } from './helpers/ranger-export.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

// Both stores side by side: each waits mostly on its servers and its store. The stores are known before the suite is
// declared (subtests declared after an await in its body would run outside it).
const stores = await backends();
describe('jobs', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`jobs (${backend.name})`, { concurrency: false }, () => {
      let server: TestServer;
      let token: string;
      let project: string;
      let instance: string;
      const base = () => `/v1/${project}/instances/${instance}/lf-jobs`;
      const folder = (rel: string) => path.join(server.dataDir, 'warehouse', 'lakeform', 'instances', instance, rel);
      const put = (rel: string, data: Buffer | string) => {
        fs.mkdirSync(path.dirname(folder(rel)), { recursive: true });
        fs.writeFileSync(folder(rel), data);
      };
      const discovery = (name: string, data: string, database: string, extra: Record<string, unknown> = {}) => ({
        name,
        type: 'METADATA_DISCOVERY',
        parameter: {
          metadata_discovery_parameter: {
            data_location: `obs://lakeform/instances/${instance}/${data}`,
            target_catalog: 'hive',
            target_database: database,
            ...extra,
          },
        },
      });
      const create = async (body: unknown) => {
        const r = await server.request('POST', base(), { token, body });
        assert.equal(r.status, 200, r.text);
        return r.json.id as string;
      };
      /** Starts a job and waits until its run has ended; returns the job as shown then. */
      async function run(id: string) {
        const started = await server.request('POST', `${base()}/${id}/start`, { token });
        assert.equal(started.status, 200, started.text);
        for (let i = 0; i < 300; i++) {
          const s = await server.request('GET', `${base()}/${id}`, { token });
          if (!['SUBMITTED', 'RUNNING'].includes(s.json.status)) return s.json;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the run did not end in 15 s');
      }
      const logsOf = async (id: string, runId: string) => {
        const r = await server.request('GET', `${base()}/${id}/runs/${runId}/logs`, { token, query: { limit: 1000 } });
        assert.equal(r.status, 200, r.text);
        return (r.json.logs as { message: string }[]).map((l) => l.message).join('\n');
      };
      const parquet = (columns: { name: string; data: unknown; type: string }[]) =>
        Buffer.from(parquetWriteBuffer({ columnData: columns as never }));
      const avroFile = async (rel: string, schema: object, rows: object[]) => {
        fs.mkdirSync(path.dirname(folder(rel)), { recursive: true });
        // The schema itself (not a Type): the header then keeps its logical types.
        const encoder = avro.createFileEncoder(folder(rel), schema as never);
        for (const r of rows) encoder.write(r);
        await new Promise<void>((resolve) => {
          encoder.on('finish', () => resolve());
          encoder.end();
        });
      };

      before(async () => {
        server = await startServer(backend, {
          env: {
            LAKEFORM_JOB_LEASE_SECONDS: '2',
            LAKEFORM_QPS_PER_STRIDE: '10000',
            LAKEFORM_ALARM_INTERVAL_SECONDS: '1',
          },
        });
        ({ token, projectId: project } = await server.login());
        instance = await createRunningInstance(server, token, project, 'jobs_inst');
      });
      after(async () => {
        await server?.stop();
      });

      test(
        'operations: validation, names unique, secrets sealed and never ' + 'returned, list filters, update and delete',
        async () => {
          assert.equal(
            (
              await server.request('POST', base(), {
                token,
                body: { name: 'bad_job', type: 'METADATA_DISCOVERY', parameter: {} },
              })
            ).status,
            400,
          );
          assert.equal(
            (await server.request('POST', base(), { token, body: { name: 'bad_job', type: 'OTHER', parameter: {} } }))
              .status,
            400,
          );
          assert.equal(
            (
              await server.request('POST', base(), {
                token,
                body: discovery('bad_job', 'x', 'db', { conflict_strategy: 'MAYBE' }),
              })
            ).status,
            400,
          );
          assert.equal(
            (await server.request('POST', base(), { token, body: discovery('no', 'x', 'db') })).status,
            400,
            'names have 4 characters at least',
          );
          // SMN notifications cannot reach the cloud's notification service from here: refused, not ignored.
          const smn = discovery('smn_job', 'x', 'db');
          const notified = await server.request('POST', base(), {
            token,
            body: { ...smn, parameter: { ...smn.parameter, smn_notify: true, smn_notify_topic: 'topic' } },
          });
          assert.equal(notified.status, 400, notified.text);
          assert.match(notified.json.error_msg, /SMN/);
          const migration = {
            name: 'hms_import',
            type: 'METADATA_MIGRATION',
            parameter: {
              metadata_migration_parameter: {
                datasource_type: 'OPEN_FOR_MYSQL',
                source_catalog: 'hive',
                target_catalog: 'hive',
                conflict_strategy: 'UPSERT',
                datasource_parameter: {
                  jdbc_url: 'jdbc:mysql://127.0.0.1:3306/hms',
                  username: 'hive',
                  password: 'S3cret-pass!',
                },
              },
            },
          };
          const id = await create(migration);
          assert.equal((await server.request('POST', base(), { token, body: migration })).status, 409);
          const shown = await server.request('GET', `${base()}/${id}`, { token });
          assert.equal(shown.json.status, 'CREATED');
          assert.ok(!shown.text.includes('S3cret-pass!'), 'the password is never returned');
          assert.equal(shown.json.parameter.metadata_migration_parameter.datasource_parameter.username, 'hive');
          // At rest it is sealed too.
          if (backend.name === 'sqlite') {
            const db = new SqliteDatabase(path.join(server.dataDir, 'lakeform.db'), { readonly: true });
            try {
              assert.ok(!JSON.stringify(db.prepare('SELECT parameter FROM lf_jobs').all()).includes('S3cret-pass!'));
            } finally {
              db.close();
            }
          }
          const disc = await create(discovery('disc_listed', 'none', 'db'));
          const listed = await server.request('GET', base(), { token, query: { type: 'METADATA_DISCOVERY' } });
          assert.deepEqual(
            listed.json.jobs.map((j: { id: string }) => j.id),
            [disc],
          );
          assert.equal(listed.json.total, 1);
          assert.equal(
            (
              await server.request('GET', base(), {
                token,
                query: { type: 'METADATA_MIGRATION', name_pattern: 'hms*' },
              })
            ).json.total,
            1,
          );
          assert.equal(
            (await server.request('GET', base(), { token, query: { type: 'METADATA_MIGRATION', name_pattern: 'x*' } }))
              .json.total,
            0,
          );
          assert.equal(
            (await server.request('GET', base(), { token, query: { type: 'METADATA_MIGRATION', status: 'SUCCESS' } }))
              .json.total,
            0,
          );
          assert.equal((await server.request('GET', base(), { token })).status, 400, 'type is required');
          const { parameter } = migration;
          const updated = await server.request('PUT', `${base()}/${id}`, {
            token,
            body: {
              name: 'hms_import2',
              description: 'nightly',
              parameter: {
                metadata_migration_parameter: {
                  ...parameter.metadata_migration_parameter,
                  datasource_parameter: { jdbc_url: 'jdbc:mysql://127.0.0.1:3306/hms', username: 'hive' },
                },
              },
            },
          });
          assert.equal(updated.status, 200, updated.text);
          assert.equal(updated.json.name, 'hms_import2');
          assert.equal((await server.request('DELETE', `${base()}/${id}`, { token })).status, 200);
          assert.equal((await server.request('GET', `${base()}/${id}`, { token })).status, 404);
          assert.equal(
            (
              await server.request('POST', '/v3/users', {
                token,
                body: { user: { name: 'jobless', password: 'Pass-word-123' } },
              })
            ).status,
            201,
          );
          const user = (await server.login('jobless', 'Pass-word-123')).token;
          assert.equal(
            (await server.request('GET', base(), { token: user, query: { type: 'METADATA_DISCOVERY' } })).status,
            403,
          );
          assert.equal((await server.request('DELETE', `${base()}/${disc}`, { token })).status, 200);
        },
      );

      test(
        'discovery reads Parquet, CSV, JSON lines and Avro in a ' +
          'partitioned layout and writes the metadata field by field',
        async () => {
          for (const dt of ['2024-01-01', '2024-01-02']) {
            for (const region of ['eu', 'us west']) {
              put(
                `landing/sales/dt=${dt}/region=${encodeURIComponent(region)}/part-0.parquet`,
                parquet([
                  { name: 'id', data: new Int32Array([1, 2]), type: 'INT32' },
                  { name: 'amount', data: [1.5, 2.5], type: 'DOUBLE' },
                  { name: 'product', data: ['a', 'b'], type: 'STRING' },
                  { name: 'big', data: new BigInt64Array([1n, 2n]), type: 'INT64' },
                ]),
              );
            }
          }
          put(
            'landing/events/day=1/a.csv',
            stringify([
              ['id', 'name', 'on_day', 'ok'],
              [1, 'x', '2024-01-01', 'true'],
              [2, 'y', '2024-01-02', 'false'],
            ]),
          );
          put(
            'landing/events/day=2/b.csv',
            stringify([
              ['id', 'name', 'on_day', 'ok', 'score'],
              [3.5, 'z', '2024-01-03', 'true', 7],
            ]),
          );
          put(
            'landing/logs/a.jsonl',
            [
              { id: 1, msg: 'hi', tags: ['a'], meta: { k: 1 } },
              { id: 2, msg: 'yo', extra: 2.5 },
            ]
              .map((r) => JSON.stringify(r))
              .join('\n'),
          );
          await avroFile(
            'landing/users/u.avro',
            {
              type: 'record',
              name: 'U',
              fields: [
                { name: 'uid', type: 'long' },
                { name: 'email', type: ['null', 'string'] },
                { name: 'born', type: { type: 'int', logicalType: 'date' } },
              ],
            },
            [{ uid: 1, email: null, born: 10_957 }],
          );
          put('landing/_SUCCESS', '');
          put('landing/notes.txt', 'a file outside any table folder');
          const id = await create(
            discovery('disc_main', 'landing', 'found', {
              log_location: `obs://lakeform/instances/${instance}/joblogs`,
            }),
          );
          const job = await run(id);
          assert.equal(job.status, 'SUCCESS', JSON.stringify(job));
          assert.deepEqual(
            {
              created: job.last_run.created,
              failed: job.last_run.failed,
              done: job.last_run.done,
              total: job.last_run.total,
            },
            { created: 4, failed: 0, done: 9, total: 9 },
            'eight data files and notes.txt; _SUCCESS is not data',
          );
          assert.ok(job.last_success_run_time);
          const t = (name: string) =>
            server.request('GET', `/v1/${project}/instances/${instance}/catalogs/hive/databases/found/tables/${name}`, {
              token,
            });
          const sales = (await t('sales')).json;
          assert.equal(sales.table_type, 'EXTERNAL_TABLE');
          assert.deepEqual(sales.storage_descriptor.columns, [
            { column_name: 'id', column_type: 'int' },
            { column_name: 'amount', column_type: 'double' },
            { column_name: 'product', column_type: 'string' },
            { column_name: 'big', column_type: 'bigint' },
          ]);
          assert.deepEqual(sales.partition_keys, [
            { column_name: 'dt', column_type: 'date' },
            { column_name: 'region', column_type: 'string' },
          ]);
          assert.equal(sales.storage_descriptor.location, `obs://lakeform/instances/${instance}/landing/sales`);
          assert.equal(
            sales.storage_descriptor.serde_info.serialization_library,
            'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          );
          assert.equal(sales.parameters.classification, 'parquet');
          const parts = await server.request(
            'GET',
            `/v1/${project}/instances/${instance}/catalogs/hive/databases/found/tables/sales/partitions`,
            { token },
          );
          const values = parts.json.partitions
            .map((p: { partition_values: string[] }) => p.partition_values.join('/'))
            .sort();
          assert.deepEqual(
            values,
            ['2024-01-01/eu', '2024-01-01/us west', '2024-01-02/eu', '2024-01-02/us west'],
            'escaped folder names are unescaped',
          );
          const events = (await t('events')).json;
          // int and double widen to double; a column only the second file has joins at the end.
          assert.deepEqual(events.storage_descriptor.columns, [
            { column_name: 'id', column_type: 'double' },
            { column_name: 'name', column_type: 'string' },
            { column_name: 'on_day', column_type: 'date' },
            { column_name: 'ok', column_type: 'boolean' },
            { column_name: 'score', column_type: 'int' },
          ]);
          assert.deepEqual(events.partition_keys, [{ column_name: 'day', column_type: 'int' }]);
          assert.equal(events.parameters['skip.header.line.count'], '1');
          const logs = (await t('logs')).json;
          assert.deepEqual(logs.storage_descriptor.columns, [
            { column_name: 'id', column_type: 'int' },
            { column_name: 'msg', column_type: 'string' },
            { column_name: 'tags', column_type: 'array<string>' },
            { column_name: 'meta', column_type: 'struct<k:int>' },
            { column_name: 'extra', column_type: 'double' },
          ]);
          assert.deepEqual((await t('users')).json.storage_descriptor.columns, [
            { column_name: 'uid', column_type: 'bigint' },
            { column_name: 'email', column_type: 'string' },
            { column_name: 'born', column_type: 'date' },
          ]);
          const history = await server.request('GET', `${base()}/${id}/history`, { token });
          assert.equal(history.json.total, 1);
          const runId = history.json.jobs[0].id as string;
          const text = await logsOf(id, runId);
          assert.match(text, /notes\.txt: a file directly under the data location belongs to no table folder/);
          assert.match(text, /table sales: 4 new partition\(s\) of 4 found/);
          const stored = fs.readFileSync(folder(`joblogs/disc_main/${runId}.log`), 'utf8');
          assert.match(stored, /run ended SUCCESS/);
        },
      );

      test(
        'incompatible files are reported and fail alone; conflict ' +
          'strategies decide what happens to existing tables',
        async () => {
          put('mixed/t1/a.parquet', parquet([{ name: 'id', data: new Int32Array([1]), type: 'INT32' }]));
          put('mixed/t1/b.parquet', parquet([{ name: 'id', data: ['x'], type: 'STRING' }]));
          put('mixed/t2/a.parquet', parquet([{ name: 'v', data: [1.5], type: 'DOUBLE' }]));
          const id = await create(discovery('disc_mixed', 'mixed', 'mixed'));
          const first = await run(id);
          assert.equal(first.status, 'PARTIAL_SUCCESS', JSON.stringify(first));
          assert.equal(first.last_run.failed, 1);
          assert.equal(first.last_run.created, 2);
          assert.match(await logsOf(id, first.last_run.run_id), /column id is string here but int in other files/);
          const again = async (strategy: string) => {
            const u = await server.request('PUT', `${base()}/${id}`, {
              token,
              body: {
                name: 'disc_mixed',
                parameter: discovery('disc_mixed', 'mixed', 'mixed', { conflict_strategy: strategy }).parameter,
              },
            });
            assert.equal(u.status, 200, u.text);
            return (await run(id)).last_run;
          };
          const skip = await again('SKIP');
          assert.deepEqual([skip.created, skip.updated, skip.skipped], [0, 0, 2]);
          const failing = await again('FAIL');
          assert.equal(failing.failed, 3, 'two existing tables and the incompatible file');
          put('mixed/t3/a.parquet', parquet([{ name: 'w', data: [true], type: 'BOOLEAN' }]));
          const update = await again('UPDATE');
          assert.deepEqual(
            [update.created, update.updated, update.skipped],
            [0, 2, 1],
            'UPDATE leaves the new t3 alone',
          );
          const upsert = await again('UPSERT');
          assert.deepEqual([upsert.created, upsert.updated], [1, 2]);
        },
      );

      test(
        'one run at a time; a stop is honoured within 2 s and leaves ' +
          'what was written consistent; a running job cannot be deleted',
        async () => {
          const csv = stringify([
            ['id', 'v'],
            [1, 'a'],
          ]);
          for (let i = 0; i < 3000; i++) put(`many/t${i % 3}/p=${i % 300}/f${i}.csv`, csv);
          const id = await create(discovery('disc_many', 'many', 'many'));
          assert.equal((await server.request('POST', `${base()}/${id}/start`, { token })).status, 200);
          assert.equal(
            (await server.request('POST', `${base()}/${id}/start`, { token })).status,
            409,
            'a run is already active',
          );
          for (let i = 0; i < 200; i++) {
            const s = await server.request('GET', `${base()}/${id}`, { token });
            if (s.json.status === 'RUNNING' && s.json.last_run.done > 0) break;
            assert.ok(
              ['SUBMITTED', 'RUNNING'].includes(s.json.status),
              `the run ended before it could be stopped: ${s.text}`,
            );
            await new Promise((r) => setTimeout(r, 20));
          }
          assert.equal((await server.request('DELETE', `${base()}/${id}`, { token })).status, 409);
          const asked = Date.now();
          const stop = await server.request('POST', `${base()}/${id}/stop`, { token });
          assert.equal(stop.status, 200, stop.text);
          let status = '';
          while (Date.now() - asked < 2000) {
            status = (await server.request('GET', `${base()}/${id}`, { token })).json.status;
            if (status === 'STOPPED') break;
            await new Promise((r) => setTimeout(r, 25));
          }
          assert.equal(status, 'STOPPED', `stopped within 2 s (${Date.now() - asked} ms)`);
          // Whatever tables were written are whole: each listed table can be shown.
          const names = await server.request(
            'GET',
            `/v1/${project}/instances/${instance}/catalogs/hive/databases/many/tables/names`,
            { token },
          );
          if (names.status === 200)
            for (const n of names.json as string[])
              assert.equal(
                (
                  await server.request(
                    'GET',
                    `/v1/${project}/instances/${instance}/catalogs/hive/databases/many/tables/${n}`,
                    { token },
                  )
                ).status,
                200,
              );
          assert.equal(
            (await server.request('POST', `${base()}/${id}/stop`, { token })).status,
            409,
            'nothing left to stop',
          );
          assert.equal((await server.request('DELETE', `${base()}/${id}`, { token })).status, 200);
        },
      );

      test('a run whose server died is failed once its lease expires, and the job can start again', async () => {
        fs.rmSync(folder('tiny'), { recursive: true, force: true });
        put('tiny/t/a.csv', stringify([['id'], [1]]));
        const id = await create(discovery('disc_orphan', 'tiny', 'tiny'));
        const runId = randomUUID();
        const past = new Date(Date.now() - 60_000).toISOString();
        const row = [runId, id, instance, 'RUNNING', 'NORMAL', 'dead-replica', past, 0, past, past];
        const insert =
          'INSERT INTO lf_job_runs (id, job_id, instance_id, status, mode, ' +
          'lease_owner, lease_expires_at, stop_requested, submitted_at, ' +
          'started_at)';
        if (backend.name === 'sqlite') {
          const db = new SqliteDatabase(path.join(server.dataDir, 'lakeform.db'));
          try {
            db.prepare(`${insert} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...row);
          } finally {
            db.close();
          }
        } else {
          const client = new pg.Client({ connectionString: server.databaseUrl });
          await client.connect();
          try {
            await client.query(`${insert} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, row);
          } finally {
            await client.end();
          }
        }
        let shown: any;
        for (let i = 0; i < 100; i++) {
          shown = (await server.request('GET', `${base()}/${id}`, { token })).json;
          if (shown.status !== 'RUNNING') break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(shown.status, 'FAILED');
        assert.match(shown.last_run.message, /lease expired/);
        assert.equal((await run(id)).status, 'SUCCESS', 'started again');
      });

      test(
        'permission migration applies a Ranger export from storage as ' + 'grants, reporting what it cannot express',
        async () => {
          const lake = `/v1/${project}/instances/${instance}`;
          assert.equal(
            (
              await server.request('POST', `${lake}/catalogs/hive/databases`, {
                token,
                body: { database_name: 'sales' },
              })
            ).status,
            201,
          );
          assert.equal(
            (
              await server.request('POST', `${lake}/catalogs/hive/databases/sales/tables`, {
                token,
                body: {
                  table_name: 'orders',
                  table_type: 'EXTERNAL_TABLE',
                  owner_type: 'USER',
                  storage_descriptor: {
                    columns: [
                      { column_name: 'id', column_type: 'int' },
                      { column_name: 'card', column_type: 'string' },
                    ],
                  },
                },
              })
            ).status,
            201,
          );
          for (const name of ['ext_ana', 'ext_bob'])
            assert.equal(
              (
                await server.request('POST', '/v3/users', {
                  token,
                  body: { user: { name, password: 'Pass-word-123' } },
                })
              ).status,
              201,
            );
          put(
            'policies/export.json',
            JSON.stringify(
              rangerExport([
                policy(1, 'orders readers', {
                  resources: tableRes(['sales'], ['orders']),
                  policyItems: [item(['select'], { users: ['ana'] })],
                }),
                policy(2, 'orders writers', {
                  resources: tableRes(['sales'], ['orders']),
                  policyItems: [item(['update', 'alter'], { users: ['bob'] })],
                  denyPolicyItems: [item(['drop'], { users: ['bob'] })],
                }),
                policy(3, 'locks', {
                  resources: tableRes(['sales'], ['orders']),
                  policyItems: [item(['lock'], { users: ['ana'] })],
                }),
                policy(4, 'hdfs one', {
                  serviceType: 'hdfs',
                  resources: { path: res('/data') },
                  policyItems: [item(['read'], { users: ['ana'] })],
                }),
                policy(5, 'ghost', {
                  resources: tableRes(['sales'], ['orders']),
                  policyItems: [item(['select'], { users: ['nobody_here'] })],
                }),
              ]),
            ),
          );
          const id = await create({
            name: 'ranger_import',
            type: 'PERMISSION_MIGRATION',
            parameter: {
              permission_migration_parameter: {
                location: `obs://lakeform/instances/${instance}/policies`,
                file_name: 'export.json',
                policy_type: 'RANGER',
                ranger_permission_migration_principal_relas: { user_to: 'IAM_USER', user_prefix: 'ext_' },
              },
            },
          });
          const job = await run(id);
          assert.equal(job.status, 'PARTIAL_SUCCESS', JSON.stringify(job));
          assert.equal(job.last_run.failed, 1, 'the grant to a user that does not exist');
          const check = async (user: string, action: string) =>
            (
              await server.request('POST', `${lake}/policies/check-permission`, {
                token,
                body: {
                  access_request: [
                    {
                      action,
                      principal: [{ principal_name: user, principal_source: 'IAM', principal_type: 'USER' }],
                      resource: { resource_type: 'TABLE', catalog: 'hive', database: 'sales', table: 'orders' },
                    },
                  ],
                },
              })
            ).json[0].check_result as boolean;
          assert.equal(await check('ext_ana', 'SELECT'), true);
          assert.equal(await check('ext_ana', 'INSERT'), false);
          assert.equal(await check('ext_bob', 'ALTER'), true);
          assert.equal(await check('ext_bob', 'DROP'), false, 'the deny item came over as a deny');
          const text = await logsOf(id, job.last_run.run_id);
          assert.match(text, /lock/);
          assert.match(text, /hdfs/);
          assert.match(text, /ext_nobody_here/);
          // A missing file fails the run with the reason.
          const missing = await create({
            name: 'ranger_missing',
            type: 'PERMISSION_MIGRATION',
            parameter: {
              permission_migration_parameter: {
                location: `obs://lakeform/instances/${instance}/policies`,
                file_name: 'none.json',
              },
            },
          });
          const failed = await run(missing);
          assert.equal(failed.status, 'FAILED');
          assert.match(failed.last_run.message, /does not exist/);
        },
      );

      test('a job acts as its creator: once the creator is disabled, its runs fail with the reason', async () => {
        const admins = await server.request('GET', '/v3/groups', { token, query: { name: 'admin' } });
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'ops_admin', password: 'Pass-word-123' } },
            })
          ).status,
          201,
        );
        const u = await server.request('GET', '/v3/users', { token, query: { name: 'ops_admin' } });
        const userId = u.json.users[0].id as string;
        assert.equal(
          (await server.request('PUT', `/v3/groups/${admins.json.groups[0].id}/users/${userId}`, { token })).status,
          204,
        );
        const ops = (await server.login('ops_admin', 'Pass-word-123')).token;
        const created = await server.request('POST', base(), {
          token: ops,
          body: discovery('disc_by_ops', 'tiny', 'tiny'),
        });
        assert.equal(created.status, 200, created.text);
        assert.equal(
          (await server.request('PATCH', `/v3/users/${userId}`, { token, body: { user: { enabled: false } } })).status,
          200,
        );
        const job = await run(created.json.id);
        assert.equal(job.status, 'FAILED');
        assert.match(job.last_run.message, /ops_admin no longer exists or is disabled/);
      });

      test('failed runs feed the JOB_FAILURES alarm metric', async () => {
        const rules = `/v1/${project}/instances/${instance}/alarms/rules`;
        const rule = await server.request('POST', rules, {
          token,
          body: {
            rule_name: 'jobs_failing',
            metric: 'JOB_FAILURES',
            comparison_operator: '>',
            threshold: 0,
            evaluation_period: 3600,
          },
        });
        assert.equal(rule.status, 201, rule.text);
        let records: { value: number; status: string }[] = [];
        for (let i = 0; i < 100 && records.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 100));
          records =
            (
              await server.request('GET', `/v1/${project}/instances/${instance}/alarms/records`, {
                token,
                query: { rule_id: rule.json.rule_id },
              })
            ).json.records ?? [];
        }
        assert.equal(records.length, 1, 'the failed runs of the tests above opened a record');
        assert.ok((records[0] as { value: number }).value >= 2, `value ${(records[0] as { value: number }).value}`);
      });

      test('two replicas on one store never run a job twice', {
        skip: backend.name === 'sqlite' ? 'replicas share a PostgreSQL' : undefined,
      }, async () => {
        // A second server on the same database and warehouse: both runners sweep for submitted runs.
        const second = await startServer(backend, {
          dataDir: server.dataDir,
          databaseUrl: server.databaseUrl,
          adminPassword: server.adminPassword,
          env: { LAKEFORM_JOB_LEASE_SECONDS: '2', LAKEFORM_QPS_PER_STRIDE: '10000' },
        });
        try {
          for (let t = 0; t < 3; t++) put(`replicas/t${t}/a.csv`, stringify([['id'], [t]]));
          const ids: string[] = [];
          for (let j = 0; j < 8; j++)
            ids.push(await create(discovery(`disc_replica_${j}`, 'replicas', `replicas_${j}`)));
          // Started through both servers, so each replica's runner is kicked too.
          await Promise.all(
            ids.map((id, j) => (j % 2 ? second : server).request('POST', `${base()}/${id}/start`, { token })),
          );
          for (const id of ids) {
            let job: any;
            for (let i = 0; i < 300; i++) {
              job = (await server.request('GET', `${base()}/${id}`, { token })).json;
              if (!['SUBMITTED', 'RUNNING'].includes(job.status)) break;
              await new Promise((r) => setTimeout(r, 50));
            }
            assert.equal(job.status, 'SUCCESS', JSON.stringify(job));
            assert.equal(job.last_run.created, 3, 'each table written once');
            const text = await logsOf(id, job.last_run.run_id);
            assert.equal(text.match(/ started as /g)?.length, 1, `one replica ran it:\n${text}`);
          }
        } finally {
          await second.stop();
        }
      });

      const missingLocation =
        'discovery of a missing or empty location fails and says so; the run is counted in the metrics';
      test(missingLocation, async () => {
        const missing = await run(await create(discovery('disc_missing', 'no_such_folder', 'db_missing')));
        assert.equal(missing.last_run.status, 'FAILED');
        assert.match(
          missing.last_run.message,
          /nothing to discover: .*no_such_folder does not exist or holds no files/,
        );
        fs.mkdirSync(folder('empty_folder/t1'), { recursive: true });
        put('empty_folder/t1/_SUCCESS', '');
        const empty = await run(await create(discovery('disc_empty', 'empty_folder', 'db_empty')));
        assert.equal(empty.last_run.status, 'FAILED');
        assert.match(empty.last_run.message, /holds only hidden files/);
        put('junk_folder/t1/readme.txt', 'not data');
        const junk = await run(await create(discovery('disc_junk', 'junk_folder', 'db_junk')));
        assert.equal(junk.last_run.status, 'FAILED');
        assert.match(junk.last_run.message, /no table found under .*junk_folder/);
        const dbs = await server.request(
          'GET',
          `/v1/${project}/instances/${instance}/catalogs/hive/databases/db_missing`,
          { token },
        );
        assert.equal(dbs.status, 404, 'no empty database is left behind');
        const m = (await server.request('GET', '/metrics')).text;
        const line = m
          .split('\n')
          .find(
            (l) =>
              l.startsWith('lakeform_job_runs_total{') &&
              l.includes('type="METADATA_DISCOVERY"') &&
              l.includes('status="FAILED"'),
          );
        assert.ok(line && Number(line.split(' ').pop()) >= 3, line);
      });
    });
  }
});
