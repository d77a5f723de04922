import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** dist/test/helpers → the project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface Backend { name: 'sqlite' | 'postgres'; adminUrl?: string }

let pgAvailable: Promise<boolean> | undefined;
const PG_ADMIN_URL = process.env.LAKEFORM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
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
 * The metadata stores every test runs against: SQLite always, PostgreSQL when reachable.
 * LAKEFORM_TEST_REQUIRE_PG=1 (set by CI) turns an unreachable PostgreSQL into a failure;
 * LAKEFORM_TEST_BACKENDS=sqlite limits a local run.
 */
export async function backends(): Promise<Backend[]> {
  const only = process.env.LAKEFORM_TEST_BACKENDS?.split(',');
  const list: Backend[] = [];
  if (!only || only.includes('sqlite')) list.push({ name: 'sqlite' });
  if (!only || only.includes('postgres')) {
    pgAvailable ??= probePostgres();
    if (await pgAvailable) list.push({ name: 'postgres', adminUrl: PG_ADMIN_URL });
    else if (process.env.LAKEFORM_TEST_REQUIRE_PG === '1') throw new Error(`PostgreSQL is required (LAKEFORM_TEST_REQUIRE_PG=1) but ${PG_ADMIN_URL} is unreachable`);
  }
  return list;
}

export interface Response<T = any> { status: number; headers: Headers; text: string; json: T }

export interface RequestOptions { token?: string; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string>; query?: Record<string, string | number | boolean | string[] | undefined> }

export async function request<T = any>(base: string, method: string, urlPath: string, o: RequestOptions = {}): Promise<Response<T>> {
  const url = new URL(base + urlPath);
  for (const [k, v] of Object.entries(o.query ?? {})) {
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) url.searchParams.append(k, String(x));
  }
  const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers ?? {}) };
  if (o.token) headers['X-Auth-Token'] = o.token;
  let body: string | Buffer | undefined;
  if (o.rawBody !== undefined) body = o.rawBody;
  else if (o.body !== undefined) { body = JSON.stringify(o.body); headers['Content-Type'] ??= 'application/json'; }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export interface TestServer {
  url: string;
  backend: Backend;
  adminPassword: string;
  dataDir: string;
  databaseUrl: string;
  /** Everything the process printed so far. */
  output(): string;
  request<T = any>(method: string, urlPath: string, o?: RequestOptions): Promise<Response<T>>;
  /** Password login; returns the token and the project id it is scoped to. */
  login(user?: string, password?: string, project?: string, domain?: string): Promise<{ token: string; projectId: string; userId: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the process but keeps the data, for restart tests. */
  restart(): Promise<TestServer>;
}

export interface StartOptions {
  env?: Record<string, string>; dataDir?: string; databaseUrl?: string; adminPassword?: string;
  /** Remove the data dir (and PostgreSQL database) on stop even though it was passed in: set by restart(). */
  ownsData?: boolean;
}

async function createPgDatabase(adminUrl: string): Promise<string> {
  const name = `lf_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try { await client.query(`CREATE DATABASE ${name}`); } finally { await client.end(); }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropPgDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try { await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await client.end(); }
}

/** Starts `lakeform serve --port 0` as a real process on a fresh data dir (and a fresh PostgreSQL database). */
export async function startServer(backend: Backend, o: StartOptions = {}): Promise<TestServer> {
  const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-'));
  const databaseUrl = o.databaseUrl ?? (backend.name === 'postgres' ? await createPgDatabase(backend.adminUrl as string) : `sqlite:${path.join(dataDir, 'lakeform.db')}`);
  const adminPassword = o.adminPassword ?? `Test-${randomBytes(9).toString('hex')}`;
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    env: {
      ...process.env, LAKEFORM_DATA_DIR: dataDir, LAKEFORM_DATABASE_URL: databaseUrl, LAKEFORM_ADMIN_PASSWORD: adminPassword,
      LAKEFORM_LOG_LEVEL: 'info', LAKEFORM_PORT: '', LAKEFORM_HOST: '127.0.0.1', LAKEFORM_HMS_PORT: '0', ...(o.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${out}`)), 20_000);
    const check = () => {
      const m = out.match(/lakeform listening on (http:\/\/[^\s"]+)/);
      if (m) { clearTimeout(timer); resolve(m[1] as string); }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited with ${code} before listening:\n${out}`)); });
  });

  let stopped: Promise<number | null> | undefined;
  const stopProcess = (signal: NodeJS.Signals = 'SIGTERM') => (stopped ??= (async () => {
    if (child.exitCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  })());

  const server: TestServer = {
    url, backend, adminPassword, dataDir, databaseUrl,
    output: () => out,
    request: (method, urlPath, ro) => request(url, method, urlPath, ro),
    async login(user = 'admin', password = adminPassword, project = 'default', domain = 'default') {
      const r = await request(url, 'POST', '/v3/auth/tokens', { body: { auth: {
        identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: domain } } } },
        scope: { project: { name: project } },
      } } });
      const token = r.headers.get('x-subject-token');
      if (r.status !== 201 || !token) throw new Error(`login of ${user} failed: ${r.status} ${r.text}`);
      return { token, projectId: r.json.token.project.id as string, userId: r.json.token.user.id as string };
    },
    async stop(signal) {
      const code = await stopProcess(signal);
      if (!o.dataDir || o.ownsData) {
        if (backend.name === 'postgres') await dropPgDatabase(backend.adminUrl as string, databaseUrl);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
      return code;
    },
    async restart() {
      await stopProcess();
      return startServer(backend, { ...o, dataDir, databaseUrl, adminPassword, ownsData: !o.dataDir || o.ownsData });
    },
  };
  return server;
}

/** Creates an instance and waits until it is RUNNING; returns its id. */
export async function createRunningInstance(server: TestServer, token: string, projectId: string, name: string): Promise<string> {
  const created = await server.request('POST', `/v1/${projectId}/instances`, { token, body: { name, charge_mode: 'postPaid', shared: true } });
  if (created.status !== 202) throw new Error(`creating instance ${name} failed: ${created.status} ${created.text}`);
  const id = created.json.instance_id as string;
  for (let i = 0; i < 200; i++) {
    if ((await server.request('GET', `/v1/${projectId}/instances/${id}`, { token })).json?.status === 'RUNNING') return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance ${name} did not become RUNNING`);
}

/** The file behind an `obs://bucket/key` location of a server on the local storage backend. */
export function warehouseFile(dataDir: string, location: string): string {
  const m = /^obs:\/\/([^/]+)\/(.*)$/.exec(location);
  if (!m) throw new Error(`${location} is not an obs:// location of the local warehouse`);
  return path.join(dataDir, 'warehouse', m[1] as string, m[2] as string);
}

/** Waits (up to 5 s) until GET `url` answers 404, as an instance purged by the lifecycle worker does; returns the last status. */
export async function waitUntilGone(server: TestServer, token: string, url: string): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100; i++) {
    status = (await server.request('GET', url, { token })).status;
    if (status === 404) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return status;
}
