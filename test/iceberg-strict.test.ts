// Strict Iceberg metadata: every update of a commit, create and register that would make metadata
// an engine cannot load is refused (400 BadRequestException naming the problem, 409 for a failed
// requirement) with the table and its folder unchanged (same listing, sizes and mtimes); and a
// property-based test: generated commits, valid or with one invalid update among valid ones,
// either write metadata the independent judges accept (the REST spec's JSON Schema, the table
// spec's rules, icebird) or are refused with nothing written.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { icebergMetadata } from 'icebird';
import { ajv, specViolations, validSchema } from './helpers/iceberg-spec.js';
import {
  backends,
  createIcebergCatalog,
  createRunningInstance,
  startServer,
  type TestServer,
  warehouseFile,
} from './helpers/server.js';

type Json = Record<string, any>;

/** Base table: one field of each family the transforms care about. */
const BASE_FIELDS = [
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'name', required: false, type: 'string' },
  { id: 3, name: 'ts', required: false, type: 'timestamptz' },
  { id: 4, name: 'd', required: false, type: 'date' },
  { id: 5, name: 'amount', required: false, type: 'decimal(10,2)' },
  { id: 6, name: 'blob', required: false, type: 'binary' },
];
const LAST_COLUMN = 6;
/** Transforms each base field accepts (the table spec's transform table). */
const ACCEPTED: Record<number, string[]> = {
  1: ['identity', 'bucket[16]', 'truncate[10]', 'void'],
  2: ['identity', 'bucket[4]', 'truncate[3]', 'void'],
  3: ['identity', 'bucket[8]', 'year', 'month', 'day', 'hour', 'void'],
  4: ['identity', 'bucket[2]', 'year', 'month', 'day', 'void'],
  5: ['identity', 'bucket[32]', 'truncate[100]', 'void'],
  6: ['identity', 'bucket[1]', 'truncate[8]', 'void'],
};
/** Transforms that exist but do not accept the field, or are malformed. */
const REFUSED: Record<number, string[]> = {
  1: ['day', 'hour', 'month', 'year', 'bucket[0]', 'truncate[0]'],
  2: ['day', 'year', 'bucket[abc]', 'zorder'],
  3: ['truncate[4]', 'bucket[-1]'],
  4: ['hour', 'truncate[2]'],
  5: ['day', 'hour'],
  6: ['month', 'hour', 'bucket[2147483648]'],
};

/** Type trees without ids; ids are numbered when a schema is built. */
type Shape =
  | string
  | { struct: [string, boolean, Shape][] }
  | { list: Shape; req: boolean }
  | { map: [string, Shape]; req: boolean };
const primitive = fc.oneof(
  fc.constantFrom(
    'boolean',
    'int',
    'long',
    'float',
    'double',
    'date',
    'time',
    'timestamp',
    'timestamptz',
    'string',
    'uuid',
    'binary',
  ),
  fc.integer({ min: 1, max: 38 }).chain((p) => fc.integer({ min: 0, max: p }).map((s) => `decimal(${p},${s})`)),
  fc.integer({ min: 1, max: 64 }).map((l) => `fixed[${l}]`),
);
const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    primitive,
    fc.record({ list: tie('shape'), req: fc.boolean() }),
    fc.record({ map: fc.tuple(primitive, tie('shape')), req: fc.boolean() }),
    fc.record({
      struct: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.boolean(), tie('shape')), {
        minLength: 1,
        maxLength: 3,
        selector: (f) => f[0],
      }),
    }),
  ),
}));

/** The Iceberg type of a shape, with ids from `next`. */
function typeOf(s: Shape, next: () => number): unknown {
  if (typeof s === 'string') return s;
  if ('list' in s) {
    const id = next();
    return { type: 'list', 'element-id': id, element: typeOf(s.list, next), 'element-required': s.req };
  }
  if ('map' in s) {
    const [k, v] = [next(), next()];
    return {
      type: 'map',
      'key-id': k,
      key: s.map[0],
      'value-id': v,
      value: typeOf(s.map[1], next),
      'value-required': s.req,
    };
  }
  const ids = s.struct.map(() => next());
  return {
    type: 'struct',
    fields: s.struct.map(([name, req, t], i) => ({ id: ids[i], name, required: req, type: typeOf(t, next) })),
  };
}

