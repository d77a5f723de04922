import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { RunningServer } from '../../src/server.js';
import './lean-runner.js';

/** dist/test/helpers → the project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface Backend {
  name: 'sqlite' | 'postgres';
  adminUrl?: string;
}

let pgAvailable: Promise<boolean> | undefined;
const PG_ADMIN_URL = process.env.LAKEFORM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL driver, loaded by the first file that asks for a database (most run on SQLite only). */
const pgClient = async (): Promise<typeof pg.Client> => (await import('pg')).default.Client;

async function probePostgres(): Promise<boolean> {
  const client = new (await pgClient())({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Test files that also run on PostgreSQL, and what of PostgreSQL each keeps covered (servers of the files in
 * POSTGRES_PROCESS_FILES as real `lakeform serve` processes). Every other HTTP suite runs on SQLite only: that is
 * what makes the suite fast. LAKEFORM_TEST_POSTGRES=all runs every file on PostgreSQL too (a slow, thorough run).
 */
export const POSTGRES_FILES = new Map([
  [
    'store',
    'compare-and-swap, unique and foreign-key violations by ' +
      'SQLSTATE, retried serialization failures, keyset pages, filters',
  ],
  ['migrations', 'every migration step on PostgreSQL types, indexes and constraints'],
  ['alarms', 'the row lock capping rules per instance; two replicas evaluating one store'],
  ['jobs', "runs leased across two replicas; a dead replica's lease"],
  ['instances', 'the row lock behind the instance quota; unique names under concurrency'],
  ['iam', 'the row lock behind the access-key limit, under concurrent creates; token expiry and revocation'],
  ['constraints', 'unique and foreign-key violations decided by PostgreSQL under concurrency'],
  ['iceberg-commits', 'concurrent commits on one table version, with interleaving transactions'],
  ['tables', 'version checks under concurrency; reads that cannot trust a cache on PostgreSQL'],
  ['partitions', 'bulk inserts and ANALYZE after them; partition filters compiled to PostgreSQL SQL'],
  ['metadata-migration', 'a PostgreSQL Hive Metastore migrated into a PostgreSQL store (1,500 partitions)'],
  ['authorization-matrix', 'grant patterns as LIKE under PostgreSQL collation, for every read'],
  ['policies', 'grants read without the SQLite change mark (other replicas write unseen); groups, roles, columns'],
  ['tenancy', 'project scoping of every write on PostgreSQL'],
  ['credentials', 'location prefixes matched in PostgreSQL SQL'],
  ['metastore', 'every metastore call, the partition filter and the notification log over PostgreSQL'],
  ['web-console', "the console's pages of what the store keeps (instance, table, partitions, grants, activity)"],
  ['backup', 'the export of one REPEATABLE READ snapshot under write load, restored into an empty database'],
  ['operations', 'the readiness checks, store query metrics and pool gauges over PostgreSQL'],
  ['iceberg-scan-planning', 'plans and their tasks kept in PostgreSQL, answered by a second replica'],
  ['crash-recovery', 'kill -9 of a server process during bulk partition inserts and Iceberg commits, then a restart'],
  ['fuzz', "malformed input on every route: PostgreSQL's own refusals (NUL, ranges) never reach a client as a 500"],
  ['rate-limit-replicas', "one instance's token bucket shared by two replicas through PostgreSQL"],
  [
    'recycle-bin',
    'soft drops renamed through cascading keys, restores under unique names, purges claimed once by two replicas',
  ],
]);

/**
 * Files whose PostgreSQL servers run as real `lakeform serve` processes, for what a process adds: replicas that are
 * separate processes, the command line's own start-up and signals, a browser talking to a real port. The other files'
 * PostgreSQL servers run in the test's process like the SQLite ones (LAKEFORM_TEST_PROCESS=1: all); backup's
 * `lakeform backup` and `restore` are processes of their own. Jobs keeps its process: in the test's process, beside the
 * SQLite suite running at the same time, its work stalled that server's job leases and 2 s stops on a loaded host.
 */
export const POSTGRES_PROCESS_FILES = new Set(['alarms', 'jobs', 'web-console', 'crash-recovery']);

/**
 * The test file this process runs: its main module (node --test runs each file in a process of its own), or the one
 * scripts/test-group.mjs names as running when one process runs several.
 */
function testFile(): string {
  const running = (globalThis as Record<symbol, unknown>)[Symbol.for('lakeform.test.file')];
  return path.basename(typeof running === 'string' ? running : (process.argv[1] ?? '')).replace(/\.test\.[jt]s$/, '');
}

/**
 * The metadata stores a test file runs against: SQLite always; PostgreSQL too, when reachable, for the files of
 * POSTGRES_FILES (or all with LAKEFORM_TEST_POSTGRES=all). LAKEFORM_TEST_REQUIRE_PG=1 (set by CI) turns an
 * unreachable PostgreSQL into a failure; LAKEFORM_TEST_BACKENDS=sqlite limits a local run.
 */
export async function backends(): Promise<Backend[]> {
  const only = process.env.LAKEFORM_TEST_BACKENDS?.split(',');
  const list: Backend[] = [];
  if (!only || only.includes('sqlite')) list.push({ name: 'sqlite' });
  const wanted = process.env.LAKEFORM_TEST_POSTGRES === 'all' || POSTGRES_FILES.has(testFile());
  if ((!only || only.includes('postgres')) && wanted) {
    pgAvailable ??= probePostgres();
    if (await pgAvailable) list.push({ name: 'postgres', adminUrl: PG_ADMIN_URL });
    else if (process.env.LAKEFORM_TEST_REQUIRE_PG === '1')
      throw new Error(`PostgreSQL is required (LAKEFORM_TEST_REQUIRE_PG=1) but ${PG_ADMIN_URL} is unreachable`);
  }
  return list;
}

export interface Response<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | string[] | undefined>;
}

/** The URL, headers and body of a request as `fetch` sends them. */
function prepare(
  base: string,
  urlPath: string,
  o: RequestOptions,
): { url: URL; headers: Record<string, string>; body?: string | Buffer } {
  const url = new URL(base + urlPath);
  for (const [k, v] of Object.entries(o.query ?? {})) {
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) url.searchParams.append(k, String(x));
  }
  const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers ?? {}) };
  if (o.token) headers['X-Auth-Token'] = o.token;
  let body: string | Buffer | undefined;
  if (o.rawBody !== undefined) body = o.rawBody;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return { url, headers, body };
}

