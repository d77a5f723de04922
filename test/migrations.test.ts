// Upgrades: a database created by the migrations up to each earlier step, then migrated to the latest as a newer
// server does on start, ends up exactly like a fresh one: the same tables, columns, types, defaults, indexes,
// constraints and rows written by migrations (SQLite's pinned planner statistics among them), on both stores.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../src/store/migrations/index.js';
import { openStore, type Store } from '../src/store/store.js';
import { type Backend, backends, createPgDatabase, dropPgDatabase } from './helpers/server.js';

const names = Object.keys(await migrationProvider('sqlite').getMigrations()).sort();

/** Everything the migrations define, in a form two databases can be compared by. */
async function describeSchema(store: Store): Promise<unknown> {
  const rows = async (q: ReturnType<typeof sql>) => (await q.execute(store.db)).rows;
  let schema: Record<string, unknown>;
  let tables: string[];
  if (store.dialect === 'sqlite') {
    const objects = (await rows(
      sql`SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY
        type, name`,
    )) as { type: string; name: string }[];
    tables = objects.filter((o) => o.type === 'table' && o.name !== 'sqlite_sequence').map((o) => o.name);
    schema = { objects };
  } else {
    // At once, each on a connection of the pool.
    const [columns, indexes, constraints, sequences, names] = await Promise.all([
      rows(sql`SELECT table_name, column_name, ordinal_position, data_type, collation_name, is_nullable,
        column_default
      FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`),
      rows(
        sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY
        tablename, indexname`,
      ),
      rows(sql`SELECT c.conrelid::regclass::text AS on_table, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()
      ORDER BY 1, 2`),
      rows(
        sql`SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema =
        current_schema() ORDER BY 1`,
      ),
      rows(sql`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`),
    ]);
    tables = (names as { tablename: string }[]).map((t) => t.tablename);
    schema = { columns, indexes, constraints, sequences };
  }
  // Rows the migrations wrote (seeds, statistics); the migration log differs only in its timestamps.
  const data: Record<string, unknown[]> = {};
  // At once: on PostgreSQL the pool's connections share some fifty round trips.
  await Promise.all(
    tables
      .filter((n) => n !== 'kysely_migration_lock')
      .map(async (t) => {
        const all = await rows(
          t === 'kysely_migration'
            ? sql`SELECT name FROM kysely_migration ORDER BY name`
            : sql`SELECT * FROM ${sql.table(t)}`,
        );
        data[t] = all.map((r) => JSON.stringify(r)).sort();
      }),
  );
  return { schema, data };
}

// Both stores at once: SQLite's steps are this process's work, PostgreSQL's mostly the server's.
// Known before the suite is declared: a suite's subtests declared after an await run outside it, one after another.
const stores = await backends();
describe('schema migrations', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`schema migrations (${backend.name})`, { concurrency: false }, () => {
      const adminUrl = (backend as Required<Backend>).adminUrl;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-migrations-'));
      const databases: string[] = [];
      after(async () => {
        // At once: each drop waits for a checkpoint, and concurrent drops share one.
        await Promise.all(databases.map((url) => dropPgDatabase(adminUrl, url)));
        fs.rmSync(dir, { recursive: true, force: true });
      });
      // No commit waits for its WAL flush: durability across a crash is not what this test is about.
      const fast = (url: string) => {
        const u = new URL(url);
        u.searchParams.set('options', '-c synchronous_commit=off');
        return u.toString();
      };
      /** A new, empty database: a file on SQLite, a database of its own on PostgreSQL. */
      const empty = async (label: string): Promise<string> => {
        if (backend.name === 'sqlite') return `sqlite:${path.join(dir, `${label}.db`)}`;
        const url = await createPgDatabase(adminUrl);
        databases.push(url);
        return fast(url);
      };
      /**
       * A copy of the closed database at `url` as it stands: the file copied (closing checkpointed its WAL), or a
       * database made from it as a template (a copy without a checkpoint on PostgreSQL 15's WAL_LOG strategy).
       */
      const snapshot = async (url: string, label: string): Promise<string> => {
        if (backend.name === 'sqlite') {
          const file = path.join(dir, `${label}.db`);
          fs.copyFileSync(url.replace(/^sqlite:/, ''), file);
          return `sqlite:${file}`;
        }
        const copy = `lf_test_${randomBytes(6).toString('hex')}`;
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          // The closed store's connections may still be ending: "being accessed by other users" (55006) passes.
          for (let attempt = 1; ; attempt++) {
            try {
              await client.query(`CREATE DATABASE ${copy} TEMPLATE ${new URL(url).pathname.slice(1)}`);
              break;
            } catch (err) {
              if ((err as { code?: string }).code !== '55006' || attempt === 20) throw err;
              await new Promise((r) => setTimeout(r, 50));
            }
          }
        } finally {
          await client.end();
        }
        const u = new URL(adminUrl);
        u.pathname = `/${copy}`;
        databases.push(u.toString());
        return fast(u.toString());
      };

      test('there are migrations, named in order', () => {
        assert.ok(names.length >= 18, names.join());
        for (const n of names) assert.match(n, /^\d{4}-[a-z0-9-]+$/);
      });

      test('a database at every earlier step upgrades to exactly the fresh schema', async () => {
        const target = openStore(await empty('latest'));
        assert.deepEqual(await target.migrate(), names);
        const expected = await describeSchema(target);
        await target.close();
        // The database at each step is made once: a few databases are each migrated on from step to step (a step of
        // their own at a time) and copied there, and the copy is upgraded. Rebuilding every step from scratch cost as
        // many migrations again as the upgrades themselves.
        const steps = names.slice(0, -1);
        const slots = 3;
        await Promise.all(
          Array.from({ length: slots }, async (_, slot) => {
            const work = await empty(`work-${slot}`);
            for (const step of steps.filter((_s, i) => i % slots === slot)) {
              const old = openStore(work);
              try {
                const migrator = new Migrator({
                  db: old.db,
                  provider: migrationProvider(old.dialect),
                  allowUnorderedMigrations: true,
                });
                const to = await migrator.migrateTo(step);
                assert.ifError(to.error);
                assert.equal(to.results?.at(-1)?.migrationName, step);
              } finally {
                await old.close();
              }
              // A newer server opens the database anew and applies the rest.
              const upgraded = openStore(await snapshot(work, `at-${step}`));
              try {
                assert.deepEqual(
                  await upgraded.migrate(),
                  names.slice(names.indexOf(step) + 1),
                  `the rest after ${step}`,
                );
                assert.deepEqual(await describeSchema(upgraded), expected, `upgraded from ${step}`);
              } finally {
                await upgraded.close();
              }
            }
          }),
        );
      });
    });
  }
});
