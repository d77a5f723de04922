import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type LogEvent, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type pg from 'pg';
import { checkpointInBackground } from './checkpointer.js';
import { type Db, DIALECTS, type Dialect, type SqlDialect, type Tx } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import { type RowMode, registerSyncReader, statementName } from './prepared.js';
import type { Database } from './schema.js';

export type { Db, Dialect, Tx } from './dialect.js';

/** What a store's database does differently that services must plan around, without knowing which database it is. */
export interface StoreCapabilities {
  /**
   * One writer at a time for the whole database (SQLite): a long write holds up every other, so long work is split
   * into short transactions (staged partition batches).
   */
  readonly singleWriter: boolean;
  /**
   * A write its repository folds into one statement (SqlDialect.writeAll, data-modifying WITH parts) is atomic
   * without a transaction (PostgreSQL): it may skip BEGIN and COMMIT, two round trips. SQLite runs such writes as
   * statements in turn, within the caller's transaction.
   */
  readonly oneStatementWrites: boolean;
}

/** The metadata store: one Kysely instance over SQLite or PostgreSQL; where they differ is `sql` (see dialect.ts). */
export class Store {
  /** The statements this store's database spells its own way. */
  readonly sql: SqlDialect;
  readonly capabilities: StoreCapabilities;

  constructor(
    readonly db: Db,
    readonly dialect: Dialect,
  ) {
    this.sql = DIALECTS[dialect];
    this.capabilities = Object.freeze({
      singleWriter: dialect === 'sqlite',
      oneStatementWrites: dialect === 'postgres',
    });
  }

