// The metadata recycle bin (issue 20) and delete_data by table kind (issue 21, item 5), on both metadata stores.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const DAY = 86_400_000;
const cols = [
  { column_name: 'id', column_type: 'bigint' },
  { column_name: 'name', column_type: 'string' },
];
const tableBody = (name: string, type = 'MANAGED_TABLE', extra: Record<string, unknown> = {}) => ({
  table_name: name,
  table_type: type,
  owner_type: 'USER',
  storage_descriptor: {
    columns: cols,
    ...((extra.location as object | undefined) ? { location: extra.location } : {}),
  },
  partition_keys: [{ column_name: 'dt', column_type: 'string' }],
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'location')),
});

// Both stores side by side: each waits mostly on its server and its store. The stores are known before the suite is
// declared (subtests declared after an await in its body would run outside it).
const stores = await backends();
describe('recycle bin', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`recycle bin (${backend.name})`, { concurrency: false }, () => {
      let server: TestServer;
      let token: string;
      let project: string;
      let instance: string;
      let analyst: string;
      const inst = () => `/v1/${project}/instances/${instance}`;
      const cat = () => `${inst()}/catalogs/rb`;
      const tables = (db = 'sales') => `${cat()}/databases/${db}/tables`;
      const warehouse = () => path.join(server.dataDir, 'warehouse', 'lakeform', 'rb');
      const ok = async (method: string, p: string, body?: unknown, as = token, query?: Record<string, string>) => {
        const r = await server.request(method, p, { token: as, body, query });
        assert.ok(
          r.status < 300,
          `${method} ${p}: ${r.status} ${r.text} ${r.status === 500 ? server.output().slice(-3000) : ''}`,
        );
        return r;
      };
      const dropped = async (db = 'sales', as = token, query: Record<string, string> = {}) =>
        (await ok('GET', tables(db), undefined, as, { deleted: 'true', ...query })).json;
      const grantOn = (resource: unknown, permissions: string[], user = 'rb_analyst') =>
        ok('POST', `${inst()}/policies/grant`, {
          effect: true,
          principal_list: [{ principal_name: user, principal_source: 'IAM', principal_type: 'USER' }],
          resource,
          permissions,
        });
      const tableRes = (t: string, db = 'sales') => ({
        type: 'TABLE',
        catalogs: [{ name: 'rb', databases: [{ name: db, tables: [{ name: t }] }] }],
      });
      const dbRes = (db: string) => ({ type: 'DATABASE', catalogs: [{ name: 'rb', databases: [{ name: db }] }] });
      const events = async () =>
        (await ok('GET', `${inst()}/metadata-event`, undefined, token, { limit: '1000' })).json.metadata_events as {
          metadata_action_type: string;
          object_name?: string;
          database_name?: string;
        }[];
      const writeFile = (dir: string) => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'part-0.parquet'), 'rows');
        return path.join(dir, 'part-0.parquet');
      };
      // Lets the worker's sweep (every 2 s) see the moved clock.
      const untilPurged = async (check: () => Promise<boolean>) => {
        for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(await check(), 'purged by the worker');
      };

      before(async () => {
        server = await startServer(backend, { inProcess: true, env: { LAKEFORM_QPS_PER_STRIDE: '1000' } });
        ({ token, projectId: project } = await server.login());
        instance = await createRunningInstance(server, token, project, 'bin_inst');
        await ok('POST', `${inst()}/catalogs`, { catalog_name: 'rb', location: 'obs://lakeform/rb' });
        for (const db of ['sales', 'hr']) await ok('POST', `${cat()}/databases`, { database_name: db });
        await ok('POST', '/v3/users', { user: { name: 'rb_analyst', password: 'Analyst-pass-1' } });
        analyst = (await server.login('rb_analyst', 'Analyst-pass-1')).token;
      });
      after(async () => {
        await server?.stop();
      });

      test('drop → list deleted → restore: partitions, statistics, constraints and grants come back', async () => {
        await ok('POST', tables(), tableBody('orders'));
        await ok('POST', `${tables()}/orders/partitions/batch-create`, {
          if_not_exist: false,
          partitions: ['a', 'b'].map((v) => ({ partition_values: [v], storage_descriptor: { columns: [] } })),
        });
        await ok('POST', `${tables()}/orders/constraints`, {
          primary_keys: [
            {
              column_name: 'id',
              primary_key_name: 'orders_pk',
              enable_constraint: true,
              validate_constraint: false,
              rely_constraint: false,
            },
          ],
        });
        await ok('POST', tables(), tableBody('visible'));
        await ok('POST', tables(), tableBody('secret'));
        await grantOn(tableRes('orders'), ['DESCRIBE', 'SELECT']);
        await grantOn(tableRes('visible'), ['DESCRIBE']);
        assert.equal((await server.request('GET', `${tables()}/orders`, { token: analyst })).status, 200);
        await ok('DELETE', `${tables()}/secret`);

        await ok('DELETE', `${tables()}/orders`);
        assert.equal((await server.request('GET', `${tables()}/orders`, { token })).status, 404);
        assert.equal((await server.request('GET', `${tables()}/orders`, { token: analyst })).status, 404);
        assert.deepEqual((await ok('GET', `${tables()}/names`)).json, ['visible'], 'gone from the live list');
        const bin = await dropped('sales', token, { table_name_pattern: 'orders' });
        assert.equal(bin.tables.length, 1);
        const [entry] = bin.tables;
        assert.equal(entry.table_name, 'orders');
        assert.equal(entry.database_name, 'sales');
        assert.equal(entry.dropped_by, 'admin');
        assert.match(entry.recycle_bin_id, /^[0-9a-f]{32}$/);
        assert.equal(Date.parse(entry.purge_time) - Date.parse(entry.drop_time), 7 * DAY, 'the default retention');
        // The grant left with the table: the analyst still sees the entry it could see, not the one it could not.
        assert.deepEqual(
          (await dropped('sales', analyst)).tables.map((t: { table_name: string }) => t.table_name),
          ['orders'],
        );
        assert.deepEqual((await dropped('sales')).tables.map((t: { table_name: string }) => t.table_name).sort(), [
          'orders',
          'secret',
        ]);
        const counts = (await ok('POST', `${inst()}/metaobj/count`)).json;
        assert.equal(counts.catalogs_count, 2, 'the bin is no catalog of the instance');

        const restored = await ok('POST', `${tables()}/orders/restore`, { recycle_bin_id: entry.recycle_bin_id });
        assert.equal(restored.json.table_name, 'orders');
        assert.equal((await dropped('sales', token, { table_name_pattern: 'orders' })).tables.length, 0);
        const parts = await ok('GET', `${tables()}/orders/partitions`);
        assert.equal(parts.json.partitions.length, 2);
        const pk = await ok('GET', `${tables()}/orders/constraints`, undefined, token, { type: 'PRIMARY_KEY' });
        assert.equal(pk.json.primary_keys[0].primary_key_name, 'orders_pk');
        assert.equal((await server.request('GET', `${tables()}/orders`, { token: analyst })).status, 200, 'grant back');
        const kinds = (await events()).map((e) => e.metadata_action_type);
        assert.ok(kinds.includes('DROP_TABLE') && kinds.includes('RESTORE_TABLE'), kinds.join());
      });

      test('a database drop takes its tables and their grants into the bin; restore brings all back', async () => {
        await ok('POST', `${cat()}/databases`, { database_name: 'tmpdb' });
        await ok('POST', tables('tmpdb'), tableBody('t1'));
        await ok('POST', tables('tmpdb'), tableBody('t2', 'EXTERNAL_TABLE'));
        await grantOn(tableRes('t1', 'tmpdb'), ['DESCRIBE']);
        assert.equal((await server.request('DELETE', `${cat()}/databases/tmpdb`, { token })).status, 409, 'cascade');
        await ok('DELETE', `${cat()}/databases/tmpdb`, undefined, token, { cascade: 'true' });
        assert.equal((await server.request('GET', tables('tmpdb'), { token })).status, 404);
        const bin = (await ok('GET', `${cat()}/databases`, undefined, token, { deleted: 'true' })).json.databases;
        assert.deepEqual(
          bin.map((d: { database_name: string }) => d.database_name),
          ['tmpdb'],
        );
        assert.ok(bin[0].recycle_bin_id && bin[0].drop_time && bin[0].purge_time && bin[0].dropped_by === 'admin');
        const vis = await server.request('GET', `${cat()}/databases`, { token: analyst, query: { deleted: 'true' } });
        assert.deepEqual(
          vis.json.databases.map((d: { database_name: string }) => d.database_name),
          ['tmpdb'],
          'the analyst saw the database through its table grant',
        );
        await ok('POST', `${cat()}/databases/tmpdb/restore`, {});
        const names = (await ok('GET', `${tables('tmpdb')}/names`)).json;
        assert.deepEqual(names.sort(), ['t1', 't2']);
        assert.equal((await server.request('GET', `${tables('tmpdb')}/t1`, { token: analyst })).status, 200);
      });

      test(
        'a same-name create while the old one is in the bin, then a ' + 'restore under a new name (409 under the old)',
        async () => {
          await ok('POST', tables(), tableBody('dup'));
          await ok('DELETE', `${tables()}/dup`);
          await ok('POST', tables(), tableBody('dup', 'EXTERNAL_TABLE'));
          await ok('DELETE', `${tables()}/dup`);
          await ok('POST', tables(), tableBody('dup'));
          const bin = (await dropped('sales', token, { table_name_pattern: 'dup' })).tables;
          assert.equal(bin.length, 2, 'both drops sit side by side');
          const taken = await server.request('POST', `${tables()}/dup/restore`, {
            token,
            body: { recycle_bin_id: bin[0].recycle_bin_id },
          });
          assert.equal(taken.status, 409, taken.text);
          assert.match(taken.json.error_msg, /already exists/);
          const filtered = await server.request('GET', tables(), {
            token,
            query: { deleted: 'true', filter: 'hive_filter_field_owner__ = "admin"' },
          });
          assert.equal(filtered.status, 400, 'a filter the bin cannot apply is refused, not ignored');
          // Paged like the live list.
          const first = await dropped('sales', token, { table_name_pattern: 'dup', limit: '1' });
          assert.equal(first.tables.length, 1);
          const second = await dropped('sales', token, {
            table_name_pattern: 'dup',
            limit: '1',
            marker: first.page_info.next_marker,
          });
          assert.equal(second.tables.length, 1);
          assert.notEqual(second.tables[0].recycle_bin_id, first.tables[0].recycle_bin_id);
          const r = await ok('POST', `${tables()}/dup/restore`, {
            recycle_bin_id: bin[0].recycle_bin_id,
            new_table_name: 'dup_old',
          });
          assert.equal(r.json.table_name, 'dup_old');
          assert.equal((await ok('GET', `${tables()}/dup_old`)).json.table_type, bin[0].table_type);
          assert.equal((await ok('GET', `${tables()}/dup`)).json.table_type, 'MANAGED_TABLE');
        },
      );

      test('restore needs the privilege the drop needed, on the parent', async () => {
        await ok('POST', tables('hr'), tableBody('staff'));
        await ok('DELETE', `${tables('hr')}/staff`);
        await grantOn(dbRes('hr'), ['DESCRIBE']);
        const refused = await server.request('POST', `${tables('hr')}/staff/restore`, { token: analyst, body: {} });
        assert.equal(refused.status, 403, refused.text);
        await grantOn(dbRes('hr'), ['DROP']);
        assert.equal(
          (await server.request('POST', `${tables('hr')}/staff/restore`, { token: analyst, body: {} })).status,
          200,
        );
        const none = await server.request('POST', `${tables('hr')}/staff/restore`, { token, body: {} });
        assert.equal(none.status, 404, 'nothing of that name in the bin');
      });

      test('entries follow a rename of the database they were dropped from', async () => {
        await ok('POST', `${cat()}/databases`, { database_name: 'ren' });
        await ok('POST', tables('ren'), tableBody('r'));
        await ok('DELETE', `${tables('ren')}/r`);
        await ok('PUT', `${cat()}/databases/ren`, { database_name: 'ren2' });
        assert.equal((await dropped('ren2')).tables[0].database_name, 'ren2');
        await ok('POST', `${tables('ren2')}/r/restore`, {});
        assert.equal((await ok('GET', `${tables('ren2')}/r`)).json.database_name, 'ren2');
      });

      const retention = 'purge after retention (clock injected): internal tables lose their files, external ones never';
      test(retention, async () => {
        await ok('POST', `${cat()}/databases`, { database_name: 'lake' });
        const lake = path.join(warehouse(), 'lake.db');
        await ok('POST', tables('lake'), tableBody('managed'));
        await ok('POST', tables('lake'), tableBody('laked', 'LAKE_TABLE'));
        await ok(
          'POST',
          tables('lake'),
          tableBody('ext', 'EXTERNAL_TABLE', { location: 'obs://lakeform/rb/lake.db/ext' }),
        );
        await ok('POST', tables('lake'), tableBody('kept'));
        await ok('POST', tables('lake'), tableBody('short', 'MANAGED_TABLE', { retention: 1 }));
        const files = Object.fromEntries(
          ['managed', 'laked', 'ext', 'kept', 'short'].map((t) => [t, writeFile(path.join(lake, t))]),
        ) as Record<'managed' | 'laked' | 'ext' | 'kept' | 'short', string>;
        const loose = writeFile(path.join(lake, 'loose'));
        for (const t of ['managed', 'laked', 'ext', 'short'])
          await ok('DELETE', `${tables('lake')}/${t}`, undefined, token, { delete_data: 'true' });
        await ok('DELETE', `${tables('lake')}/kept`);
        for (const f of Object.values(files)) assert.ok(fs.existsSync(f), 'files stay while in the bin');

        await server.passTime(DAY + 1000);
        token = (await server.login()).token;
        await untilPurged(
          async () => (await dropped('lake', token, { table_name_pattern: 'short' })).tables.length === 0,
        );
        assert.ok(!fs.existsSync(files.short), 'the table retention of 1 day');
        assert.equal((await dropped('lake')).tables.length, 4, 'the others wait for the instance retention');

        await server.passTime(7 * DAY);
        token = (await server.login()).token;
        analyst = (await server.login('rb_analyst', 'Analyst-pass-1')).token;
        await untilPurged(async () => (await dropped('lake')).tables.length === 0);
        assert.ok(!fs.existsSync(files.managed), 'MANAGED_TABLE data deleted at purge');
        assert.ok(!fs.existsSync(files.laked), 'LAKE_TABLE data deleted at purge');
        assert.ok(fs.existsSync(files.ext), 'EXTERNAL_TABLE data never deleted, even under the database folder');
        assert.ok(fs.existsSync(files.kept), 'without delete_data the files stay');
        assert.ok(fs.existsSync(loose), 'nothing deleted by prefix');
        const kinds = (await events()).filter((e) => e.metadata_action_type === 'PURGE_TABLE');
        assert.equal(kinds.filter((e) => e.database_name === 'lake').length, 5);
      });

      test(
        'DeleteDatabase with delete_data: each internal table at its own ' + 'location, at purge; never by prefix',
        async () => {
          await ok('POST', `${cat()}/databases`, { database_name: 'gone' });
          await ok('POST', tables('gone'), tableBody('m'));
          await ok(
            'POST',
            tables('gone'),
            tableBody('far', 'MANAGED_TABLE', { location: 'obs://lakeform/rb/elsewhere/far' }),
          );
          await ok(
            'POST',
            tables('gone'),
            tableBody('x', 'EXTERNAL_TABLE', { location: 'obs://lakeform/rb/gone.db/x' }),
          );
          const m = writeFile(path.join(warehouse(), 'gone.db', 'm'));
          const far = writeFile(path.join(warehouse(), 'elsewhere', 'far'));
          const x = writeFile(path.join(warehouse(), 'gone.db', 'x'));
          const loose = writeFile(path.join(warehouse(), 'gone.db', 'loose'));
          await ok('DELETE', `${cat()}/databases/gone`, undefined, token, { cascade: 'true', delete_data: 'true' });
          assert.ok(fs.existsSync(m), 'nothing deleted before the purge');
          const id = (await ok('GET', `${cat()}/databases`, undefined, token, { deleted: 'true' })).json.databases.find(
            (d: { database_name: string }) => d.database_name === 'gone',
          ).recycle_bin_id;
          const purge = await server.request('DELETE', `${inst()}/recycle-bin/${id}`, { token: analyst });
          assert.equal(purge.status, 403, 'an administrator purges');
          assert.equal((await ok('DELETE', `${inst()}/recycle-bin/${id}`)).json.purged, 1);
          assert.ok(!fs.existsSync(m) && !fs.existsSync(far), 'internal tables, each at its own location');
          assert.ok(fs.existsSync(x), 'the external table under the database folder keeps its data');
          assert.ok(fs.existsSync(loose), 'the database folder is not deleted by prefix');
          assert.equal((await server.request('DELETE', `${inst()}/recycle-bin/${id}`, { token })).status, 404);
        },
      );

      test('the whole bin purged by an administrator; the retention set per instance', async () => {
        await ok('POST', tables('hr'), tableBody('a1'));
        await ok('DELETE', `${tables('hr')}/a1`);
        assert.equal((await ok('PUT', `${inst()}/recycle-bin`, { retention_days: 2 })).json.retention_days, 2);
        await ok('POST', tables('hr'), tableBody('a2'));
        await ok('DELETE', `${tables('hr')}/a2`);
        const a2 = (await dropped('hr', token, { table_name_pattern: 'a2' })).tables[0];
        assert.equal(Date.parse(a2.purge_time) - Date.parse(a2.drop_time), 2 * DAY);
        assert.ok((await ok('DELETE', `${inst()}/recycle-bin`)).json.purged >= 2);
        assert.deepEqual((await dropped('hr')).tables, []);
        await ok('PUT', `${inst()}/recycle-bin`, { retention_days: 7 });
      });

      test('an Iceberg drop without purge can be restored and loads again; purgeRequested purges at once', async () => {
        const nsPath = `/iceberg/v1/${instance}~rb/namespaces`;
        const ice = (method: string, p: string, body?: unknown, query?: Record<string, string>) =>
          server.request(method, p, { headers: { Authorization: `Bearer ${token}` }, body, query });
        assert.equal((await ice('POST', nsPath, { namespace: ['ice'] })).status, 200);
        const schema = {
          type: 'struct',
          'schema-id': 0,
          fields: [{ id: 1, name: 'id', required: true, type: 'long' }],
        };
        const created = await ice('POST', `${nsPath}/ice/tables`, { name: 'events', schema });
        assert.equal(created.status, 200, created.text);
        const metadataLocation = created.json['metadata-location'];
        assert.ok(metadataLocation);
        assert.equal((await ice('DELETE', `${nsPath}/ice/tables/events`)).status, 204);
        assert.equal((await ice('GET', `${nsPath}/ice/tables/events`)).status, 404);
        await ok('POST', `${cat()}/databases/ice/tables/events/restore`, {});
        const loaded = await ice('GET', `${nsPath}/ice/tables/events`);
        assert.equal(loaded.status, 200, loaded.text);
        assert.equal(loaded.json['metadata-location'], metadataLocation);
        assert.equal(loaded.json.metadata['table-uuid'], created.json.metadata['table-uuid']);

        assert.equal(
          (await ice('DELETE', `${nsPath}/ice/tables/events`, undefined, { purgeRequested: 'true' })).status,
          204,
        );
        assert.deepEqual((await dropped('ice')).tables, [], 'purged at once, not in the bin');
        const kinds = (await events()).filter((e) => e.object_name === 'events').map((e) => e.metadata_action_type);
        assert.deepEqual(kinds.slice(-2), ['DROP_TABLE', 'PURGE_TABLE']);
      });

      test('two replicas purging the same entries purge each once', async () => {
        await ok('POST', `${cat()}/databases`, { database_name: 'race' });
        for (const t of ['r1', 'r2', 'r3']) {
          await ok('POST', tables('race'), tableBody(t));
          await ok('DELETE', `${tables('race')}/${t}`);
        }
        // On SQLite a process (a second connection in this thread would wait on the first's lock); on PostgreSQL a
        // second server in this process, with a pool of its own.
        const other = await startServer(backend, {
          dataDir: server.dataDir,
          databaseUrl: server.databaseUrl,
          adminPassword: server.adminPassword,
          process: backend.name === 'sqlite',
        });
        try {
          const t2 = (await other.login()).token;
          const [a, b] = await Promise.all([
            server.request('DELETE', `${inst()}/recycle-bin`, { token }),
            other.request('DELETE', `${inst()}/recycle-bin`, { token: t2 }),
          ]);
          assert.equal(a.status, 200, a.text);
          assert.equal(b.status, 200, b.text);
          const purges = (await events()).filter(
            (e) => e.metadata_action_type === 'PURGE_TABLE' && e.database_name === 'race',
          );
          assert.equal(purges.length, 3, 'one purge event per entry');
          assert.equal(a.json.purged + b.json.purged, 3);
        } finally {
          await other.stop();
        }
      });
    });
  }
});
