// The metastore endpoint's pure parts: names, the location rule, the method table against the IDL
// and the generated code, and the reply writer against the runtime's.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readArgs, readable } from '../src/metastore/args.js';
import { partitionPlain } from '../src/metastore/convert.js';
import { EncodedPartitions, EncodedStrings } from '../src/metastore/encode.js';
import { readMethods } from '../src/metastore/idl-info.js';
import { MalformedMessage, messageLength } from '../src/metastore/message-scan.js';
import { METHODS } from '../src/metastore/methods.js';
import { namePattern, parseDbName, partitionSpecOf, partitionValuesOf } from '../src/metastore/names.js';
import { tjson } from '../src/metastore/notifications.js';
import { type HmsTypes as H, T, ThriftHiveMetastoreClient, thrift } from '../src/metastore/runtime.js';
import { BinaryWriter } from '../src/metastore/writer.js';
import { LocationMap } from '../src/services/engine-locations.js';
import { ROOT } from './helpers/server.js';

describe('metastore names', () => {
  test('@cat#db in legacy arguments', () => {
    assert.deepEqual(parseDbName('sales'), { catalog: 'hive', database: 'sales' });
    assert.deepEqual(parseDbName('@hive#sales'), { catalog: 'hive', database: 'sales' });
    assert.deepEqual(parseDbName('@other#sa*'), { catalog: 'other', database: 'sa*' });
    assert.deepEqual(parseDbName('@other#!'), { catalog: 'other', database: '' });
    assert.deepEqual(parseDbName('@other'), { catalog: 'other', database: '' });
    assert.deepEqual(parseDbName('x', 'cat2'), { catalog: 'cat2', database: 'x' });
  });
  test('patterns: Hive wildcards kept, regex "anything" mapped', () => {
    assert.equal(namePattern('.*'), undefined);
    assert.equal(namePattern('*'), undefined);
    assert.equal(namePattern('sales_.*|hr'), 'sales_*|hr');
  });
  test('partition names unescape; malformed names are refused', () => {
    assert.deepEqual(partitionValuesOf('dt=2024-01-01/path=a%2Fb%3Dc'), ['2024-01-01', 'a/b=c']);
    assert.deepEqual(partitionSpecOf('dt=1/hr=2'), { dt: '1', hr: '2' });
    assert.throws(() => partitionValuesOf('novalue'), /key=value/);
  });
});

describe('metastore location rule', () => {
  const local = new LocationMap('local', '/data/warehouse');
  const s3 = new LocationMap('s3', undefined);
  test('stored obs:// becomes file:// in the warehouse (local) or s3:// (S3), and back', () => {
    assert.equal(
      local.toEngine('obs://lakeform/instances/x/hive/default.db/t'),
      'file:///data/warehouse/lakeform/instances/x/hive/default.db/t',
    );
    assert.equal(s3.toEngine('obs://lakeform/a/b'), 's3://lakeform/a/b');
    assert.equal(s3.toEngine('obs://bucket'), 's3://bucket');
    assert.equal(s3.toEngine('obs://other/x'), 's3://other/x');
    // Not of the stored form: shown as stored.
    for (const odd of ['obs://', 'obs:///k', 'hdfs://nn/x', 'obs://b/k\nx', 'OBS://b/k'])
      assert.equal(s3.toEngine(odd), odd);
    assert.equal(local.fromEngine('l', 'file:///data/warehouse/lakeform/a/b/'), 'obs://lakeform/a/b');
    assert.equal(local.fromEngine('l', 'file:/data/warehouse/lakeform/a'), 'obs://lakeform/a');
    for (const scheme of ['s3', 's3a', 's3n', 'obs'])
      assert.equal(s3.fromEngine('l', `${scheme}://bucket/k/x`), 'obs://bucket/k/x');
    assert.equal(local.fromEngine('l', ''), undefined);
  });
  test('toEngineParts joined is toEngine, bucket by bucket (the encoder writes the parts)', () => {
    const stored = [
      'obs://lakeform/a/b',
      'obs://lakeform/a/c',
      'obs://lakefor/a',
      'obs://lakeformx/a',
      'obs://lakeform',
      'obs://é/ü',
      'obs://lakeform/k\nx',
      'obs://',
      'hdfs://nn/x',
      '',
      undefined,
      null,
    ];
    for (const map of [local, s3])
      for (const s of stored) {
        const [prefix, rest] = new LocationMap('s3', undefined).toEngineParts(s);
        assert.equal(prefix + rest, new LocationMap('s3', undefined).toEngine(s), String(s));
        // One map across them all, as a listing uses it (its last bucket remembered).
        assert.equal(map.toEngineParts(s).join(''), map.toEngine(s), String(s));
      }
  });
  test('nothing escapes through file://, s3a:// or ..', () => {
    assert.throws(() => local.fromEngine('l', 'file:///etc/passwd'), /outside the warehouse/);
    assert.throws(() => local.fromEngine('l', 'file:///data/warehouse'), /outside the warehouse/);
    assert.throws(() => local.fromEngine('l', 'file:///data/warehouse/../etc'), /\.\./);
    assert.throws(() => local.fromEngine('l', 'file:///data/warehouse2/x'), /outside the warehouse/);
    assert.throws(() => s3.fromEngine('l', 's3a://bucket/a/../../b'), /\.\./);
    assert.throws(() => s3.fromEngine('l', 'file:///data/warehouse/x'), /local storage/);
    assert.throws(() => s3.fromEngine('l', 'hdfs://nn/x'), /must be/);
  });
});