  /** Is the database reachable (a health check)? Throws when it is not. */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.db);
  }

  /**
   * Runs fn in one transaction. On PostgreSQL a serialization failure or deadlock is retried a
   * bounded number of times; SQLite serialises all access through its single connection.
   */
  async transaction<T>(fn: (trx: Tx) => Promise<T>): Promise<T> {
    return this.retried(() => this.db.transaction().execute(fn));
  }

  /**
   * Runs fn, whose one write is a single statement (see StoreCapabilities.oneStatementWrites), without a
   * transaction; retried as transaction() is on a serialization failure or deadlock (the statement then wrote nothing).
   */
  async statement<T>(fn: (q: Db) => Promise<T>): Promise<T> {
    return this.retried(() => fn(this.db));
  }

  private async retried<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (attempt < 4 && isRetryableConflict(err)) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
          continue;
        }
        throw err;
      }
    }
  }

  /** Tails of the in-process queues per lock name (see serialized). */
  private readonly lockTails = new Map<string, Promise<void>>();
  /** Connections that may wait on or hold named locks at once: the rest of the pool stays free for reads. */
  private lockSlots = 5;
  private readonly lockWaiters: (() => void)[] = [];

  /**
   * Runs fn while holding the named locks: one holder per name at a time, in this process and,
   * on PostgreSQL, across replicas (an advisory lock held by a transaction of its own, released
   * when it ends or its connection dies). fn runs its own statements and transactions beside it.
   * Names are taken in sorted order, so two holders of overlapping sets cannot deadlock.
   * `acrossReplicas: false` takes only this process's locks: no connection, no round trip (callers that check what
   * they write, such as a compare-and-swap, and take the shared lock once they lose to another replica).
   */
  async serialized<T>(names: string[], fn: () => Promise<T>, o: { acrossReplicas?: boolean } = {}): Promise<T> {
    const sorted = [...new Set(names)].sort();
    const releases: (() => void)[] = [];
    try {
      // In this process first: a replica holds at most one database connection per name.
      for (const name of sorted) releases.push(await this.localLock(name));
      if (this.dialect !== 'postgres' || o.acrossReplicas === false) return await fn();
      await this.lockSlot();
      releases.push(() => this.unlockSlot());
      let done = false;
      let result: T | undefined;
      try {
        await this.db.transaction().execute(async (trx) => {
          for (const name of sorted) await this.sql.lockName(trx, name);
          result = await fn();
          done = true;
        });
      } catch (err) {
        // Ending the lock's transaction failed after fn's own work landed: the lock is gone with its connection.
        if (!done) throw err;
      }
      return result as T;
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async localLock(name: string): Promise<() => void> {
    const previous = this.lockTails.get(name) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => mine);
    this.lockTails.set(name, tail);
    await previous;
    return () => {
      release();
      if (this.lockTails.get(name) === tail) this.lockTails.delete(name);
    };
  }

  private async lockSlot(): Promise<void> {
    if (this.lockSlots > 0) {
      this.lockSlots--;
      return;
    }
    await new Promise<void>((r) => this.lockWaiters.push(r));
  }

  private unlockSlot(): void {
    const next = this.lockWaiters.shift();
    if (next) next();
    else this.lockSlots++;
  }

  async migrate(): Promise<string[]> {
    // Numbers are reserved per branch (0015 may ship before 0013): a database that applied a
    // later one still takes an earlier one that arrives afterwards.
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.dialect),
      allowUnorderedMigrations: true,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /**
   * A mark that changes whenever something may have been written to the database (SQLite): a
   * cached answer taken at one mark is current while the mark is unchanged. Undefined on
   * PostgreSQL, where other replicas write unseen: callers then read the store.
   */
  changeMark: () => string | undefined = () => undefined;

  /**
   * The part of changeMark that other processes' commits move (SQLite's data_version, sampled as changeMark samples
   * it); undefined on PostgreSQL. With a count of its own that this process's writes to something move (a table's
   * partition mark), it keeps an answer that depends on that something alone across writes to anything else.
   */
  externalMark: () => number | undefined = () => undefined;

  private readonly analyzed = new Map<string, { rows: number; since: number; running: boolean }>();

  /**
   * PostgreSQL plans from sampled statistics, which autovacuum refreshes late: a table that grew
   * from a thousand rows to a million is still planned as tiny (a selective filter as a scan).
   * So a table is re-sampled once the rows written to it since the last time exceed a fifth of
   * what there was then. SQLite needs none of this: it plans the partition tables from pinned
   * statistics (see migration 0006) and the others by their indexes.
   */
  async noteRowsWritten(table: 'tables' | 'partitions', rows: number): Promise<void> {
    if (this.dialect !== 'postgres') return;
    const a = this.analyzed.get(table) ?? { rows: 0, since: 0, running: false };
    this.analyzed.set(table, a);
    a.since += rows;
    if (a.running || a.since < Math.max(1000, a.rows / 5)) return;
    a.running = true;
    const written = a.since;
    a.since = 0;
    try {
      await this.sql.analyze(this.db, table === 'partitions' ? ['partitions', 'partition_values'] : ['tables']);
      a.rows += written;
    } finally {
      a.running = false;
    }
  }

  private readonly closers: (() => void | Promise<void>)[] = [];

  /** Called with each query's duration in seconds, whether it failed (the metrics' store latency) and its SQL. */
  queryObserver: ((seconds: number, failed: boolean, sql: string) => void) | undefined;

  /** Connections of the PostgreSQL pool (undefined on SQLite, which has one connection). */
  poolStats: () => { total: number; idle: number; waiting: number } | undefined = () => undefined;

  /** Names of migrations known to this build but not applied to the database. */
  async pendingMigrations(): Promise<string[]> {
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.dialect),
      allowUnorderedMigrations: true,
    });
    return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
  }

  onClose(fn: () => void | Promise<void>): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    for (const fn of this.closers) await fn();
  }
}

