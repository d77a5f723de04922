// LakeCat partitions over HTTP on both metadata stores: batch writes, filters, paging, events.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RawJson } from '../src/services/raw-json.js';
import { prng } from './helpers/prng.js';
import { backends, createRunningInstance, startServer, type TestServer } from './helpers/server.js';

const COLUMNS = [
  { column_name: 'id', column_type: 'bigint' },
  { column_name: 'amount', column_type: 'double' },
];
const sd = (location?: string) => ({
  columns: COLUMNS,
  ...(location ? { location } : {}),
  compressed: false,
  parameters: {},
  serde_info: { serialization_library: 'parquet' },
});
const part = (values: string[], extra: Record<string, unknown> = {}) => ({
  partition_values: values,
  parameters: { src: 't' },
  storage_descriptor: sd(),
  ...extra,
});
const names = (r: { json: { partition_name_list: string[] } }) => r.json.partition_name_list;

// The property test's own model of a filter, rendered to text for the server and evaluated here
// with SQL's three-valued logic (a default partition of a typed key compares as NULL).
type Key = 'region' | 'hr' | 'dt';
type Node =
  | { t: 'cmp'; key: Key; op: string; v: string | number }
  | { t: 'in'; key: Key; vs: (string | number)[]; neg: boolean }
  | { t: 'between'; key: Key; lo: string | number; hi: string | number; neg: boolean }
  | { t: 'like'; pattern: string; neg: boolean }
  | { t: 'not'; e: Node }
  | { t: 'and' | 'or'; l: Node; r: Node };
interface Row {
  region: string;
  hr: number | null;
  dt: string | null;
}
const DEFAULT = '__HIVE_DEFAULT_PARTITION__';
const lit = (key: Key, v: string | number) => (key === 'hr' ? String(v) : `'${v}'`);
function render(n: Node): string {
  switch (n.t) {
    case 'cmp':
      return `${n.key} ${n.op} ${lit(n.key, n.v)}`;
    case 'in':
      return `${n.key}${n.neg ? ' NOT' : ''} IN (${n.vs.map((v) => lit(n.key, v)).join(', ')})`;
    case 'between':
      return `${n.key}${n.neg ? ' NOT' : ''} BETWEEN ${lit(n.key, n.lo)} AND ${lit(n.key, n.hi)}`;
    case 'like':
      return `region${n.neg ? ' NOT' : ''} LIKE '${n.pattern}'`;
    case 'not':
      return `NOT (${render(n.e)})`;
    default:
      return `(${render(n.l)} ${n.t.toUpperCase()} ${render(n.r)})`;
  }
}
function evaluate(n: Node, row: Row): boolean | null {
  const val = (key: Key) => row[key];
  const cmp = (a: string | number, op: string, b: string | number) =>
    op === '='
      ? a === b
      : op === '!=' || op === '<>'
        ? a !== b
        : op === '<'
          ? a < b
          : op === '<='
            ? a <= b
            : op === '>'
              ? a > b
              : a >= b;
  switch (n.t) {
    case 'cmp': {
      const v = val(n.key);
      return v === null ? null : cmp(v, n.op, n.v);
    }
    case 'in': {
      const v = val(n.key);
      return v === null ? null : n.vs.includes(v) !== n.neg;
    }
    case 'between': {
      const v = val(n.key);
      return v === null ? null : (v >= n.lo && v <= n.hi) !== n.neg;
    }
    case 'like': {
      const re = new RegExp(
        `^${n.pattern
          .split('')
          .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('')}$`,
        's',
      );
      return re.test(row.region) !== n.neg;
    }
    case 'not': {
      const v = evaluate(n.e, row);
      return v === null ? null : !v;
    }
    case 'and': {
      const [a, b] = [evaluate(n.l, row), evaluate(n.r, row)];
      return a === false || b === false ? false : a === null || b === null ? null : true;
    }
    case 'or': {
      const [a, b] = [evaluate(n.l, row), evaluate(n.r, row)];
      return a === true || b === true ? true : a === null || b === null ? null : false;
    }
  }
}