describe('metastore method table', () => {
  const methods = readMethods();
  test('every IDL method has a handler with a domain action name, and every handler a method', () => {
    for (const name of methods.keys()) {
      const entry = METHODS[name];
      assert.ok(entry, `${name} has no handler`);
      if (entry.action !== null) assert.match(entry.action, /^[a-z]+(\.[a-z]+)+$/, `${name}: ${entry.action}`);
      else assert.ok(entry.open, `${name}: housekeeping without an action runs before a user is known`);
    }
    for (const name of Object.keys(METHODS)) assert.ok(methods.has(name), `${name} is not in the IDL`);
    assert.ok(methods.size >= 95, `the IDL reader found only ${methods.size} methods`);
  });
  test("the generated processor's arity for each method is the IDL's (it calls promise-style only then)", () => {
    const gen = ['ThriftHiveMetastore.js', 'FacebookService.js']
      .map((f) => fs.readFileSync(path.join(ROOT, 'src/metastore/gen', f), 'utf8'))
      .join('\n');
    for (const m of methods.values()) {
      if (m.oneway) continue;
      const found = new RegExp(`_handler\\.${m.name}\\.length === (\\d+)`).exec(gen);
      assert.equal(Number(found?.[1]), m.args.length, m.name);
    }
  });
  test('the reply writer writes the bytes the runtime writes', () => {
    const table = new T.Table({
      tableName: 't',
      dbName: 'd',
      owner: 'ü',
      createTime: 5,
      lastAccessTime: 0,
      retention: 0,
      tableType: 'EXTERNAL_TABLE',
      sd: new T.StorageDescriptor({
        cols: [new T.FieldSchema({ name: 'a', type: 'int', comment: '' })],
        location: 'file:///x',
        inputFormat: 'i',
        outputFormat: 'o',
        compressed: true,
        numBuckets: -1,
        parameters: { x: 'y' },
        serdeInfo: new T.SerDeInfo({ name: '', serializationLib: 's', parameters: {} }),
        bucketCols: [],
        sortCols: [new T.Order({ col: 'a', order: 1 })],
      }),
      partitionKeys: [],
      parameters: { big: 'x'.repeat(10_000) },
      viewOriginalText: '',
      viewExpandedText: '',
    });
    const stats = new T.LongColumnStatsData({
      lowValue: -5,
      highValue: 2 ** 40,
      numNulls: 0,
      numDVs: 3,
      bitVectors: Buffer.from([1, 2, 3]),
    });
    for (const obj of [table, stats] as unknown as { write(p: unknown): void }[]) {
      let ours: Buffer | undefined;
      const w = new BinaryWriter((b) => {
        ours = ours ? Buffer.concat([ours, b]) : b;
      }, false);
      w.writeMessageBegin('m', 2, 7);
      obj.write(w);
      w.flush();
      let theirs: Buffer | undefined;
      const trans = new thrift.TBufferedTransport(undefined, (b: Buffer) => {
        theirs = b;
      });
      const p = new thrift.TBinaryProtocol(trans);
      p.writeMessageBegin('m', 2, 7);
      obj.write(p);
      p.writeMessageEnd();
      trans.flush();
      assert.ok(ours && theirs && ours.equals(theirs));
    }
  });
  test('a string written as two parts is the bytes of the joined string', () => {
    const pairs: [string, string][] = [
      ['file:///data/warehouse/b', '/k/dt=2024-01-01'],
      ['', ''],
      ['', 'hdfs://nn/x'],
      ['s3://b', ''],
      ['s3://ü', '/€/😀'],
      ['a\ud83d', '\ude00b'], // a surrogate pair split between the parts
      ['a', 'x'.repeat(2000)],
      ['é'.repeat(600), 'ü'.repeat(600)],
      // Past 32 characters, copied by the runtime rather than by hand.
      ['file:///data/warehouse/a-bucket-of-a-long-name', '/instances/0123/hive/sales.db/orders/dt=2024-01-01'],
      ['file:///data/warehouse/a-bucket-of-a-long-name', `/${'ü'.repeat(40)}/${'€'.repeat(40)}😀`],
    ];
    for (const [a, b] of pairs) {
      const ours = new BinaryWriter(() => {}, false);
      ours.writeStringPair(a, b);
      ours.writeI32(7); // what follows lands after the string's bytes
      const joined = new BinaryWriter(() => {}, false);
      joined.writeString(a + b);
      joined.writeI32(7);
      assert.equal(ours.bytes().toString('hex'), joined.bytes().toString('hex'), `${a} + ${b}`);
    }
  });

  test('a stored value list written from its text is the bytes of its parsed strings', () => {
    const plain = ['[]', '[""]', '["",""]', '["2024-01-01","0"]', '["]"]', '["a,b","[c]"]', `["${'x'.repeat(3000)}"]`];
    // Escaped, not ASCII, spaced otherwise than JSON.stringify writes, or not a list of strings: parsed instead.
    const other = ['["a\\"b"]', '["c\\\\d"]', '["é"]', '["a", "b"]', '[ "a"]', '["a" ]', '[1]', '["a"]]', '[', '"a"'];
    for (const text of [...plain, ...other]) {
      const ours = new BinaryWriter(() => {}, false);
      ours.writeI32(7);
      const written = ours.writeJsonStrings(text);
      assert.equal(written, plain.includes(text), text);
      if (!written) {
        assert.equal(ours.length, 4, `${text}: nothing written`);
        continue;
      }
      ours.writeI32(8); // what follows lands after the list
      const theirs = new BinaryWriter(() => {}, false);
      theirs.writeI32(7);
      const values = JSON.parse(text) as string[];
      theirs.writeListBegin(thrift.Thrift.Type.STRING, values.length);
      for (const v of values) theirs.writeString(v);
      theirs.writeI32(8);
      assert.equal(ours.bytes().toString('hex'), theirs.bytes().toString('hex'), text);
    }
  });

  test('a large reply is sent in pieces that join to one whole frame', () => {
    const sent: Buffer[] = [];
    const w = new BinaryWriter((b) => sent.push(b), true);
    const big = 'x'.repeat(150_000);
    w.writeMessageBegin('m', 2, 7);
    for (let i = 0; i < 3; i++) w.writeString(big);
    w.writePieces([Buffer.from('tail-piece')]);
    w.writeI32(-2);
    w.flush();
    assert.ok(sent.length > 1);
    const all = Buffer.concat(sent);
    assert.equal(all.readInt32BE(0), all.length - 4);
    const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(all.subarray(4)));
    assert.equal(input.readMessageBegin().fname, 'm');
    for (let i = 0; i < 3; i++) assert.equal(input.readString(), big);
    assert.equal(all.subarray(-14, -4).toString(), 'tail-piece');
    assert.equal(all.readInt32BE(all.length - 4), -2);
    // The next message starts afresh.
    sent.length = 0;
    w.writeMessageBegin('n', 2, 8);
    w.flush();
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as Buffer).readInt32BE(0), (sent[0] as Buffer).length - 4);
  });
  test('a frozen (shared) name list is encoded once, to the bytes of a fresh one', () => {
    const bytesOf = (e: EncodedStrings) => {
      const sent: Buffer[] = [];
      const w = new BinaryWriter((b) => sent.push(b), false);
      e.writeSuccess(w);
      w.writeFieldStop();
      w.flush();
      return Buffer.concat(sent);
    };
    // The second list's encoding (over 64 KB) is handed over to the socket rather than copied.
    for (const n of [3, 20_000]) {
      const names = Array.from({ length: n }, (_, i) => `tä${i}`);
      const fresh = bytesOf(new EncodedStrings(names));
      const shared = Object.freeze([...names]);
      assert.ok(bytesOf(new EncodedStrings(shared)).equals(fresh));
      assert.ok(bytesOf(new EncodedStrings(shared)).equals(fresh), 'again, from the encoding kept');
      const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(fresh));
      assert.deepEqual([input.readFieldBegin().fid, input.readListBegin().size], [0, n]);
      assert.deepEqual(
        Array.from({ length: n }, () => input.readString()),
        names,
      );
      assert.equal(input.readFieldBegin().ftype, thrift.Thrift.Type.STOP);
    }
  });
  test('partitions encoded from stored rows are the bytes of the generated Partition structs', () => {
    const loc = new LocationMap('local', '/data/warehouse');
    const owner = { catalog_name: 'hive', database_name: 'sales', name: 'orders' };
    const sd = (extra: Record<string, unknown>) => ({
      columns: [
        { column_name: 'id', column_type: 'bigint' },
        { column_name: 'näme', column_type: 'string', comment: 'ü€😀' },
      ],
      compressed: false,
      parameters: {},
      serde_info: {
        serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
        parameters: {},
      },
      ...extra,
    });
    const row = (values: string[], definition: unknown, i: number) => ({
      id: String(i),
      table_id: 't',
      name: `p${i}`,
      partition_values: JSON.stringify(values),
      definition: typeof definition === 'string' ? definition : JSON.stringify(definition),
      created_at: '2024-05-01T10:00:00.000Z',
      updated_at: '2024-05-01T10:00:00.000Z',
      last_access_time: i % 2 ? '2024-05-02T00:00:00.000Z' : '',
    });
    const rows = [
      // First: after many misses in a row a listing stops reusing definitions.
      // Alike but for their locations (the parsed definition is reused), then texts that only look alike.
      ...['obs://t/p1', 'obs://t/p10', 'obs://t/p', 'obs://t/"q"', 'obs://t/p2', 'obs://t/\u00e9', 'obs://t/p3'].map(
        (location, i) =>
          row(['w', String(i)], { parameters: { n: '1' }, storage_descriptor: sd({ location }) }, 20 + i),
      ),
      row(['w', '7'], { parameters: { n: '1' }, storage_descriptor: { ...sd({}), location: 'obs://t/p4' } }, 27),
      row(['w', '8'], '{"parameters":{"n":"1"},"storage_descriptor":{"location": "obs://t/p5"}}', 28),
      row(['w', '9'], '{"parameters":{"n":"1"},"storage_descriptor":{"location":"obs://t/p\\u00e9"}}', 29),
      row(['w', '10'], '{"parameters":{"n":"1"},"storage_descriptor":{"location":"obs://t/p6"}}', 30),
      // A partition parameter named location, alike and then not.
      row(
        ['w', '11'],
        { parameters: { location: 'obs://t/p7' }, storage_descriptor: sd({ location: 'obs://t/p7' }) },
        31,
      ),
      row(
        ['w', '12'],
        { parameters: { location: 'obs://t/p8' }, storage_descriptor: sd({ location: 'obs://t/p7' }) },
        32,
      ),
      // A column named location (a value, not a key): the definition is still reused.
      ...['obs://t/p9', 'obs://t/p10'].map((location, i) =>
        row(
          ['w', String(13 + i)],
          {
            parameters: {},
            storage_descriptor: sd({ location, columns: [{ column_name: 'location', column_type: 'int' }] }),
          },
          33 + i,
        ),
      ),
      row(['2024-01-01', '0'], { parameters: { numRows: '10', b: 'x', '1': 'first' }, storage_descriptor: sd({}) }, 1),
      row(
        ['2024-01-02', 'ä/b'],
        {
          parameters: {},
          storage_descriptor: sd({
            location: 'obs://lakeform/instances/x/hive/sales.db/orders/dt=2024-01-02',
            input_format: 'in',
            output_format: 'out',
            compressed: true,
            number_of_buckets: 4,
            bucket_columns: ['id'],
            sort_columns: [{ column: 'id', sort_order: 0 }, { column: 'näme' }],
            parameters: { 'serialization.format': '1' },
            serde_info: { name: 'sd', parameters: { 'field.delim': ',' } },
            skewed_info: {
              skewed_column_names: ['id'],
              skewed_column_values: [['1'], ['2']],
              skewed_column_value_location_maps: { '["1"]': 'obs://lakeform/x/1' },
            },
            stored_as_sub_directories: false,
          }),
        },
        2,
      ),
      row(['x', 'y'], { parameters: { big: 'v'.repeat(70_000) } }, 3),
      // Alike but for their locations (the encoded descriptor is reused), then each differing in one place.
      ...[
        {},
        { location: 'obs://lakeform/t/p4' },
        { location: 'obs://lakeform/t/p5' },
        { location: 'obs://other/t/p6', serde_info: { parameters: { 'field.delim': ';' } } },
        { location: 'obs://other/t/p7', serde_info: { parameters: { 'field.delim': ',' } } },
        { location: 'obs://other/t/p8', columns: [{ column_name: 'id', column_type: 'int' }] },
        { location: 'obs://other/t/p9', bucket_columns: ['id'], number_of_buckets: 2 },
        { location: 'obs://other/t/p10', bucket_columns: ['näme'], number_of_buckets: 2 },
        { location: 'obs://other/t/p11', sort_columns: [{ column: 'id', sort_order: 1 }] },
        { location: 'obs://other/t/p12', parameters: { a: '1' } },
        { location: 'obs://other/t/p13', parameters: { a: '2' } },
        { location: 'obs://other/t/p14', compressed: true },
      ].map((extra, i) =>
        row(['v', String(i)], { parameters: { n: String(i) }, storage_descriptor: sd(extra) }, 4 + i),
      ),
      // Value lists with escapes, empty values, or spaced otherwise than JSON.stringify writes them.
      row(['a"b', 'c\\d', 'é'], { parameters: {} }, 36),
      row(['', ''], { parameters: {} }, 37),
      // Parameters alike but in another order, or with one value changed: each encodes its own.
      row(['o', '1'], { parameters: { a: '1', b: '2' } }, 40),
      row(['o', '2'], { parameters: { b: '2', a: '1' } }, 41),
      row(['o', '3'], { parameters: { b: '2', a: '1' } }, 42),
      row(['o', '4'], { parameters: { b: '2', a: '2' } }, 43),
      { ...row([], { parameters: {} }, 38), partition_values: '["a", "b"]' },
      { ...row([], { parameters: {} }, 39), partition_values: '[ "a","b" ]' },
    ];
    const ours = new EncodedPartitions(false);
    for (const r of rows) ours.add(owner, r, loc);
    const oursWriter = new BinaryWriter(() => {}, false);
    ours.writeSuccess(oursWriter);
    // The generated path: the listing's JSON view, its plain fields, the Thrift objects and their write.
    const views = rows.map((r) => ({
      catalog_name: owner.catalog_name,
      database_name: owner.database_name,
      table_name: owner.name,
      partition_values: JSON.parse(r.partition_values),
      create_time: r.created_at,
      last_access_time: r.last_access_time,
      ...JSON.parse(r.definition),
    }));
    let theirs: Buffer | undefined;
    const trans = new thrift.TBufferedTransport(undefined, (b: Buffer) => {
      theirs = b;
    });
    const p = new thrift.TBinaryProtocol(trans);
    p.writeFieldBegin('success', thrift.Thrift.Type.LIST, 0);
    p.writeListBegin(thrift.Thrift.Type.STRUCT, views.length);
    for (const v of views) (new T.Partition(partitionPlain(v, loc)) as unknown as { write(o: unknown): void }).write(p);
    trans.flush();
    assert.ok(theirs);
    assert.equal(oursWriter.bytes().toString('hex'), theirs.toString('hex'));
    // A page kept whole (shared by the calls that find it) writes the same bytes every time, framed or not.
    const kept = new EncodedPartitions(false);
    for (const r of rows) kept.add(owner, r, loc);
    const page = kept.page();
    assert.equal(page.count, rows.length);
    for (let i = 0; i < 2; i++) {
      const w = new BinaryWriter(() => {}, false);
      page.writeSuccess(w);
      assert.equal(w.bytes().toString('hex'), theirs.toString('hex'));
      const sent: Buffer[] = [];
      const framed = new BinaryWriter((b) => sent.push(b), true);
      page.writeSuccess(framed);
      framed.flush();
      const whole = Buffer.concat(sent);
      assert.equal(whole.readInt32BE(0), theirs.length);
      assert.equal(whole.subarray(4).toString('hex'), theirs.toString('hex'));
    }
    assert.equal(
      page.bytes,
      theirs.length - 8,
      "its size is its partitions' bytes (the field and list headers are written with them)",
    );
    // The next encoding of the listing reuses the bytes of rows unchanged, text for text, and encodes the others.
    const encoded = (list: typeof rows, previous?: ReturnType<EncodedPartitions['page']>) => {
      const out = new EncodedPartitions(false, previous);
      for (const r of list) out.add(owner, r, loc);
      const next = out.page();
      const w = new BinaryWriter(() => {}, false);
      next.writeSuccess(w);
      return { page: next, hex: w.bytes().toString('hex'), reused: out.reused };
    };
    const again = encoded(rows, page);
    assert.equal(again.hex, theirs.toString('hex'));
    assert.equal(again.reused, rows.length);
    const changed = [
      row(['new', 'first'], { parameters: {} }, 0), // added before the others
      ...rows.slice(1, 5), // the first row dropped
      { ...(rows[5] as (typeof rows)[number]), definition: (rows[6] as (typeof rows)[number]).definition },
      { ...(rows[6] as (typeof rows)[number]), partition_values: '["w","renamed"]' },
      { ...(rows[7] as (typeof rows)[number]), created_at: '2025-01-01T00:00:00.000Z' },
      { ...(rows[8] as (typeof rows)[number]), last_access_time: '2025-01-01T00:00:00.000Z' },
      ...rows.slice(9, 20),
      ...rows.slice(21), // one in the middle dropped
      row(['new', 'last'], { parameters: { big: 'w'.repeat(70_000) } }, 99),
    ];
    const fresh = encoded(changed);
    const reused = encoded(changed, page);
    assert.equal(reused.hex, fresh.hex);
    assert.equal(reused.reused, changed.length - 6);
    // And from that page on: a listing reused twice, then one whose table gained nothing and lost all but one.
    assert.equal(encoded(changed, reused.page).hex, fresh.hex);
    assert.equal(
      encoded([rows[12] as (typeof rows)[number]], reused.page).hex,
      encoded([rows[12] as (typeof rows)[number]]).hex,
    );
  });
  test('arguments read by their IDL types are what the generated client wrote', () => {
    const sent = (call: (c: any) => void): Buffer => {
      let out: Buffer | undefined;
      const trans = new thrift.TBufferedTransport(undefined, (b: Buffer) => {
        out = b;
      });
      call(new (ThriftHiveMetastoreClient as new (t: unknown, p: unknown) => unknown)(trans, thrift.TBinaryProtocol));
      return out as Buffer;
    };
    const read = (bytes: Buffer) => {
      const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(bytes));
      const { fname } = input.readMessageBegin();
      return readArgs(input, methods.get(fname)?.fields ?? []);
    };
    assert.deepEqual(read(sent((c) => c.send_get_partitions_ps('db', 'tbl', ['2024-01-01', ''], 17))), [
      'db',
      'tbl',
      ['2024-01-01', ''],
      17,
    ]);
    assert.deepEqual(read(sent((c) => c.send_get_partitions_by_filter('db', 'tbl', "a = 'x'", -1))), [
      'db',
      'tbl',
      "a = 'x'",
      -1,
    ]);
    const [req] = read(
      sent((c) =>
        c.send_get_partitions_ps_with_auth_req({ dbName: 'd', tblName: 't', partNames: ['a=1'], maxParts: 3 }),
      ),
    ) as H.GetPartitionsPsWithAuthRequest[];
    assert.ok(req instanceof T.GetPartitionsPsWithAuthRequest);
    assert.deepEqual([req.dbName, req.tblName, req.partNames, req.maxParts], ['d', 't', ['a=1'], 3]);
    // Every method answered with encoded bytes has arguments this reader reads.
    for (const m of methods.values()) if (METHODS[m.name]?.encoded) assert.ok(m.fields.every((f) => readable(f.type)));
  });
  test('embedded objects are TJSONProtocol text', () => {
    const json = JSON.parse(tjson(new T.FieldSchema({ name: 'a', type: 'int', comment: '' })));
    assert.deepEqual(json, { 1: { str: 'a' }, 2: { str: 'int' }, 3: { str: '' } });
  });
});