/**
 * The answer, its headers and JSON made when first read: most requests of a suite read only the status or the
 * text, and the two cost about a tenth of an in-process request's CPU.
 */
function answer<T>(status: number, headers: () => Headers, text: string): Response<T> {
  let h: Headers | undefined;
  let parsed = false;
  let json: any;
  const r = { status, text } as Response<T>;
  Object.defineProperty(r, 'headers', { enumerable: true, get: () => (h ??= headers()) });
  Object.defineProperty(r, 'json', {
    enumerable: true,
    get: () => {
      if (!parsed) {
        parsed = true;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
      }
      return json;
    },
  });
  return r;
}

export async function request<T = any>(
  base: string,
  method: string,
  urlPath: string,
  o: RequestOptions = {},
): Promise<Response<T>> {
  const { url, headers, body } = prepare(base, urlPath, o);
  const res = await fetch(url, { method, headers, body });
  return answer(res.status, () => res.headers, await res.text());
}

/**
 * The same request through Fastify's inject: every hook, parser, schema and serializer of the app, without a socket
 * (and without fetch's cost in the test's own thread). Headers a fetch would send are sent as well.
 */
async function injectRequest<T>(
  app: FastifyInstance,
  base: string,
  method: string,
  urlPath: string,
  o: RequestOptions = {},
): Promise<Response<T>> {
  const { url, headers, body } = prepare(base, urlPath, o);
  const sent: Record<string, string> = { host: url.host, 'user-agent': 'node', ...headers };
  // fetch labels a string body it was given without a type as text.
  if (typeof body === 'string' && !Object.keys(sent).some((k) => k.toLowerCase() === 'content-type'))
    sent['content-type'] = 'text/plain;charset=UTF-8';
  const res = await app.inject({
    method: method as 'GET',
    url: url.pathname + url.search,
    headers: sent,
    ...(body !== undefined ? { payload: body } : {}),
  });
  const headersOf = () => {
    const h = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, String(x));
    }
    return h;
  };
  return answer(res.statusCode, headersOf, res.body);
}

