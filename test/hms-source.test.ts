// The Hive Metastore reader (the source side of METADATA_MIGRATION) against real MariaDB and
// PostgreSQL databases holding a metastore schema of our own making (helpers/hms-fixture.ts).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { driverMessage } from '../src/services/jobs/hms/errors.js';
import {
  type HmsConnection,
  type HmsDatasourceType,
  type HmsSource,
  HmsSourceError,
  type HmsSourceErrorKind,
  openHmsSource,
  parseJdbcUrl,
} from '../src/services/jobs/hms/hms-source.js';
import { connectMysql } from '../src/services/jobs/hms/mysql-source.js';
import { connectPostgres } from '../src/services/jobs/hms/postgres-source.js';
import { as2x, HmsFixture, type HmsModel, hmsBackends, ORDERS_PARTITIONS, sampleModel } from './helpers/hms-fixture.js';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Awaits a rejection with an HmsSourceError of `kind` and checks that `secret` shows nowhere in it. */
async function failure(p: Promise<unknown>, kind: HmsSourceErrorKind, secret?: string): Promise<HmsSourceError> {
  const err = await p.then(
    async (opened) => {
      // A source opened by mistake is closed, or its connection would keep the test process alive.
      if (opened && typeof (opened as HmsSource).close === 'function') await (opened as HmsSource).close();
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof HmsSourceError, `expected an HmsSourceError, got ${inspect(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (secret) {
    for (const shown of [err.message, String(err.stack), inspect(err, { depth: 5 }), JSON.stringify(err)]) {
      assert.ok(!shown.includes(secret), `the secret leaked: ${shown}`);
    }
  }
  return err;
}

const expected = {
  databases: (m: HmsModel, catalog: string) => m.databases.filter((d) => d.catalog === catalog).map((d) => d.database),
  tables: (m: HmsModel, catalog: string, db: string) =>
    m.tables.filter((t) => t.catalog === catalog && t.table.database === db).map((t) => t.table),
  partitions: (m: HmsModel, catalog: string, db: string, table: string) =>
    m.tables.find((t) => t.catalog === catalog && t.table.database === db && t.table.name === table)?.partitions ?? [],
  functions: (m: HmsModel, catalog: string, db: string) =>
    m.functions.filter((f) => f.catalog === catalog && f.fn.database === db).map((f) => f.fn),
};

describe('JDBC URLs of metastore databases', () => {
  test('host, port, database and credentials are read; the connection fields win over the URL', () => {
    assert.deepEqual(parseJdbcUrl('OPEN_FOR_MYSQL', { jdbc_url: 'jdbc:mysql://db.example:3307/hive_meta' }), {
      dialect: 'mysql',
      host: 'db.example',
      port: 3307,
      database: 'hive_meta',
      tls: 'off',
    });
    assert.deepEqual(
      parseJdbcUrl('MRS_RDS_FOR_MYSQL', {
        jdbc_url: 'jdbc:mariadb://10.0.0.5/hive?user=u1&password=p1',
        username: 'hive',
      }),
      { dialect: 'mysql', host: '10.0.0.5', port: 3306, database: 'hive', user: 'hive', password: 'p1', tls: 'off' },
    );
    assert.deepEqual(
      parseJdbcUrl('MRS_RDS_FOR_PG', {
        jdbc_url: 'jdbc:postgresql://[::1]/metastore?currentSchema=hms&sslmode=verify-full',
        username: 'u',
        password: 'p',
      }),
      {
        dialect: 'postgres',
        host: '::1',
        port: 5432,
        database: 'metastore',
        user: 'u',
        password: 'p',
        tls: 'verified',
        schema: 'hms',
      },
    );
    const withUserInfo = parseJdbcUrl('OPEN_FOR_MYSQL', {
      jdbc_url: 'jdbc:mysql://hive:p%40ss@h:3306/m?useSSL=true&verifyServerCertificate=false',
    });
    assert.equal(withUserInfo.user, 'hive');
    assert.equal(withUserInfo.password, 'p@ss');
    assert.equal(withUserInfo.tls, 'unverified');
    assert.equal(
      parseJdbcUrl('OPEN_FOR_MYSQL', { jdbc_url: 'jdbc:mysql://h/m?password=in-url', password: '' }).password,
      '',
      'an explicit empty password wins',
    );
    assert.equal(
      parseJdbcUrl('MRS_RDS_FOR_PG', { jdbc_url: 'jdbc:postgresql://h/m?sslmode=require' }).tls,
      'unverified',
    );
  });

  test('wrong shapes are refused without quoting the URL back (it may hold a password)', () => {
    const secret = 'Pw-in-url-7731';
    const bad: [HmsDatasourceType, string][] = [
      ['OPEN_FOR_MYSQL', `jdbc:postgresql://h:5432/db?password=${secret}`],
      ['MRS_RDS_FOR_PG', `jdbc:mysql://u:${secret}@h/db`],
      ['OPEN_FOR_MYSQL', `jdbc:mysql://u:${secret}@h:3306/`],
      ['OPEN_FOR_MYSQL', `mysql://u:${secret}@h/db`],
      ['OPEN_FOR_MYSQL', `jdbc:oracle:thin:@h:1521/${secret}`],
      ['OPEN_FOR_MYSQL', `jdbc:mysql://h1,h2/db?password=${secret}`],
      ['OPEN_FOR_MYSQL', `jdbc:mysql://h:99999/db?password=${secret}`],
      ['MRS_RDS_FOR_PG', `jdbc:postgresql://h/db?currentSchema=a;drop&password=${secret}`],
    ];
    for (const [type, jdbc_url] of bad) {
      assert.throws(
        () => parseJdbcUrl(type, { jdbc_url }),
        (e: unknown) => {
          assert.ok(e instanceof HmsSourceError && e.kind === 'invalid_connection', `${jdbc_url}: ${inspect(e)}`);
          assert.ok(!e.message.includes(secret), e.message);
          return true;
        },
      );
    }
    assert.throws(
      () => parseJdbcUrl('HIVE' as HmsDatasourceType, { jdbc_url: 'jdbc:mysql://h/db' }),
      /unknown datasource type/,
    );
  });

  test('a driver message that quotes the password is scrubbed; one too short to scrub leaves the code', () => {
    const err = Object.assign(new Error("bad handshake for 'hive' with s3cret-Pass (s3cret-Pass)"), { code: 'X1' });
    assert.equal(driverMessage(err, 's3cret-Pass'), "bad handshake for 'hive' with *** (***)");
    assert.equal(
      driverMessage(Object.assign(new Error('failed at step abc'), { code: 'X2' }), 'abc'),
      'driver error X2',
    );
    assert.equal(driverMessage(new Error('refused'), 'abc'), 'refused');
    assert.equal(driverMessage({ code: 'ECONNREFUSED' }, undefined), 'driver error ECONNREFUSED');
  });
});

