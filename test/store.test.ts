// The store itself, the same assertions on SQLite and PostgreSQL: compare-and-swap updates, unique and foreign-key
// violations recognised as such (the services answer 409 / 404 from them), transactions retried after a
// serialization failure and rolled back on any other error, keyset pages forward and backward, and name filters
// compiled to SQL (Hive patterns, LIKE's own wildcards literal, grants, Iceberg nesting).

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { deleteExpiredTemporaryKeys } from '../src/store/iam/access-keys-repository.js';
import { deleteExpiredTokens } from '../src/store/iam/tokens-repository.js';
import { resetBucket, takeTokens } from '../src/store/instances/rate-buckets.js';
import { findCatalog, insertCatalog, updateCatalogIf } from '../src/store/lakecat/catalog-repository.js';
import {
  type DatabaseFilter,
  existsBeyond,
  insertDatabase,
  pageDatabases,
} from '../src/store/lakecat/database-repository.js';
import { preparedQuery } from '../src/store/prepared.js';
import type { DatabaseRow } from '../src/store/schema.js';
import {
  type Db,
  isForeignKeyViolation,
  isRetryableConflict,
  isUniqueViolation,
  nowIso,
  openStore,
  type Store,
} from '../src/store/store.js';
import { type Backend, backends, createPgDatabase, dropPgDatabase } from './helpers/server.js';