export interface TestServer {
  url: string;
  /** Whether the server is a `lakeform serve` child process rather than an app in the test's process. */
  process: boolean;
  /** An in-process server's own objects (its services, its alarm evaluator); undefined for a process. */
  running?: RunningServer;
  backend: Backend;
  adminPassword: string;
  dataDir: string;
  databaseUrl: string;
  /** Everything the server logged (or the process printed) so far. */
  output(): string;
  /**
   * Lets `ms` of the server's time pass, for what reads the injected clock (token expiry, the console's settling):
   * an in-process server's clock moves on at once, and its lifecycle worker sweeps; for a process, this waits.
   */
  passTime(ms: number): Promise<void>;
  request<T = any>(method: string, urlPath: string, o?: RequestOptions): Promise<Response<T>>;
  /** Password login; returns the token and the project id it is scoped to. */
  login(
    user?: string,
    password?: string,
    project?: string,
    domain?: string,
  ): Promise<{ token: string; projectId: string; userId: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the process but keeps the data, for restart tests. */
  restart(): Promise<TestServer>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir?: string;
  databaseUrl?: string;
  adminPassword?: string;
  /** Remove the data dir (and PostgreSQL database) on stop even though it was passed in: set by restart(). */
  ownsData?: boolean;
  /**
   * Run `lakeform serve` as a child process (for signals, exit codes, the CLI's own start-up). Otherwise servers run
   * in the test's process, but for PostgreSQL in POSTGRES_PROCESS_FILES; LAKEFORM_TEST_PROCESS=1 makes all processes.
   */
  process?: boolean;
  /** Run in the test's process on PostgreSQL too, for a test that moves the server's clock (passTime) there. */
  inProcess?: boolean;
  /**
   * A fresh database starts as a copy of one already migrated to the current schema (made once per schema); false:
   * the server migrates an empty one itself.
   */
  migrated?: boolean;
}

/**
 * SQLite files of the servers running in this process: a second server on one of them must be a process. A second
 * server on a PostgreSQL database runs in this process too: a pool of its own, sharing nothing with the first but the
 * database, as a replica does.
 */
const inProcessDatabases = new Set<string>();

/**
 * A key of the schema the migrations build: the compiled migrations and the dialect they read. A template made by
 * other migrations has another key, so a copied template is never stale.
 */
function schemaKey(): string {
  const dir = path.join(ROOT, 'dist/src/store/migrations');
  const hash = createHash('sha256');
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.js'))
    .sort()) {
    hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  }
  hash.update(fs.readFileSync(path.join(ROOT, 'dist/src/store/dialect.js')));
  return hash.digest('hex').slice(0, 16);
}

let sqliteTemplate: string | undefined;

/**
 * A SQLite file migrated to the latest schema, made once per schema (by whichever test process needs it first) and
 * copied into each fresh data dir: the servers then start on it as on a database they migrated themselves.
 */
async function migratedSqliteFile(): Promise<string> {
  if (sqliteTemplate) return sqliteTemplate;
  const file = path.join(os.tmpdir(), `lakeform-template-${schemaKey()}.db`);
  if (!fs.existsSync(file)) {
    const { openStore } = await import('../../src/store/store.js');
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    const store = openStore(`sqlite:${tmp}`);
    await store.migrate();
    await store.close();
    // Closed, the WAL is checkpointed into the file; the rename makes the template appear whole or not at all.
    fs.renameSync(tmp, file);
  }
  sqliteTemplate = file;
  return file;
}

/** The same for PostgreSQL: a database migrated once per schema, which new test databases are created from. */
async function migratedPgTemplate(client: pg.Client, adminUrl: string): Promise<string> {
  const name = `lakeform_tpl_${schemaKey()}`;
  // One test process makes it; the others wait on the lock, then find it.
  await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return name;
    const tmp = `${name}_${randomBytes(4).toString('hex')}`;
    await client.query(`CREATE DATABASE ${tmp}`);
    const u = new URL(adminUrl);
    u.pathname = `/${tmp}`;
    const { openStore } = await import('../../src/store/store.js');
    const store = openStore(u.toString());
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    await client.query(`ALTER DATABASE ${tmp} RENAME TO ${name}`);
    return name;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
  }
}

