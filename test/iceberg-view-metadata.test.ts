// Iceberg view metadata as pure functions: creation, the one view requirement, and each update
// as the view spec and the REST spec's CommitViewRequest define them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyViewUpdates,
  CommitConflict,
  checkViewRequirements,
  currentSchema,
  currentVersion,
  hiveViewText,
  InvalidUpdate,
  newViewMetadata,
  type ViewMetadata,
} from '../src/services/iceberg/view-metadata.js';

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'n', required: false, type: 'string' },
  ],
};
const OTHER_SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [{ id: 1, name: 'total', required: false, type: 'long' }],
};
const version = (sql: string, o: Record<string, unknown> = {}) => ({
  'version-id': 1,
  'timestamp-ms': 1_700_000_000_000,
  'schema-id': 0,
  summary: { 'engine-name': 'spark' },
  representations: [{ type: 'sql', sql, dialect: 'spark' }],
  'default-namespace': ['sales'],
  ...o,
});
const create = (props: Record<string, string> = {}): ViewMetadata =>
  newViewMetadata(
    { name: 'v', schema: SCHEMA, 'view-version': version('select * from t'), properties: props },
    'obs://b/w/sales/v',
    1_700_000_000_500,
  );
/** A replace as Iceberg's client sends it: a new schema and version, made current. */
const replace = (m: ViewMetadata, sql: string, schema: unknown = SCHEMA, dialect = 'spark') =>
  applyViewUpdates(
    m,
    [
      { action: 'add-schema', schema, 'last-column-id': 2 },
      {
        action: 'add-view-version',
        'view-version': version(sql, {
          'version-id': 99,
          'schema-id': -1,
          representations: [{ type: 'sql', sql, dialect }],
        }),
      },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ],
    1_700_000_001_000,
  );

