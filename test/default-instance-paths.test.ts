// LakeCat paths accept `default` for the project's default instance: the table-level operations resolve a table
// through it as through the instance id (the prepared lookups once failed there with a 500).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`tables through the default instance (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let projectId: string;
    let instanceId: string;

    before(async () => {
      server = await startServer(backend);
      ({ token, projectId } = await server.login());
      instanceId = await createRunningInstance(server, token, projectId, 'default_paths');
      const db = `/v1/${projectId}/instances/${instanceId}/catalogs/hive/databases`;
      assert.equal((await server.request('POST', db, { token, body: { database_name: 'd' } })).status, 201);
      const t = await server.request('POST', `${db}/d/tables`, {
        token,
        body: {
          table_name: 't',
          table_type: 'MANAGED_TABLE',
          owner_type: 'USER',
          partition_keys: [{ column_name: 'dt', column_type: 'string' }],
          storage_descriptor: { columns: [{ column_name: 'a', column_type: 'int' }] },
        },
      });
      assert.equal(t.status, 201, t.text);
    });
    after(() => server?.stop());

    test('show, partitions, statistics and constraints answer alike for `default` and the id', async () => {
      for (const ref of [instanceId, 'default']) {
        const table = `/v1/${projectId}/instances/${ref}/catalogs/hive/databases/d/tables/t`;
        const shown = await server.request('GET', table, { token });
        assert.equal(shown.status, 200, `${ref}: ${shown.text}`);
        assert.equal(shown.json.table_name, 't');
        const added = await server.request('POST', `${table}/partitions/batch-create`, {
          token,
          body: {
            if_not_exist: true,
            partitions: [{ partition_values: ['2024'], storage_descriptor: { columns: [] } }],
          },
        });
        assert.equal(added.status, 201, `${ref}: ${added.text}`);
        const parts = await server.request('GET', `${table}/partitions`, { token, query: { filter: "dt = '2024'" } });
        assert.equal(parts.status, 200, parts.text);
        assert.deepEqual(
          parts.json.partitions.map((p: { partition_values: string[] }) => p.partition_values),
          [['2024']],
        );
        const stats = await server.request('POST', `${table}/column-statistics/batch-get`, {
          token,
          body: { column_names: ['a'] },
        });
        assert.equal(stats.status, 200, stats.text);
        const pk = await server.request('GET', `${table}/constraints`, { token, query: { type: 'PRIMARY_KEY' } });
        assert.equal(pk.status, 200, pk.text);
      }
    });
  });
}