/** A new, empty PostgreSQL database; `migrated`: created from the template of the current schema. */
export async function createPgDatabase(adminUrl: string, o: { migrated?: boolean } = {}): Promise<string> {
  const name = `lf_test_${randomBytes(6).toString('hex')}`;
  const client = new (await pgClient())({ connectionString: adminUrl });
  await client.connect();
  try {
    const template = o.migrated ? await migratedPgTemplate(client, adminUrl) : undefined;
    await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropPgDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new (await pgClient())({ connectionString: adminUrl });
  await client.connect();
  try {
    // FORCE ends the server's connections, but a connection opening at that moment makes PostgreSQL answer "being
    // accessed by other users" (55006): try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Databases of stopped servers still being dropped. DROP DATABASE waits on a checkpoint of the whole cluster (seconds
 * on a loaded machine): a server's stop does not wait for it, the tests go on meanwhile. A process ends once they are
 * done (scripts/test-group.mjs waits for them after its last file); a drop that fails fails the suite by that line.
 */
const drops = new Set<Promise<void>>();

/** Resolves once every database left by a stopped server is dropped. */
export async function droppedDatabases(): Promise<void> {
  while (drops.size) await Promise.all(drops);
}

function dropLater(adminUrl: string, databaseUrl: string): void {
  const drop: Promise<void> = dropPgDatabase(adminUrl, databaseUrl)
    .catch((err: unknown) => {
      // The prefix scripts/test.mjs fails a run on, naming the line.
      process.stderr.write(`# lakeform-group: dropping ${databaseUrl} after its server stopped failed: ${err}\n`);
      process.exitCode = 1;
    })
    .finally(() => drops.delete(drop));
  drops.add(drop);
}

/**
 * Starts a lakeform server on a fresh data dir (and a fresh PostgreSQL database), listening on a free port of
 * 127.0.0.1: the production start-up (src/server.ts) in this process, or `lakeform serve --port 0` as a child process
 * when asked, on PostgreSQL in POSTGRES_PROCESS_FILES, or when another server of this process has the same SQLite file
 * open (better-sqlite3 is
 * synchronous: two connections of one thread waiting on each other's lock would stall until the busy timeout).
 */
export async function startServer(backend: Backend, o: StartOptions = {}): Promise<TestServer> {
  const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-'));
  const migrated = o.migrated ?? true;
  let databaseUrl = o.databaseUrl;
  if (!databaseUrl && backend.name === 'postgres')
    databaseUrl = await createPgDatabase(backend.adminUrl as string, { migrated });
  if (!databaseUrl) {
    const file = path.join(dataDir, 'lakeform.db');
    if (migrated && !fs.existsSync(file)) fs.copyFileSync(await migratedSqliteFile(), file);
    databaseUrl = `sqlite:${file}`;
  }
  const adminPassword = o.adminPassword ?? `Test-${randomBytes(9).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    LAKEFORM_DATA_DIR: dataDir,
    LAKEFORM_DATABASE_URL: databaseUrl,
    LAKEFORM_ADMIN_PASSWORD: adminPassword,
    LAKEFORM_LOG_LEVEL: 'info',
    LAKEFORM_PORT: '',
    LAKEFORM_HOST: '127.0.0.1',
    LAKEFORM_HMS_PORT: '0',
    // scrypt at a sixteenth of the default cost: each login and new user then takes 3 ms of CPU instead of 45.
    LAKEFORM_PASSWORD_HASH_COST: '1024',
    ...(o.env ?? {}),
  };
  const asProcess =
    o.process ||
    process.env.LAKEFORM_TEST_PROCESS === '1' ||
    (backend.name === 'postgres' && POSTGRES_PROCESS_FILES.has(testFile()) && !o.inProcess) ||
    inProcessDatabases.has(databaseUrl);
  const running = asProcess ? await spawnServer(env) : await startInProcess(env, databaseUrl);

  const server: TestServer = {
    url: running.url,
    process: asProcess,
    running: running.server,
    backend,
    adminPassword,
    dataDir,
    databaseUrl,
    output: running.output,
    passTime: running.passTime,
    request: (method, urlPath, ro) =>
      running.app
        ? injectRequest(running.app, running.url, method, urlPath, ro)
        : request(running.url, method, urlPath, ro),
    async login(user = 'admin', password = adminPassword, project = 'default', domain = 'default') {
      const r = await server.request('POST', '/v3/auth/tokens', {
        body: {
          auth: {
            identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: domain } } } },
            scope: { project: { name: project } },
          },
        },
      });
      const token = r.headers.get('x-subject-token');
      if (r.status !== 201 || !token) throw new Error(`login of ${user} failed: ${r.status} ${r.text}`);
      return { token, projectId: r.json.token.project.id as string, userId: r.json.token.user.id as string };
    },
    async stop(signal) {
      const code = await running.stop(signal);
      if (!o.dataDir || o.ownsData) {
        if (backend.name === 'postgres') dropLater(backend.adminUrl as string, databaseUrl);
        // Retried: a child's last writes (its SQLite -wal/-shm files) may still be going away as it exits.
        fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }
      return code;
    },
    async restart() {
      await running.stop();
      return startServer(backend, { ...o, dataDir, databaseUrl, adminPassword, ownsData: !o.dataDir || o.ownsData });
    },
  };
  return server;
}

interface Running {
  url: string;
  app?: FastifyInstance;
  server?: RunningServer;
  output(): string;
  passTime(ms: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `lakeform serve --port 0` as a child process; resolves once it listens. */
async function spawnServer(env: Record<string, string | undefined>): Promise<Running> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that never listens is killed: left running, it would keep the test's process alive.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 60 s:\n${out}`));
    }, 60_000);
    const check = () => {
      const m = out.match(/lakeform listening on (http:\/\/[^\s"]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  let stopped: Promise<number | null> | undefined;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    (stopped ??= (async () => {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    })());
  return { url, output: () => out, passTime: (ms) => new Promise((r) => setTimeout(r, ms)), stop };
}

/** The server's own start-up (config from the environment, migrations, bootstrap, workers) in this process. */
async function startInProcess(env: Record<string, string | undefined>, databaseUrl: string): Promise<Running> {
  const [{ loadConfig }, { createLogger, startServer: start }] = await Promise.all([
    import('../../src/config.js'),
    import('../../src/server.js'),
  ]);
  const config = loadConfig(env, { port: 0 });
  let out = '';
  const log = createLogger(config.logLevel, {
    write: (line: string) => {
      out += line;
    },
  });
  // The system's time plus what the test let pass.
  let skipped = 0;
  const clock = { now: () => Date.now() + skipped };
  const sqlite = databaseUrl.startsWith('sqlite:');
  if (sqlite) inProcessDatabases.add(databaseUrl);
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start(config, log, clock);
  } catch (err) {
    if (sqlite) inProcessDatabases.delete(databaseUrl);
    throw err;
  }
  let stopped: Promise<number | null> | undefined;
  const stop = (signal?: NodeJS.Signals) =>
    (stopped ??= (async () => {
      // A signal is for a process; a test that sends one needs `process: true`.
      if (signal) throw new Error(`an in-process server cannot take ${signal}; start it with process: true`);
      try {
        await running.close();
      } finally {
        if (sqlite) inProcessDatabases.delete(databaseUrl);
      }
      return 0;
    })());
  const passTime = async (ms: number) => {
    skipped += ms;
    // What comes due with the time (purges after retention) is swept now, not at the worker's next 2 s tick.
    running.lifecycle.kick();
  };
  return { url: running.url, app: running.app, server: running, output: () => out, passTime, stop };
}

/** Creates an instance and waits until it is RUNNING; returns its id. */
/** A LakeCat catalog in a running instance (status 201 or a thrown error); its Iceberg prefix, `<instance>~<name>`. */
export async function createIcebergCatalog(
  server: TestServer,
  token: string,
  projectId: string,
  instanceId: string,
  name = 'lake',
): Promise<string> {
  const r = await server.request('POST', `/v1/${projectId}/instances/${instanceId}/catalogs`, {
    token,
    body: { catalog_name: name },
  });
  if (r.status !== 201) throw new Error(`creating catalog ${name} failed: ${r.status} ${r.text}`);
  return `${instanceId}~${name}`;
}

export async function createRunningInstance(
  server: TestServer,
  token: string,
  projectId: string,
  name: string,
): Promise<string> {
  const created = await server.request('POST', `/v1/${projectId}/instances`, {
    token,
    body: { name, charge_mode: 'postPaid', shared: true },
  });
  if (created.status !== 202) throw new Error(`creating instance ${name} failed: ${created.status} ${created.text}`);
  const id = created.json.instance_id as string;
  for (let i = 0; i < 200; i++) {
    if ((await server.request('GET', `/v1/${projectId}/instances/${id}`, { token })).json?.status === 'RUNNING')
      return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${name} did not become RUNNING`);
}

/**
 * The file behind a location of a server on the local storage backend: the stored `obs://bucket/key`
 * (LakeFormation API) or the `file://` path engines get (Iceberg REST, metastore).
 */
export function warehouseFile(dataDir: string, location: string): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  const m = /^obs:\/\/([^/]+)\/(.*)$/.exec(location);
  if (!m) throw new Error(`${location} is not an obs:// location of the local warehouse`);
  return path.join(dataDir, 'warehouse', m[1] as string, m[2] as string);
}

/** The stored obs:// form of a file:// location engines get from a server on the local backend. */
export function storedLocation(dataDir: string, location: string): string {
  if (!location.startsWith('file://')) return location;
  return `obs://${path.relative(path.join(dataDir, 'warehouse'), fileURLToPath(location))}`;
}

/**
 * Waits (up to 5 s) until GET `url` answers 404, as an instance purged by the lifecycle worker does; returns the last
 * status.
 */
export async function waitUntilGone(server: TestServer, token: string, url: string): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100; i++) {
    status = (await server.request('GET', url, { token })).status;
    if (status === 404) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return status;
}