const REGIONS = ['eu', 'us', 'ap', 'eu-west', 'us_east', DEFAULT];
const day = (i: number) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);

function randomFilter(rand: () => number, depth = 0): Node {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)] as T;
  if (depth < 3 && rand() < 0.45) {
    const kind = pick(['and', 'or', 'not'] as const);
    return kind === 'not'
      ? { t: 'not', e: randomFilter(rand, depth + 1) }
      : { t: kind, l: randomFilter(rand, depth + 1), r: randomFilter(rand, depth + 1) };
  }
  const key = pick(['region', 'hr', 'dt'] as Key[]);
  const value = (): string | number =>
    key === 'hr'
      ? Math.floor(rand() * 26) - 1
      : key === 'dt'
        ? day(Math.floor(rand() * 95) - 2)
        : pick(REGIONS.slice(0, 5));
  const form = pick(['cmp', 'cmp', 'in', 'between', 'like']);
  if (form === 'like')
    return { t: 'like', pattern: pick(['eu%', '%east', 'u_', '%s%', '__', 'a%']), neg: rand() < 0.3 };
  if (form === 'in')
    return { t: 'in', key, vs: Array.from({ length: 1 + Math.floor(rand() * 3) }, value), neg: rand() < 0.3 };
  if (form === 'between') {
    const [a, b] = [value(), value()];
    // biome-ignore lint/complexity/useMathMinMax: the values may be strings, which Math.min cannot order
    return { t: 'between', key, lo: a < b ? a : b, hi: a < b ? b : a, neg: rand() < 0.3 };
  }
  return { t: 'cmp', key, op: pick(['=', '!=', '<>', '<', '<=', '>', '>=']), v: value() };
}

