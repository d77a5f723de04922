// Upgrades: a database created by the migrations up to each earlier step, then migrated to the latest as a newer
// server does on start, ends up exactly like a fresh one: the same tables, columns, types, defaults, indexes,
// constraints and rows written by migrations (SQLite's pinned planner statistics among them), on both stores.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
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
    const columns =
      await rows(sql`SELECT table_name, column_name, ordinal_position, data_type, collation_name, is_nullable,
        column_default
      FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`);
    const indexes = await rows(
      sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY
        tablename, indexname`,
    );
    const constraints =
      await rows(sql`SELECT c.conrelid::regclass::text AS on_table, c.conname, pg_get_constraintdef(c.oid) AS def
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()
      ORDER BY 1, 2`);
    const sequences = await rows(
      sql`SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema =
        current_schema() ORDER BY 1`,
    );
    tables = (
      (await rows(sql`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)) as {
        tablename: string;
      }[]
    ).map((t) => t.tablename);
    schema = { columns, indexes, constraints, sequences };
  }
  // Rows the migrations wrote (seeds, statistics); the migration log differs only in its timestamps.
  const data: Record<string, unknown[]> = {};
  for (const t of tables.filter((n) => n !== 'kysely_migration_lock')) {
    const all = await rows(
      t === 'kysely_migration'
        ? sql`SELECT name FROM kysely_migration ORDER BY name`
        : sql`SELECT * FROM ${sql.table(t)}`,
    );
    data[t] = all.map((r) => JSON.stringify(r)).sort();
  }
  return { schema, data };
}

// Both stores at once: SQLite's steps are this process's work, PostgreSQL's mostly the server's.
// Known before the suite is declared: a suite's subtests declared after an await run outside it, one after another.
const stores = await backends();
describe('schema migrations', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`schema migrations (${backend.name})`, { concurrency: false }, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-migrations-'));
      const databases: string[] = [];
      after(async () => {
        // At once: each drop waits for a checkpoint, and concurrent drops share one.
        await Promise.all(databases.map((url) => dropPgDatabase((backend as Required<Backend>).adminUrl, url)));
        fs.rmSync(dir, { recursive: true, force: true });
      });
      /**
       * `slot`'s database, emptied: a file on SQLite; on PostgreSQL a database per slot whose schema is dropped and
       * made anew for each step (creating a database per step costs a checkpoint each).
       */
      const empty = async (slot: number, label: string): Promise<string> => {
        if (backend.name === 'sqlite') return `sqlite:${path.join(dir, `${label}.db`)}`;
        databases[slot] ??= await createPgDatabase((backend as Required<Backend>).adminUrl);
        const url = databases[slot] as string;
        const admin = openStore(url);
        try {
          await sql`DROP SCHEMA public CASCADE`.execute(admin.db);
          await sql`CREATE SCHEMA public`.execute(admin.db);
        } finally {
          await admin.close();
        }
        // No commit waits for its WAL flush: durability across a crash is not what this test is about.
        const u = new URL(url);
        u.searchParams.set('options', '-c synchronous_commit=off');
        return u.toString();
      };

      test('there are migrations, named in order', () => {
        assert.ok(names.length >= 18, names.join());
        for (const n of names) assert.match(n, /^\d{4}-[a-z0-9-]+$/);
      });

      test('a database at every earlier step upgrades to exactly the fresh schema', async () => {
        const target = openStore(await empty(0, 'latest'));
        assert.deepEqual(await target.migrate(), names);
        const expected = await describeSchema(target);
        await target.close();
        // A few steps at once, each in a database of its own.
        const steps = names.slice(0, -1);
        const slots = 3;
        await Promise.all(
          Array.from({ length: slots }, async (_, slot) => {
            for (const step of steps.filter((_s, i) => i % slots === slot)) {
              const url = await empty(slot, `at-${step}`);
              const old = openStore(url);
              const migrator = new Migrator({
                db: old.db,
                provider: migrationProvider(old.dialect),
                allowUnorderedMigrations: true,
              });
              const to = await migrator.migrateTo(step);
              assert.ifError(to.error);
              assert.equal(to.results?.at(-1)?.migrationName, step);
              await old.close();
              // A newer server opens the database anew and applies the rest.
              const upgraded = openStore(url);
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