/** sqliteCacheMb: SQLite's page cache of the main connection (from the memory budget; 64 MB without one). */
export function openStore(
  databaseUrl: string,
  o: { sqliteCacheMb?: number; onConnectionError?: (err: Error) => void } = {},
): Store {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const database = new SqliteDatabase(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    // 64 MB of page cache: index inserts into tables of millions of partitions stay in memory.
    database.pragma(`cache_size = -${Math.floor((o.sqliteCacheMb ?? 64) * 1024)}`);
    // Checkpoint every ~40 MB of WAL rather than 4 MB: bulk partition writes touch the same index
    // pages batch after batch, and each checkpoint then copies them once instead of ten times.
    database.pragma('wal_autocheckpoint = 10000');
    // Names are stored lower-case and patterns are lower-cased before matching, so a
    // case-sensitive LIKE gives the same answers and lets SQLite use the name index for a prefix.
    database.pragma('case_sensitive_like = ON');
    let localWrites = 0;
    const observed = observer();
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({
        database: withStatementCache(database, (source) => {
          if (!MARK_NEUTRAL.test(source)) localWrites++;
        }),
      }),
      log: observed.log,
    });
    const store = new Store(db, 'sqlite');
    observed.store = store;
    if (file !== ':memory:') {
      // A second, read-only connection serves prepared lookups synchronously while the main connection is inside a
      // transaction: in WAL mode it reads the last committed state, so it never sees a transaction half-done.
      // Opened read-write with query_only: a SQLITE_OPEN_READONLY connection cannot share the WAL
      // index and rebuilds it from the WAL file on every read.
      const reader = withStatementCache(new SqliteDatabase(file));
      reader.pragma('query_only = 1');
      reader.pragma('case_sensitive_like = ON');
      reader.pragma('busy_timeout = 5000');
      store.onClose(() => {
        reader.close();
      });
      store.onClose(checkpointInBackground(file));
      // Outside a transaction the main connection serves them itself: it sees only committed state then too, and its
      // page cache survives its own commits, while the reader's is dropped whole at its first read after any commit
      // (each lookup after a write read its pages again). Its own statements, not Kysely's of the same text, whose
      // row modes these calls set.
      const ownReads = withStatementCache(database);
      // Statements are shared by their text: each call sets its row mode for itself (raw(false) leaves pluck as it
      // was, and pluck(false) raw, so both are set).
      const read = (on: SqliteDatabase.Database, sql: string, parameters: readonly unknown[], mode: RowMode) => {
        const statement = on.prepare(sql);
        // Writes go through Kysely, which counts them for the change mark (the reader refuses them: query_only).
        if (!statement.readonly) throw new Error('a synchronous read must not write');
        return statement
          .raw(mode === 'raw')
          .pluck(mode === 'pluck')
          .all(...parameters);
      };
      registerSyncReader(db, (sql, parameters, mode) => {
        if (database.inTransaction) return read(reader, sql, parameters, mode);
        try {
          return read(ownReads, sql, parameters, mode);
        } catch (err) {
          // Busy with a statement still iterating: the reader answers, as inside a transaction.
          if (err instanceof TypeError && /busy/.test(err.message)) return read(reader, sql, parameters, mode);
          throw err;
        }
      });
      // This process's own writes count at once (but for MARK_NEUTRAL ones); another process's (the admin CLI, a
      // second server on the file) through SQLite's data_version, sampled at most every 50 ms: reading it costs about
      // as much as the reads it saves. Read on the main connection, where it moves only for other connections'
      // commits (on the reader it would move for each of this process's own too, rate buckets included).
      const dataVersion = database.prepare('PRAGMA data_version').pluck();
      let external = dataVersion.get() as number;
      let sampledAt = performance.now();
      store.changeMark = () => {
        const now = performance.now();
        // Not inside a transaction of the main connection (a read there would start its snapshot early), nor while
        // a statement of it is being iterated (better-sqlite3 refuses): the next call samples instead.
        if (now - sampledAt > 50 && !database.inTransaction) {
          try {
            external = dataVersion.get() as number;
            sampledAt = now;
          } catch {
            // the connection is busy: keep the last sample
          }
        }
        return `${localWrites}/${external}`;
      };
      store.externalMark = () => {
        store.changeMark();
        return external;
      };
    }
    return store;
  }
  // Required here: a SQLite store never loads the PostgreSQL driver (70 ms of CPU at start).
  const { Pool, Client } = createRequire(import.meta.url)('pg') as typeof pg;
  // Statements compiled once are sent by name: each connection parses and plans one once, then only binds it.
  class NamingClient extends Client {
    /** Statements of this connection prepared again under a new name (see below), by their text. */
    private readonly renamed = new Map<string, string>();
    // biome-ignore lint/suspicious/noExplicitAny: pg's query has a dozen overloads; this passes every call through.
    override query(config: any, values?: any, callback?: any): any {
      const name =
        typeof config === 'string' && !callback ? (this.renamed.get(config) ?? statementName(config)) : undefined;
      if (!name) return super.query(config, values, callback);
      return super.query({ name, text: config }, values).catch((err: unknown) => {
        // A prepared statement whose result columns a migration changed (a replica upgraded) fails until it is
        // prepared again: under another name, as the old one may not be dropped inside a failed transaction.
        if (codeOf(err) === '0A000') this.renamed.set(config, `${name}_${this.renamed.size + 1}`);
        throw err;
      });
    }
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 10, Client: NamingClient });
  // An idle connection the server ended (a restart, pg_terminate_backend) is dropped by the pool; without a
  // listener its 'error' event would end the process.
  pool.on('error', (err) => o.onConnectionError?.(err));
  const observed = observer();
  const store = new Store(
    new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: observed.log }),
    'postgres',
  );
  observed.store = store;
  store.poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return store;
}

