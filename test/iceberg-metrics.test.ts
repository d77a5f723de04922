// Iceberg metrics reports (POST …/tables/{table}/metrics) on both metadata stores: a scan or
// commit report of the spec's shape is accepted (204) and stored for its table; a malformed one
// is 400; a table that is missing or not the caller's is 404 and nothing is stored; old reports
// and those beyond the per-table cap are dropped.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listReports } from '../src/store/iceberg/metrics-repository.js';
import { openStore, type Store } from '../src/store/store.js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  type TestServer,
} from './helpers/server.js';

/** As the reference Java client sends them. */
const scanReport = (snapshotId: number) => ({
  'report-type': 'scan-report',
  'table-name': 'lake.sales.orders',
  'snapshot-id': snapshotId,
  filter: true,
  'schema-id': 0,
  'projected-field-ids': [1, 2],
  'projected-field-names': ['id', 'data'],
  metrics: {
    'total-planning-duration': { count: 1, 'time-unit': 'nanoseconds', 'total-duration': 2644235116 },
    'result-data-files': { unit: 'count', value: 1 },
    'total-file-size-in-bytes': { unit: 'bytes', value: 10 },
  },
  metadata: { 'engine-name': 'spark' },
});
const commitReport = (snapshotId: number) => ({
  'report-type': 'commit-report',
  'table-name': 'lake.sales.orders',
  'snapshot-id': snapshotId,
  'sequence-number': 1,
  operation: 'append',
  metrics: {
    'total-duration': { count: 1, 'time-unit': 'nanoseconds', 'total-duration': 1200 },
    attempts: { unit: 'count', value: 1 },
    'added-data-files': { unit: 'count', value: 2 },
  },
});

