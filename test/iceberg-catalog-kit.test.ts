// Catalog behaviour modelled on the Iceberg REST Compatibility Kit's catalog tests: nested
// namespaces, names with dots, staged creates, register, multi-table transactions, renames across
// namespaces, snapshots=refs, and Idempotency-Key retries, over HTTP on both metadata stores.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/store.js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  storedLocation,
  type TestServer,
} from './helpers/server.js';

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'day', required: false, type: 'date' },
  ],
};
const snapshot = (id: number, seq: number, parent?: number) => ({
  'snapshot-id': id,
  ...(parent ? { 'parent-snapshot-id': parent } : {}),
  'sequence-number': seq,
  'timestamp-ms': 1_700_000_000_000 + seq,
  'manifest-list': `s3://x/snap-${id}.avro`,
  summary: { operation: 'append' },
  'schema-id': 0,
});
/** The updates a Java client's create transaction sends for a staged table (TableMetadata changes). */
const createUpdates = (uuid: string, location: string) => [
  { action: 'assign-uuid', uuid },
  { action: 'upgrade-format-version', 'format-version': 2 },
  { action: 'add-schema', schema: SCHEMA, 'last-column-id': 2 },
  { action: 'set-current-schema', 'schema-id': -1 },
  {
    action: 'add-spec',
    spec: { 'spec-id': 0, fields: [{ name: 'day', transform: 'identity', 'source-id': 2, 'field-id': 1000 }] },
  },
  { action: 'set-default-spec', 'spec-id': -1 },
  { action: 'add-sort-order', 'sort-order': { 'order-id': 0, fields: [] } },
  { action: 'set-default-sort-order', 'sort-order-id': -1 },
  { action: 'set-location', location },
  { action: 'set-properties', updates: { owner: 'kit' } },
  { action: 'add-snapshot', snapshot: snapshot(7, 1) },
  { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 7 },
];

