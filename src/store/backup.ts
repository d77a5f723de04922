import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import type { Store } from './store.js';

// Backups of the metadata store while the server keeps serving. SQLite: the online backup API,
// which copies a consistent snapshot page by page (the file is itself a database). PostgreSQL:
// every table read in one REPEATABLE READ transaction (one snapshot), written as JSON lines;
// restored through json_populate_recordset so PostgreSQL converts each column itself.

const SQLITE_MAGIC = 'SQLite format 3\0';
const FORMAT = 'lakeform-backup';
const BATCH = 1000;
/** Kysely's own bookkeeping: restored by running the migrations, not copied. */
const MIGRATION_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

export interface BackupResult {
  file: string;
  dialect: 'sqlite' | 'postgres';
  bytes: number;
  tables?: number;
  rows?: number;
}

export function sqliteFileOf(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}

/** Whether a store exists at this URL's file (SQLite) — PostgreSQL is asked with hasSchema. */
export function sqliteStoreExists(databaseUrl: string): boolean {
  const file = sqliteFileOf(databaseUrl);
  return file !== undefined && fs.existsSync(file) && fs.statSync(file).size > 0;
}

/** Whether the database holds any table of ours (or of anything else) in its public schema. */
export async function hasSchema(store: Store): Promise<boolean> {
  return (await store.db.introspection.getTables({ withInternalKyselyTables: true })).length > 0;
}

/** SQLite's online backup of the file behind databaseUrl into `dest` (refuses to overwrite). */
export async function backupSqlite(databaseUrl: string, dest: string): Promise<BackupResult> {
  const file = sqliteFileOf(databaseUrl) as string;
  const db = new SqliteDatabase(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const partial = `${dest}.partial`;
    fs.rmSync(partial, { force: true });
    // All remaining pages in one step: a step interrupted by a write of the server would restart.
    await db.backup(partial, { progress: () => 0x7fffffff });
    fs.renameSync(partial, dest);
  } finally {
    db.close();
  }
  return { file: dest, dialect: 'sqlite', bytes: fs.statSync(dest).size };
}

async function tablesInDependencyOrder(store: Store): Promise<string[]> {
  const tables = (
    await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(store.db)
  ).rows.map((r) => r.name);
  const edges = (
    await sql<{ child: string; parent: string }>`SELECT c.conrelid::regclass::text AS child,
    c.confrelid::regclass::text AS parent FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE c.contype = 'f' AND n.nspname = 'public'`.execute(store.db)
  ).rows;
  const unquote = (t: string) => t.replace(/^"|"$/g, '');
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges)
    if (unquote(e.child) !== unquote(e.parent)) parents.get(unquote(e.child))?.add(unquote(e.parent));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const p of parents.get(t) ?? []) visit(p);
    order.push(t);
  };
  for (const t of tables) visit(t);
  return order.filter((t) => !MIGRATION_TABLES.has(t));
}

/** Every table of a PostgreSQL store, from one snapshot, as JSON lines in `dest`. */
export async function backupPostgres(store: Store, dest: string, migrations: string[]): Promise<BackupResult> {
  const partial = `${dest}.partial`;
  const out = fs.createWriteStream(partial);
  const write = (line: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(`${line}\n`)) resolve();
      else out.once('drain', resolve).once('error', reject);
    });
  let rows = 0;
  let tables = 0;
  try {
    await store.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await sql`SET TRANSACTION READ ONLY`.execute(trx);
        await write(
          JSON.stringify({
            format: FORMAT,
            version: 1,
            database: 'postgresql',
            migrations,
            taken_at: new Date().toISOString(),
          }),
        );
        for (const table of await tablesInDependencyOrder(store)) {
          tables++;
          await write(JSON.stringify({ table }));
          // A cursor of the snapshot: memory stays bounded whatever the table's size.
          await sql`DECLARE backup_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS r FROM
            ${sql.table(table)} t`.execute(trx);
          for (;;) {
            const batch = (await sql<{ r: string }>`FETCH ${sql.raw(String(BATCH))} FROM backup_rows`.execute(trx))
              .rows;
            for (const b of batch) await write(b.r);
            rows += batch.length;
            if (batch.length < BATCH) break;
          }
          await sql`CLOSE backup_rows`.execute(trx);
        }
      });
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    fs.renameSync(partial, dest);
  } catch (err) {
    out.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
  return { file: dest, dialect: 'postgres', bytes: fs.statSync(dest).size, tables, rows };
}

export async function backupKind(file: string): Promise<'sqlite' | 'postgres'> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const { buffer, bytesRead } = await fd.read(Buffer.alloc(64), 0, 64, 0);
    const head = buffer.subarray(0, bytesRead).toString('latin1');
    if (head.startsWith(SQLITE_MAGIC)) return 'sqlite';
    if (head.startsWith('{') && head.includes(FORMAT)) return 'postgres';
  } finally {
    await fd.close();
  }
  throw new Error(`${file} is not a lakeform backup (neither a SQLite database nor a PostgreSQL export)`);
}

/** Puts a SQLite backup in place as the store's file; the caller has checked there is none. */
export function restoreSqlite(file: string, databaseUrl: string): void {
  const target = sqliteFileOf(databaseUrl) as string;
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const check = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const ok = check.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new Error(`${file} fails SQLite's integrity check: ${String(ok)}`);
  } finally {
    check.close();
  }
  fs.copyFileSync(file, `${target}.partial`);
  fs.renameSync(`${target}.partial`, target);
}

/**
 * Loads a PostgreSQL export into a store whose schema the caller has just migrated (empty), in one
 * transaction: all or nothing. Serial columns continue after the restored ids.
 */
export async function restorePostgres(
  store: Store,
  file: string,
  known: string[],
): Promise<{ tables: number; rows: number }> {
  type Header = { format?: string; database?: string; migrations?: string[] };
  let header: Header | undefined;
  let tables = 0;
  let rows = 0;
  await store.db.transaction().execute(async (trx) => {
    let table: string | undefined;
    let batch: string[] = [];
    const flush = async () => {
      if (!table || !batch.length) return;
      await sql`INSERT INTO ${sql.table(table)} SELECT * FROM json_populate_recordset(NULL::${sql.table(table)},
        ${`[${batch.join(',')}]`}::json)`.execute(trx);
      rows += batch.length;
      batch = [];
    };
    // Opened here, after the transaction began: lines read before iteration starts would be lost.
    const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      if (!header) {
        const h = JSON.parse(line) as Header;
        header = h;
        if (h.format !== FORMAT || h.database !== 'postgresql')
          throw new Error(`${file} is not a PostgreSQL export of lakeform`);
        const unknown = (h.migrations ?? []).filter((m) => !known.includes(m));
        if (unknown.length)
          throw new Error(
            `the backup comes from a newer lakeform (migrations ${unknown.join(', ')}); restore it with that version`,
          );
        continue;
      }
      if (line.startsWith('{"table":')) {
        await flush();
        table = (JSON.parse(line) as { table: string }).table;
        tables++;
        continue;
      }
      batch.push(line);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (!header) throw new Error(`${file} is empty`);
    const serials = (
      await sql<{ t: string; c: string }>`SELECT table_name AS t, column_name AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'`.execute(trx)
    ).rows;
    for (const s of serials) {
      await sql`SELECT setval(pg_get_serial_sequence(${s.t}, ${s.c}), coalesce((SELECT max(${sql.ref(s.c)})
        FROM ${sql.table(s.t)}), 0) + 1, false)`.execute(trx);
    }
  });
  return { tables, rows };
}