for (const backend of await backends()) {
  describe(`iceberg metrics reports (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let other: string;
    let instance: string;
    let prefix: string;
    let store: Store;
    const ice = (method: string, p: string, body?: unknown, t = token) =>
      server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${t}` }, body });
    const metrics = (table: string, namespace = 'sales') =>
      `/${prefix}/namespaces/${namespace}/tables/${table}/metrics`;
    const stored = (table: string) =>
      listReports(store.db, { instanceId: instance, catalog: 'lake', database: 'sales', table }, 100);

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_ICEBERG_METRICS_MAX_PER_TABLE: '3' } });
      let project: string;
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_metrics');
      prefix = await createIcebergCatalog(server, token, project, instance);
      assert.equal((await ice('POST', `/${prefix}/namespaces`, { namespace: ['sales'] })).status, 200);
      for (const name of ['orders', 'capped', 'aged']) {
        const r = await ice('POST', `/${prefix}/namespaces/sales/tables`, {
          name,
          schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
        });
        assert.equal(r.status, 200, r.text);
      }
      assert.equal(
        (await server.request('POST', '/v3/projects', { token, body: { project: { name: 'elsewhere' } } })).status,
        201,
      );
      other = (await server.login('admin', server.adminPassword, 'elsewhere')).token;
      store = openStore(server.databaseUrl);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
    });

    test('config advertises the endpoint', async () => {
      const r = await ice('GET', '/config', undefined);
      assert.equal(r.status, 400, 'config needs a warehouse');
      const c = await server.request('GET', '/iceberg/v1/config', {
        headers: { Authorization: `Bearer ${token}` },
        query: { warehouse: `${instance}/lake` },
      });
      assert.ok(c.json.endpoints.includes('POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics'));
    });

    test('a scan report and a commit report are accepted with 204 and stored for their table', async () => {
      const scan = await ice('POST', metrics('orders'), scanReport(11));
      assert.equal(scan.status, 204, scan.text);
      assert.equal(scan.text, '');
      const commit = await ice('POST', metrics('ORDERS'), commitReport(12));
      assert.equal(commit.status, 204, commit.text);
      const rows = await stored('orders');
      assert.deepEqual(
        rows.map((r) => [r.report_type, r.snapshot_id]),
        [
          ['commit-report', '12'],
          ['scan-report', '11'],
        ],
      );
      assert.deepEqual(JSON.parse(rows[1]?.report as string), scanReport(11));
      assert.deepEqual(JSON.parse(rows[0]?.report as string), commitReport(12));
      assert.ok(Math.abs(Date.parse(rows[0]?.created_at as string) - Date.now()) < 60_000);
    });

    test('a malformed report is 400 BadRequestException and nothing is stored', async () => {
      const before = (await stored('orders')).length;
      const { filter: _f, ...noFilter } = scanReport(1);
      const { 'sequence-number': _s, ...noSequence } = commitReport(1);
      for (const [what, body] of Object.entries<unknown>({
        'not an object': [scanReport(1)],
        'no report type': { ...scanReport(1), 'report-type': undefined },
        'an unknown report type': { ...scanReport(1), 'report-type': 'load-report' },
        'a scan report without a filter': noFilter,
        'a commit report without a sequence number': noSequence,
        'a snapshot id that is not a number': { ...commitReport(1), 'snapshot-id': '12' },
        'projected field ids that are not integers': { ...scanReport(1), 'projected-field-ids': ['id'] },
        'a metric that is neither a counter nor a timer': {
          ...commitReport(1),
          metrics: { attempts: { unit: 'count' } },
        },
        'no metrics': { ...commitReport(1), metrics: undefined },
        'metadata that is not a string map': { ...commitReport(1), metadata: { n: 1 } },
      })) {
        const r = await ice('POST', metrics('orders'), body);
        assert.equal(r.status, 400, `${what}: ${r.text}`);
        assert.equal(r.json.error.type, 'BadRequestException', what);
        assert.equal(r.json.error.code, 400);
      }
      const empty = await server.request('POST', `/iceberg/v1${metrics('orders')}`, {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        rawBody: '{',
      });
      assert.equal(empty.status, 400, empty.text);
      assert.equal((await stored('orders')).length, before);
    });

    test('a missing table or namespace is 404, and nothing is stored', async () => {
      const table = await ice('POST', metrics('nothing'), scanReport(1));
      assert.equal(table.status, 404, table.text);
      assert.equal(table.json.error.type, 'NoSuchTableException');
      const namespace = await ice('POST', metrics('orders', 'nowhere'), scanReport(1));
      assert.equal(namespace.status, 404, namespace.text);
      assert.equal(namespace.json.error.type, 'NoSuchNamespaceException');
      assert.equal((await stored('nothing')).length, 0);
    });

    test("another project's caller gets the 404 of a missing warehouse and stores nothing", async () => {
      const before = (await stored('orders')).length;
      const foreign = await ice('POST', metrics('orders'), scanReport(1), other);
      const missing = await ice(
        'POST',
        `/00000000-0000-4000-8000-000000000000~lake/namespaces/sales/tables/orders/metrics`,
        scanReport(1),
        other,
      );
      assert.equal(foreign.status, 404, foreign.text);
      assert.equal(foreign.json.error.type, 'NoSuchWarehouseException');
      assert.deepEqual([missing.status, missing.json.error.type], [foreign.status, foreign.json.error.type]);
      assert.ok(!foreign.text.includes('orders'), foreign.text);
      assert.equal((await stored('orders')).length, before);
    });

    test('a table keeps only its newest reports, up to LAKEFORM_ICEBERG_METRICS_MAX_PER_TABLE', async () => {
      for (let i = 1; i <= 5; i++)
        assert.equal((await ice('POST', metrics('capped'), commitReport(100 + i))).status, 204);
      assert.deepEqual(
        (await stored('capped')).map((r) => r.snapshot_id),
        ['105', '104', '103'],
      );
      assert.equal((await stored('orders')).length, 2, 'another table keeps its own');
    });

    test(
      'reports older than LAKEFORM_ICEBERG_METRICS_RETENTION_DAYS (7) ' + 'are dropped when the next arrives',
      async () => {
        assert.equal((await ice('POST', metrics('aged'), scanReport(1))).status, 204);
        assert.equal((await ice('POST', metrics('aged'), scanReport(2))).status, 204);
        const [newer, older] = await stored('aged');
        const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
        await store.db
          .updateTable('lf_iceberg_metrics_reports')
          .set({ created_at: daysAgo(8) })
          .where('id', '=', older?.id as number)
          .execute();
        await store.db
          .updateTable('lf_iceberg_metrics_reports')
          .set({ created_at: daysAgo(6) })
          .where('id', '=', newer?.id as number)
          .execute();
        assert.equal((await ice('POST', metrics('aged'), scanReport(3))).status, 204);
        assert.deepEqual(
          (await stored('aged')).map((r) => r.snapshot_id),
          ['3', '2'],
          'the 8-day-old report is gone, the 6-day-old one stays',
        );
      },
    );
  });
}
