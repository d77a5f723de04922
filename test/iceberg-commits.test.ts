// Iceberg table commits over HTTP: requirements checked against the current metadata, updates
// applied, a new metadata file written and the pointer swapped atomically. Conflicting commits
// fail with CommitFailedException and lose nothing; compatible concurrent ones all land.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../src/server.js';
import { pooledLending } from '../src/services/raw-json.js';
import { specViolations, validSchema } from './helpers/iceberg-spec.js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  storedLocation,
  type TestServer,
  warehouseFile,
} from './helpers/server.js';

const snapshot = (id: number, seq: number, parent?: number) => ({
  'snapshot-id': id,
  ...(parent ? { 'parent-snapshot-id': parent } : {}),
  'sequence-number': seq,
  'timestamp-ms': 1_700_000_000_000 + seq,
  'manifest-list': `s3://x/snap-${id}.avro`,
  summary: { operation: 'append' },
  'schema-id': 0,
});

// Both stores side by side: each waits mostly on its servers and its store. The stores are known before the suite is
// declared (subtests declared after an await in its body would run outside it).
const stores = await backends();
describe('iceberg commits', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`iceberg commits (${backend.name})`, { concurrency: false }, () => {
      let server: TestServer;
      let token: string;
      let project: string;
      let instance: string;
      let prefix: string;
      const ice = (method: string, p: string, body?: unknown) =>
        server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${token}` }, body });
      const table = (name: string) => `/${prefix}/namespaces/sales/tables/${name}`;
      const commit = (name: string, requirements: unknown[], updates: unknown[]) =>
        ice('POST', table(name), { requirements, updates });
      const fileOf = (location: string) => warehouseFile(server.dataDir, location);

      before(async () => {
        server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
        ({ token, projectId: project } = await server.login());
        instance = await createRunningInstance(server, token, project, 'ice_commits');
        prefix = await createIcebergCatalog(server, token, project, instance);
        assert.equal((await ice('POST', `/${prefix}/namespaces`, { namespace: ['sales'] })).status, 200);
      });
      after(async () => {
        await server?.stop();
      });

      const createTable = async (name: string) => {
        const r = await ice('POST', `/${prefix}/namespaces/sales/tables`, {
          name,
          schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
        });
        assert.equal(r.status, 200, r.text);
        return r.json;
      };

      test(
        'an append commits: the pointer moves to a new metadata file, ' + 'the old one is logged, load sees it',
        async () => {
          const created = await createTable('orders');
          const r = await commit(
            'orders',
            [
              { type: 'assert-table-uuid', uuid: created.metadata['table-uuid'] },
              { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
            ],
            [
              { action: 'add-snapshot', snapshot: snapshot(11, 1) },
              { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 11 },
              { action: 'set-properties', updates: { 'commit.by': 'test' } },
            ],
          );
          assert.equal(r.status, 200, r.text);
          assert.match(r.json['metadata-location'], /\/metadata\/00001-[0-9a-f-]+\.metadata\.json$/);
          assert.equal(r.json.metadata['current-snapshot-id'], 11);
          assert.deepEqual(
            r.json.metadata['metadata-log'].map((e: { 'metadata-file': string }) => e['metadata-file']),
            [created['metadata-location']],
          );
          const onDisk = JSON.parse(fs.readFileSync(fileOf(r.json['metadata-location']), 'utf8'));
          assert.equal(onDisk['current-snapshot-id'], 11);
          assert.ok(
            fs.existsSync(fileOf(created['metadata-location'])),
            'the old file stays for readers of the previous version',
          );
          const loaded = await ice('GET', table('orders'));
          assert.equal(loaded.json['metadata-location'], r.json['metadata-location']);
          assert.equal(loaded.json.metadata.properties['commit.by'], 'test');
          // Both views: the LakeFormation table points at the new file and carries the property.
          const lf = await server.request(
            'GET',
            `/v1/${project}/instances/${instance}/catalogs/lake/databases/sales/tables/orders`,
            { token },
          );
          // LakeFormation keeps the stored obs:// form of the file:// paths engines get.
          const stored = (l: string) => storedLocation(server.dataDir, l);
          assert.equal(lf.json.parameters.metadata_location, stored(r.json['metadata-location']));
          assert.equal(lf.json.parameters.previous_metadata_location, stored(created['metadata-location']));
          assert.equal(lf.json.parameters['commit.by'], 'test');
          // A removed property leaves the LakeFormation parameters too.
          const removed = await commit('orders', [], [{ action: 'remove-properties', removals: ['commit.by'] }]);
          assert.equal(removed.status, 200, removed.text);
          const after = await server.request(
            'GET',
            `/v1/${project}/instances/${instance}/catalogs/lake/databases/sales/tables/orders`,
            { token },
          );
          assert.equal(after.json.parameters['commit.by'], undefined);
          assert.equal(after.json.parameters.metadata_location, stored(removed.json['metadata-location']));
        },
      );

      const stale = 'a stale requirement fails with CommitFailedException and changes nothing; a bad update is 400';
      test(stale, async () => {
        const before = await ice('GET', table('orders'));
        const stale = await commit(
          'orders',
          [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
          [{ action: 'add-snapshot', snapshot: snapshot(12, 2, 11) }],
        );
        assert.equal(stale.status, 409, stale.text);
        assert.equal(stale.json.error.type, 'CommitFailedException');
        assert.equal((await ice('GET', table('orders'))).json['metadata-location'], before.json['metadata-location']);
        const bad = await commit('orders', [], [{ action: 'set-current-schema', 'schema-id': 42 }]);
        assert.equal(bad.status, 400, bad.text);
        assert.equal((await commit('orders', [], 'x' as unknown as unknown[])).status, 400);
        assert.equal((await commit('nosuch', [], [])).status, 404);
      });

      test(
        '50 concurrent appends on one base: exactly one wins, the others ' +
          'get CommitFailedException, nothing is lost',
        async () => {
          const created = await createTable('race');
          const answers = await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              commit(
                'race',
                [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
                [
                  { action: 'add-snapshot', snapshot: snapshot(1000 + i, 1) },
                  { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1000 + i },
                ],
              ),
            ),
          );
          const won = answers.filter((a) => a.status === 200);
          assert.equal(won.length, 1, answers.map((a) => a.status).join(','));
          assert.ok(
            answers.every(
              (a) => a.status === 200 || (a.status === 409 && a.json.error.type === 'CommitFailedException'),
            ),
          );
          const loaded = (await ice('GET', table('race'))).json;
          assert.equal(loaded.metadata['current-snapshot-id'], won[0]?.json.metadata['current-snapshot-id']);
          assert.equal(loaded.metadata.snapshots.length, 1);
          assert.equal(loaded['metadata-location'], won[0]?.json['metadata-location']);
          assert.equal(loaded.metadata['metadata-log'][0]['metadata-file'], created['metadata-location']);
        },
      );

      test(
        'compatible concurrent commits all land: the server redoes a ' +
          'commit that lost to one its requirements allow',
        async () => {
          await createTable('props');
          const answers = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              commit('props', [], [{ action: 'set-properties', updates: { [`k${i}`]: String(i) } }]),
            ),
          );
          assert.deepEqual(
            answers.map((a) => a.status),
            Array(10).fill(200),
            answers.map((a) => a.text).join('\n'),
          );
          const loaded = (await ice('GET', table('props'))).json;
          for (let i = 0; i < 10; i++) assert.equal(loaded.metadata.properties[`k${i}`], String(i));
          assert.equal(loaded.metadata['metadata-log'].length, 10, 'each commit wrote one new version');
        },
      );

      test(
        '40 concurrent compatible appends all land (over two replicas on ' + 'PostgreSQL); a conflicting one gets 409',
        async () => {
          await createTable('busy');
          // PostgreSQL: a second replica on the same database and warehouse, with a pool of its own.
          const other =
            backend.name === 'postgres'
              ? await startServer(backend, {
                  databaseUrl: server.databaseUrl,
                  dataDir: server.dataDir,
                  env: { LAKEFORM_QPS_PER_STRIDE: '10000' },
                })
              : undefined;
          try {
            const via = (i: number) => (other && i % 2 ? other : server);
            const append = (i: number) =>
              via(i).request('POST', `/iceberg/v1${table('busy')}`, {
                headers: { Authorization: `Bearer ${token}` },
                body: {
                  requirements: [],
                  updates: [
                    { action: 'add-snapshot', snapshot: snapshot(5000 + i, 1) },
                    { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 5000 + i },
                  ],
                },
              });
            const stale = () =>
              commit(
                'busy',
                [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1 }],
                [{ action: 'set-properties', updates: { never: 'x' } }],
              );
            const [answers, refused] = await Promise.all([
              Promise.all(Array.from({ length: 40 }, (_, i) => append(i))),
              stale(),
            ]);
            assert.deepEqual(
              answers.map((a) => a.status),
              Array(40).fill(200),
              answers
                .filter((a) => a.status !== 200)
                .map((a) => a.text)
                .join('\n'),
            );
            assert.equal(refused.status, 409, refused.text);
            assert.equal(refused.json.error.type, 'CommitFailedException');
            const loaded = (await ice('GET', table('busy'))).json.metadata;
            assert.deepEqual(
              loaded.snapshots
                .map((s: { 'snapshot-id': number }) => s['snapshot-id'])
                .sort((a: number, b: number) => a - b),
              Array.from({ length: 40 }, (_, i) => 5000 + i),
              'every acknowledged append is in the metadata',
            );
            assert.equal(loaded['metadata-log'].length, 40, 'one new version per commit');
            assert.equal(loaded.properties.never, undefined);
          } finally {
            await other?.stop();
          }
        },
      );

      const onlyPostgres = backend.name !== 'postgres' && 'PostgreSQL keeps a commit’s row (SQLite reads it locally)';
      const append = (via: TestServer, name: string, id: number, requirements: unknown[] = []) =>
        via.request('POST', `/iceberg/v1${table(name)}`, {
          headers: { Authorization: `Bearer ${token}` },
          body: {
            requirements,
            updates: [
              { action: 'add-snapshot', snapshot: snapshot(id, 1) },
              { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
            ],
          },
        });

      test('a commit after this server’s own commit of the table reads no row: its update starts from the kept one', {
        skip: onlyPostgres,
      }, async () => {
        await createTable('again');
        assert.equal((await append(server, 'again', 1)).status, 200);
        const store = server.running?.services.store;
        assert.ok(store, 'an in-process server');
        const observed = store.queryObserver;
        const seen: string[] = [];
        store.queryObserver = (seconds, failed, text) => {
          observed?.(seconds, failed, text);
          if (/"tables"/.test(text)) seen.push(text);
        };
        try {
          const r = await append(server, 'again', 2, [
            { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1 },
          ]);
          assert.equal(r.status, 200, r.text);
        } finally {
          store.queryObserver = observed;
        }
        assert.deepEqual(
          seen.map((t) => t.trimStart().slice(0, 9)),
          ['with u as'],
          `one statement touches the tables: the update\n${seen.join('\n')}`,
        );
        const loaded = (await ice('GET', table('again'))).json.metadata;
        assert.equal(loaded['current-snapshot-id'], 2);
        assert.equal(loaded['metadata-log'].length, 2);
      });

      test('a kept row gone stale is read again: after another replica’s commit, a new table under the name, an ' +
        'instance that stopped serving', { skip: onlyPostgres }, async () => {
        const created = await createTable('kept');
        const other = await startServer(backend, {
          databaseUrl: server.databaseUrl,
          dataDir: server.dataDir,
          env: { LAKEFORM_QPS_PER_STRIDE: '10000' },
        });
        const metadataFiles = () => fs.readdirSync(path.dirname(fileOf(created['metadata-location']))).length;
        try {
          assert.equal((await append(server, 'kept', 1)).status, 200);
          // The other replica moves the table on: a commit asserting its state lands here (not refused as stale).
          assert.equal((await append(other, 'kept', 2)).status, 200);
          const r = await append(server, 'kept', 3, [
            { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 2 },
          ]);
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(
            r.json.metadata.snapshots.map((x: { 'snapshot-id': number }) => x['snapshot-id']),
            [1, 2, 3],
          );

          // Another table under the same name, at the same version as the row this server kept: the commit lands
          // on the new table, from its metadata.
          const drop = await other.request('DELETE', `/iceberg/v1${table('kept')}?purgeRequested=true`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          assert.ok(drop.status === 204 || drop.status === 200, drop.text);
          const recreated = (
            await other.request('POST', `/iceberg/v1/${prefix}/namespaces/sales/tables`, {
              headers: { Authorization: `Bearer ${token}` },
              body: {
                name: 'kept',
                schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
              },
            })
          ).json;
          for (const id of [21, 22, 23]) assert.equal((await append(other, 'kept', id)).status, 200);
          const landed = await append(server, 'kept', 24);
          assert.equal(landed.status, 200, landed.text);
          assert.equal(landed.json.metadata['table-uuid'], recreated.metadata['table-uuid']);
          assert.deepEqual(
            landed.json.metadata.snapshots.map((x: { 'snapshot-id': number }) => x['snapshot-id']),
            [21, 22, 23, 24],
          );

          // An instance that stopped serving after the row was kept: refused, nothing written.
          const db = server.running?.services.store.db;
          assert.ok(db, 'an in-process server');
          const setStatus = (status: string) =>
            db.updateTable('instances').set({ status }).where('id', '=', instance).execute();
          const before = metadataFiles();
          await setStatus('FROZEN_RELEASABLE');
          let refused: Awaited<ReturnType<typeof append>>;
          try {
            refused = await append(server, 'kept', 25);
          } finally {
            await setStatus('RUNNING');
          }
          assert.equal(refused.status, 409, refused.text);
          assert.equal(metadataFiles(), before, 'no metadata file is left behind');
          const loaded = (await ice('GET', table('kept'))).json;
          assert.equal(loaded['metadata-location'], landed.json['metadata-location']);
        } finally {
          await other.stop();
        }
      });

      test('schema evolution through a commit shows in the LakeFormation columns', async () => {
        const created = await createTable('evolve');
        const r = await commit(
          'evolve',
          [{ type: 'assert-current-schema-id', 'current-schema-id': created.metadata['current-schema-id'] }],
          [
            {
              action: 'add-schema',
              schema: {
                type: 'struct',
                'schema-id': 1,
                fields: [
                  { id: 1, name: 'id', required: true, type: 'long' },
                  { id: 2, name: 'note', required: false, type: 'string' },
                ],
              },
              'last-column-id': 2,
            },
            { action: 'set-current-schema', 'schema-id': -1 },
          ],
        );
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.metadata['last-column-id'], 2);
        const lf = await server.request(
          'GET',
          `/v1/${project}/instances/${instance}/catalogs/lake/databases/sales/tables/evolve`,
          { token },
        );
        assert.deepEqual(
          lf.json.storage_descriptor.columns.map(
            (c: { column_name: string; column_type: string }) => `${c.column_name}:${c.column_type}`,
          ),
          ['id:bigint', 'note:string'],
        );
      });

      test('a user who may only read the table commits nothing: 403 before any metadata file is written', async () => {
        const created = await createTable('guarded');
        assert.equal(
          (
            await server.request('POST', '/v3/users', {
              token,
              body: { user: { name: 'reader', password: 'Reader-pass-1' } },
            })
          ).status,
          201,
        );
        const reader = (await server.login('reader', 'Reader-pass-1')).token;
        const g = await server.request('POST', `/v1/${project}/instances/${instance}/policies/grant`, {
          token,
          body: {
            effect: true,
            principal_list: [{ principal_name: 'reader', principal_source: 'IAM', principal_type: 'USER' }],
            resource: {
              type: 'TABLE',
              catalogs: [{ name: 'lake', databases: [{ name: 'sales', tables: [{ name: 'guarded' }] }] }],
            },
            permissions: ['SELECT'],
          },
        });
        assert.equal(g.status, 200, g.text);
        const folder = path.dirname(fileOf(created['metadata-location']));
        const before = fs.readdirSync(folder).sort();
        const touched = fs.statSync(folder).mtimeMs;
        await new Promise((r) => setTimeout(r, 20)); // a later write would give the folder a later mtime
        const r = await server.request('POST', `/iceberg/v1${table('guarded')}`, {
          headers: { Authorization: `Bearer ${reader}` },
          body: { requirements: [], updates: [{ action: 'set-properties', updates: { x: 'y' } }] },
        });
        assert.equal(r.status, 403, r.text);
        assert.equal(r.json.error.type, 'ForbiddenException');
        assert.deepEqual(fs.readdirSync(folder).sort(), before, 'no file was left');
        assert.equal(
          fs.statSync(folder).mtimeMs,
          touched,
          'no file was written and removed either: the folder is untouched',
        );
        assert.equal(
          (
            await server.request('GET', `/iceberg/v1${table('guarded')}`, {
              headers: { Authorization: `Bearer ${reader}` },
            })
          ).status,
          200,
          'reading is allowed',
        );
      });

      test(
        'the metadata log keeps write.metadata.previous-versions-max ' +
          'files; delete-after-commit removes the older ones',
        async () => {
          const created = await createTable('logged');
          const props = {
            'write.metadata.previous-versions-max': '2',
            'write.metadata.delete-after-commit.enabled': 'true',
          };
          const files = [created['metadata-location'] as string];
          for (let i = 0; i < 5; i++) {
            const r = await commit(
              'logged',
              [],
              [{ action: 'set-properties', updates: { ...props, round: String(i) } }],
            );
            assert.equal(r.status, 200, r.text);
            files.push(r.json['metadata-location']);
          }
          const m = (await ice('GET', table('logged'))).json.metadata;
          assert.deepEqual(
            m['metadata-log'].map((e: { 'metadata-file': string }) => e['metadata-file']),
            files.slice(-3, -1),
          );
          for (const f of files.slice(0, -3)) assert.ok(!fs.existsSync(fileOf(f)), `${f} is gone`);
          for (const f of files.slice(-3)) assert.ok(fs.existsSync(fileOf(f)), `${f} stays`);
        },
      );

      test(
        'random commits (appends, expiries, schema changes, refs, properties): each answer is its file in the ' +
          'engine form, written as JSON.stringify writes it, and a load answers the same',
        async () => {
          // A seeded generator (mulberry32), so that a failure can be run again.
          let seed = backend.name === 'sqlite' ? 7 : 8;
          const next = () => {
            seed = (seed + 0x6d2b79f5) | 0;
            let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
          };
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
          // The engine form of a stored location on the local backend: the file:// path of the file behind it.
          const engine = (v: unknown) => (typeof v === 'string' && v.startsWith('obs://') ? `file://${fileOf(v)}` : v);
          const mapped = (list: unknown, field: string) =>
            Array.isArray(list) ? list.map((x) => ({ ...x, [field]: engine(x[field]) })) : list;
          const engineForm = (m: Record<string, any>) => ({
            ...m,
            location: engine(m.location),
            snapshots: mapped(m.snapshots, 'manifest-list'),
            'metadata-log': mapped(m['metadata-log'], 'metadata-file'),
            ...(m.statistics ? { statistics: mapped(m.statistics, 'statistics-path') } : {}),
          });
          let m = (await createTable('shuffled')).metadata;
          let id = 0;
          let column = 1;
          for (let v = 1; v <= 60; v++) {
            const updates: unknown[] = [];
            const ids: number[] = m.snapshots.map((x: { 'snapshot-id': number }) => x['snapshot-id']);
            const r = next();
            if (r < 0.45) {
              let seq = m['last-sequence-number'];
              let parent = m['current-snapshot-id'] === -1 ? undefined : m['current-snapshot-id'];
              for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
                const s: Record<string, unknown> = snapshot(++id, ++seq, parent);
                // Manifest lists engines name as they see them (s3://), or in the stored form (shown as file://).
                if (next() < 0.3) s['manifest-list'] = storedLocation(server.dataDir, `${m.location}/m${id}.avro`);
                updates.push({ action: 'add-snapshot', snapshot: s });
                parent = id;
              }
              updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id });
            } else if (r < 0.6 && ids.length > 0) {
              const gone = next() < 0.5 ? ids.slice(0, 1 + Math.floor(next() * ids.length)) : [pick(ids)];
              updates.push({ action: 'remove-snapshots', 'snapshot-ids': gone });
            } else if (r < 0.7) {
              const current = m.schemas.find((x: any) => x['schema-id'] === m['current-schema-id']);
              column = Math.max(column, m['last-column-id']) + 1;
              updates.push(
                {
                  action: 'add-schema',
                  schema: {
                    type: 'struct',
                    fields: [...current.fields, { id: column, name: `c${column}`, required: false, type: 'int' }],
                  },
                },
                { action: 'set-current-schema', 'schema-id': -1 },
              );
            } else if (r < 0.8 && ids.length > 0) {
              updates.push(
                next() < 0.7
                  ? {
                      action: 'set-snapshot-ref',
                      'ref-name': pick(['audit', 'nightly']),
                      type: pick(['tag', 'branch']),
                      'snapshot-id': pick(ids),
                    }
                  : { action: 'remove-snapshot-ref', 'ref-name': pick(['audit', 'nightly', 'main']) },
              );
            } else {
              updates.push(
                next() < 0.6
                  ? {
                      action: 'set-properties',
                      updates: { [pick(['k1', 'k2', 'write.metadata.previous-versions-max'])]: String(3 + (v % 5)) },
                    }
                  : {
                      action: 'remove-properties',
                      removals: [pick(['k1', 'k2', 'write.metadata.previous-versions-max'])],
                    },
              );
            }
            const c = await commit('shuffled', [], updates);
            assert.equal(c.status, 200, c.text);
            assert.equal(c.text, JSON.stringify(c.json), `commit ${v}: the answer is compact JSON`);
            const text = fs.readFileSync(fileOf(c.json['metadata-location']), 'utf8');
            const file = JSON.parse(text) as Record<string, any>;
            assert.equal(text, JSON.stringify(file), `commit ${v}: the file is JSON.stringify's text`);
            assert.ok(validSchema(file), `commit ${v}: ${JSON.stringify(validSchema.errors)}`);
            assert.deepEqual(specViolations(file), [], `commit ${v}`);
            assert.deepEqual(c.json.metadata, engineForm(file), `commit ${v}: the answer is the file's metadata`);
            const max = Number(file.properties['write.metadata.previous-versions-max'] ?? 100);
            assert.ok(file['metadata-log'].length <= max, `commit ${v}: the log keeps ${max} at most`);
            const load = await ice('GET', table('shuffled'));
            assert.equal(load.json['metadata-location'], c.json['metadata-location']);
            assert.deepEqual(load.json.metadata, c.json.metadata, `commit ${v}: a load answers what the commit did`);
            m = c.json.metadata;
          }
        },
      );

      const largeAnswers =
        'large answers (pooled buffers) of concurrent commits and loads on two tables are each their own file';
      test(largeAnswers, async () => {
        const engine = (v: unknown) => (typeof v === 'string' && v.startsWith('obs://') ? `file://${fileOf(v)}` : v);
        const engineForm = (m: Record<string, any>) => ({
          ...m,
          location: engine(m.location),
          'metadata-log': m['metadata-log'].map((e: any) => ({ ...e, 'metadata-file': engine(e['metadata-file']) })),
        });
        const names = ['wide_a', 'wide_b'];
        for (const name of names) {
          await createTable(name);
          // 600 snapshots: a file and an answer of well over 64 KB, which are encoded into pooled buffers.
          const updates: unknown[] = [];
          for (let i = 1; i <= 600; i++) updates.push({ action: 'add-snapshot', snapshot: snapshot(i, i, i - 1) });
          updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 600 });
          assert.equal((await commit(name, [], updates)).status, 200);
        }
        const answers = await Promise.all(
          Array.from({ length: 16 }, async (_, i) => {
            const name = names[i % 2] as string;
            if (i % 4 < 2) {
              const r = await commit(name, [], [{ action: 'set-properties', updates: { [`k${i}`]: `v${i}` } }]);
              assert.equal(r.status, 200, r.text);
              return { name, r };
            }
            return { name, r: await ice('GET', table(name)) };
          }),
        );
        for (const { name, r } of answers) {
          assert.equal(r.status, 200, r.text);
          assert.ok(r.text.length > 64 * 1024);
          assert.equal(r.text, JSON.stringify(r.json));
          const file = JSON.parse(fs.readFileSync(fileOf(r.json['metadata-location']), 'utf8'));
          assert.ok(r.json['metadata-location'].includes(`/${name}/`));
          assert.deepEqual(r.json.metadata, engineForm(file), `${name}: the answer is its own file's metadata`);
        }
      });

      /**
       * The server's storage with the puts of one table's metadata files taken over by `put`, which gets the real put
       * (the storage of a server in this process); undone by the function returned.
       */
      const interceptPuts = (name: string, put: (real: () => Promise<void>) => Promise<void>): (() => void) => {
        const storage = (server.running as RunningServer).services.storage;
        const original = storage.putObject;
        storage.putObject = function (this: typeof storage, bucket, key, body, opts) {
          const real = () => original.call(this, bucket, key, body, opts);
          return key.includes(`/${name}/metadata/`) ? put(real) : real();
        };
        return () => {
          storage.putObject = original;
        };
      };
      /** A table whose metadata file and commit answer are large enough to be encoded into pooled buffers. */
      const wideTable = async (name: string) => {
        await createTable(name);
        const updates: unknown[] = [];
        for (let i = 1; i <= 600; i++) updates.push({ action: 'add-snapshot', snapshot: snapshot(i, i, i - 1) });
        updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 600 });
        const r = await commit(name, [], updates);
        assert.equal(r.status, 200, r.text);
        return r.json;
      };
      /** Pooled buffers lent and not given back, once those of answers on their way out are (after their send). */
      const outstanding = async (since: { lent: number; returned: number }) => {
        await new Promise((r) => setImmediate(r));
        const now = pooledLending();
        return now.lent - since.lent - (now.returned - since.returned);
      };

      const unsynced =
        'a commit whose new metadata file fails to become durable moves no pointer, answers an error, and leaves ' +
        'neither the file nor a pooled buffer behind';
      test(unsynced, async (t) => {
        if (!server.running) return t.skip('needs the server in this process');
        const before = await wideTable('unsynced');
        const dir = path.dirname(fileOf(before['metadata-location']));
        const files = fs.readdirSync(dir).sort();
        const since = pooledLending();
        let writes = 0;
        // The file is written and its answer made meanwhile (see IcebergCommits.attempt); then its fsync fails.
        const restore = interceptPuts('unsynced', async (real) => {
          writes++;
          await real();
          throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
        });
        try {
          const r = await commit('unsynced', [], [{ action: 'set-properties', updates: { k: 'v' } }]);
          assert.equal(r.status, 500, r.text);
          assert.ok(r.json.error, r.text);
        } finally {
          restore();
        }
        assert.equal(writes, 1);
        // The file's buffer and the answer's: the answer was made while the file was being synced, then dropped.
        assert.ok(pooledLending().lent - since.lent >= 2, 'the answer was made during the fsync');
        const after = await ice('GET', table('unsynced'));
        assert.equal(after.json['metadata-location'], before['metadata-location'], 'the pointer did not move');
        assert.equal(after.json.metadata.properties.k, undefined);
        assert.deepEqual(fs.readdirSync(dir).sort(), files, 'the file written was removed');
        assert.equal(await outstanding(since), 0, 'every pooled buffer was given back');
        // The next commit lands as usual.
        assert.equal((await commit('unsynced', [], [{ action: 'set-properties', updates: { k: 'w' } }])).status, 200);
      });

      const raced =
        'a commit that loses its compare-and-swap to a LakeFormation write while its file is being synced is ' +
        'redone, answers the metadata that landed, and leaves no pooled buffer behind';
      test(raced, async (t) => {
        if (!server.running) return t.skip('needs the server in this process');
        const base = await wideTable('raced');
        const lakecat = `/v1/${project}/instances/${instance}/catalogs/lake/databases/sales/tables/raced`;
        const parameters = (await server.request('GET', lakecat, { token })).json.parameters;
        const since = pooledLending();
        let writes = 0;
        // The first commit's file: while its fsync is awaited (its answer made), the table changes outside the commit
        // lock, so the pointer's compare-and-swap fails.
        const restore = interceptPuts('raced', async (real) => {
          writes++;
          await real();
          if (writes > 1) return;
          const lost = await server.request('PUT', lakecat, {
            token,
            body: { table: { parameters: { ...parameters, raced: 'yes' } } },
          });
          assert.equal(lost.status, 200, lost.text);
        });
        let r: Awaited<ReturnType<typeof commit>>;
        try {
          r = await commit('raced', [], [{ action: 'set-properties', updates: { k: 'v' } }]);
        } finally {
          restore();
        }
        assert.equal(r.status, 200, r.text);
        assert.equal(writes, 2, 'the commit was redone once, with a file of its own');
        const loaded = await ice('GET', table('raced'));
        assert.equal(r.json['metadata-location'], loaded.json['metadata-location']);
        assert.notEqual(r.json['metadata-location'], base['metadata-location']);
        assert.deepEqual(r.json.metadata, loaded.json.metadata, 'the answer is the metadata that landed');
        assert.equal(r.json.metadata.properties.k, 'v');
        assert.equal(r.json.metadata['metadata-log'].at(-1)['metadata-file'], base['metadata-location']);
        const lf = (await server.request('GET', lakecat, { token })).json.parameters;
        assert.equal(lf.raced, 'yes', 'the LakeFormation write stands');
        assert.equal(lf.metadata_location, storedLocation(server.dataDir, r.json['metadata-location']));
        // Two files and two answers, the first of each made before the race was lost.
        assert.ok(pooledLending().lent - since.lent >= 4, 'the lost attempt had made its answer');
        assert.equal(await outstanding(since), 0, 'every pooled buffer was given back');
      });
    });
  }
});
