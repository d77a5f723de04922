// Operator endpoints: liveness, readiness (naming the failed check), Prometheus metrics, log formats.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, request, startServer, type TestServer } from './helpers/server.js';

/** The value of one sample line of a Prometheus text answer (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return 0;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

for (const backend of await backends()) {
  describe(`operations (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    before(async () => {
      server = await startServer(backend);
      ({ token, projectId: project } = await server.login());
    });
    after(async () => {
      await server?.stop();
    });

    test('healthz answers without credentials; readyz names every check', async () => {
      const h = await server.request('GET', '/healthz');
      assert.equal(h.status, 200);
      assert.equal(h.json.status, 'ok');
      const r = await server.request('GET', '/readyz');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { status: 'ready', checks: { store: 'ok', migrations: 'ok', storage: 'ok' } });
    });

    test('metrics count requests per operation and status class, decisions, store queries and caches', async () => {
      const before = (await server.request('GET', '/metrics')).text;
      const instance = await createRunningInstance(server, token, project, `m${Date.now()}`);
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await server.request('GET', `/v1/${project}/instances/${instance}/catalogs`, { token })).status,
          200,
        );
      }
      assert.equal(
        (await server.request('GET', `/v1/${project}/instances/${instance}/catalogs/nope`, { token })).status,
        404,
      );
      const user = await server.login();
      assert.ok(user.token);
      const m = await server.request('GET', '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const ok = { wire: 'lakeformation', operation: 'ListCatalogs', status_class: '2xx' };
      assert.equal(sample(m.text, 'lakeform_requests_total', ok) - sample(before, 'lakeform_requests_total', ok), 3);
      assert.equal(sample(m.text, 'lakeform_requests_total', { operation: 'ShowCatalog', status_class: '4xx' }), 1);
      assert.equal(
        sample(m.text, 'lakeform_request_duration_seconds_count', ok),
        sample(m.text, 'lakeform_requests_total', ok),
      );
      assert.ok(
        sample(m.text, 'lakeform_authorization_decisions_total', { decision: 'allow', action: 'catalog.list' }) >= 3,
      );
      assert.ok(sample(m.text, 'lakeform_store_query_duration_seconds_count', { result: 'ok' }) > 0);
      assert.ok(sample(m.text, 'lakeform_cache_lookups_total', { cache: 'tokens', result: 'hit' }) > 0);
      assert.ok(sample(m.text, 'lakeform_cache_hit_ratio', { cache: 'tokens' }) > 0);
      assert.ok(sample(m.text, 'process_cpu_user_seconds_total') > 0);
      assert.ok(sample(m.text, 'nodejs_heap_size_used_bytes') > 0);
      if (backend.name === 'postgres')
        assert.ok(sample(m.text, 'lakeform_store_pool_connections', { state: 'total' }) >= 1);
    });

    test('a refusal for want of a privilege is counted as a deny', async () => {
      const name = `u${Date.now()}`;
      assert.equal(
        (await server.request('POST', '/v3/users', { token, body: { user: { name, password: 'Pass-word-123' } } }))
          .status,
        201,
      );
      const { token: plain } = await server.login(name, 'Pass-word-123');
      const instance = await createRunningInstance(server, token, project, `d${Date.now()}`);
      const denied = await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
        token: plain,
        body: { catalog_name: 'c1', location: 'obs://lakeform/c1' },
      });
      assert.equal(denied.status, 403, denied.text);
      const m = (await server.request('GET', '/metrics')).text;
      assert.equal(
        sample(m, 'lakeform_authorization_decisions_total', { decision: 'deny', action: 'catalog.create' }),
        1,
      );
    });
  });
}

// Each test starts servers of its own, which mostly wait on their start-ups: run side by side.
describe('operations: configuration', { concurrency: true }, () => {
  test('readyz answers 503 and names the storage check when the warehouse bucket is gone', async () => {
    const backend = { name: 'sqlite' } as const; // settings of the server, not of its store
    const server = await startServer(backend as NonNullable<typeof backend>);
    try {
      fs.rmSync(path.join(server.dataDir, 'warehouse', 'lakeform'), { recursive: true, force: true });
      const r = await server.request('GET', '/readyz');
      assert.equal(r.status, 503);
      assert.deepEqual(r.json.failed, ['storage']);
      assert.equal(r.json.checks.store, 'ok');
      assert.match(r.json.checks.storage, /lakeform/);
      assert.equal((await server.request('GET', '/healthz')).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('LAKEFORM_METRICS=off serves no /metrics; LAKEFORM_METRICS_PORT serves it apart', async () => {
    const backend = { name: 'sqlite' } as const; // settings of the server, not of its store
    const port = await freePort();
    // Both servers start at once (one that started is stopped if the other failed to).
    const started = await Promise.allSettled([
      startServer(backend as NonNullable<typeof backend>, { env: { LAKEFORM_METRICS: 'off' } }),
      startServer(backend as NonNullable<typeof backend>, { env: { LAKEFORM_METRICS_PORT: String(port) } }),
    ]);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
      throw failed.reason;
    }
    const [off, apart] = started.map((s) => (s as PromiseFulfilledResult<TestServer>).value) as [
      TestServer,
      TestServer,
    ];
    try {
      assert.equal((await off.request('GET', '/metrics')).status, 404);
    } finally {
      await off.stop();
    }
    try {
      assert.equal((await apart.request('GET', '/metrics')).status, 404);
      await apart.request('GET', '/healthz');
      const m = await request(`http://127.0.0.1:${port}`, 'GET', '/metrics');
      assert.equal(m.status, 200);
      assert.ok(sample(m.text, 'lakeform_requests_total', { wire: 'ops', operation: '/healthz' }) >= 1);
    } finally {
      await apart.stop();
    }
  });

  test('access lines carry operation, principal, status and duration; pretty logs are human lines', async () => {
    const backend = { name: 'sqlite' } as const; // settings of the server, not of its store
    // Both at once. The pretty format is made for a file descriptor (pino-pretty on stdout): a `lakeform serve`
    // process. JSON lines are pino's own whatever the stream: an in-process server's, saving a process start.
    const check = async (format: string) => {
      const server = await startServer(backend as NonNullable<typeof backend>, {
        env: { LAKEFORM_LOG_FORMAT: format },
        process: format === 'pretty',
      });
      try {
        const { token, projectId } = await server.login();
        const listed = await server.request('GET', `/v1/${projectId}/instances`, { token });
        // The access line is written after the answer: polled for, among whole lines only.
        const find = () =>
          server
            .output()
            .split('\n')
            .slice(0, -1)
            .find((l) => l.includes('ListLakeFormationInstances'));
        for (let i = 0; i < 100 && !find(); i++) await new Promise((r) => setTimeout(r, 20));
        const line = find();
        assert.ok(line, server.output());
        if (format === 'json') {
          const entry = JSON.parse(line);
          assert.equal(entry.operation, 'ListLakeFormationInstances');
          assert.equal(entry.user, 'admin');
          assert.equal(entry.status, 200);
          assert.equal(typeof entry.ms, 'number');
          // The request's own logger (made when it first logs) carries its id.
          assert.ok(entry.reqId, line);
          assert.equal(entry.reqId, listed.headers.get('x-request-id'));
        } else {
          assert.throws(() => JSON.parse(line));
          assert.match(line, /INFO.*request/);
          assert.match(line, /INFO.*request.*"user":"admin"/);
        }
      } finally {
        await server.stop();
      }
    };
    await Promise.all(['json', 'pretty'].map(check));
  });
});