describe('Iceberg view metadata', () => {
  test('a new view has format 1, a uuid, its schema and version 1 current, logged once', () => {
    const m = create({ comment: 'x' });
    assert.equal(m['format-version'], 1);
    assert.match(m['view-uuid'], /^[0-9a-f-]{36}$/);
    assert.equal(m.location, 'obs://b/w/sales/v');
    assert.equal(m['current-version-id'], 1);
    assert.deepEqual(
      m.versions.map((v) => v['version-id']),
      [1],
    );
    assert.equal(m.versions[0]?.['timestamp-ms'], 1_700_000_000_500);
    assert.deepEqual(m['version-log'], [{ 'version-id': 1, 'timestamp-ms': 1_700_000_000_500 }]);
    assert.equal(currentSchema(m)?.fields.length, 2);
    assert.deepEqual(m.properties, { comment: 'x' });
    assert.equal(hiveViewText(m), 'select * from t');
  });

  test('bad create requests are InvalidUpdate', () => {
    const bad = (o: Record<string, unknown>) => () =>
      newViewMetadata({ name: 'v', schema: SCHEMA, 'view-version': version('select 1'), ...o }, 'obs://b/v');
    assert.throws(
      bad({
        'view-version': version('select 1', {
          representations: [
            { type: 'sql', sql: 'a', dialect: 'spark' },
            { type: 'sql', sql: 'b', dialect: 'Spark' },
          ],
        }),
      }),
      InvalidUpdate,
    );
    assert.throws(bad({ 'view-version': version('select 1', { representations: [] }) }), InvalidUpdate);
    assert.throws(
      bad({ 'view-version': version('select 1', { representations: [{ type: 'substrait', plan: 'x' }] }) }),
      InvalidUpdate,
    );
    assert.throws(
      bad({ schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'nonsense' }] } }),
      InvalidUpdate,
    );
    assert.throws(bad({ properties: { n: 1 } }), InvalidUpdate);
    assert.throws(bad({ 'view-version': { ...version('select 1'), 'default-namespace': 'sales' } }), InvalidUpdate);
  });

  test("assert-view-uuid passes on the view's uuid only", () => {
    const m = create();
    checkViewRequirements(m, [{ type: 'assert-view-uuid', uuid: m['view-uuid'] }]);
    assert.throws(
      () => checkViewRequirements(m, [{ type: 'assert-view-uuid', uuid: '00000000-0000-0000-0000-000000000000' }]),
      CommitConflict,
    );
    assert.throws(() => checkViewRequirements(m, [{ type: 'assert-table-uuid', uuid: m['view-uuid'] }]), InvalidUpdate);
  });

  test('a replace adds a version with the next id and the schema added last, and logs it', () => {
    const m = create();
    const next = replace(m, 'select count(*) from t', OTHER_SCHEMA);
    assert.equal(next['current-version-id'], 99, 'an id above every existing one is kept');
    assert.deepEqual(
      next.schemas.map((s) => s['schema-id']),
      [0, 1],
      'a different schema gets the next free id',
    );
    assert.equal(currentVersion(next)?.['schema-id'], 1);
    assert.deepEqual(
      next['version-log'].map((e) => e['version-id']),
      [1, 99],
    );
    assert.equal(m['current-version-id'], 1, 'the base is not changed');
    // An id that is not above the existing ones is replaced by the next one.
    const lower = applyViewUpdates(next, [
      { action: 'add-view-version', 'view-version': version('select 2', { 'version-id': 2 }) },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ]);
    assert.equal(lower['current-version-id'], 100);
  });

  test('a version equal to an existing one is reused; an equal schema too', () => {
    const m = replace(create(), 'select 2');
    assert.deepEqual(
      m.schemas.map((s) => s['schema-id']),
      [0],
      'the same schema is not added twice',
    );
    const back = applyViewUpdates(m, [
      {
        action: 'add-view-version',
        'view-version': version('select * from t', {
          'version-id': 7,
          'timestamp-ms': 1_800_000_000_000,
          summary: { other: 'y' },
        }),
      },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ]);
    assert.equal(back['current-version-id'], 1, 'the same query, schema and namespace is version 1 again');
    assert.equal(back.versions.length, 2);
    assert.deepEqual(
      back['version-log'].map((e) => e['version-id']),
      [1, 99, 1],
    );
    // Another namespace is another version.
    const elsewhere = applyViewUpdates(m, [
      { action: 'add-view-version', 'view-version': version('select * from t', { 'default-namespace': ['other'] }) },
      { action: 'set-current-view-version', 'view-version-id': -1 },
    ]);
    assert.equal(elsewhere.versions.length, 3);
  });

  test('-1 needs something added in the same commit; unknown ids are refused', () => {
    const m = create();
    assert.throws(
      () => applyViewUpdates(m, [{ action: 'set-current-view-version', 'view-version-id': -1 }]),
      InvalidUpdate,
    );
    assert.throws(
      () => applyViewUpdates(m, [{ action: 'set-current-view-version', 'view-version-id': 5 }]),
      InvalidUpdate,
    );
    assert.throws(
      () =>
        applyViewUpdates(m, [{ action: 'add-view-version', 'view-version': version('select 3', { 'schema-id': -1 }) }]),
      InvalidUpdate,
    );
    assert.throws(
      () =>
        applyViewUpdates(m, [{ action: 'add-view-version', 'view-version': version('select 3', { 'schema-id': 4 }) }]),
      InvalidUpdate,
    );
    assert.throws(
      () =>
        applyViewUpdates(m, [
          {
            action: 'add-view-version',
            'view-version': version('select 3', {
              representations: [
                { type: 'sql', sql: 'a', dialect: 'trino' },
                { type: 'sql', sql: 'b', dialect: 'TRINO' },
              ],
            }),
          },
        ]),
      InvalidUpdate,
    );
    assert.throws(() => applyViewUpdates(m, [{ action: 'add-snapshot' }]), InvalidUpdate);
  });

  test('uuid, format version, location and properties updates', () => {
    const m = create({ a: '1', b: '2' });
    assert.equal(applyViewUpdates(m, [{ action: 'assign-uuid', uuid: m['view-uuid'] }])['view-uuid'], m['view-uuid']);
    assert.throws(
      () => applyViewUpdates(m, [{ action: 'assign-uuid', uuid: '00000000-0000-0000-0000-000000000000' }]),
      InvalidUpdate,
    );
    assert.equal(applyViewUpdates(m, [{ action: 'upgrade-format-version', 'format-version': 1 }])['format-version'], 1);
    assert.throws(
      () => applyViewUpdates(m, [{ action: 'upgrade-format-version', 'format-version': 2 }]),
      InvalidUpdate,
    );
    assert.equal(
      applyViewUpdates(m, [{ action: 'set-location', location: 'obs://b/elsewhere/' }]).location,
      'obs://b/elsewhere',
    );
    const p = applyViewUpdates(m, [
      { action: 'set-properties', updates: { c: '3', a: 'x' } },
      { action: 'remove-properties', removals: ['b', 'missing'] },
    ]);
    assert.deepEqual(p.properties, { a: 'x', c: '3' });
    assert.throws(() => applyViewUpdates(m, [{ action: 'set-properties', updates: { c: 3 } }]), InvalidUpdate);
  });

  test('a replace may not drop a dialect unless allowed', () => {
    const m = create();
    assert.throws(() => replace(m, 'select 1', SCHEMA, 'trino'), /drop its spark/);
    const allowed = applyViewUpdates(m, [
      { action: 'set-properties', updates: { 'replace.drop-dialect.allowed': 'true' } },
    ]);
    assert.equal(currentVersion(replace(allowed, 'select 1', SCHEMA, 'trino'))?.representations[0]?.dialect, 'trino');
  });

  test('version.history.num-entries bounds the versions kept, never dropping the current one', () => {
    let m = create({ 'version.history.num-entries': '3' });
    for (let i = 2; i <= 6; i++) m = replace(m, `select ${i}`);
    assert.deepEqual(
      m.versions.map((v) => v['version-id']),
      [101, 102, 103],
    );
    assert.equal(m['current-version-id'], 103);
    assert.deepEqual(
      m['version-log'].map((e) => e['version-id']),
      [101, 102, 103],
      'the log names kept versions only',
    );
    // Going back to an old version keeps it even though it is not among the newest.
    const back = applyViewUpdates(m, [
      { action: 'set-properties', updates: { 'version.history.num-entries': '1' } },
      { action: 'set-current-view-version', 'view-version-id': 101 },
    ]);
    assert.deepEqual(
      back.versions.map((v) => v['version-id']),
      [101],
    );
    assert.throws(
      () => applyViewUpdates(m, [{ action: 'set-properties', updates: { 'version.history.num-entries': '0' } }]),
      InvalidUpdate,
    );
  });
});