for (const backend of await backends()) {
  describe(`partitions (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let project: string;
    let instance: string;
    const db = () => `/v1/${project}/instances/${instance}/catalogs/pc/databases/sales`;
    const t = (table = 'events') => `${db()}/tables/${table}`;
    const parts = (table = 'events') => `${t(table)}/partitions`;

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '5000' } });
      ({ token, projectId: project } = await server.login());
      instance = await createRunningInstance(server, token, project, 'parts_inst');
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs`, {
            token,
            body: { catalog_name: 'pc', location: 'obs://lakeform/pc' },
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await server.request('POST', `/v1/${project}/instances/${instance}/catalogs/pc/databases`, {
            token,
            body: { database_name: 'sales' },
          })
        ).status,
        201,
      );
      const table = (name: string, keys: { column_name: string; column_type: string }[], type = 'MANAGED_TABLE') =>
        server.request('POST', `${db()}/tables`, {
          token,
          body: {
            table_name: name,
            table_type: type,
            owner_type: 'USER',
            storage_descriptor: { columns: COLUMNS },
            partition_keys: keys,
          },
        });
      assert.equal(
        (
          await table('events', [
            { column_name: 'dt', column_type: 'date' },
            { column_name: 'hr', column_type: 'int' },
          ])
        ).status,
        201,
      );
      assert.equal((await table('flat', [])).status, 201);
      assert.equal(
        (
          await table(
            'prop',
            [
              { column_name: 'region', column_type: 'string' },
              { column_name: 'hr', column_type: 'int' },
              { column_name: 'dt', column_type: 'date' },
            ],
            'EXTERNAL_TABLE',
          )
        ).status,
        201,
      );
    });
    after(async () => {
      await server?.stop();
    });

    test(
      'AddPartitions stores a batch, normalises values, derives names ' +
        'and locations, and reads back field for field',
      async () => {
        const batch = [
          part(['2024-01-01', '0']),
          part(['2024-01-01', '7']),
          part(['2024-1-2', '10']),
          part(['2024-01-02', '9'], { storage_descriptor: sd('obs://lakeform/elsewhere/p9') }),
        ];
        const r = await server.request('POST', `${parts()}/batch-create`, {
          token,
          body: { if_not_exist: false, partitions: batch },
        });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.length, 4);
        const first = r.json[0];
        assert.equal(first.table_name, 'events');
        assert.deepEqual(first.partition_values, ['2024-01-01', '0']);
        assert.equal(first.storage_descriptor.location, 'obs://lakeform/pc/sales.db/events/dt=2024-01-01/hr=0');
        assert.deepEqual(first.storage_descriptor.columns, COLUMNS);
        assert.deepEqual(first.parameters, { src: 't' });
        assert.deepEqual(r.json[2].partition_values, ['2024-01-02', '10'], 'dates are stored as yyyy-mm-dd');
        assert.equal(r.json[3].storage_descriptor.location, 'obs://lakeform/elsewhere/p9');
        const got = await server.request('POST', `${parts()}/batch-get`, {
          token,
          body: {
            values: [
              ['2024-01-02', '9'],
              ['2024-01-01', '0'],
              ['2030-01-01', '1'],
            ],
          },
        });
        assert.equal(got.status, 200, got.text);
        assert.deepEqual(
          got.json.map((p: { partition_values: string[] }) => p.partition_values.join('/')),
          ['2024-01-01/0', '2024-01-02/9'],
        );
        assert.deepEqual(got.json[0], first);
        const all = await server.request('GET', `${parts()}/names`, { token, query: { limit: -1 } });
        assert.deepEqual(all.json, [
          'dt=2024-01-01/hr=0',
          'dt=2024-01-01/hr=7',
          'dt=2024-01-02/hr=10',
          'dt=2024-01-02/hr=9',
        ]);
      },
    );

    test(
      'bad values fail the whole batch naming each entry; duplicates ' +
        'get 409 naming them; if_not_exist adds only the new ones',
      async () => {
        const bad = await server.request('POST', `${parts()}/batch-create`, {
          token,
          body: {
            if_not_exist: false,
            partitions: [
              part(['2024-02-01', '1']),
              part(['2024-02-30', '1']),
              part(['2024-02-01', 'x']),
              part(['2024-02-01', '99999999999']),
              part(['2024-02-01']),
              part(['2024-02-01', '1']),
            ],
          },
        });
        assert.equal(bad.status, 400, bad.text);
        for (const why of [
          'partitions[1]',
          'not a date',
          'partitions[2]',
          'not a int',
          'out of the range',
          '1 values given',
          'twice',
        ])
          assert.ok(bad.json.error_msg.includes(why), `${why}: ${bad.json.error_msg}`);
        const dup = await server.request('POST', `${parts()}/batch-create`, {
          token,
          body: { if_not_exist: false, partitions: [part(['2024-03-01', '1']), part(['2024-01-01', '0'])] },
        });
        assert.equal(dup.status, 409, dup.text);
        assert.match(dup.json.error_msg, /dt=2024-01-01\/hr=0/);
        const before = await server.request('GET', `${parts()}/names`, { token, query: { limit: -1 } });
        assert.equal(before.json.length, 4, 'nothing of a failed batch was added');
        const skip = await server.request('POST', `${parts()}/batch-create`, {
          token,
          body: { if_not_exist: true, partitions: [part(['2024-03-01', '1']), part(['2024-01-01', '0'])] },
        });
        assert.equal(skip.status, 201, skip.text);
        assert.deepEqual(
          skip.json.map((p: { partition_values: string[] }) => p.partition_values),
          [['2024-03-01', '1']],
        );
        const flat = await server.request('POST', `${parts('flat')}/batch-create`, {
          token,
          body: { if_not_exist: false, partitions: [part(['a'])] },
        });
        assert.equal(flat.status, 400);
        assert.match(flat.json.error_msg, /not partitioned/);
        assert.equal(
          (
            await server.request('POST', `${parts('nope')}/batch-create`, {
              token,
              body: { if_not_exist: false, partitions: [part(['a'])] },
            })
          ).status,
          404,
        );
        const tooMany = await server.request('POST', `${parts()}/batch-create`, {
          token,
          body: {
            if_not_exist: false,
            partitions: Array.from({ length: 1001 }, (_, i) => part(['2025-01-01', String(i)])),
          },
        });
        assert.equal(tooMany.status, 400);
      },
    );

    test('concurrent adds of one partition: exactly one succeeds, the others get a clean 409', async () => {
      const all = await Promise.all(
        Array.from({ length: 20 }, () =>
          server.request('POST', `${parts()}/batch-create`, {
            token,
            body: { if_not_exist: false, partitions: [part(['2024-04-01', '4'])] },
          }),
        ),
      );
      const codes = all.map((r) => r.status);
      assert.equal(codes.filter((c) => c === 201).length, 1, String(codes));
      assert.equal(codes.filter((c) => c === 409).length, 19, String(codes));
      const drop = await server.request('POST', `${parts()}/batch-drop`, {
        token,
        body: { partition_values: [['2024-04-01', '4']] },
      });
      assert.equal(drop.status, 200, drop.text);
    });

    test('filters compare by the key type, and bad filters get 400 with the position', async () => {
      const f = async (filter: string) => {
        const r = await server.request('GET', `${parts()}/partition-names`, { token, query: { filter } });
        assert.equal(r.status, 200, `${filter}: ${r.text}`);
        return names(r);
      };
      assert.deepEqual(
        await f('hr < 9'),
        ['dt=2024-01-01/hr=0', 'dt=2024-01-01/hr=7', 'dt=2024-03-01/hr=1'],
        'int keys compare as numbers (10 > 9)',
      );
      assert.deepEqual(await f("dt = '2024-01-02'"), ['dt=2024-01-02/hr=10', 'dt=2024-01-02/hr=9']);
      assert.deepEqual(await f("dt BETWEEN '2024-1-2' AND '2024-02-28' AND hr >= 10"), ['dt=2024-01-02/hr=10']);
      assert.deepEqual(await f('hr IN (0, 9) OR NOT (hr <> 1)'), [
        'dt=2024-01-01/hr=0',
        'dt=2024-01-02/hr=9',
        'dt=2024-03-01/hr=1',
      ]);
      assert.deepEqual(await f("'2024-02-01' < dt"), ['dt=2024-03-01/hr=1'], 'a literal on the left');
      assert.deepEqual(await f(''), await f('hr >= 0'));
      const bad: [string, RegExp][] = [
        ['hr <', /position 5/],
        ['hr = 1 AND', /position 11/],
        ['nokey = 1', /position 1.*not a partition key/],
        ["hr = 'x'", /position 6.*not a number/],
        ["dt > '2024-13-01'", /not a date/],
        ["hr LIKE '1%'", /LIKE needs a string key/],
        ['(hr = 1', /expected '\)'/],
        ["dt = 'open", /not closed/],
        ['hr = 1 hr', /unexpected/],
        ['hr # 1', /unexpected character/],
      ];
      for (const [filter, why] of bad) {
        const r = await server.request('GET', `${parts()}/partition-names`, { token, query: { filter } });
        assert.equal(r.status, 400, `${filter}: ${r.text}`);
        assert.match(r.json.error_msg, why, filter);
      }
      const long = await server.request('GET', `${parts()}/partition-names`, {
        token,
        query: { filter: `hr = 1${' OR hr = 1'.repeat(30)}` },
      });
      assert.equal(long.status, 400, 'a filter over 256 characters is refused');
      const listed = await server.request('GET', parts(), { token, query: { filter: 'hr = 7' } });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.json.partitions.map((p: { partition_values: string[] }) => p.partition_values),
        [['2024-01-01', '7']],
      );
      const partial = await server.request('GET', parts(), { token, query: { partition_values: ['2024-01-02'] } });
      assert.deepEqual(
        partial.json.partitions.map((p: { partition_values: string[] }) => p.partition_values.join('/')),
        ['2024-01-02/10', '2024-01-02/9'],
      );
      // The reference's priority: a filter decides alone; partition_values apply only without one.
      const ranked = await server.request('GET', parts(), {
        token,
        query: { filter: 'hr = 7', partition_values: ['2024-01-02'] },
      });
      assert.equal(ranked.status, 200, ranked.text);
      assert.deepEqual(
        ranked.json.partitions.map((p: { partition_values: string[] }) => p.partition_values.join('/')),
        ['2024-01-01/7'],
      );
      const partialAny = await server.request('GET', parts(), { token, query: { partition_values: ['', '0'] } });
      assert.deepEqual(
        partialAny.json.partitions.map((p: { partition_values: string[] }) => p.partition_values.join('/')),
        ['2024-01-01/0'],
      );
    });

    test('names and partitions page by marker in both directions', async () => {
      const all = (await server.request('GET', `${parts()}/names`, { token, query: { limit: -1 } })).json as string[];
      assert.equal(all.length, 5);
      const seen: string[] = [];
      const markers: string[] = [];
      let marker: string | undefined;
      do {
        const r = await server.request('GET', `${parts()}/partition-names`, { token, query: { limit: 2, marker } });
        assert.equal(r.status, 200, r.text);
        seen.push(...names(r));
        if (marker) assert.ok(r.json.page_info.previous_marker, 'a later page has a previous marker');
        else assert.equal(r.json.page_info.previous_marker, undefined);
        marker = r.json.page_info.next_marker;
        if (marker) markers.push(marker);
      } while (marker);
      assert.deepEqual(seen, all);
      const back = await server.request('GET', `${parts()}/partition-names`, {
        token,
        query: { limit: 2, marker: markers[1], reverse_page: true },
      });
      assert.deepEqual(names(back), all.slice(1, 3));
      const full = await server.request('GET', parts(), { token, query: { limit: 3 } });
      assert.equal(full.json.partitions.length, 3);
      const next = await server.request('GET', parts(), {
        token,
        query: { limit: 3, marker: full.json.page_info.next_marker },
      });
      assert.deepEqual(
        next.json.partitions.map((p: { partition_values: string[] }) => p.partition_values.join('/')),
        ['2024-01-02/9', '2024-03-01/1'],
      );
      assert.equal(next.json.page_info.next_marker, undefined);
      assert.deepEqual(
        (await server.request('GET', `${parts()}/names`, { token, query: { limit: 2 } })).json,
        all.slice(0, 2),
      );
      assert.equal(
        (await server.request('GET', `${parts()}/partition-names`, { token, query: { marker: 'zzz' } })).status,
        400,
      );
      assert.equal(
        (await server.request('GET', `${parts()}/partition-names`, { token, query: { limit: 2001 } })).status,
        400,
      );
    });

    test('BatchUpdatePartition replaces definitions and renames; missing partitions fail the whole batch', async () => {
      const r = await server.request('POST', `${parts()}/batch-alter`, {
        token,
        body: {
          partition_inputs: [
            {
              partition_values: ['2024-01-01', '7'],
              partition: part(['2024-01-01', '7'], { parameters: { altered: 'yes' } }),
            },
            { partition_values: ['2024-03-01', '1'], partition: part(['2024-03-01', '2']) },
          ],
        },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json[0].parameters, { altered: 'yes' });
      const got = await server.request('POST', `${parts()}/batch-get`, {
        token,
        body: {
          values: [
            ['2024-01-01', '7'],
            ['2024-03-01', '2'],
            ['2024-03-01', '1'],
          ],
        },
      });
      assert.deepEqual(
        got.json.map((p: { partition_values: string[]; parameters: Record<string, string> }) => [
          p.partition_values.join('/'),
          p.parameters,
        ]),
        [
          ['2024-01-01/7', { altered: 'yes' }],
          ['2024-03-01/2', { src: 't' }],
        ],
      );
      assert.deepEqual(
        await (async () =>
          names(await server.request('GET', `${parts()}/partition-names`, { token, query: { filter: 'hr = 2' } })))(),
        ['dt=2024-03-01/hr=2'],
        'a renamed partition is found by its new values',
      );
      const missing = await server.request('POST', `${parts()}/batch-alter`, {
        token,
        body: {
          partition_inputs: [
            { partition_values: ['2024-01-01', '0'], partition: part(['2024-01-01', '0'], { parameters: { x: 'y' } }) },
            { partition_values: ['2031-01-01', '0'], partition: part(['2031-01-01', '0']) },
          ],
        },
      });
      assert.equal(missing.status, 404, missing.text);
      assert.match(missing.json.error_msg, /2031-01-01/);
      const untouched = await server.request('POST', `${parts()}/batch-get`, {
        token,
        body: { values: [['2024-01-01', '0']] },
      });
      assert.deepEqual(untouched.json[0].parameters, { src: 't' });
      const clash = await server.request('POST', `${parts()}/batch-alter`, {
        token,
        body: { partition_inputs: [{ partition_values: ['2024-03-01', '2'], partition: part(['2024-01-01', '0']) }] },
      });
      assert.equal(clash.status, 409, clash.text);
    });

    test(
      'drop and truncate: all or none, if_exist skips, delete_data ' + "removes a managed table's partition files",
      async () => {
        const dir = path.join(
          server.dataDir,
          'warehouse',
          'lakeform',
          'pc',
          'sales.db',
          'events',
          'dt=2024-01-01',
          'hr=0',
        );
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'part-0'), 'x');
        const trunc = await server.request('POST', `${parts()}/batch-truncate`, {
          token,
          body: { partition_values: [['2024-01-01', '0']] },
        });
        assert.equal(trunc.status, 204, trunc.text);
        assert.ok(!fs.existsSync(path.join(dir, 'part-0')));
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'part-1'), 'x');
        const missing = await server.request('POST', `${parts()}/batch-drop`, {
          token,
          body: {
            partition_values: [
              ['2024-01-01', '0'],
              ['2031-01-01', '0'],
            ],
          },
        });
        assert.equal(missing.status, 404, missing.text);
        assert.equal(
          (await server.request('POST', `${parts()}/batch-get`, { token, body: { values: [['2024-01-01', '0']] } }))
            .json.length,
          1,
          'nothing was dropped',
        );
        const r = await server.request('POST', `${parts()}/batch-drop`, {
          token,
          body: {
            partition_values: [
              ['2024-01-01', '0'],
              ['2031-01-01', '0'],
            ],
            if_exist: true,
            delete_data: true,
          },
        });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(
          r.json.map((p: { partition_values: string[] }) => p.partition_values),
          [['2024-01-01', '0']],
        );
        assert.ok(!fs.existsSync(path.join(dir, 'part-1')), 'the partition files went with it');
        assert.equal(
          (await server.request('POST', `${parts('prop')}/batch-truncate`, { token, body: { partition_values: [] } }))
            .status,
          400,
          'an external table is not truncated',
        );
      },
    );

    test('every change is a metadata event; CountMetaObj counts partitions from the store', async () => {
      const ev = await server.request('GET', `/v1/${project}/instances/${instance}/metadata-event`, {
        token,
        query: { limit: 1000 },
      });
      assert.equal(ev.status, 200, ev.text);
      const types = ev.json.metadata_events.map((e: { metadata_action_type: string }) => e.metadata_action_type);
      for (const type of ['CREATE_PARTITION', 'ALTER_PARTITION', 'DROP_PARTITION', 'TRUNCATE_PARTITION'])
        assert.ok(types.includes(type), type);
      const created = ev.json.metadata_events.find(
        (e: { metadata_action_type: string }) => e.metadata_action_type === 'CREATE_PARTITION',
      );
      assert.deepEqual(created.metadata_object.partition_values, ['2024-01-01', '0']);
      const count = await server.request('POST', `/v1/${project}/instances/${instance}/metaobj/count`, { token });
      assert.equal(count.json.partitions_count, 4);
    });

    test("a user who is not the table's owner cannot see or change its partitions", async () => {
      assert.equal(
        (
          await server.request('POST', '/v3/users', {
            token,
            body: { user: { name: 'pview', password: 'Pview-pass-1' } },
          })
        ).status,
        201,
      );
      const viewer = await server.login('pview', 'Pview-pass-1');
      const r = await server.request('GET', `${parts()}/partition-names`, { token: viewer.token });
      assert.equal(r.status, 404, r.text);
      assert.equal(
        (
          await server.request('POST', `${parts()}/batch-drop`, {
            token: viewer.token,
            body: { partition_values: [['2024-01-01', '7']] },
          })
        ).status,
        404,
      );
      assert.equal((await server.request('GET', `${parts()}/names`, { token })).json.length, 4);
    });

    test('property: filters compiled to SQL select exactly what a reference evaluator selects', async () => {
      const seed = Number(process.env.LAKEFORM_TEST_SEED ?? 20261129);
      const rand = prng(seed);
      const rows = new Map<string, Row>();
      while (rows.size < 300) {
        const row: Row = {
          region: REGIONS[Math.floor(rand() * REGIONS.length)] as string,
          hr: rand() < 0.08 ? null : Math.floor(rand() * 24),
          dt: rand() < 0.08 ? null : day(Math.floor(rand() * 91)),
        };
        rows.set(`${row.region}|${row.hr}|${row.dt}`, row);
      }
      const all = [...rows.values()];
      const add = await server.request('POST', `${parts('prop')}/batch-create`, {
        token,
        body: {
          if_not_exist: false,
          partitions: all.map((r) => part([r.region, r.hr === null ? DEFAULT : String(r.hr), r.dt ?? DEFAULT])),
        },
      });
      assert.equal(add.status, 201, add.text);
      const nameOf = (r: Row) => `region=${r.region}/hr=${r.hr ?? DEFAULT}/dt=${r.dt ?? DEFAULT}`;
      for (let i = 0; i < 80; i++) {
        const node = randomFilter(rand);
        const filter = render(node);
        if (filter.length > 256) continue;
        const want = all
          .filter((r) => evaluate(node, r) === true)
          .map(nameOf)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const r = await server.request('GET', `${parts('prop')}/partition-names`, {
          token,
          query: { filter, limit: 2000 },
        });
        assert.equal(r.status, 200, `seed ${seed}, filter ${filter}: ${r.text}`);
        assert.deepEqual(names(r), want, `seed ${seed}, filter ${filter}`);
      }
    });

    test(
      'a caller-supplied create_time is kept by CreateTable, ' + 'CreateFunction and AddPartitions; a bad one is a 400',
      async () => {
        const when = '2019-03-04T05:06:07.000Z';
        const tbl = {
          table_name: 'dated',
          table_type: 'MANAGED_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: COLUMNS },
          partition_keys: [{ column_name: 'dt', column_type: 'string' }],
        };
        const created = await server.request('POST', `${db()}/tables`, {
          token,
          body: { ...tbl, create_time: '2019-03-04T05:06:07Z' },
        });
        assert.equal(created.status, 201, created.text);
        assert.equal((await server.request('GET', t('dated'), { token })).json.create_time, when);
        const added = await server.request('POST', `${parts('dated')}/batch-create`, {
          token,
          body: {
            if_not_exist: false,
            partitions: [{ ...part(['2019-03-04']), create_time: when }, part(['2024-01-01'])],
          },
        });
        assert.equal(added.status, 201, added.text);
        const listed = (await server.request('GET', parts('dated'), { token })).json.partitions as {
          partition_values: string[];
          create_time: string;
        }[];
        assert.equal(listed.find((x) => x.partition_values[0] === '2019-03-04')?.create_time, when);
        assert.notEqual(
          listed.find((x) => x.partition_values[0] === '2024-01-01')?.create_time,
          when,
          'without one, the time of the add',
        );
        const fn = {
          function_name: 'dated_fn',
          class_name: 'com.example.Dated',
          function_type: 'JAVA',
          owner_type: 'USER',
          create_time: when,
        };
        const f = await server.request('POST', `${db()}/functions`, { token, body: fn });
        assert.equal(f.status, 201, f.text);
        assert.equal((await server.request('GET', `${db()}/functions/dated_fn`, { token })).json.create_time, when);
        for (const bad of ['yesterday', '2999-01-01T00:00:00Z']) {
          const r = await server.request('POST', `${db()}/tables`, {
            token,
            body: { ...tbl, table_name: 'bad_time', create_time: bad },
          });
          assert.equal(r.status, 400, r.text);
          assert.match(r.json.error_msg, /create_time/);
          const fr = await server.request('POST', `${db()}/functions`, {
            token,
            body: { ...fn, function_name: 'bad_time', create_time: bad },
          });
          assert.equal(fr.status, 400, fr.text);
          const pr = await server.request('POST', `${parts('dated')}/batch-create`, {
            token,
            body: { if_not_exist: false, partitions: [{ ...part(['2020-01-01']), create_time: bad }] },
          });
          assert.equal(pr.status, 400, pr.text);
        }
      },
    );

    test('listings read back values and parameters holding control characters and any Unicode', async () => {
      const created = await server.request('POST', `${db()}/tables`, {
        token,
        body: {
          table_name: 'odd',
          table_type: 'EXTERNAL_TABLE',
          owner_type: 'USER',
          storage_descriptor: { columns: COLUMNS },
          partition_keys: [{ column_name: 'k', column_type: 'string' }],
        },
      });
      assert.equal(created.status, 201, created.text);
      const odd = ['a\u0001b', '\u0001', 'é✓😀\u0001', 'x\ty\nz', '\u0001\u0001'];
      const added = await server.request('POST', `${parts('odd')}/batch-create`, {
        token,
        body: {
          if_not_exist: false,
          partitions: odd.map((v) => part([v], { parameters: { note: `${v}\u0001${v}` } })),
        },
      });
      assert.equal(added.status, 201, added.text);
      assert.equal(added.json.length, odd.length);
      // What the add answered (not read through a listing), by value.
      type Part = { partition_values: string[]; parameters: { note: string } };
      const asAdded = new Map((added.json as Part[]).map((p) => [p.partition_values[0], p]));
      const listed = await server.request('GET', parts('odd'), { token, query: { limit: 100 } });
      assert.equal(listed.json.partitions.length, odd.length);
      for (const p of listed.json.partitions as Part[]) assert.deepEqual(p, asAdded.get(p.partition_values[0]));
      const filtered = await server.request('GET', parts('odd'), {
        token,
        query: { limit: 100, filter: "k LIKE '%b%' OR k LIKE 'é%'" },
      });
      assert.deepEqual((filtered.json.partitions as Part[]).map((p) => p.partition_values[0]).sort(), [
        'a\u0001b',
        'é✓😀\u0001',
      ]);
      for (const p of filtered.json.partitions as Part[]) assert.deepEqual(p, asAdded.get(p.partition_values[0]));
      for (const p of listed.json.partitions as Part[])
        assert.equal(p.parameters.note, `${p.partition_values[0]}\u0001${p.partition_values[0]}`);
    });
  });
}

describe('partition listings written as bytes', () => {
  test('RawJson.concat is the joined text in UTF-8, however many bytes its pieces take', () => {
    const items = [
      ...Array.from({ length: 300 }, (_, i) => JSON.stringify({ i, v: 'x'.repeat(i) })),
      // Multi-byte pieces last, where the ASCII-sized buffer has no room left for them.
      ...Array.from({ length: 50 }, (_, i) => JSON.stringify({ i, v: 'ü€😀'.repeat(200 + i) })),
    ];
    const raw = RawJson.concat('{"partitions":[', items, '],"page_info":{}}');
    const text = `{"partitions":[${items.join(',')}],"page_info":{}}`;
    assert.ok(Buffer.isBuffer(raw.body));
    assert.ok((raw.body as Buffer).equals(Buffer.from(text, 'utf8')));
    assert.equal(raw.text, text);
    assert.equal(raw.count, items.length);
    assert.equal(RawJson.array([]).text, '[]');
    assert.deepEqual(JSON.parse(RawJson.array(['1', '"ä"']).text), [1, 'ä']);
  });
});