for (const backend of await backends()) {
  describe(`iceberg catalog kit (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    let prefix: string;
    const ice = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
      server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${token}`, ...headers }, body });
    const ns = (...levels: string[]) =>
      `/${prefix}/namespaces${levels.length ? `/${encodeURIComponent(levels.join('\u001f'))}` : ''}`;
    const tables = (...levels: string[]) => `${ns(...levels)}/tables`;
    const createNs = async (...levels: string[]) => {
      const r = await ice('POST', ns(), { namespace: levels });
      assert.equal(r.status, 200, r.text);
    };
    const createTable = async (namespace: string, name: string) => {
      const r = await ice('POST', tables(namespace), { name, schema: SCHEMA });
      assert.equal(r.status, 200, r.text);
      return r.json as { 'metadata-location': string; metadata: Record<string, unknown> };
    };
    const lf = (p: string) =>
      server.request('GET', `/v1/${project}/instances/${instance}/catalogs/lake${p}`, { token });

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'ice_kit');
      prefix = await createIcebergCatalog(server, token, project, instance);
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'nested namespaces: listed level by level, loaded, refused while ' +
        'they have children, seen by LakeFormation as dotted names',
      async () => {
        await createNs('org');
        await createNs('org', 'eu');
        await createNs('org', 'us');
        await createNs('org', 'eu', 'paris');
        const top = await ice('GET', ns());
        assert.equal(top.status, 200);
        assert.ok(top.json.namespaces.some((n: string[]) => n.join() === 'org'));
        assert.ok(!top.json.namespaces.some((n: string[]) => n.length > 1), 'the top level lists no nested namespace');
        const children = await ice('GET', `${ns()}?parent=org`);
        assert.deepEqual(children.json.namespaces, [
          ['org', 'eu'],
          ['org', 'us'],
        ]);
        const grandchildren = await ice('GET', `${ns()}?parent=${encodeURIComponent('org\u001feu')}`);
        assert.deepEqual(grandchildren.json.namespaces, [['org', 'eu', 'paris']]);
        assert.deepEqual((await ice('GET', `${ns()}?parent=${encodeURIComponent('org\u001fus')}`)).json.namespaces, []);
        assert.equal((await ice('GET', `${ns()}?parent=nowhere`)).status, 404);
        const loaded = await ice('GET', ns('org', 'eu', 'paris'));
        assert.deepEqual(loaded.json.namespace, ['org', 'eu', 'paris']);
        assert.equal((await ice('HEAD', ns('org', 'eu'))).status, 204);
        assert.equal((await lf('/databases/org.eu.paris')).status, 200);
        // A table in a nested namespace.
        await createTable('org\u001feu', 'sales');
        const listed = await ice('GET', tables('org', 'eu'));
        assert.deepEqual(listed.json.identifiers, [{ namespace: ['org', 'eu'], name: 'sales' }]);
        // Not empty: a child namespace or a table keeps it.
        const dropParent = await ice('DELETE', ns('org', 'eu'));
        assert.equal(dropParent.status, 409);
        assert.equal(dropParent.json.error.type, 'NamespaceNotEmptyException');
        assert.equal((await ice('DELETE', ns('org', 'eu', 'paris'))).status, 204);
        assert.equal((await ice('DELETE', ns('org', 'eu'))).status, 409, 'the table still keeps it');
        assert.equal((await ice('DELETE', `${tables('org', 'eu')}/sales`)).status, 204);
        assert.equal((await ice('DELETE', ns('org', 'eu'))).status, 204);
        assert.deepEqual((await ice('GET', `${ns()}?parent=org`)).json.namespaces, [['org', 'us']]);
      },
    );

    test('table names with dots: create, exist, list, load, rename, drop', async () => {
      await createNs('dots');
      await createTable('dots', 'with.dot');
      assert.equal((await ice('HEAD', `${tables('dots')}/with.dot`)).status, 204);
      assert.deepEqual((await ice('GET', tables('dots'))).json.identifiers, [
        { namespace: ['dots'], name: 'with.dot' },
      ]);
      assert.equal((await ice('GET', `${tables('dots')}/with.dot`)).status, 200);
      const renamed = await ice('POST', `/${prefix}/tables/rename`, {
        source: { namespace: ['dots'], name: 'with.dot' },
        destination: { namespace: ['dots'], name: 'still.with.dot' },
      });
      assert.equal(renamed.status, 204, renamed.text);
      assert.equal((await ice('HEAD', `${tables('dots')}/with.dot`)).status, 404);
      assert.equal((await lf('/databases/dots/tables/still.with.dot')).status, 200);
      for (const bad of ['.hidden', '..', 'a/b', 'tab\tle']) {
        const r = await ice('POST', tables('dots'), { name: bad, schema: SCHEMA });
        assert.equal(r.status, 400, `${bad}: ${r.text}`);
      }
      assert.equal((await ice('DELETE', `${tables('dots')}/still.with.dot`)).status, 204);
    });

    test(
      'staged create: nothing exists until the commit that asserts ' + 'creation, which makes the table once',
      async () => {
        await createNs('staging');
        const staged = await ice('POST', tables('staging'), { name: 'ctas', schema: SCHEMA, 'stage-create': true });
        assert.equal(staged.status, 200, staged.text);
        assert.equal((await ice('HEAD', `${tables('staging')}/ctas`)).status, 404);
        const uuid = randomUUID();
        const location = staged.json.metadata.location as string;
        const commit = () =>
          ice('POST', `${tables('staging')}/ctas`, {
            requirements: [{ type: 'assert-create' }],
            updates: createUpdates(uuid, location),
          });
        const done = await commit();
        assert.equal(done.status, 200, done.text);
        const m = done.json.metadata;
        assert.equal(m['table-uuid'], uuid);
        assert.equal(m['format-version'], 2);
        assert.equal(m['current-snapshot-id'], 7);
        assert.equal(m['default-spec-id'], 0);
        assert.equal(m['last-partition-id'], 1000);
        assert.match(done.json['metadata-location'], /\/metadata\/00000-[0-9a-f-]+\.metadata\.json$/);
        const loaded = await ice('GET', `${tables('staging')}/ctas`);
        assert.equal(loaded.json.metadata['table-uuid'], uuid);
        const shown = await lf('/databases/staging/tables/ctas');
        assert.equal(shown.json.table_format, 'ICEBERG');
        assert.deepEqual(
          shown.json.storage_descriptor.columns.map((c: { column_name: string }) => c.column_name),
          ['id', 'day'],
        );
        // A second create of the same name lost: the table exists now.
        const again = await commit();
        assert.equal(again.status, 409);
        assert.equal(again.json.error.type, 'CommitFailedException');
        // A staged name already taken is refused at once; a commit without assert-create to a missing table is 404.
        assert.equal(
          (await ice('POST', tables('staging'), { name: 'ctas', schema: SCHEMA, 'stage-create': true })).status,
          409,
        );
        const missing = await ice('POST', `${tables('staging')}/nothing`, { requirements: [], updates: [] });
        assert.equal(missing.status, 404);
        assert.equal(missing.json.error.type, 'NoSuchTableException');
        // Updates that leave no schema cannot create a table.
        const incomplete = await ice('POST', `${tables('staging')}/half`, {
          requirements: [{ type: 'assert-create' }],
          updates: [{ action: 'assign-uuid', uuid: randomUUID() }],
        });
        assert.equal(incomplete.status, 400, incomplete.text);
        assert.equal((await ice('HEAD', `${tables('staging')}/half`)).status, 404);
      },
    );

    test('register: an existing metadata file becomes a table; taken names, missing files and overwrite', async () => {
      await createNs('reg');
      const original = await createTable('reg', 'source');
      // Dropped without purge: its metadata file stays and can be registered again.
      assert.equal((await ice('DELETE', `${tables('reg')}/source`)).status, 204);
      const reg = await ice('POST', `${ns('reg')}/register`, {
        name: 'revived',
        'metadata-location': original['metadata-location'],
      });
      assert.equal(reg.status, 200, reg.text);
      assert.equal(reg.json['metadata-location'], original['metadata-location']);
      const loaded = await ice('GET', `${tables('reg')}/revived`);
      assert.equal(loaded.json.metadata['table-uuid'], original.metadata['table-uuid']);
      const taken = await ice('POST', `${ns('reg')}/register`, {
        name: 'revived',
        'metadata-location': original['metadata-location'],
      });
      assert.equal(taken.status, 409);
      assert.equal(taken.json.error.type, 'AlreadyExistsException');
      const nofile = await ice('POST', `${ns('reg')}/register`, {
        name: 'ghost',
        'metadata-location': `${original.metadata.location as string}/metadata/99999-none.metadata.json`,
      });
      assert.equal(nofile.status, 400, nofile.text);
      const other = await createTable('reg', 'other');
      const over = await ice('POST', `${ns('reg')}/register`, {
        name: 'revived',
        'metadata-location': other['metadata-location'],
        overwrite: true,
      });
      assert.equal(over.status, 200, over.text);
      assert.equal(
        (await ice('GET', `${tables('reg')}/revived`)).json.metadata['table-uuid'],
        other.metadata['table-uuid'],
      );
      assert.equal(
        (
          await ice('POST', `/${prefix}/namespaces/nowhere/register`, {
            name: 'x',
            'metadata-location': other['metadata-location'],
          })
        ).status,
        404,
      );
    });

    test('transactions: every table changes or none does', async () => {
      await createNs('tx');
      const a = await createTable('tx', 'a');
      const b = await createTable('tx', 'b');
      const change = (name: string, uuid: unknown, updates: unknown[]) => ({
        identifier: { namespace: ['tx'], name },
        requirements: [{ type: 'assert-table-uuid', uuid }],
        updates,
      });
      const ok = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [
          change('a', a.metadata['table-uuid'], [{ action: 'set-properties', updates: { k: 'a1' } }]),
          change('b', b.metadata['table-uuid'], [{ action: 'set-properties', updates: { k: 'b1' } }]),
        ],
      });
      assert.equal(ok.status, 204, ok.text);
      const props = async (name: string) => (await ice('GET', `${tables('tx')}/${name}`)).json.metadata.properties.k;
      assert.equal(await props('a'), 'a1');
      assert.equal(await props('b'), 'b1');
      // The second table's requirement fails: the first must not change either.
      const failed = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [
          change('a', a.metadata['table-uuid'], [{ action: 'set-properties', updates: { k: 'a2' } }]),
          change('b', randomUUID(), [{ action: 'set-properties', updates: { k: 'b2' } }]),
        ],
      });
      assert.equal(failed.status, 409);
      assert.equal(failed.json.error.type, 'CommitFailedException');
      assert.equal(await props('a'), 'a1');
      assert.equal(await props('b'), 'b1');
      // A missing table fails the whole transaction too; the same table twice is refused.
      const missing = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [
          change('a', a.metadata['table-uuid'], [{ action: 'set-properties', updates: { k: 'a3' } }]),
          { identifier: { namespace: ['tx'], name: 'zzz' }, requirements: [], updates: [] },
        ],
      });
      assert.equal(missing.status, 404);
      assert.equal(await props('a'), 'a1');
      const twice = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [change('a', a.metadata['table-uuid'], []), change('a', a.metadata['table-uuid'], [])],
      });
      assert.equal(twice.status, 400);
      assert.equal((await ice('POST', `/${prefix}/transactions/commit`, { 'table-changes': [] })).status, 400);
      // A staged create inside a transaction lands with the other changes, or not at all.
      const stagedIn = async (name: string) => {
        const r = await ice('POST', tables('tx'), { name, schema: SCHEMA, 'stage-create': true });
        assert.equal(r.status, 200, r.text);
        return {
          identifier: { namespace: ['tx'], name },
          requirements: [{ type: 'assert-create' }],
          updates: createUpdates(randomUUID(), r.json.metadata.location),
        };
      };
      const doomed = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [
          await stagedIn('c'),
          change('a', randomUUID(), [{ action: 'set-properties', updates: { k: 'never' } }]),
        ],
      });
      assert.equal(doomed.status, 409);
      assert.equal((await ice('HEAD', `${tables('tx')}/c`)).status, 404, 'the failed transaction created nothing');
      const together = await ice('POST', `/${prefix}/transactions/commit`, {
        'table-changes': [
          await stagedIn('c'),
          change('a', a.metadata['table-uuid'], [{ action: 'set-properties', updates: { k: 'with-c' } }]),
        ],
      });
      assert.equal(together.status, 204, together.text);
      assert.equal((await ice('GET', `${tables('tx')}/c`)).json.metadata['current-snapshot-id'], 7);
      assert.equal(await props('a'), 'with-c');
      // Concurrent transactions on the same two tables: all compatible, so all land.
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          ice('POST', `/${prefix}/transactions/commit`, {
            'table-changes': [
              {
                identifier: { namespace: ['tx'], name: 'a' },
                requirements: [],
                updates: [{ action: 'set-properties', updates: { [`p${i}`]: 'x' } }],
              },
              {
                identifier: { namespace: ['tx'], name: 'b' },
                requirements: [],
                updates: [{ action: 'set-properties', updates: { [`p${i}`]: 'x' } }],
              },
            ],
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array(8).fill(204),
      );
      for (const t of ['a', 'b']) {
        const m = (await ice('GET', `${tables('tx')}/${t}`)).json.metadata;
        for (let i = 0; i < 8; i++) assert.equal(m.properties[`p${i}`], 'x', `${t} p${i}`);
      }
    });

    test('rename across namespaces moves the table, files in place; missing and taken targets refused', async () => {
      await createNs('src');
      await createNs('dst');
      const t = await createTable('src', 'moving');
      const r = await ice('POST', `/${prefix}/tables/rename`, {
        source: { namespace: ['src'], name: 'moving' },
        destination: { namespace: ['dst'], name: 'moved' },
      });
      assert.equal(r.status, 204, r.text);
      assert.equal((await ice('HEAD', `${tables('src')}/moving`)).status, 404);
      const loaded = await ice('GET', `${tables('dst')}/moved`);
      assert.equal(loaded.json['metadata-location'], t['metadata-location']);
      assert.equal((await lf('/databases/dst/tables/moved')).status, 200);
      await createTable('src', 'blocker');
      const taken = await ice('POST', `/${prefix}/tables/rename`, {
        source: { namespace: ['dst'], name: 'moved' },
        destination: { namespace: ['src'], name: 'blocker' },
      });
      assert.equal(taken.status, 409);
      const nowhere = await ice('POST', `/${prefix}/tables/rename`, {
        source: { namespace: ['dst'], name: 'moved' },
        destination: { namespace: ['nowhere'], name: 'x' },
      });
      assert.equal(nowhere.status, 404);
      assert.equal(nowhere.json.error.type, 'NoSuchNamespaceException');
      const gone = await ice('POST', `/${prefix}/tables/rename`, {
        source: { namespace: ['dst'], name: 'nothing' },
        destination: { namespace: ['src'], name: 'x' },
      });
      assert.equal(gone.status, 404);
      assert.equal(gone.json.error.type, 'NoSuchTableException');
    });

    test('snapshots=refs loads only the snapshots a ref points at', async () => {
      await createNs('snaps');
      await createTable('snaps', 'history');
      const r = await ice('POST', `${tables('snaps')}/history`, {
        requirements: [],
        updates: [
          { action: 'add-snapshot', snapshot: snapshot(1, 1) },
          { action: 'add-snapshot', snapshot: snapshot(2, 2, 1) },
          { action: 'add-snapshot', snapshot: snapshot(3, 3, 2) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 3 },
          { action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1 },
        ],
      });
      assert.equal(r.status, 200, r.text);
      const all = await ice('GET', `${tables('snaps')}/history?snapshots=all`);
      assert.deepEqual(
        all.json.metadata.snapshots.map((s: { 'snapshot-id': number }) => s['snapshot-id']),
        [1, 2, 3],
      );
      const refs = await ice('GET', `${tables('snaps')}/history?snapshots=refs`);
      assert.deepEqual(
        refs.json.metadata.snapshots.map((s: { 'snapshot-id': number }) => s['snapshot-id']),
        [1, 3],
      );
      assert.equal((await ice('GET', `${tables('snaps')}/history?snapshots=some`)).status, 400);
    });

    test(
      'one metadata, two views: Iceberg changes are in the LakeCat ' +
        'event log, and LakeCat changes show through Iceberg',
      async () => {
        await createNs('events');
        const t = await createTable('events', 'logged');
        assert.equal(
          (
            await ice('POST', `${tables('events')}/logged`, {
              requirements: [],
              updates: [{ action: 'set-properties', updates: { x: '1' } }],
            })
          ).status,
          200,
        );
        assert.equal(
          (
            await ice('POST', `/${prefix}/tables/rename`, {
              source: { namespace: ['events'], name: 'logged' },
              destination: { namespace: ['events'], name: 'logged2' },
            })
          ).status,
          204,
        );
        assert.equal((await ice('DELETE', `${tables('events')}/logged2`)).status, 204);
        const r = await server.request('GET', `/v1/${project}/instances/${instance}/metadata-event`, {
          token,
          query: { limit: 1000 },
        });
        assert.equal(r.status, 200, r.text);
        const mine = r.json.metadata_events
          .filter((e: { database_name?: string }) => e.database_name === 'events')
          .map(
            (e: { metadata_action_type: string; object_name?: string; database_name: string }) =>
              `${e.metadata_action_type} ${e.object_name ?? e.database_name}`,
          );
        assert.deepEqual(mine, [
          'CREATE_DATABASE events',
          'CREATE_TABLE logged',
          'ALTER_TABLE logged',
          'RENAME_TABLE logged2',
          'DROP_TABLE logged2',
        ]);
        const created = r.json.metadata_events.find(
          (e: { metadata_action_type: string; object_name: string }) =>
            e.metadata_action_type === 'CREATE_TABLE' && e.object_name === 'logged',
        );
        assert.equal(
          created.metadata_object.parameters.metadata_location,
          storedLocation(server.dataDir, t['metadata-location']),
        );
        // The other way: a database made through LakeFormation is a namespace; its drop is seen at once.
        const lfDb = await server.request('POST', `/v1/${project}/instances/${instance}/catalogs/lake/databases`, {
          token,
          body: { database_name: 'from_lf' },
        });
        assert.equal(lfDb.status, 201, lfDb.text);
        assert.equal((await ice('HEAD', ns('from_lf'))).status, 204);
        assert.equal(
          (
            await server.request('DELETE', `/v1/${project}/instances/${instance}/catalogs/lake/databases/from_lf`, {
              token,
            })
          ).status,
          200,
        );
        assert.equal((await ice('HEAD', ns('from_lf'))).status, 404);
      },
    );

    test(
      'Idempotency-Key: a retry gets the first answer and changes ' +
        'nothing more; another request under the key is refused',
      async () => {
        await createNs('idem');
        const key = () => ({ 'Idempotency-Key': randomUUID() });
        // Create namespace: the retry is answered 200 again instead of AlreadyExists.
        const k1 = key();
        const first = await ice('POST', ns(), { namespace: ['idem_ns'], properties: { a: '1' } }, k1);
        const retry = await ice('POST', ns(), { namespace: ['idem_ns'], properties: { a: '1' } }, k1);
        assert.equal(first.status, 200);
        assert.equal(retry.status, 200, retry.text);
        assert.deepEqual(retry.json, first.json);
        const reused = await ice('POST', ns(), { namespace: ['other_ns'] }, k1);
        assert.equal(reused.status, 422);
        assert.equal((await ice('HEAD', ns('other_ns'))).status, 404);
        // Once its answer expired, the key may name another request: the old answer goes, the new one is kept.
        const kept = openStore(server.databaseUrl);
        try {
          await kept.db
            .updateTable('iceberg_idempotency_keys')
            .set({ expires_at: '2000-01-01T00:00:00.000Z' })
            .where('idempotency_key', '=', k1['Idempotency-Key'].toLowerCase())
            .execute();
        } finally {
          await kept.close();
        }
        const renewed = await ice('POST', ns(), { namespace: ['other_ns'] }, k1);
        assert.equal(renewed.status, 200, renewed.text);
        assert.equal((await ice('POST', ns(), { namespace: ['other_ns'] }, k1)).status, 200, 'the new answer, again');
        assert.equal((await ice('POST', ns(), { namespace: ['x'] }, { 'Idempotency-Key': 'not-a-uuid' })).status, 400);

        // Commit: retried, the table advanced once.
        const t = await createTable('idem', 'events');
        const k2 = key();
        const body = {
          requirements: [{ type: 'assert-table-uuid', uuid: t.metadata['table-uuid'] }],
          updates: [
            { action: 'add-snapshot', snapshot: snapshot(5, 1) },
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 5 },
          ],
        };
        const c1 = await ice('POST', `${tables('idem')}/events`, body, k2);
        const c2 = await ice('POST', `${tables('idem')}/events`, body, k2);
        assert.equal(c1.status, 200, c1.text);
        assert.equal(c2.status, 200, c2.text);
        assert.equal(c2.json['metadata-location'], c1.json['metadata-location']);
        const now = await ice('GET', `${tables('idem')}/events`);
        assert.equal(now.json['metadata-location'], c1.json['metadata-location']);
        assert.equal(now.json.metadata['metadata-log'].length, 1, 'one commit, not two');

        // Concurrent retries of one commit: one change, one answer for all.
        const k3 = key();
        const body3 = { requirements: [], updates: [{ action: 'set-properties', updates: { concurrent: 'yes' } }] };
        const answers = await Promise.all(
          Array.from({ length: 6 }, () => ice('POST', `${tables('idem')}/events`, body3, k3)),
        );
        assert.deepEqual(
          answers.map((a) => a.status),
          Array(6).fill(200),
          answers.map((a) => a.text).join('\n'),
        );
        assert.equal(new Set(answers.map((a) => a.json['metadata-location'])).size, 1);
        assert.equal((await ice('GET', `${tables('idem')}/events`)).json.metadata['metadata-log'].length, 2);

        // A final refusal is replayed too: the drop of a missing table stays 404 after the table appears.
        const k4 = key();
        assert.equal((await ice('DELETE', `${tables('idem')}/later`, undefined, k4)).status, 404);
        await createTable('idem', 'later');
        const replayed = await ice('DELETE', `${tables('idem')}/later`, undefined, k4);
        assert.equal(replayed.status, 404);
        assert.equal(replayed.json.error.type, 'NoSuchTableException');
        assert.equal((await ice('HEAD', `${tables('idem')}/later`)).status, 204);
        // And a drop retried is 204 twice.
        const k5 = key();
        assert.equal((await ice('DELETE', `${tables('idem')}/later`, undefined, k5)).status, 204);
        assert.equal((await ice('DELETE', `${tables('idem')}/later`, undefined, k5)).status, 204);
      },
    );
  });
}
