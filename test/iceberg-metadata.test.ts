// Commit semantics of Iceberg table metadata, as pure functions: each requirement refuses the
// metadata it does not match, and each update changes exactly what the REST spec says.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadResultOut } from '../src/http/routes/iceberg/engine-paths.js';
import { LocationMap } from '../src/services/engine-locations.js';
import {
  ListTexts,
  metadataPieces,
  stringifyAnswer,
  stringifyIceberg,
  stringifyMetadata,
} from '../src/services/iceberg/json.js';
import { checkTableMetadata } from '../src/services/iceberg/metadata-rules.js';
import { newTableMetadata } from '../src/services/iceberg/new-table.js';
import { PATH_PROPERTIES } from '../src/services/iceberg/paths.js';
import {
  applyUpdates,
  CommitConflict,
  checkRequirements,
  InvalidUpdate,
  type TableMetadata,
  type Update,
} from '../src/services/iceberg/table-metadata.js';
import { RawJson, utf8Of } from '../src/services/raw-json.js';

function base(): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': '9c12d441-03fe-4693-9a96-a0705ddf69c1',
    location: 'obs://lakeform/w/db/t',
    'last-sequence-number': 0,
    'last-updated-ms': 1_700_000_000_000,
    'last-column-id': 2,
    'current-schema-id': 0,
    schemas: [
      {
        'schema-id': 0,
        type: 'struct',
        fields: [
          { id: 1, name: 'id', required: true, type: 'long' },
          { id: 2, name: 'data', required: false, type: 'string' },
        ],
      },
    ],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { owner: 'etl' },
    'current-snapshot-id': null,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    refs: {},
  };
}
const snapshot = (id: number, seq: number, parent?: number) => ({
  'snapshot-id': id,
  ...(parent ? { 'parent-snapshot-id': parent } : {}),
  'sequence-number': seq,
  'timestamp-ms': 1_700_000_000_000 + seq,
  'manifest-list': `obs://lakeform/w/db/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append' },
  'schema-id': 0,
});

describe('Iceberg commit requirements', () => {
  test('each requirement passes on matching metadata and fails with CommitConflict otherwise', () => {
    const m = base();
    checkRequirements(undefined, [{ type: 'assert-create' }]);
    assert.throws(() => checkRequirements(m, [{ type: 'assert-create' }]), CommitConflict);
    const matching = [
      { type: 'assert-table-uuid', uuid: m['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null },
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 2 },
      { type: 'assert-current-schema-id', 'current-schema-id': 0 },
      { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 999 },
      { type: 'assert-default-spec-id', 'default-spec-id': 0 },
      { type: 'assert-default-sort-order-id', 'default-sort-order-id': 0 },
    ] as const;
    checkRequirements(m, [...matching]);
    const stale = [
      { type: 'assert-table-uuid', uuid: '00000000-0000-0000-0000-000000000000' },
      { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 5 },
      { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 3 },
      { type: 'assert-current-schema-id', 'current-schema-id': 1 },
      { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
      { type: 'assert-default-spec-id', 'default-spec-id': 1 },
      { type: 'assert-default-sort-order-id', 'default-sort-order-id': 1 },
    ] as const;
    for (const r of stale) assert.throws(() => checkRequirements(m, [r]), CommitConflict, r.type);
    assert.throws(
      () => checkRequirements(undefined, [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }]),
      CommitConflict,
      'no table yet',
    );
  });
});

describe('Iceberg commit updates', () => {
  test(
    'an append: add-snapshot then set-snapshot-ref main moves the ' +
      'current snapshot and logs it; the base is not touched',
    () => {
      const m = base();
      const after = applyUpdates(
        m,
        [
          { action: 'add-snapshot', snapshot: snapshot(101, 1) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 101 },
        ],
        1_800_000_000_000,
      );
      assert.equal(after['current-snapshot-id'], 101);
      assert.deepEqual(after.refs.main, { type: 'branch', 'snapshot-id': 101 });
      assert.equal(after['last-sequence-number'], 1);
      assert.deepEqual(after['snapshot-log'], [{ 'snapshot-id': 101, 'timestamp-ms': 1_800_000_000_000 }]);
      assert.equal(after['last-updated-ms'], 1_800_000_000_000);
      assert.equal(m.snapshots.length, 0, 'applied to a copy');
      assert.throws(
        () => applyUpdates(after, [{ action: 'add-snapshot', snapshot: snapshot(102, 1, 101) }], 1),
        CommitConflict,
        'a sequence number behind the table lost a race: retryable',
      );
      assert.throws(
        () =>
          applyUpdates(
            after,
            [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 999 }],
            1,
          ),
        InvalidUpdate,
      );
      assert.throws(
        () =>
          applyUpdates(after, [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'tag', 'snapshot-id': 101 }], 1),
        InvalidUpdate,
      );
    },
  );

  test(
    'schema evolution: add-schema assigns the next id and raises ' +
      'last-column-id (nested ids count); -1 means the one just added',
    () => {
      const evolved: Update[] = [
        {
          action: 'add-schema',
          schema: {
            'schema-id': 7,
            type: 'struct',
            fields: [
              ...base().schemas[0]!.fields,
              {
                id: 3,
                name: 'tags',
                required: false,
                type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false },
              },
            ],
          },
        },
        { action: 'set-current-schema', 'schema-id': -1 },
      ];
      const after = applyUpdates(base(), evolved, 2);
      assert.equal(after['current-schema-id'], 1, 'ids are assigned by the table, not taken from the request');
      assert.equal(after['last-column-id'], 4);
      const again = applyUpdates(after, evolved, 3);
      assert.equal(again.schemas.length, 2, 'an identical schema is reused');
      assert.throws(() => applyUpdates(base(), [{ action: 'set-current-schema', 'schema-id': -1 }], 1), InvalidUpdate);
      assert.throws(() => applyUpdates(base(), [{ action: 'set-current-schema', 'schema-id': 9 }], 1), InvalidUpdate);
    },
  );

  test('partition specs and sort orders get fresh ids; defaults follow -1', () => {
    const after = applyUpdates(
      base(),
      [
        {
          action: 'add-spec',
          spec: { 'spec-id': 0, fields: [{ 'source-id': 1, name: 'id_bucket', transform: 'bucket[16]' }] },
        },
        { action: 'set-default-spec', 'spec-id': -1 },
        {
          action: 'add-sort-order',
          'sort-order': {
            'order-id': 0,
            fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
          },
        },
        { action: 'set-default-sort-order', 'sort-order-id': -1 },
      ],
      5,
    );
    assert.equal(after['default-spec-id'], 1);
    assert.equal(after['partition-specs'][1]?.fields[0]?.['field-id'], 1000);
    assert.equal(after['last-partition-id'], 1000);
    assert.equal(after['default-sort-order-id'], 1);
  });

  test('properties, location, format version, uuid, refs, snapshots and statistics', () => {
    let m = applyUpdates(
      base(),
      [
        { action: 'set-properties', updates: { 'write.format.default': 'parquet', owner: 'bi' } },
        { action: 'remove-properties', removals: ['missing-key'] },
        { action: 'set-location', location: 'obs://lakeform/w2/t/' },
        { action: 'upgrade-format-version', 'format-version': 3 },
        { action: 'add-snapshot', snapshot: { ...snapshot(1, 1), 'first-row-id': 0, 'added-rows': 3 } },
        { action: 'add-snapshot', snapshot: { ...snapshot(2, 2, 1), 'first-row-id': 3, 'added-rows': 1 } },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 2 },
        { action: 'set-snapshot-ref', 'ref-name': 'v1', type: 'tag', 'snapshot-id': 1, 'max-ref-age-ms': 1000 },
        {
          action: 'set-statistics',
          statistics: {
            'snapshot-id': 1,
            'statistics-path': 'obs://x/1.stats',
            'file-size-in-bytes': 10,
            'file-footer-size-in-bytes': 2,
            'blob-metadata': [],
          },
        },
        {
          action: 'set-partition-statistics',
          'partition-statistics': { 'snapshot-id': 2, 'statistics-path': 'obs://x/2.pstats', 'file-size-in-bytes': 5 },
        },
      ],
      10,
    );
    assert.deepEqual(m.properties, { owner: 'bi', 'write.format.default': 'parquet' });
    assert.equal(m.location, 'obs://lakeform/w2/t');
    assert.equal(m['format-version'], 3);
    assert.throws(
      () => applyUpdates(m, [{ action: 'upgrade-format-version', 'format-version': 2 }], 11),
      InvalidUpdate,
      'no downgrade',
    );
    assert.throws(() => applyUpdates(m, [{ action: 'assign-uuid', uuid: 'another' }], 11), InvalidUpdate);
    m = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [1] }], 12);
    assert.deepEqual(
      m.snapshots.map((s) => s['snapshot-id']),
      [2],
    );
    assert.equal(m.refs.v1, undefined, 'a ref to a removed snapshot goes with it');
    assert.deepEqual(m.statistics, []);
    assert.equal(m['partition-statistics']?.length, 1);
    m = applyUpdates(
      m,
      [
        { action: 'remove-snapshot-ref', 'ref-name': 'main' },
        { action: 'remove-partition-statistics', 'snapshot-id': 2 },
      ],
      13,
    );
    assert.equal(m['current-snapshot-id'], null);
    assert.deepEqual(m['partition-statistics'], []);
    assert.throws(() => applyUpdates(m, [{ action: 'no-such-action' } as unknown as Update], 14), InvalidUpdate);
  });

  test(
    'format 3 row lineage: upgrading starts next-row-id at 0, each ' +
      'snapshot must start at or after it and advances it',
    () => {
      let m = applyUpdates(base(), [{ action: 'upgrade-format-version', 'format-version': 3 }], 1);
      assert.equal(m['next-row-id'], 0);
      assert.throws(
        () => applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(1, 1) }], 2),
        InvalidUpdate,
        'first-row-id is required',
      );
      m = applyUpdates(
        m,
        [{ action: 'add-snapshot', snapshot: { ...snapshot(1, 1), 'first-row-id': 0, 'added-rows': 25 } }],
        2,
      );
      assert.equal(m['next-row-id'], 25);
      assert.throws(
        () =>
          applyUpdates(
            m,
            [{ action: 'add-snapshot', snapshot: { ...snapshot(2, 2, 1), 'first-row-id': 10, 'added-rows': 5 } }],
            3,
          ),
        CommitConflict,
      );
      m = applyUpdates(
        m,
        [{ action: 'add-snapshot', snapshot: { ...snapshot(2, 2, 1), 'first-row-id': 25, 'added-rows': 5 } }],
        3,
      );
      assert.equal(m['next-row-id'], 30);
      // Format 2 tables carry no row lineage.
      assert.equal(
        applyUpdates(base(), [{ action: 'add-snapshot', snapshot: snapshot(1, 1) }], 1)['next-row-id'],
        undefined,
      );
    },
  );

  test('no current snapshot is -1 before format version 3, as the reference writer spells it', () => {
    let m = applyUpdates(
      base(),
      [
        { action: 'add-snapshot', snapshot: snapshot(1, 1) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1 },
      ],
      2,
    );
    assert.equal(
      applyUpdates(m, [{ action: 'remove-snapshot-ref', 'ref-name': 'main' }], 3)['current-snapshot-id'],
      -1,
    );
    m = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [1] }], 3);
    assert.equal(m['current-snapshot-id'], -1);
    assert.equal(
      applyUpdates(m, [{ action: 'upgrade-format-version', 'format-version': 3 }], 4)['current-snapshot-id'],
      null,
    );
  });

  test('a v2 snapshot needs a sequence number, a manifest list and a known schema', () => {
    const { 'sequence-number': _s, ...noSequence } = snapshot(1, 1);
    const { 'manifest-list': _l, ...noList } = snapshot(1, 1);
    for (const s of [noSequence, noList, { ...snapshot(1, 1), 'schema-id': 9 }]) {
      assert.throws(() => applyUpdates(base(), [{ action: 'add-snapshot', snapshot: s as never }], 2), InvalidUpdate);
    }
  });

  test(
    'format version 1 on request: v1 fields kept in step with the ' + 'current schema and spec, dropped by the upgrade',
    () => {
      const created = newTableMetadata(
        {
          schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
          properties: { 'format-version': '1', a: 'b' },
        },
        'obs://b/t',
        1,
      ) as unknown as TableMetadata;
      assert.equal(created['format-version'], 1);
      assert.deepEqual(created.properties, { a: 'b' });
      assert.equal(created['last-sequence-number'], undefined);
      assert.deepEqual(created['partition-spec'], []);
      const evolved = applyUpdates(
        created,
        [
          {
            action: 'add-schema',
            schema: {
              'schema-id': 1,
              type: 'struct',
              fields: [
                { id: 1, name: 'id', required: true, type: 'long' },
                { id: 2, name: 'x', required: false, type: 'int' },
              ],
            },
          },
          { action: 'set-current-schema', 'schema-id': -1 },
          {
            action: 'add-spec',
            spec: { 'spec-id': 1, fields: [{ name: 'x', transform: 'identity', 'source-id': 2 }] },
          },
          { action: 'set-default-spec', 'spec-id': -1 },
        ],
        2,
      );
      assert.deepEqual((evolved.schema as { fields: unknown[] }).fields, evolved.schemas[1]?.fields);
      assert.deepEqual(evolved['partition-spec'], evolved['partition-specs'][1]?.fields);
      const upgraded = applyUpdates(evolved, [{ action: 'upgrade-format-version', 'format-version': 2 }], 3);
      assert.deepEqual(
        [upgraded.schema, upgraded['partition-spec'], upgraded['last-sequence-number']],
        [undefined, undefined, 0],
      );
      assert.throws(
        () =>
          newTableMetadata(
            { schema: { type: 'struct', fields: [] }, properties: { 'format-version': '4' } },
            'obs://b/t',
          ),
        /format-version 4/,
      );
      const v3 = newTableMetadata(
        { schema: { type: 'struct', fields: [] }, properties: { 'format-version': '3' } },
        'obs://b/t',
      );
      assert.deepEqual([v3['format-version'], v3['next-row-id'], v3['current-snapshot-id']], [3, 0, null]);
    },
  );
});

describe('Iceberg metadata rules on a commit', () => {
  test('snapshots shared with a base are skipped only when that base itself passed the rules', () => {
    const append = (m: TableMetadata, id: number) =>
      applyUpdates(
        m,
        [
          { action: 'add-snapshot', snapshot: snapshot(id, id, id > 1 ? id - 1 : undefined) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
        ],
        1_800_000_000_000,
      );
    // A base no check has seen (an engine's own file) with a bad snapshot: the commit on it is refused.
    const foreign = append(base(), 1);
    (foreign.snapshots[0] as { summary: unknown }).summary = { operation: 'append', 'added-files': 3 };
    assert.throws(() => checkTableMetadata(append(foreign, 2), foreign), /property added-files must be a string/);
    // A base that passed: its snapshots are not checked again, a new bad one still is.
    const good = append(base(), 1);
    checkTableMetadata(good);
    const next = append(good, 2);
    checkTableMetadata(next, good);
    const bad = applyUpdates(
      next,
      [{ action: 'add-snapshot', snapshot: { ...snapshot(3, 3, 2), 'timestamp-ms': 'soon' as unknown as number } }],
      1,
    );
    assert.throws(() => checkTableMetadata(bad, next), /snapshot 3: timestamp-ms must be an integer/);
  });

  test('snapshot ids known from the versions before still refuse a repeated id and a ref to no snapshot', () => {
    // Twenty checked commits: the ids of each are the base's and its own, made one set again every few versions.
    let m = base();
    checkTableMetadata(m);
    for (let id = 1; id <= 20; id++) {
      const next = applyUpdates(
        m,
        [
          { action: 'add-snapshot', snapshot: snapshot(id, id, id > 1 ? id - 1 : undefined) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
        ],
        1_800_000_000_000 + id,
      );
      checkTableMetadata(next, m);
      m = next;
    }
    for (const old of [1, 9, 17, 20]) {
      assert.throws(
        () => applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(old, 21, 20) }], 1),
        new RegExp(`snapshot ${old} already exists`),
      );
      // Past applyUpdates (a repeated id written straight into the list): the whole-metadata rules refuse it.
      const repeated = { ...m, snapshots: [...m.snapshots, { ...snapshot(old, 21, 20) }] };
      assert.throws(() => checkTableMetadata(repeated, m), new RegExp(`snapshot id ${old} appears twice`));
    }
    assert.throws(
      () => applyUpdates(m, [{ action: 'set-snapshot-ref', 'ref-name': 'b', type: 'branch', 'snapshot-id': 99 }], 1),
      /ref b points at snapshot 99, which the table does not have/,
    );
    const dangling = {
      ...m,
      snapshots: [...m.snapshots, snapshot(21, 21, 20)],
      refs: { ...m.refs, b: { 'snapshot-id': 99, type: 'branch' } },
    };
    assert.throws(() => checkTableMetadata(dangling as TableMetadata, m), /ref b points at snapshot 99/);
    // Removed snapshots are gone from the ids: a ref to one is refused, and its id may be used again.
    const removed = applyUpdates(m, [{ action: 'remove-snapshots', 'snapshot-ids': [5] }], 1);
    checkTableMetadata(removed, m);
    assert.throws(
      () =>
        applyUpdates(removed, [{ action: 'set-snapshot-ref', 'ref-name': 'b', type: 'branch', 'snapshot-id': 5 }], 1),
      /ref b points at snapshot 5/,
    );
    const again = applyUpdates(removed, [{ action: 'add-snapshot', snapshot: snapshot(5, 21, 20) }], 1);
    checkTableMetadata(again, removed);
    // A snapshot whose schema the commit removed is refused, though the base had checked it.
    const gone = { ...again, schemas: [{ ...(again.schemas[0] as object), 'schema-id': 1 }], 'current-schema-id': 1 };
    assert.throws(
      () => checkTableMetadata(gone as TableMetadata, again),
      /names schema 0, which the table does not have/,
    );
  });
});

describe('Iceberg metadata text', () => {
  test('written item by item, it is exactly the text of the whole, across commits that share items', () => {
    let m = base();
    for (let i = 1; i <= 3; i++) {
      m = applyUpdates(
        m,
        [
          { action: 'add-snapshot', snapshot: snapshot(i, i, i > 1 ? i - 1 : undefined) },
          { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': i },
        ],
        1_700_000_000_100 + i,
      );
      m['metadata-log'] = [...m['metadata-log'], { 'metadata-file': `obs://lakeform/m${i}.json`, 'timestamp-ms': i }];
      // Each version is written after the one it shares its items with, as commits write them.
      assert.equal(stringifyMetadata(m as never), stringifyIceberg(m));
    }
    // Beyond 2^53 (a bigint), a field left undefined, a list that is not one: as the whole is written.
    const odd = {
      ...m,
      snapshots: [...m.snapshots, { ...snapshot(4, 4, 3), 'snapshot-id': 2n ** 63n - 1n }],
      'sort-orders': undefined,
      statistics: 'not a list',
    };
    assert.equal(stringifyMetadata(odd as never), stringifyIceberg(odd));
    assert.match(stringifyMetadata(odd as never), /"snapshot-id":9223372036854775807/);
  });

  test('lists kept between versions: grown, branched, windowed, changed in place, each version as a whole', () => {
    const lists = new ListTexts();
    // A form of its own (a marker on every item), as the engine form is: its texts never mix with the stored ones.
    const item = (_list: string, v: unknown) => stringifyIceberg(v).replace(/^\{/, '{"form":1,');
    const expected = (m: TableMetadata) => {
      const marked: Record<string, unknown> = { ...m };
      for (const k of ['snapshots', 'snapshot-log', 'metadata-log', 'schemas', 'partition-specs', 'sort-orders'])
        marked[k] = (m[k as keyof TableMetadata] as object[]).map((x) => ({ form: 1, ...x }));
      return stringifyIceberg(marked);
    };
    const versions: TableMetadata[] = [];
    let m = base();
    let id = 0;
    for (let v = 1; v <= 40; v++) {
      // Some commits add several snapshots, some none; the metadata log keeps its last 5 entries.
      const updates: Update[] = [];
      for (let k = 0; k < v % 3; k++) {
        id++;
        updates.push({ action: 'add-snapshot', snapshot: snapshot(id, id, id > 1 ? id - 1 : undefined) });
      }
      if (id > 0) updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id });
      m = applyUpdates(m, updates, 1_700_000_000_100 + v);
      m['metadata-log'] = [
        ...m['metadata-log'],
        { 'metadata-file': `obs://lakeform/m${v}.json`, 'timestamp-ms': v },
      ].slice(-5);
      assert.equal(stringifyMetadata(m as never), stringifyIceberg(m));
      assert.equal(stringifyMetadata(m as never, item, lists), expected(m));
      versions.push(m);
    }
    // A version branched from an older one (a commit that lost the race and was redone), and the older ones again.
    for (const old of [versions[10], versions[39], versions[3]] as TableMetadata[]) {
      const next = applyUpdates(
        old,
        [{ action: 'add-snapshot', snapshot: snapshot(1000 + old.snapshots.length, 1) }],
        9,
      );
      for (const x of [next, old]) {
        assert.equal(stringifyMetadata(x as never), stringifyIceberg(x));
        assert.equal(stringifyMetadata(x as never, item, lists), expected(x));
      }
    }
    // A list changed in place after it was written is written as it now is.
    const changed = versions[39] as TableMetadata;
    changed.snapshots[0] = snapshot(2000, 1);
    assert.equal(stringifyMetadata(changed as never), stringifyIceberg(changed));
    assert.equal(stringifyMetadata(changed as never, item, lists), expected(changed));
  });
});