for (const backend of await backends()) {
  describe(`store (${backend.name})`, () => {
    let store: Store;
    let url: string;
    let domain: string;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-store-'));
    const instance = randomUUID();
    const scope = { instanceId: instance, catalogName: 'c' };
    const at = nowIso();

    before(async () => {
      url =
        backend.name === 'postgres'
          ? await createPgDatabase((backend as Required<Backend>).adminUrl)
          : `sqlite:${path.join(dir, 'store.db')}`;
      store = openStore(url);
      await store.migrate();
      domain = randomUUID();
      const project = randomUUID();
      await store.db
        .insertInto('domains')
        .values({ id: domain, name: `d_${domain}`, created_at: at } as never)
        .execute();
      await store.db
        .insertInto('projects')
        .values({ id: project, domain_id: domain, name: 'p', created_at: at, updated_at: at } as never)
        .execute();
      await store.db
        .insertInto('instances')
        .values({
          id: instance,
          project_id: project,
          name: 'i',
          charge_mode: 'postPaid',
          shared: 1,
          enterprise_project_id: '0',
          status: 'RUNNING',
          created_at: at,
          updated_at: at,
        } as never)
        .execute();
      await insertCatalog(store.db, catalog('c'));
    });
    after(async () => {
      await store?.close();
      if (backend.name === 'postgres') await dropPgDatabase((backend as Required<Backend>).adminUrl, url);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const catalog = (name: string) => ({
      instance_id: instance,
      name,
      description: null,
      location: `obs://b/${name}`,
      database_locations: '[]',
      owner: 'admin',
      owner_type: 'USER',
      owner_source: 'IAM',
      created_at: at,
      updated_at: at,
      version: 1,
    });
    const database = (name: string, over: Partial<DatabaseRow> = {}): DatabaseRow => ({
      id: randomUUID().replaceAll('-', ''),
      instance_id: instance,
      catalog_name: 'c',
      name,
      description: '',
      location: `obs://b/c/${name}`,
      database_type: 'HIVE',
      external_database_id: null,
      connection_name: null,
      data_statistic_enable: 0,
      owner: 'admin',
      owner_type: 'USER',
      owner_source: 'IAM',
      parameters: '{}',
      function_locations: '[]',
      table_locations: '[]',
      created_at: at,
      updated_at: at,
      version: 1,
      ...over,
    });

    test('compare-and-swap: an update at the version read wins once; the loser of a race changes nothing', async () => {
      await insertCatalog(store.db, catalog('cas'));
      const read = await findCatalog(store.db, instance, 'cas');
      assert.equal(read?.version, 1);
      const racers = await Promise.all(
        ['one', 'two', 'three'].map((d) => updateCatalogIf(store.db, instance, 'cas', 1, { description: d })),
      );
      assert.deepEqual(racers.filter(Boolean).length, 1, `exactly one wins: ${racers}`);
      const after1 = await findCatalog(store.db, instance, 'cas');
      assert.equal(after1?.version, 2);
      assert.equal(after1?.description, ['one', 'two', 'three'][racers.indexOf(true)]);
      assert.equal(await updateCatalogIf(store.db, instance, 'cas', 1, { description: 'stale' }), false);
      assert.equal(await updateCatalogIf(store.db, instance, 'missing', 1, { description: 'x' }), false);
      assert.equal((await findCatalog(store.db, instance, 'cas'))?.description, after1?.description);
    });

    test(
      'a taken name is a unique violation, a missing parent a ' + 'foreign-key violation, told apart from each other',
      async () => {
        const taken = await insertCatalog(store.db, catalog('c')).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(taken, 'the second insert of a name fails');
        assert.equal(isUniqueViolation(taken), true, String(taken));
        assert.equal(isForeignKeyViolation(taken), false);
        assert.equal(isRetryableConflict(taken), false);
        const orphan = await insertDatabase(store.db, database('orphan', { catalog_name: 'no_such_catalog' })).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(orphan, 'a database of a missing catalog is refused');
        assert.equal(isForeignKeyViolation(orphan), true, String(orphan));
        assert.equal(isUniqueViolation(orphan), false);
      },
    );

    test('a transaction is all or nothing, and one that lost a serialization race is retried', async () => {
      await assert.rejects(
        store.transaction(async (trx) => {
          await insertDatabase(trx, database('rolled_back'));
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal((await pageDatabases(store.db, scope, { pattern: 'rolled_back' }, 10, {})).rows.length, 0);
      // A failure the database reports as retryable (SQLSTATE 40001 / SQLITE_BUSY) is retried; others are not.
      let attempts = 0;
      const result = await store.transaction(async (trx) => {
        attempts++;
        await insertDatabase(trx, database(`retried_${attempts}`));
        if (attempts < 3)
          throw Object.assign(new Error('could not serialize access'), {
            code: backend.name === 'postgres' ? '40001' : 'SQLITE_BUSY_SNAPSHOT',
          });
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(attempts, 3);
      const kept = (await pageDatabases(store.db, scope, { pattern: 'retried_*' }, 10, {})).rows.map((r) => r.name);
      assert.deepEqual(kept, ['retried_3'], 'the failed attempts left nothing');
      let once = 0;
      await assert.rejects(
        store.transaction(async () => {
          once++;
          throw Object.assign(new Error('x'), { code: '23505' });
        }),
      );
      assert.equal(once, 1);
    });

    test('statements written together land as if run in turn, each with its own parameters; all or none', async () => {
      const q = store.db;
      await store.sql.writeAll(q, [
        q.insertInto('catalogs').values(catalog('together_a')),
        q.insertInto('catalogs').values({ ...catalog('together_b'), description: 'second', version: 7 }),
        q.deleteFrom('catalogs').where('instance_id', '=', instance).where('name', '=', 'together_gone'),
      ]);
      const a = await findCatalog(q, instance, 'together_a');
      const b = await findCatalog(q, instance, 'together_b');
      assert.equal(a?.description, null);
      assert.equal(a?.version, 1);
      assert.equal(b?.description, 'second');
      assert.equal(b?.version, 7);
      // A unique violation in one of them: in a transaction, none of them lands (on PostgreSQL they are one statement).
      await assert.rejects(
        store.transaction((trx) =>
          store.sql.writeAll(trx, [
            trx.insertInto('catalogs').values(catalog('together_c')),
            trx.insertInto('catalogs').values(catalog('together_a')),
          ]),
        ),
        (err: unknown) => isUniqueViolation(err),
      );
      assert.equal(await findCatalog(q, instance, 'together_c'), undefined);
    });

    if (backend.name === 'postgres') {
      test(
        'two transactions updating the same rows in opposite orders: the ' + 'deadlock is retried and both commit',
        async () => {
          for (const n of ['dl_a', 'dl_b']) await insertCatalog(store.db, catalog(n));
          const touch = (first: string, second: string) =>
            store.transaction(async (trx) => {
              await trx
                .updateTable('catalogs')
                .set({ description: first })
                .where('instance_id', '=', instance)
                .where('name', '=', first)
                .execute();
              await sql`SELECT pg_sleep(0.2)`.execute(trx);
              await trx
                .updateTable('catalogs')
                .set({ description: first })
                .where('instance_id', '=', instance)
                .where('name', '=', second)
                .execute();
            });
          await Promise.all([touch('dl_a', 'dl_b'), touch('dl_b', 'dl_a')]);
          const names = [
            (await findCatalog(store.db, instance, 'dl_a'))?.description,
            (await findCatalog(store.db, instance, 'dl_b'))?.description,
          ];
          assert.ok(names[0] === names[1], `one transaction's writes won both rows: ${names}`);
        },
      );
    }

    test('keyset pages walk forward and back in code-point order, with a correct "more" at each end', async () => {
      const names = ['a_1', 'a_2', 'ab', 'b', 'b.x', 'b.x.y', 'b.z', 'c%d', 'z', 'ä'];
      for (const n of names) await insertDatabase(store.db, database(n));
      const all = (await pageDatabases(store.db, scope, {}, 100, {})).rows
        .map((r) => r.name)
        .filter((n) => names.includes(n));
      assert.deepEqual(all, [...names].sort(), 'code-point order on both databases');
      const f: DatabaseFilter = { pattern: names.join('|') };
      const forward: string[] = [];
      let cursor: { after?: string } = {};
      for (;;) {
        const page = await pageDatabases(store.db, scope, f, 3, cursor);
        forward.push(...page.rows.map((r) => r.name));
        const last = page.rows.at(-1)?.name as string;
        assert.equal(await existsBeyond(store.db, scope, f, last, 'after'), page.more);
        if (!page.more) break;
        cursor = { after: last };
      }
      assert.deepEqual(forward, [...names].sort());
      const back = await pageDatabases(store.db, scope, f, 3, { before: 'b.z' });
      assert.deepEqual(
        back.rows.map((r) => r.name),
        ['b', 'b.x', 'b.x.y'],
      );
      assert.equal(back.more, true);
      const first = await pageDatabases(store.db, scope, f, 3, { before: 'ab' });
      assert.deepEqual(
        first.rows.map((r) => r.name),
        ['a_1', 'a_2'],
      );
      assert.equal(first.more, false);
      assert.equal(await existsBeyond(store.db, scope, f, 'a_1', 'before'), false);
    });

    test(
      'filters compile to SQL: Hive patterns, LIKE wildcards taken ' + 'literally, grants, ownership and nesting',
      async () => {
        const names = async (f: DatabaseFilter) =>
          (await pageDatabases(store.db, scope, f, 100, {})).rows.map((r) => r.name);
        for (const n of ['f_x1', 'fax1', 'f%y', 'g.h', 'g.h.i', 'g.j'])
          await insertDatabase(store.db, database(n, { owner: n === 'fax1' ? 'olga' : 'admin' }));
        assert.deepEqual(await names({ pattern: 'f_*' }), ['f_x1'], '_ is no wildcard');
        assert.deepEqual(await names({ pattern: 'F%*' }), ['f%y'], '% is no wildcard; patterns ignore case');
        assert.deepEqual(await names({ pattern: 'fax1|g.j' }), ['fax1', 'g.j']);
        assert.deepEqual(await names({ pattern: 'f*|g*', childrenOf: null }), ['f%y', 'f_x1', 'fax1']);
        assert.deepEqual(await names({ childrenOf: 'g' }), ['g.h', 'g.j'], 'one level down only');
        assert.deepEqual(await names({ pattern: 'f*|g*', ownedBy: 'olga' }), ['fax1']);
        assert.deepEqual(await names({ pattern: 'f*|g*', ownedBy: 'olga', grantedNames: ['g.*', 'f_*'] }), [
          'f_x1',
          'fax1',
          'g.h',
          'g.h.i',
          'g.j',
        ]);
      },
    );

    test('the purge of expired credentials deletes expired tokens and temporary keys, and nothing else', async () => {
      const user = randomUUID();
      await store.db
        .insertInto('users')
        .values({ id: user, domain_id: domain, name: 'u', password_hash: 'x', created_at: at, updated_at: at } as never)
        .execute();
      const now = new Date();
      const iso = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
      const token = (hash: string, expires: string) => ({
        token_hash: hash,
        user_id: user,
        domain_id: domain,
        project_id: null,
        methods: 'password',
        issued_at: at,
        expires_at: expires,
      });
      await store.db
        .insertInto('tokens')
        .values([token('expired', iso(-1)), token('live', iso(60))] as never)
        .execute();
      const key = (access: string, kind: string, expires: string | null) => ({
        access,
        user_id: user,
        secret_enc: 's',
        status: 'active',
        kind,
        session_token_hash: null,
        project_id: null,
        expires_at: expires,
        created_at: at,
      });
      await store.db
        .insertInto('access_keys')
        .values([
          key('OLD', 'temporary', iso(-1)),
          key('NEW', 'temporary', iso(60)),
          key('PERM', 'permanent', null),
        ] as never)
        .execute();
      assert.equal(await deleteExpiredTokens(store.db, now.toISOString()), 1);
      assert.equal(await deleteExpiredTemporaryKeys(store.db, now.toISOString()), 1);
      assert.deepEqual(
        (await store.db.selectFrom('tokens').select('token_hash').where('user_id', '=', user).execute()).map(
          (r) => r.token_hash,
        ),
        ['live'],
      );
      const left = await store.db
        .selectFrom('access_keys')
        .select('access')
        .where('user_id', '=', user)
        .orderBy('access')
        .execute();
      assert.deepEqual(
        left.map((r) => r.access),
        ['NEW', 'PERM'],
      );
    });

    test('the change mark: bucket writes leave it; other writes, here or by another connection, move it', async (t) => {
      if (backend.name !== 'sqlite') return t.skip('SQLite only: PostgreSQL has no change mark');
      // Past the 50 ms between samples of another connection's commits (what is awaited, not asserted on).
      const sampled = () => new Promise((r) => setTimeout(r, 60));
      const spec = { rate: 1000, capacity: 1000 };
      const bucketVersion = async () =>
        Number(
          (
            await store.db
              .selectFrom('rate_buckets')
              .select('version')
              .where('instance_id', '=', instance)
              .executeTakeFirst()
          )?.version ?? 0,
        );
      await sampled();
      const before = store.changeMark();
      assert.ok(before);
      // The first take inserts the bucket, the next ones update it; a new spec deletes it.
      for (let i = 0; i < 3; i++) assert.equal((await takeTokens(store.db, instance, spec, 1, Date.now())).granted, 1);
      assert.equal(await bucketVersion(), 3);
      await resetBucket(store.db, instance);
      assert.equal(await bucketVersion(), 0);
      await takeTokens(store.db, instance, spec, 1, Date.now());
      await sampled();
      assert.equal(store.changeMark(), before, 'bucket writes left the mark');
      // A transaction that writes the bucket and anything else moves it.
      await store.transaction(async (trx) => {
        await takeTokens(trx, instance, spec, 1, Date.now());
        await insertCatalog(trx, catalog('mark_a'));
      });
      const local = store.changeMark();
      assert.notEqual(local, before);
      // Another connection on the file (the admin CLI, a second server): its commit moves the mark too.
      const other = openStore(url);
      try {
        await insertCatalog(other.db, catalog('mark_b'));
        let seen = store.changeMark();
        for (let i = 0; i < 100 && seen === local; i++) {
          await sampled();
          seen = store.changeMark();
        }
        assert.notEqual(seen, local, "another connection's commit moved the mark");
      } finally {
        await other.close();
      }
    });

    test('a large WAL is checkpointed by a thread of its own, before the writer would', async (t) => {
      if (backend.name !== 'sqlite') return t.skip('SQLite only: PostgreSQL has no WAL of ours to checkpoint');
      const file = path.join(dir, 'wal.db');
      const s = openStore(`sqlite:${file}`);
      try {
        await sql`create table blobs (b blob)`.execute(s.db);
        // About 6 MB in one transaction: past the 4 MB that starts the checkpointer, short of the writer's 40 MB.
        const blob = Buffer.alloc(1024 * 1024, 7);
        await s.transaction(async (trx) => {
          for (let i = 0; i < 6; i++) await sql`insert into blobs values (${blob})`.execute(trx);
        });
        assert.ok(fs.statSync(file).size < 1024 * 1024, 'nothing was checkpointed by the writer');
        // The pages reach the database file without another write on the store's connection.
        for (let i = 0; i < 100 && fs.statSync(file).size < 6 * 1024 * 1024; i++)
          await new Promise((r) => setTimeout(r, 50));
        assert.ok(fs.statSync(file).size >= 6 * 1024 * 1024, `database file: ${fs.statSync(file).size} bytes`);
      } finally {
        await s.close();
      }
    });

    test('a statement compiled once is prepared by name on PostgreSQL, again after its columns changed', async (t) => {
      if (backend.name !== 'postgres') return t.skip('PostgreSQL only: SQLite prepares in the process');
      await sql`create table prepared_probe (a integer)`.execute(store.db);
      await sql`insert into prepared_probe values (1)`.execute(store.db);
      const probe = preparedQuery((q: Db) => {
        const text = sql<Record<string, unknown>>`select * from prepared_probe`;
        return { compile: () => text.compile(q) };
      }, 0);
      // A store of its own: queries one after another keep to one connection, whose prepared statements are listed.
      const s = openStore(url);
      try {
        assert.deepEqual(await probe(s.db), [{ a: 1 }]);
        const kept = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
          where statement = 'select * from prepared_probe'`.execute(s.db);
        assert.equal(kept.rows[0]?.n, 1, 'the statement is prepared on the connection');
        // A replica's migration adds a column: the prepared statement's result changes shape. One call may fail
        // (PostgreSQL refuses to run it); the next prepares it again and sees the new column.
        await sql`alter table prepared_probe add column b integer`.execute(store.db);
        const after = await probe(s.db).catch(() => probe(s.db));
        assert.deepEqual(after, [{ a: 1, b: null }]);
      } finally {
        await s.close();
        await sql`drop table prepared_probe`.execute(store.db);
      }
    });

    test('connections ended by the database server are replaced, not fatal', async (t) => {
      if (backend.name !== 'postgres') return t.skip('PostgreSQL only: SQLite has no server to end connections');
      const seen: Error[] = [];
      const s = openStore(url, { onConnectionError: (err) => seen.push(err) });
      try {
        await sql`select 1`.execute(s.db);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`.execute(store.db);
        // The pool notices the ended idle connection on its own socket.
        for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
        assert.ok(seen.length > 0, 'the ended connection was reported');
        const r = await sql<{ one: number }>`select 1 as one`.execute(s.db);
        assert.equal(r.rows[0]?.one, 1);
      } finally {
        await s.close();
      }
    });
  });
}