/** Kysely's query log, forwarded to the store's observer once one is set (Kysely times each query). */
function observer(): { store?: Store; log: (event: LogEvent) => void } {
  const o: { store?: Store; log: (event: LogEvent) => void } = {
    log: (event) =>
      o.store?.queryObserver?.(event.queryDurationMillis / 1000, event.level === 'error', event.query.sql),
  };
  return o;
}

/**
 * Statements that write only rate_buckets (the QPS limiter's shared bucket, written about once a second under load):
 * no read kept by the change mark reads that table, so they leave the mark where it is. A transaction that writes
 * anything else still moves it (by its other statements and its COMMIT).
 */
const MARK_NEUTRAL = /^(insert into|update|delete from) "rate_buckets" /;

/**
 * Kysely prepares every query anew; preparing is the largest cost of a small SQLite query, so
 * statements are kept by their SQL text (bounded). better-sqlite3 statements are reusable, and
 * Kysely runs one query at a time on the connection.
 */
function withStatementCache(
  database: SqliteDatabase.Database,
  onWrite?: (source: string) => void,
): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const writes = new WeakSet<SqliteDatabase.Statement>();
  const prepare = database.prepare.bind(database);
  return new Proxy(database, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (!stmt) {
          stmt = prepare(source);
          if (cache.size >= 1000) cache.delete(cache.keys().next().value as string);
          cache.set(source, stmt);
          // Anything that may change data or end a transaction (COMMIT returns no rows).
          if (!stmt.readonly || !stmt.reader) writes.add(stmt);
        }
        // Kysely runs a statement right after preparing it, in the same tick: counting here
        // counts the write before any other code of this process can look.
        if (onWrite && writes.has(stmt)) onWrite(source);
        return stmt;
      };
    },
  });
}

interface DriverError {
  code?: unknown;
  errno?: unknown;
}

function codeOf(err: unknown): string {
  const c = (err as DriverError | null)?.code;
  return typeof c === 'string' ? c : '';
}

/** A unique or primary-key constraint said no: the caller maps it to 409. */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

export function isRetryableConflict(err: unknown): boolean {
  const code = codeOf(err);
  // SQLITE_BUSY_SNAPSHOT too: a transaction that read before another process (the admin CLI,
  // a second server on the file) wrote cannot upgrade to a write; only starting over helps.
  return code === '40001' || code === '40P01' || code.startsWith('SQLITE_BUSY');
}

export function nowIso(): string {
  return new Date().toISOString();
}