for (const backend of await hmsBackends()) {
  describe(`Hive Metastore source on ${backend.name}`, { skip: backend.skip }, () => {
    const model = sampleModel();
    const password = `Rd-${randomBytes(8).toString('hex')}`;
    const readerUser = `hms_rd_${randomBytes(4).toString('hex')}`;
    const logs: string[] = [];
    let fx: HmsFixture;
    let source: HmsSource;
    // MariaDB: a user that may only read the metastore database. PostgreSQL here trusts
    // local connections, so the password given is ignored by the server but still must not leak.
    const conn = (): HmsConnection =>
      backend.name === 'mariadb' ? fx.connection({ user: readerUser, password }) : fx.connection({ password });
    const open = (catalog: string, c: HmsConnection = conn(), listPageSize?: number) =>
      openHmsSource(backend.type, c, catalog, {
        log: (level, message) => logs.push(`${level} ${message}`),
        ...(listPageSize !== undefined ? { listPageSize } : {}),
      });

    before(async () => {
      fx = await HmsFixture.create(backend);
      await fx.createSchema('3.x');
      await fx.load(model, '3.x');
      if (backend.name === 'mariadb') await fx.createReader(readerUser, password);
      source = await open('hive');
    });
    after(async () => {
      await source?.close();
      await fx?.drop();
    });

    test('databases of the catalog, field by field, in creation order', async () => {
      assert.equal(source.schemaGeneration, '3.x');
      assert.equal(source.schemaVersion, '3.1.0');
      const dbs = await all(source.databases());
      assert.deepEqual(dbs, expected.databases(model, 'hive'));
      assert.deepEqual(
        dbs.map((d) => d.name),
        ['default', 'sales', 'web'],
      );
      const sales = dbs[1]!;
      assert.equal(sales.description, 'Sales data — 销售');
      assert.deepEqual(sales.parameters, { 'owner.team': 'revenue', 'retention.days': '30', zh: '销售数据' });
      assert.deepEqual(dbs[2]!.parameters, { empty: '', tier: 'gold' });
      assert.equal(dbs[2]!.ownerType, 'GROUP');
    });

    test('tables with their storage, columns, keys, serde and view texts, field by field', async () => {
      for (const db of ['default', 'sales', 'web'])
        assert.deepEqual(await all(source.tables(db)), expected.tables(model, 'hive', db), db);
      const [orders, events, view] = await all(source.tables('sales'));
      assert.deepEqual(orders!.partitionKeys, [
        { name: 'dt', type: 'string', comment: 'day of the order' },
        { name: 'hr', type: 'int' },
      ]);
      assert.deepEqual(
        orders!.storage.columns.map((c) => c.name),
        ['order_id', 'customer_id', 'amount', 'note'],
      );
      assert.equal(orders!.storage.columns[2]!.comment, '金额 (amount)');
      assert.equal(events!.tableType, 'EXTERNAL_TABLE');
      assert.deepEqual(events!.storage.serdeParameters, {
        separatorChar: ',',
        quoteChar: '"',
        escapeChar: '\\',
        'serialization.encoding': 'UTF-8',
      });
      assert.deepEqual(events!.storage.bucketColumns, ['user_id', 'session_id']);
      assert.deepEqual(events!.storage.sortColumns, [
        { column: 'user_id', order: 1 },
        { column: 'ts', order: 0 },
      ]);
      assert.equal(events!.storage.numBuckets, 8);
      assert.equal(events!.storage.compressed, true);
      assert.equal(events!.storage.storedAsSubDirectories, true);
      assert.equal(events!.storage.serdeName, 'events_csv');
      assert.equal(view!.tableType, 'VIRTUAL_VIEW');
      assert.equal(view!.viewOriginalText, 'SELECT order_id, amount FROM orders WHERE amount > 100');
      assert.ok(
        view!.viewExpandedText!.length > 20_000 && view!.viewExpandedText!.startsWith('SELECT `orders`.`order_id`'),
      );
      assert.equal(view!.storage.location, undefined);
      assert.equal(view!.ownerType, undefined);
    });

    test('1,500 partitions come in bounded keyset batches, each field by field', async () => {
      const want = expected.partitions(model, 'hive', 'sales', 'orders');
      assert.equal(want.length, ORDERS_PARTITIONS);
      const batches = await all(source.partitions('sales', 'orders', 400));
      assert.deepEqual(
        batches.map((b) => b.length),
        [400, 400, 400, 300],
      );
      assert.deepEqual(batches.flat(), want);
      assert.deepEqual(
        (await all(source.partitions('sales', 'orders'))).map((b) => b.length),
        [1000, 500],
        'default batch size',
      );
      assert.deepEqual(
        (await all(source.partitions('sales', 'orders', ORDERS_PARTITIONS))).map((b) => b.length),
        [ORDERS_PARTITIONS],
        'no empty last batch',
      );

      const parts = batches.flat();
      assert.deepEqual(parts[0]!.values, ['2024-01-01', '0']);
      assert.deepEqual(parts[1499]!.values, ['2024-03-15', '19']);
      assert.equal(new Set(parts.map((p) => p.values.join('/'))).size, ORDERS_PARTITIONS);
      assert.deepEqual(
        parts[5]!.storage.columns.map((c) => c.name),
        ['order_id', 'customer_id', 'amount'],
        'a partition keeps its own column descriptor',
      );
      assert.equal(parts[7]!.storage.serdeLib, 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      assert.deepEqual(parts[7]!.storage.serdeParameters, { 'parquet.compression': 'SNAPPY' });
      assert.deepEqual(parts[14]!.storage.parameters, { 'sd.flag': 'p14' });
      assert.deepEqual(parts[11]!.parameters, {
        numFiles: '2',
        totalSize: '11264',
        transient_lastDdlTime: '1700000011',
      });
      assert.deepEqual(parts[10]!.parameters, {});
      assert.deepEqual(parts[3]!.storage.sortColumns, [{ column: 'order_id', order: 1 }]);
      assert.equal(parts[3]!.storage.location, 'hdfs://nn:8020/warehouse/sales.db/orders/dt=2024-01-01/hr=3');
      // Objects of one batch do not share mutable state.
      parts[0]!.storage.columns[0]!.name = 'changed';
      assert.equal(parts[1]!.storage.columns[0]!.name, 'order_id');

      for await (const batch of source.partitions('sales', 'orders', 10)) {
        assert.equal(batch.length, 10);
        break;
      }
      assert.equal(
        (await source.counts()).partitions,
        ORDERS_PARTITIONS,
        'the source stays usable after a loop stops early',
      );
      assert.deepEqual(await all(source.partitions('sales', 'events_ext')), []);
      for (const size of [0, -1, 1.5, 10_001])
        await assert.rejects(all(source.partitions('sales', 'orders', size)), RangeError);
    });

    test('functions with their resource URIs', async () => {
      const fns = await all(source.functions('sales'));
      assert.deepEqual(fns, expected.functions(model, 'hive', 'sales'));
      assert.deepEqual(fns[0]!.resourceUris, [
        { type: 'JAR', uri: 'hdfs://nn:8020/udf/mask.jar' },
        { type: 'FILE', uri: 's3a://conf/mask.properties' },
      ]);
      assert.equal(fns[0]!.className, 'com.example.udf.MaskEmail');
      assert.equal(fns[1]!.owner, undefined);
      assert.deepEqual(await all(source.functions('web')), []);
    });

    test('counts cover the catalog only', async () => {
      assert.deepEqual(await source.counts(), { databases: 3, tables: 4, partitions: 1500, functions: 2 });
    });

    test('the other catalog sees only its own objects, under the same names', async () => {
      const spark = await open('SPARK');
      try {
        assert.deepEqual(await all(spark.databases()), expected.databases(model, 'spark'));
        assert.deepEqual(await all(spark.tables('sales')), expected.tables(model, 'spark', 'sales'));
        const parts = (await all(spark.partitions('sales', 'orders', 2))).flat();
        assert.deepEqual(parts, expected.partitions(model, 'spark', 'sales', 'orders'));
        assert.deepEqual(
          parts.map((p) => p.values[0]),
          ['2025-02-01', '2025-02-02', '2025-02-03', '2025-02-04', '2025-02-05'],
        );
        assert.deepEqual(await all(spark.functions('sales')), expected.functions(model, 'spark', 'sales'));
        assert.deepEqual(await spark.counts(), { databases: 2, tables: 1, partitions: 5, functions: 1 });
        await failure(all(spark.tables('web')), 'not_found');
      } finally {
        await spark.close();
      }
    });

    test('a walk of the whole catalog, listings nested as the migration job runs them, meets the counts', async () => {
      const seen = { databases: 0, tables: 0, partitions: 0, functions: 0 };
      for await (const db of source.databases()) {
        seen.databases++;
        for await (const t of source.tables(db.name)) {
          seen.tables++;
          for await (const batch of source.partitions(db.name, t.name, 700)) seen.partitions += batch.length;
        }
        for await (const _ of source.functions(db.name)) seen.functions++;
      }
      assert.deepEqual(seen, await source.counts());
    });

    test("listings page by id across other catalogs' rows: small pages give the same result", async () => {
      for (const listPageSize of [1, 2]) {
        for (const catalog of ['hive', 'spark']) {
          const paged = await open(catalog, conn(), listPageSize);
          try {
            assert.deepEqual(
              await all(paged.databases()),
              expected.databases(model, catalog),
              `${catalog} by ${listPageSize}`,
            );
            for (const db of expected.databases(model, catalog)) {
              assert.deepEqual(
                await all(paged.tables(db.name)),
                expected.tables(model, catalog, db.name),
                `${catalog}.${db.name} by ${listPageSize}`,
              );
              assert.deepEqual(
                await all(paged.functions(db.name)),
                expected.functions(model, catalog, db.name),
                `${catalog}.${db.name} by ${listPageSize}`,
              );
            }
          } finally {
            await paged.close();
          }
        }
      }
      await assert.rejects(open('hive', conn(), 0), RangeError);
    });

    test('a catalog, database or table that is not there', async () => {
      const err = await failure(open('nope'), 'not_found');
      assert.match(err.message, /catalog nope is not in the metastore \(it has: hive, iceberg, spark\)/);
      const empty = await open('iceberg');
      try {
        assert.deepEqual(await all(empty.databases()), [], 'a catalog without databases opens, and is empty');
        assert.deepEqual(await empty.counts(), { databases: 0, tables: 0, partitions: 0, functions: 0 });
        await failure(all(empty.tables('sales')), 'not_found');
      } finally {
        await empty.close();
      }
      await failure(all(source.tables('nope')), 'not_found');
      await failure(all(source.functions('nope')), 'not_found');
      await failure(all(source.partitions('sales', 'nope')), 'not_found');
    });

    test('the session is read-only, even for a user who may write', async () => {
      const target = parseJdbcUrl(backend.type, fx.connection());
      const port = backend.name === 'mariadb' ? await connectMysql(target, 2000) : await connectPostgres(target, 2000);
      try {
        await failure(port.query('UPDATE "DBS" SET "NAME" = ? WHERE "NAME" = ?', ['renamed', 'web']), 'read_failed');
        assert.deepEqual(
          await port
            .query('SELECT COUNT(*) AS n FROM "DBS" d WHERE d."NAME" = ?', ['web'])
            .then((r) => Number(r[0]?.n)),
          1,
        );
      } finally {
        await port.close();
      }
    });

    test('an HMS 2.x schema (no catalogs): everything is in hive', async () => {
      const fx2 = await HmsFixture.create(backend);
      try {
        const m2 = as2x(model);
        await fx2.createSchema('2.x');
        await fx2.load(m2, '2.x');
        const old = await openHmsSource(backend.type, fx2.connection(), 'hive');
        try {
          assert.equal(old.schemaGeneration, '2.x');
          assert.equal(old.schemaVersion, '2.3.0');
          assert.deepEqual(await all(old.databases()), expected.databases(m2, 'hive'));
          for (const db of ['default', 'sales', 'web'])
            assert.deepEqual(await all(old.tables(db)), expected.tables(m2, 'hive', db));
          assert.equal((await all(old.tables('sales')))[0]!.ownerType, undefined);
          assert.deepEqual(
            (await all(old.partitions('sales', 'orders', 999))).flat(),
            expected.partitions(m2, 'hive', 'sales', 'orders'),
          );
          assert.deepEqual(await all(old.functions('sales')), expected.functions(m2, 'hive', 'sales'));
          assert.deepEqual(await old.counts(), { databases: 3, tables: 4, partitions: 1500, functions: 2 });
        } finally {
          await old.close();
        }
        assert.match(
          (await failure(openHmsSource(backend.type, fx2.connection(), 'spark'), 'not_found')).message,
          /only the catalog hive/,
        );
      } finally {
        await fx2.drop();
      }
      assert.equal(await fx2.exists(), false);
    });

    test('a database that holds no metastore, or only part of one', async () => {
      const fx3 = await HmsFixture.create(backend);
      try {
        await fx3.exec(
          `CREATE TABLE ${fx3.q('customers')} (${fx3.q('ID')} INTEGER PRIMARY KEY, ${fx3.q('NAME')} VARCHAR(50))`,
        );
        const none = await failure(openHmsSource(backend.type, fx3.connection(), 'hive'), 'not_hms');
        assert.match(none.message, new RegExp(`${fx3.database} holds no Hive Metastore schema`));
        await fx3.exec(
          `CREATE TABLE ${fx3.q('DBS')} (${fx3.q('DB_ID')} BIGINT PRIMARY KEY, ${fx3.q('NAME')} VARCHAR(128))`,
        );
        await fx3.exec(
          `CREATE TABLE ${fx3.q('TBLS')} (${fx3.q('TBL_ID')} BIGINT PRIMARY KEY, ${fx3.q('TBL_NAME')} VARCHAR(256))`,
        );
        const part = await failure(openHmsSource(backend.type, fx3.connection(), 'hive'), 'not_hms');
        assert.match(
          part.message,
          /not a complete Hive Metastore schema: DATABASE_PARAMS, TABLE_PARAMS, SDS, .*FUNC_RU missing/,
        );
      } finally {
        await fx3.drop();
      }
      await failure(
        openHmsSource(backend.type, fx.connection({ database: `${fx.database}_gone` }), 'hive'),
        'unknown_database',
      );
    });

    test('refused credentials: a clear error that never shows the password', async () => {
      const wrong = `Wrong-${randomBytes(8).toString('hex')}`;
      if (backend.name === 'mariadb') {
        const err = await failure(
          open('hive', fx.connection({ user: readerUser, password: wrong })),
          'authentication_failed',
          wrong,
        );
        assert.match(err.message, new RegExp(`refused the user name or password of ${readerUser}`));
        assert.equal(err.driverCode, 'ER_ACCESS_DENIED_ERROR');
        const inUrl = fx.connection({ user: readerUser });
        await failure(
          open('hive', { jdbc_url: `${inUrl.jdbc_url}?password=${wrong}`, username: readerUser }),
          'authentication_failed',
          wrong,
        );
      } else {
        // Trust authentication admits any password; an unknown role is what this server refuses.
        const err = await failure(
          open('hive', fx.connection({ user: `nobody_${randomBytes(3).toString('hex')}`, password: wrong })),
          'authentication_failed',
          wrong,
        );
        assert.match(err.message, /refused the user name or password of nobody_/);
      }
    });

    test('an unreachable server: connection_failed naming the server, never the password', async () => {
      const started = Date.now();
      const err = await failure(open('hive', fx.connection({ port: 1, password })), 'connection_failed', password);
      assert.match(err.message, new RegExp(`cannot connect to (MySQL|PostgreSQL) .*:1/${fx.database}`));
      assert.ok(Date.now() - started < 5000);
    });

    test('log lines name the server and catalog, never the password', () => {
      assert.ok(
        logs.some((l) => l.startsWith('info ') && l.includes(`/${fx.database}`) && l.includes('catalog hive')),
        logs.join('\n'),
      );
      for (const l of logs) assert.ok(!l.includes(password), l);
    });

    test('the fixture database is dropped afterwards', async () => {
      await source.close();
      await fx.drop();
      assert.equal(await fx.exists(), false);
    });
  });
}