describe('Iceberg metadata text of lists that drop their oldest items', () => {
  test('a log at its bound and expired snapshots: only the items added or dropped are read, each whole', () => {
    const lists = new ListTexts();
    const written = new Map<string, number>();
    // Every item looked at counts: a list written anew looks at all of them.
    const item = (list: string, v: unknown) => {
      written.set(list, (written.get(list) ?? 0) + 1);
      return stringifyIceberg(v).replace(/^\{/, '{"form":1,');
    };
    const expected = (m: TableMetadata) => {
      const marked: Record<string, unknown> = { ...m };
      for (const k of ['snapshots', 'snapshot-log', 'metadata-log', 'schemas', 'partition-specs', 'sort-orders'])
        marked[k] = (m[k as keyof TableMetadata] as object[]).map((x) => ({ form: 1, ...x }));
      return stringifyIceberg(marked);
    };
    let m = base();
    for (let v = 1; v <= 60; v++) {
      written.clear();
      const updates: Update[] = [
        { action: 'add-snapshot', snapshot: snapshot(v, v, v > 1 ? v - 1 : undefined) },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': v },
      ];
      // Every tenth commit only expires the two oldest snapshots: a list that drops items and adds none.
      const expiring = v % 10 === 0 && m.snapshots.length > 12;
      m = applyUpdates(
        m,
        expiring
          ? [{ action: 'remove-snapshots', 'snapshot-ids': m.snapshots.slice(0, 2).map((x) => x['snapshot-id']) }]
          : updates,
        1_700_000_000_100 + v,
      );
      // A log of its last 20 entries (beyond a short list's length), as write.metadata.previous-versions-max keeps.
      m['metadata-log'] = [
        ...m['metadata-log'],
        { 'metadata-file': `obs://lakeform/m${v}.json`, 'timestamp-ms': v },
      ].slice(-20);
      assert.equal(stringifyMetadata(m as never, item, lists), expected(m), `version ${v}`);
      assert.equal(stringifyMetadata(m as never), stringifyIceberg(m), `version ${v}, stored form`);
      // The entry added, and the one dropped (its text's length says where the kept text begins).
      if (v > 21) assert.equal(written.get('metadata-log'), 2, `version ${v}: the log's entries added and dropped`);
      if (expiring) assert.equal(written.get('snapshots'), 2, `version ${v}: the two snapshots expired alone`);
    }
  });
});

describe('Iceberg metadata text over random commits', () => {
  /** A seeded generator (mulberry32): a failure names its seed, and the run can be repeated. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // The engine form on the local backend, spelled out here: obs://<bucket>/<key> is file:///wh/<bucket>/<key>.
  const loc = new LocationMap('local', '/wh');
  const engine = (s: unknown) => (typeof s === 'string' && s.startsWith('obs://') ? `file:///wh/${s.slice(6)}` : s);
  const mapped = (list: unknown, field: string) =>
    Array.isArray(list) ? list.map((x) => ({ ...x, [field]: engine(x[field]) })) : list;
  const engineForm = (m: TableMetadata) => {
    const out: Record<string, unknown> = { ...m, location: engine(m.location), properties: { ...m.properties } };
    for (const k of PATH_PROPERTIES)
      if (k in m.properties) (out.properties as Record<string, unknown>)[k] = engine(m.properties[k]);
    out.snapshots = mapped(m.snapshots, 'manifest-list');
    out['metadata-log'] = mapped(m['metadata-log'], 'metadata-file');
    if (m.statistics) out.statistics = mapped(m.statistics, 'statistics-path');
    return out;
  };
  /** The file's text and the commit answer, each made from kept pieces, against the whole written at once. */
  const check = (m: TableMetadata, at: string) => {
    assert.equal(utf8Of(metadataPieces(m as never)).toString('utf8'), stringifyIceberg(m), `${at}: the file`);
    const recorded = { 'metadata-location': 'obs://lakeform/w/db/t/m.json', metadata: m };
    assert.equal(stringifyAnswer(recorded), stringifyIceberg(recorded), `${at}: the recorded answer`);
    const answer = loadResultOut(loc, { metadata: m, 'metadata-location': 'obs://lakeform/w/db/t/m.json' });
    assert.ok(answer instanceof RawJson);
    assert.equal(
      answer.text,
      stringifyIceberg({ metadata: engineForm(m), 'metadata-location': 'file:///wh/lakeform/w/db/t/m.json' }),
      `${at}: the answer`,
    );
  };

  test('snapshots added, removed and expired, schemas, refs, properties, statistics, logs windowed, races', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const next = random(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
      let m = base();
      const versions: TableMetadata[] = [m];
      let id = 0;
      let field = 2;
      for (let v = 1; v <= 150; v++) {
        const at = `seed ${seed}, commit ${v}`;
        // A commit that lost its race is redone on an older version, now and then.
        if (next() < 0.05) m = pick(versions);
        const updates: Update[] = [];
        const ids = () => m.snapshots.map((s) => s['snapshot-id']);
        const r = next();
        if (r < 0.5) {
          // Appends; their manifest lists are an engine's own (s3://) or stored ones (obs://, shown otherwise).
          let seq = m['last-sequence-number'] ?? 0;
          let parent = m['current-snapshot-id'] ?? undefined;
          for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
            const s = { ...snapshot(++id, ++seq, parent === -1 ? undefined : (parent ?? undefined)) };
            if (next() < (seed % 2 ? 0.2 : 0.97)) s['manifest-list'] = `s3://x/snap-${id}.avro`;
            updates.push({ action: 'add-snapshot', snapshot: s });
            parent = id;
          }
          updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id });
        } else if (r < 0.6 && m.snapshots.length > 0) {
          // Expiry of the oldest, or removal of any.
          const all = ids();
          const gone = next() < 0.5 ? all.slice(0, 1 + Math.floor(next() * all.length)) : [pick(all)];
          updates.push({ action: 'remove-snapshots', 'snapshot-ids': gone });
        } else if (r < 0.68) {
          field++;
          const current = m.schemas.find((x) => x['schema-id'] === m['current-schema-id']) ?? m.schemas[0];
          const fields = [...(current?.fields ?? []), { id: field, name: `c${field}`, required: false, type: 'int' }];
          updates.push(
            { action: 'add-schema', schema: { 'schema-id': 0, type: 'struct', fields } as never },
            { action: 'set-current-schema', 'schema-id': -1 },
          );
        } else if (r < 0.78 && m.snapshots.length > 0) {
          if (next() < 0.7)
            updates.push({
              action: 'set-snapshot-ref',
              'ref-name': pick(['audit', 'nightly', 'v1']),
              type: next() < 0.5 ? 'tag' : 'branch',
              'snapshot-id': pick(ids()),
            });
          else updates.push({ action: 'remove-snapshot-ref', 'ref-name': pick(['audit', 'nightly', 'v1', 'main']) });
        } else if (r < 0.9) {
          if (next() < 0.6)
            updates.push({
              action: 'set-properties',
              updates: { [pick(['owner', 'k1', 'write.data.path'])]: `obs://lakeform/w/db/t/p${v}` },
            });
          else updates.push({ action: 'remove-properties', removals: [pick(['owner', 'k1', 'write.data.path'])] });
        } else if (m.snapshots.length > 0) {
          const sid = pick(ids());
          updates.push(
            next() < 0.7
              ? {
                  action: 'set-statistics',
                  statistics: {
                    'snapshot-id': sid,
                    'statistics-path': `obs://lakeform/w/db/t/stats-${v}.puffin`,
                    'file-size-in-bytes': v,
                    'file-footer-size-in-bytes': 1,
                    'blob-metadata': [],
                  },
                }
              : { action: 'remove-statistics', 'snapshot-id': sid },
          );
        }
        const before = m;
        m = applyUpdates(m, updates, 1_700_000_000_000 + v);
        // The metadata log as commits keep it: the version replaced, the last few (a small window, to see it move).
        m['metadata-log'] = [
          ...(before['metadata-log'] ?? []),
          { 'metadata-file': `obs://lakeform/w/db/t/metadata/${v}.metadata.json`, 'timestamp-ms': v },
        ].slice(-(1 + (seed % 4) * 3));
        check(m, at);
        versions.push(m);
        // A version read back from its file (a cold cache): new objects, the same text.
        if (next() < 0.05) {
          m = JSON.parse(stringifyIceberg(m)) as TableMetadata;
          check(m, `${at} (read back)`);
        }
      }
      // Older versions again, as loads of them are answered.
      for (const old of [versions[3], versions[70], versions[149]] as TableMetadata[])
        check(old, `seed ${seed}, again`);
    }
  });
});