/** A commit's plan: the valid updates to make, and at most one invalid update among them. */
interface Plan {
  columns: [string, boolean, Shape][];
  giveLastColumnId: boolean;
  properties: Record<string, string>;
  spec: [number, number][];
  order: [number, number, boolean, boolean][];
  snapshot: boolean;
  ref: [string, 'branch' | 'tag'] | null;
  statistics: boolean;
  invalid: null | { kind: number; pick: number; at: number };
}
const plan: fc.Arbitrary<Plan> = fc.record({
  columns: fc.uniqueArray(fc.tuple(fc.stringMatching(/^c[a-z]{1,5}$/), fc.boolean(), shape), {
    maxLength: 3,
    selector: (c) => c[0],
  }),
  giveLastColumnId: fc.boolean(),
  properties: fc.dictionary(fc.stringMatching(/^[a-z.]{1,10}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  spec: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.nat()), { maxLength: 3, selector: (f) => f[0] }),
  order: fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.boolean(), fc.boolean()), { maxLength: 2 }),
  snapshot: fc.boolean(),
  ref: fc.option(fc.tuple(fc.constantFrom('main', 'audit', 'v1'), fc.constantFrom<'branch' | 'tag'>('branch', 'tag'))),
  statistics: fc.boolean(),
  invalid: fc.option(fc.record({ kind: fc.nat({ max: INVALID_KINDS() - 1 }), pick: fc.nat(), at: fc.nat() })),
});

function INVALID_KINDS() {
  return 15;
}

/** One invalid update of kind `kind`, for a base table at `location`; with what the refusal must name. */
function invalidUpdate(kind: number, pick: number, location: string): { update: Json; names: RegExp } {
  const schema = (fields: unknown[], extra: Json = {}) => ({
    action: 'add-schema',
    schema: { type: 'struct', fields: [...BASE_FIELDS, ...fields], ...extra },
  });
  const field = (type: unknown, extra: Json = {}) => ({ id: 50, name: 'x', required: false, type, ...extra });
  const snap = (extra: Json = {}) => ({
    'snapshot-id': 777,
    'sequence-number': 1,
    'timestamp-ms': 1,
    'manifest-list': `${location}/metadata/snap-777.avro`,
    summary: { operation: 'append' },
    ...extra,
  });
  const choose = <T>(xs: T[]): T => xs[pick % xs.length] as T;
  switch (kind) {
    case 0: {
      const [type, names] = choose<[string, RegExp]>([
        ['decimal(39,1)', /precision/],
        ['decimal(5,6)', /scale/],
        ['fixed[0]', /fixed length/],
        ['varchar', /unknown Iceberg type/],
        ['timestamp_ns', /format version 3/],
        ['decimal(0,0)', /precision/],
      ]);
      return { update: schema([field(type)]), names };
    }
    case 1:
      return choose([
        {
          update: schema([field({ type: 'list', 'element-id': 51, 'element-required': false })]),
          names: /list needs an element/,
        },
        {
          update: schema([field({ type: 'map', 'key-id': 51, key: 'string', value: 'int', 'value-required': false })]),
          names: /field id/,
        },
        { update: schema([field({ type: 'struct' })]), names: /struct needs fields/ },
        { update: schema([field({ type: 'list', 'element-id': 51, element: 'int' })]), names: /element-required/ },
      ]);
    case 2: // an id used twice, at the top or nested
      return choose([
        { update: schema([field('int', { id: 3 })]), names: /field id 3/ },
        {
          update: schema([field({ type: 'list', 'element-id': 50, element: 'int', 'element-required': true })]),
          names: /field id 50/,
        },
      ]);
    case 3:
      return { update: { ...schema([]), 'last-column-id': 2 }, names: /last-column-id/ };
    case 4:
      return { update: schema([field('int')], { 'identifier-field-ids': [50] }), names: /must be required/ };
    case 5:
      return { update: schema([field('int', { 'initial-default': 1 })]), names: /format version 3/ };
    case 6: {
      const source = (pick % 6) + 1;
      const transform = choose(REFUSED[source] as string[]);
      return {
        update: { action: 'add-spec', spec: { fields: [{ name: 'bad_p', transform, 'source-id': source }] } },
        names: /transform|accept|needs|width/,
      };
    }
    case 7:
      return {
        update: { action: 'add-spec', spec: { fields: [{ name: 'bad_p', transform: 'identity', 'source-id': 99 }] } },
        names: /source-id 99/,
      };
    case 8:
      return choose([
        {
          update: {
            action: 'add-sort-order',
            'sort-order': {
              fields: [{ 'source-id': 98, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }],
            },
          },
          names: /source-id 98/,
        },
        {
          update: {
            action: 'add-sort-order',
            'sort-order': {
              fields: [{ 'source-id': 1, transform: 'day', direction: 'asc', 'null-order': 'nulls-first' }],
            },
          },
          names: /day/,
        },
        {
          update: {
            action: 'add-sort-order',
            'sort-order': {
              fields: [{ 'source-id': 1, transform: 'identity', direction: 'up', 'null-order': 'nulls-first' }],
            },
          },
          names: /direction/,
        },
      ]);
    case 9:
      return {
        update: { action: 'set-properties', updates: { good: 'yes', b: choose<unknown>([1, true, null, { x: '1' }]) } },
        names: /b|updates|propert/,
      };
    case 10:
      return {
        update: { action: 'set-snapshot-ref', 'ref-name': 'ghost', type: 'branch', 'snapshot-id': 424242 },
        names: /424242/,
      };
    case 11:
      return choose([
        {
          update: { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'leaf', 'snapshot-id': 1 },
          names: /type|branch/,
        },
        {
          update: {
            action: 'set-snapshot-ref',
            'ref-name': 'old',
            type: 'tag',
            'snapshot-id': 1,
            'max-ref-age-ms': -5,
          },
          names: /max-ref-age-ms/,
        },
      ]);
    case 12:
      return {
        update: {
          action: 'set-statistics',
          'snapshot-id': 31337,
          statistics: {
            'snapshot-id': 31337,
            'statistics-path': `${location}/metadata/stats.puffin`,
            'file-size-in-bytes': 10,
            'file-footer-size-in-bytes': 4,
            'blob-metadata': [],
          },
        },
        names: /31337/,
      };
    case 13:
      return {
        update: { action: 'add-snapshot', snapshot: snap({ 'snapshot-id': 778, 'schema-id': 42 }) },
        names: /schema 42/,
      };
    default:
      return { update: schema([field('int', { required: 'yes' })]), names: /required/ };
  }
}