describe('metastore message scan', () => {
  /** A strict binary call of add_partitions with `n` partitions, as the runtime's client writes it. */
  const call = (n: number): Buffer => {
    let out: Buffer = Buffer.alloc(0);
    const w = new BinaryWriter((b) => {
      out = Buffer.concat([out, b]);
    }, false);
    const Type = thrift.Thrift.Type;
    w.writeMessageBegin('add_partitions', thrift.Thrift.MessageType.CALL, 7);
    w.writeFieldBegin('new_parts', Type.LIST, 1);
    w.writeListBegin(Type.STRUCT, n);
    for (let i = 0; i < n; i++)
      (
        new T.Partition({
          values: ['2024-01-01', String(i)],
          dbName: 'db',
          tableName: 't',
          createTime: 1,
          lastAccessTime: 0,
          parameters: { numRows: String(i) },
          sd: new T.StorageDescriptor({
            cols: [new T.FieldSchema({ name: 'id', type: 'bigint', comment: '' })],
          } as never),
        } as never) as unknown as { write(p: unknown): void }
      ).write(w);
    w.writeFieldStop();
    w.flush();
    return out;
  };

  test('tells a whole message, an incomplete one at every cut, and the start of the next', () => {
    const msg = call(50);
    assert.equal(messageLength(msg, 0, 1 << 20), msg.length);
    for (const cut of [1, 4, 9, 30, Math.floor(msg.length / 2), msg.length - 1])
      assert.equal(messageLength(msg.subarray(0, cut), 0, 1 << 20), undefined, `cut at ${cut}`);
    const two = Buffer.concat([msg, call(3)]);
    assert.equal(messageLength(two, msg.length, 1 << 20), two.length - msg.length);
  });

  test('refuses what is not a strict binary message or announces too much', () => {
    assert.throws(() => messageLength(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5]), 0, 100), MalformedMessage);
    const huge = Buffer.from([0x80, 1, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
    assert.throws(() => messageLength(huge, 0, 1000), MalformedMessage);
    // The 26-byte header (version, 'add_partitions', sequence id), then a field of no known type.
    const badType = Buffer.concat([call(0).subarray(0, 26), Buffer.from([99, 0, 1])]);
    assert.throws(() => messageLength(badType, 0, 1000), /unknown field type 99/);
  });
});
