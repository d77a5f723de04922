// Instance-wide metadata views: object counts, the configuration in force, and the event log.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`metadata statistics, configuration and events (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const inst = () => `/v1/${project}/instances/${instance}`;

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '1000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'meta_inst');
    });
    after(async () => {
      await server?.stop();
    });

    test('CountMetaObj counts catalogs and databases from the store', async () => {
      const before0 = await server.request('POST', `${inst()}/metaobj/count`, { token });
      assert.equal(before0.status, 200, before0.text);
      assert.equal(before0.json.catalogs_count, 1, 'the default catalog');
      assert.equal(before0.json.databases_count, 1, 'its default database');
      await server.request('POST', `${inst()}/catalogs`, { token, body: { catalog_name: 'c1' } });
      for (const d of ['d1', 'd2', 'd3'])
        await server.request('POST', `${inst()}/catalogs/c1/databases`, { token, body: { database_name: d } });
      const r = await server.request('POST', `${inst()}/metaobj/count`, { token });
      assert.equal(r.json.catalogs_count, 2);
      assert.equal(r.json.databases_count, 5);
      assert.equal(r.json.total_count, 7);
    });

    test('ListConfigs shows the settings in force and pages through them', async () => {
      const all = await server.request('GET', `${inst()}/configurations`, { token });
      assert.equal(all.status, 200);
      const qps = all.json.configs.find((c: { key: string }) => c.key === 'lakeform.instance.qps-per-stride');
      assert.equal(qps.value, '1000', 'the value the server was started with');
      const keys: string[] = [];
      let marker: string | undefined;
      do {
        const page = await server.request('GET', `${inst()}/configurations`, { token, query: { limit: 5, marker } });
        keys.push(...page.json.configs.map((c: { key: string }) => c.key));
        marker = page.json.page_info.next_marker;
      } while (marker);
      assert.deepEqual(
        keys,
        all.json.configs.map((c: { key: string }) => c.key),
      );
    });

    test('every change appends an event with the object as Show returns it, in commit order', async () => {
      await server.request('PUT', `${inst()}/catalogs/c1/databases/d1`, {
        token,
        body: { database_name: 'd1', description: 'v2' },
      });
      await server.request('PUT', `${inst()}/catalogs/c1/databases/d2`, {
        token,
        body: { database_name: 'd2_renamed' },
      });
      await server.request('DELETE', `${inst()}/catalogs/c1/databases/d3`, { token });
      const r = await server.request('GET', `${inst()}/metadata-event`, { token, query: { limit: 100 } });
      assert.equal(r.status, 200, r.text);
      const events = r.json.metadata_events as {
        event_id: number;
        metadata_action_type: string;
        database_name?: string;
        metadata_object?: { description?: string };
        old_name?: string;
      }[];
      assert.deepEqual(
        events.map((e) => `${e.metadata_action_type}:${e.database_name ?? ''}`),
        [
          'CREATE_CATALOG:',
          'CREATE_CATALOG:',
          'CREATE_DATABASE:d1',
          'CREATE_DATABASE:d2',
          'CREATE_DATABASE:d3',
          'ALTER_DATABASE:d1',
          'RENAME_DATABASE:d2_renamed',
          'DROP_DATABASE:d3',
        ],
      );
      const ids = events.map((e) => e.event_id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'ids increase',
      );
      assert.equal(events[5]?.metadata_object?.description, 'v2');
      assert.equal(events[6]?.old_name, 'd2');
      // Paging forward by marker, and back.
      const p1 = await server.request('GET', `${inst()}/metadata-event`, { token, query: { limit: 3 } });
      const p2 = await server.request('GET', `${inst()}/metadata-event`, {
        token,
        query: { limit: 3, marker: p1.json.page_info.next_marker },
      });
      assert.deepEqual(
        p2.json.metadata_events.map((e: { event_id: number }) => e.event_id),
        ids.slice(3, 6),
      );
      const back = await server.request('GET', `${inst()}/metadata-event`, {
        token,
        query: { limit: 3, marker: p2.json.page_info.previous_marker, reverse_page: true },
      });
      assert.deepEqual(
        back.json.metadata_events.map((e: { event_id: number }) => e.event_id),
        ids.slice(0, 3),
      );
      // A time window after everything holds nothing.
      const later = await server.request('GET', `${inst()}/metadata-event`, {
        token,
        query: { begin_time: new Date(Date.now() + 60_000).toISOString() },
      });
      assert.deepEqual(later.json.metadata_events, []);
      assert.equal(
        (await server.request('GET', `${inst()}/metadata-event`, { token, query: { begin_time: 'yesterday-ish' } }))
          .status,
        400,
      );
    });

    test('the event log is for administrators', async () => {
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'peeker', password: 'Peeker-pass-1' } },
          })
        ).status,
        201,
      );
      const peeker = await server.login('peeker', 'Peeker-pass-1');
      assert.equal((await server.request('GET', `${inst()}/metadata-event`, { token: peeker.token })).status, 403);
    });
  });
}