/** The valid updates of a plan, in an order that makes them valid (snapshot before its ref and statistics). */
function validUpdates(p: Plan, location: string): Json[] {
  const out: Json[] = [];
  if (p.columns.length) {
    let next = LAST_COLUMN;
    const fields = p.columns.map(([name, req, s]) => ({
      id: ++next,
      name,
      required: false,
      type: null as unknown,
      _req: req,
      _s: s,
    }));
    for (const f of fields) f.type = typeOf(f._s, () => ++next);
    const clean = fields.map(({ _req, _s, ...f }) => f);
    out.push({
      action: 'add-schema',
      schema: { type: 'struct', fields: [...BASE_FIELDS, ...clean] },
      ...(p.giveLastColumnId ? { 'last-column-id': next } : {}),
    });
  }
  if (Object.keys(p.properties).length) out.push({ action: 'set-properties', updates: p.properties });
  if (p.spec.length) {
    out.push({
      action: 'add-spec',
      spec: {
        fields: p.spec.map(([source, i], n) => ({
          name: `p${n}`,
          transform: (ACCEPTED[source] as string[])[i % (ACCEPTED[source] as string[]).length],
          'source-id': source,
        })),
      },
    });
    out.push({ action: 'set-default-spec', 'spec-id': -1 });
  }
  if (p.order.length) {
    out.push({
      action: 'add-sort-order',
      'sort-order': {
        fields: p.order.map(([source, i, asc, first]) => ({
          'source-id': source,
          transform: (ACCEPTED[source] as string[])[i % (ACCEPTED[source] as string[]).length],
          direction: asc ? 'asc' : 'desc',
          'null-order': first ? 'nulls-first' : 'nulls-last',
        })),
      },
    });
    out.push({ action: 'set-default-sort-order', 'sort-order-id': -1 });
  }
  if (p.snapshot) {
    out.push({
      action: 'add-snapshot',
      snapshot: {
        'snapshot-id': 1,
        'sequence-number': 1,
        'timestamp-ms': Date.now(),
        'manifest-list': `${location}/metadata/snap-1.avro`,
        summary: { operation: 'append' },
        'schema-id': 0,
      },
    });
    // main is always a branch; other names may be tags.
    if (p.ref)
      out.push({
        action: 'set-snapshot-ref',
        'ref-name': p.ref[0],
        type: p.ref[0] === 'main' ? 'branch' : p.ref[1],
        'snapshot-id': 1,
        ...(p.ref[1] === 'branch' ? { 'min-snapshots-to-keep': 1 } : { 'max-ref-age-ms': 0 }),
      });
    if (p.statistics)
      out.push({
        action: 'set-statistics',
        'snapshot-id': 1,
        statistics: {
          'snapshot-id': 1,
          'statistics-path': `${location}/metadata/stats-1.puffin`,
          'file-size-in-bytes': 100,
          'file-footer-size-in-bytes': 20,
          'blob-metadata': [
            { type: 'apache-datasketches-theta-v1', 'snapshot-id': 1, 'sequence-number': 1, fields: [1] },
          ],
        },
      });
  }
  return out;
}

for (const backend of await backends()) {
  describe(`iceberg strict metadata (${backend.name})`, () => {
    let server: TestServer;
    let token: string;
    let prefix: string;
    let realFetch: typeof fetch;
    let tableNo = 0;
    const ice = (method: string, p: string, body?: unknown) =>
      server.request(method, `/iceberg/v1${p}`, { headers: { Authorization: `Bearer ${token}` }, body });
    const tablesPath = () => `/${prefix}/namespaces/lab/tables`;
    const fileOf = (location: string) => warehouseFile(server.dataDir, location);

    /** Every file under a folder with its size and mtime: what "unchanged" means for a table's folder. */
    const listing = (dir: string): string[] => {
      if (!fs.existsSync(dir)) return [];
      return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((f) => {
        const st = fs.statSync(path.join(dir, f));
        return `${f} ${st.size} ${st.mtimeMs}`;
      });
    };

    before(async () => {
      server = await startServer(backend, { env: { LAKEFORM_QPS_PER_STRIDE: '10000' } });
      let project: string;
      ({ token, projectId: project } = await server.login());
      const instance = await createRunningInstance(server, token, project, 'ice_strict');
      prefix = await createIcebergCatalog(server, token, project, instance);
      assert.equal((await ice('POST', `/${prefix}/namespaces`, { namespace: ['lab'] })).status, 200);
      realFetch = globalThis.fetch;
      globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        if (!url.startsWith('obs://') && !url.startsWith('file://')) return realFetch(input, init);
        try {
          return new Response(fs.readFileSync(fileOf(url)), { status: 200 });
        } catch {
          return new Response('not found', { status: 404 });
        }
      }) as typeof fetch;
    });
    after(async () => {
      if (realFetch) globalThis.fetch = realFetch;
      await server?.stop();
    });

    const create = async (extra: Json = {}) => {
      const name = `t${++tableNo}`;
      const r = await ice('POST', tablesPath(), { name, schema: { type: 'struct', fields: BASE_FIELDS }, ...extra });
      assert.equal(r.status, 200, r.text);
      return {
        name,
        location: r.json.metadata.location as string,
        metadataLocation: r.json['metadata-location'] as string,
      };
    };

    /** Posts a commit that must be refused; checks the status, the type, the message and that nothing changed. */
    async function refused(t: { name: string; location: string }, body: Json, status: number, names: RegExp) {
      const folder = fileOf(t.location);
      const before = listing(folder);
      const loaded = (await ice('GET', `${tablesPath()}/${t.name}`)).json['metadata-location'];
      const r = await ice('POST', `${tablesPath()}/${t.name}`, body);
      const what = JSON.stringify(body).slice(0, 300);
      assert.equal(r.status, status, `${what} → ${r.status} ${r.text}`);
      assert.equal(r.json.error.type, status === 409 ? 'CommitFailedException' : 'BadRequestException', r.text);
      assert.match(r.json.error.message, names, `${what}: the message names the problem`);
      assert.deepEqual(listing(folder), before, `${what}: the table's folder is unchanged`);
      assert.equal(
        (await ice('GET', `${tablesPath()}/${t.name}`)).json['metadata-location'],
        loaded,
        `${what}: the table is unchanged`,
      );
      return r;
    }

    /** The file an answer names, judged by the JSON Schema, the spec's rules and icebird. */
    async function judge(answer: Json, what: string) {
      const onDisk = JSON.parse(fs.readFileSync(fileOf(answer['metadata-location']), 'utf8')) as Json;
      assert.ok(
        validSchema(onDisk),
        `${what}: not a TableMetadata of the REST spec: ${ajv.errorsText(validSchema.errors)}`,
      );
      assert.deepEqual(specViolations(onDisk), [], `${what}: breaks the table spec`);
      const read = await icebergMetadata({
        tableUrl: onDisk.location,
        metadataFileName: path.basename(answer['metadata-location']),
      });
      assert.deepEqual(read, onDisk, `${what}: icebird reads the same metadata`);
    }

    test('every kind of invalid update is refused by name, with the table and its folder unchanged', async () => {
      const t = await create();
      for (let kind = 0; kind < INVALID_KINDS(); kind++) {
        for (let pick = 0; pick < 6; pick++) {
          const { update, names } = invalidUpdate(kind, pick, t.location);
          await refused(t, { requirements: [], updates: [update] }, 400, names);
        }
      }
      // The two examples, exactly.
      await refused(
        t,
        {
          requirements: [],
          updates: [
            {
              action: 'add-schema',
              schema: {
                type: 'struct',
                fields: [
                  ...BASE_FIELDS,
                  {
                    id: 7,
                    name: 'l',
                    required: false,
                    type: { type: 'list', 'element-id': 8, 'element-required': false },
                  },
                ],
              },
            },
          ],
        },
        400,
        /list needs an element/,
      );
      await refused(
        t,
        { requirements: [], updates: [{ action: 'set-properties', updates: { b: 1 } }] },
        400,
        /b|updates/,
      );
      // A failed requirement is a conflict, 409, with nothing written either.
      await refused(
        t,
        {
          requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 9 }],
          updates: [{ action: 'set-properties', updates: { a: 'b' } }],
        },
        409,
        /current schema id/,
      );
      // An invalid update after valid ones refuses the whole commit.
      await refused(
        t,
        {
          requirements: [],
          updates: [{ action: 'set-properties', updates: { a: 'b' } }, invalidUpdate(6, 0, t.location).update],
        },
        400,
        /day/,
      );
    });

    test('a create or register of invalid metadata is refused and writes nothing', async () => {
      for (const [schema, names] of [
        [{ type: 'struct', fields: [{ id: 1, name: 'a', required: false, type: 'decimal(40,2)' }] }, /precision/],
        [{ type: 'struct', fields: [{ id: 1, name: 'a', required: false, type: 'fixed[0]' }] }, /fixed length/],
      ] as const) {
        const r = await ice('POST', tablesPath(), { name: 'never', schema });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error.message, names);
      }
      const dayOnLong = await ice('POST', tablesPath(), {
        name: 'never',
        schema: { type: 'struct', fields: BASE_FIELDS },
        'partition-spec': { fields: [{ name: 'p', transform: 'day', 'source-id': 1 }] },
      });
      assert.equal(dayOnLong.status, 400, dayOnLong.text);
      assert.match(dayOnLong.json.error.message, /day needs a date or timestamp/);
      assert.equal((await ice('GET', `${tablesPath()}/never`)).status, 404);

      // A metadata file another writer left behind, broken in one way each: register refuses it.
      const t = await create();
      const good = JSON.parse(fs.readFileSync(fileOf(t.metadataLocation), 'utf8')) as Json;
      for (const [i, [broken, names]] of (
        [
          [{ ...good, properties: { a: 1 } }, /property a/],
          [{ ...good, refs: { main: { type: 'branch', 'snapshot-id': 5 } } }, /snapshot 5/],
          [{ ...good, 'last-column-id': 2 }, /last-column-id/],
        ] as const
      ).entries()) {
        const location = `${t.location}/metadata/broken-${i}.metadata.json`;
        fs.writeFileSync(fileOf(location), JSON.stringify(broken));
        const r = await ice('POST', `/${prefix}/namespaces/lab/register`, {
          name: `reg${i}`,
          'metadata-location': location,
        });
        assert.equal(r.status, 400, r.text);
        assert.match(r.json.error.message, names);
        assert.equal((await ice('GET', `${tablesPath()}/reg${i}`)).status, 404);
      }
    });

    test(
      'property: generated commits write metadata the independent ' +
        'judges accept, or are refused with nothing written',
      async () => {
        let [written, refusals] = [0, 0];
        await fc.assert(
          fc.asyncProperty(plan, async (p) => {
            const t = await create();
            const updates = validUpdates(p, t.location);
            if (p.invalid) {
              const { update, names } = invalidUpdate(p.invalid.kind, p.invalid.pick, t.location);
              updates.splice(p.invalid.at % (updates.length + 1), 0, update);
              await refused(t, { requirements: [], updates }, 400, names);
              refusals++;
              return;
            }
            const r = await ice('POST', `${tablesPath()}/${t.name}`, { requirements: [], updates });
            assert.equal(r.status, 200, `${JSON.stringify(updates).slice(0, 600)} → ${r.text}`);
            await judge(r.json, JSON.stringify(updates).slice(0, 300));
            written++;
          }),
          // Bounded: each run creates a table and commits once; the seed is printed on failure.
          { numRuns: Number(process.env.LAKEFORM_TEST_PROPERTY_RUNS ?? 40), endOnFailure: true },
        );
        assert.ok(written > 0 && refusals > 0, `both kinds were tried (${written} written, ${refusals} refused)`);
      },
    );
  });
}
