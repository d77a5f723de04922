/**
 * Benchmarks, printed as ratios measured side by side in one run (never as absolute pass/fail
 * timings). Usage: npm run bench [-- --seconds 3 --connections 16 --postgres <admin url>]
 * (with --postgres a throwaway database is created through the admin URL and dropped after).
 *
 * instance-show: requests/s of ShowLakeFormationInstance (token auth, project scope, rate
 * limiter, store read) as a ratio of a no-op route of the same server. Target: >= 0.5.
 * lakecat-tables: ShowTable requests/s against the no-op route; p50 latency of ShowTable, of a
 * 1,000-name ListTableNames page and of CreateTable; and ShowTable / names-page cost in a
 * database of --tables tables against one of 10 tables (target: within 2x).
 * lakecat-partitions: AddPartitions throughput (1,000 per call) while seeding a table of
 * --partitions partitions (dt date x hr int, 100 hours a day); p50 of a selective filter (one
 * day: 100 partitions) on that table against a 10,000-partition table (target: within 2x,
 * <= 50 ms); the hmsbench figures (1,000 names, 1,000 partitions, a filtered fetch on 10,000,
 * adding 1,000); and the server's memory before and after streaming every name of the big table.
 * governance: ShowTable p50 for a user whose 1,000 grants reach it through 10 roles, against
 * the administrator's (target: at most 1.2x).
 * discovery: a METADATA_DISCOVERY job over 10,000 Parquet files in 1,000 partitions of one
 * table (written with hyparquet-writer to the local warehouse): files read per second, and
 * the same per second for 1,000 files in 100 partitions (target: throughput within 2x).
 * iceberg: loadTable p50 through the Iceberg REST catalog; commits per second on one table
 * (sequential appends, each asserting the previous snapshot) and spread over 100 tables (16 at
 * a time), as ratios of the same run's cost of writing+fsyncing one file of the table's metadata
 * size (and against Project Nessie's design goal of 333 commits/s on PostgreSQL: run it with --postgres); the
 * commit rate at 100 and at 10,000 snapshots, beside the disk's limit for metadata files of those two sizes. Two
 * clients take turns: node:http with keep-alive connections (the targets' figures) and fetch; a bare node:http server
 * doing only a commit's unavoidable work (bench/floor-server.ts) takes turns with ours, as the machine's floor.
 * hms: the hmsbench operations over the Hive Metastore Thrift endpoint (getTable, 1,000 table
 * names, 1,000 partitions, get_partitions_by_filter on 10,000 and on --partitions partitions,
 * adding 1,000) beside the same operations over the REST API in the same run (target: within
 * 1.5x) and the published Hive Metastore figures (target: at most 1/4 of them).
 * console: the web console in Debian's chromium (skipped without /usr/bin/chromium): the gzipped JavaScript and CSS
 * the first screen loads (target: <= 300 KB) and time to interactive of the sign-in page and of the catalog browser
 * (signed in), each the median of 5 cold loads, against loading a trivial page of the server (GET /) in the same
 * browser.
 * recycle-bin: ShowTable and ListTables (a 1,000 page, and a name pattern) p50 in a database of --bin-tables live
 * tables on two servers (own stores) seeded alike, requests alternating between them; then the second drops as many
 * tables of the same database into its bin: the median of the pairs' ratios, with that bin against without (target:
 * within 1.2x); also the ratio while both bins were empty (the noise floor) and the second server's own
 * before/after ratio; DeleteTable (a soft drop) p50 and a restore p50.
 * alter-cascade: UpdateTable adding a column with alter_params CASCADE on a table of --partitions partitions (every
 * partition's storage descriptor rewritten in one transaction, keyset batches in SQL), against the same change without
 * CASCADE and against the time it took to add those partitions; the server's RSS before and after (target: the cascade
 * costs less than adding the partitions did, and memory does not grow with the partitions).
 * contention: an Iceberg append commit's latency alone and beside six writers of 1,000-partition batches, same run
 * (target: p99 under that load <= 10x the idle p50; see bench/contention.ts).
 * rate-limit (bench/replicas.ts): two replicas on one store against one instance's QPS spec (target <= 1.2x).
 * soak (bench/soak.ts, --minutes N, default 10): RSS and p99 each minute of a mixed load within LAKEFORM_MEMORY_MB.
 * --only instance-show|lakecat-tables|lakecat-partitions|governance|discovery|iceberg|hms|console|recycle-bin|
 * alter-cascade|contention|rate-limit|soak runs one of them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import autocannon from 'autocannon';
import { parquetWriteBuffer } from 'hyparquet-writer';
import pg from 'pg';
import { contention } from './contention.js';
import { rateLimitReplicas } from './replicas.js';
import { appendSnapshot, appendUpdates, passwordLogin } from './requests.js';
import { soak } from './soak.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    postgres: { type: 'string' },
    tables: { type: 'string', default: '20000' },
    'bin-tables': { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    minutes: { type: 'string', default: '10' },
  },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** With --postgres ADMIN_URL, a throwaway database is created for the run and dropped after it. */
async function pgDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `lf_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export interface BenchServer {
  url: string;
  password: string;
  pid: number;
  dataDir: string;
  hmsPort: number;
  /** The store's URL (sqlite:<file> or postgres://). */
  databaseUrl: string;
  stop: () => Promise<void>;
}

/**
 * `lakeform serve` as a child process on a fresh data dir. Options: more environment; a store
 * to share (a second replica: the first one's stop drops it); PostgreSQL through another admin
 * URL than --postgres, or SQLite (postgres: null) whatever --postgres says; the admin password.
 */
export async function startServer(
  o: { env?: Record<string, string>; databaseUrl?: string; postgres?: string | null; password?: string } = {},
): Promise<BenchServer> {
  const port = await freePort();
  const hmsPort = await freePort();
  const adminUrl = o.postgres === undefined ? args.postgres : (o.postgres ?? undefined);
  const database = o.databaseUrl === undefined && adminUrl ? await pgDatabase(adminUrl) : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-bench-'));
  const databaseUrl = o.databaseUrl ?? database?.url ?? `sqlite:${path.join(dataDir, 'lakeform.db')}`;
  const password = o.password ?? `Bench-${randomBytes(9).toString('hex')}`;
  // LAKEFORM_BENCH_PROFILE_DIR: the server writes a CPU profile there when it stops (node --cpu-prof).
  const profile = process.env.LAKEFORM_BENCH_PROFILE_DIR;
  // LAKEFORM_BENCH_PROFILE_INTERVAL: its sampling interval in µs (node's default 1000 gives a call of a few ms a
  // handful of samples).
  const interval = process.env.LAKEFORM_BENCH_PROFILE_INTERVAL;
  const nodeArgs = profile
    ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, ...(interval ? [`--cpu-prof-interval=${interval}`] : [])]
    : [];
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/src/cli.js'), 'serve'], {
    env: {
      ...process.env,
      LAKEFORM_PORT: String(port),
      LAKEFORM_DATA_DIR: dataDir,
      LAKEFORM_ADMIN_PASSWORD: password,
      LAKEFORM_LOG_LEVEL: 'warn',
      LAKEFORM_HMS_PORT: String(hmsPort),
      LAKEFORM_DATABASE_URL: databaseUrl,
      ...o.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Up to a minute: a loaded machine starts the server slowly.
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    password,
    pid: child.pid as number,
    dataDir,
    hmsPort,
    databaseUrl,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.on('exit', r));
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

async function json(url: string, method: string, body: unknown, headers: Record<string, string>) {
  const r = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return { headers: r.headers, body: text ? JSON.parse(text) : undefined };
}

/** A JSON client: json()'s calls, its answer read and parsed the same way. */
type JsonClient = (
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
) => Promise<{ body: Awaited<ReturnType<typeof json>>['body'] }>;

/**
 * JSON calls over node:http with keep-alive connections (at most `sockets` at once), the answer read and parsed as
 * json() does: beside fetch (undici), whose own CPU in this process is part of every figure measured with it.
 */
function keepAliveClient(sockets = 1): { call: JsonClient; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const call: JsonClient = (url, method, body, headers) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        url,
        {
          method,
          agent,
          headers: {
            'Content-Type': 'application/json',
            ...(payload ? { 'Content-Length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
            else resolve({ body: text ? JSON.parse(text) : undefined });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return { call, close: () => agent.destroy() };
}

/** bench/floor-server.ts in a process of its own, on a fresh folder (see there). */
async function floorServer(postgres?: string): Promise<{ url: string; stop(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-floor-'));
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'dist/bench/floor-server.js'), dir, ...(postgres ? [postgres] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', () => reject(new Error('the floor server did not start')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      child.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<{ rps: number; p99: number; non2xx: number }> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx + result.errors };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Runs `count` calls with `parallel` in flight at once. */
async function inParallel(count: number, parallel: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function lakecatTables(
  server: { url: string; pid: number },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const auth = { 'X-Auth-Token': token };
  const cat = `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs/bench`;
  await json(`${server.url}/v1/${projectId}/instances/${instanceId}/catalogs`, 'POST', { catalog_name: 'bench' }, auth);
  const table = (name: string) => ({
    table_name: name,
    table_type: 'EXTERNAL_TABLE',
    owner_type: 'USER',
    parameters: { classification: 'parquet' },
    partition_keys: [{ column_name: 'dt', column_type: 'string' }],
    storage_descriptor: {
      columns: [
        { column_name: 'id', column_type: 'bigint' },
        { column_name: 'name', column_type: 'string' },
      ],
      compressed: false,
      parameters: {},
      serde_info: { serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
  });
  const TOTAL = Number(args.tables);
  for (const db of ['small', 'mid', 'large']) await json(`${cat}/databases`, 'POST', { database_name: db }, auth);
  // A database of exactly 1,000 tables: its whole name list is the same 1,000-name page the
  // large database answers for the pattern t0000*, so the two compare like for like.
  await inParallel(1000, 8, (i) =>
    json(`${cat}/databases/mid/tables`, 'POST', table(`t${String(i).padStart(7, '0')}`), auth).then(() => undefined),
  );
  const createTimes = await timed(10, (i) =>
    json(`${cat}/databases/small/tables`, 'POST', table(`t${String(i).padStart(7, '0')}`), auth).then(() => undefined),
  );
  const rssBefore = rssMb(server.pid);
  const t0 = performance.now();
  await inParallel(TOTAL, 8, (i) =>
    json(`${cat}/databases/large/tables`, 'POST', table(`t${String(i).padStart(7, '0')}`), auth).then(() => undefined),
  );
  const seedSeconds = (performance.now() - t0) / 1000;
  const sample = async (db: string, count: number) => {
    const show = await timed(300, (i) =>
      json(`${cat}/databases/${db}/tables/t${String(i % count).padStart(7, '0')}`, 'GET', undefined, auth).then(
        () => undefined,
      ),
    );
    const names = await timed(50, () =>
      json(`${cat}/databases/${db}/tables/names?table_pattern=t0000*`, 'GET', undefined, auth).then(() => undefined),
    );
    const page = await timed(50, () =>
      json(`${cat}/databases/${db}/tables?limit=1000`, 'GET', undefined, auth).then(() => undefined),
    );
    return { show: median(show), names: median(names), page: median(page) };
  };
  await sample('small', 10); // warm-up
  const small = await sample('small', 10);
  const mid = await sample('mid', 1000);
  const large = await sample('large', TOTAL);
  const rssAfter = rssMb(server.pid);
  const created = await timed(200, (i) =>
    json(`${cat}/databases/small/tables`, 'POST', table(`c${i}`), auth).then(() => undefined),
  );
  const noopUrl = `${server.url}/`;
  const showUrl = `${cat}/databases/large/tables/t0000001`;
  const rounds: number[] = [];
  const absolute: string[] = [];
  await load(showUrl, auth, 2); // warm-up: the first seconds of a route run before the JIT has compiled it
  for (let r = 0; r < 5; r++) {
    // five alternating rounds, as instance-show: the no-op route's rate drifts most
    const a = await load(noopUrl, {}, SECONDS);
    const b = await load(showUrl, auth, SECONDS);
    rounds.push(b.rps / a.rps);
    absolute.push(`${b.rps.toFixed(0)}/${a.rps.toFixed(0)}`);
  }
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  console.log(
    `bench lakecat-tables (${args.postgres ? 'postgres' : 'sqlite'}; ` +
      `${TOTAL} tables seeded in ${seedSeconds.toFixed(1)} s = ` +
      `${(TOTAL / seedSeconds).toFixed(0)} creates/s over 8 ` +
      `connections)`,
  );
  console.log(
    `  ShowTable p50           10 tables ${ms(small.show)}   ` +
      `${TOTAL} tables ${ms(large.show)}   ratio ` +
      `${(large.show / small.show).toFixed(2)} (target <= 2, p50 <= 1 ms)`,
  );
  console.log(
    `  ListTables 1,000 page   10 tables ${ms(small.page)}   ${TOTAL} tables ${ms(large.page)}   (target <= 5 ms)`,
  );
  console.log(
    `  ListTableNames, 1,000 names   1,000 tables ${ms(mid.names)}   ` +
      `${TOTAL} tables ${ms(large.names)}   ratio ` +
      `${(large.names / mid.names).toFixed(2)} (target <= 2, <= 5 ms)`,
  );
  console.log(
    `  server RSS              ${rssBefore.toFixed(0)} MB with 10 ` +
      `tables, ${rssAfter.toFixed(0)} MB after seeding and reading ` +
      `${TOTAL}`,
  );
  console.log(
    `  CreateTable p50         ${ms(median(created))} (first ten: ${ms(median(createTimes))}; target <= 5 ms)`,
  );
  console.log(
    `  ShowTable / no-op req/s per round ` +
      `${rounds.map((r) => r.toFixed(2)).join(' ')} ` +
      `(${absolute.join(', ')}); median ${median(rounds).toFixed(2)} ` +
      `(target >= 0.50)`,
  );
}

/** Times `n` rounds of two calls, alternating which goes first, so drift of the machine weighs on both alike. */
async function paired(
  n: number,
  first: (i: number) => Promise<void>,
  second: (i: number) => Promise<void>,
): Promise<[number[], number[]]> {
  const out: [number[], number[]] = [[], []];
  for (let i = 0; i < n; i++) {
    for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = performance.now();
      await (side === 0 ? first : second)(i);
      out[side]?.push(performance.now() - t0);
    }
  }
  return out;
}

async function recycleBin(server: { url: string }, token: string, projectId: string, instanceId: string) {
  // Two servers with their own stores, seeded alike; then only the second drops as many tables again into its
  // bin. Requests alternate between the two, so the load of the machine at any moment weighs on both: a
  // before/after comparison on one server mostly measures how the machine drifted in between.
  const control = await startServer();
  try {
    const c = await benchInstance(control);
    const side = (url: string, token: string, projectId: string, instanceId: string) => {
      const auth = { 'X-Auth-Token': token };
      const inst = `${url}/v1/${projectId}/instances/${instanceId}`;
      return { url, auth, inst, db: `${inst}/catalogs/binbench/databases/d/tables` };
    };
    const sides = [
      side(control.url, c.token, c.projectId, c.instanceId),
      side(server.url, token, projectId, instanceId),
    ];
    const [noBin, bin] = sides as [ReturnType<typeof side>, ReturnType<typeof side>];
    const table = (name: string) => ({
      table_name: name,
      table_type: 'EXTERNAL_TABLE',
      owner_type: 'USER',
      partition_keys: [{ column_name: 'dt', column_type: 'string' }],
      storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
    });
    const N = Number(args['bin-tables']);
    const name = (p: string, i: number) => `${p}${String(i).padStart(7, '0')}`;
    const t0 = performance.now();
    await Promise.all(
      sides.map(async (s) => {
        await json(`${s.inst}/catalogs`, 'POST', { catalog_name: 'binbench' }, s.auth);
        await json(`${s.inst}/catalogs/binbench/databases`, 'POST', { database_name: 'd' }, s.auth);
        await inParallel(N, 8, (i) => json(s.db, 'POST', table(name('t', i)), s.auth).then(() => undefined));
      }),
    );
    const seeded = (performance.now() - t0) / 1000;
    const show = (s: typeof bin) => (i: number) =>
      json(`${s.db}/${name('t', (i * 7919) % N)}`, 'GET', undefined, s.auth).then(() => undefined);
    const page = (s: typeof bin) => () => json(`${s.db}?limit=1000`, 'GET', undefined, s.auth).then(() => undefined);
    const pattern = (s: typeof bin) => () =>
      json(`${s.db}?limit=100&table_name_pattern=t00001*`, 'GET', undefined, s.auth).then(() => undefined);
    const noop = (s: typeof bin) => () => json(`${s.url}/`, 'GET', undefined, {}).then(() => undefined);
    // The ratio is the median of the pairs' ratios (as the hms mode's): one slow moment spoils one pair, not a side.
    type Pair = { noBin: number; bin: number; ratio: number };
    const pair = async (n: number, f: (s: typeof bin) => (i: number) => Promise<void>): Promise<Pair> => {
      const [x, y] = await paired(n, f(noBin), f(bin));
      return { noBin: median(x), bin: median(y), ratio: median(y.map((t, i) => t / (x[i] as number))) };
    };
    const sample = async () => ({
      show: await pair(300, show),
      page: await pair(50, page),
      pattern: await pair(50, pattern),
      noop: await pair(300, noop),
    });
    await sample(); // warm-up
    // Both bins empty: what the two servers differ by without any bin (the noise floor of the ratio).
    const empty = await sample();
    // As many tables again in the second server, dropped: its bin then holds N tables of this very database.
    const t1 = performance.now();
    await inParallel(N, 8, (i) => json(bin.db, 'POST', table(name('x', i)), bin.auth).then(() => undefined));
    const drops = await timed(200, (i) =>
      json(`${bin.db}/${name('x', i)}`, 'DELETE', undefined, bin.auth).then(() => undefined),
    );
    await inParallel(N - 200, 8, (i) =>
      json(`${bin.db}/${name('x', i + 200)}`, 'DELETE', undefined, bin.auth).then(() => undefined),
    );
    const binned = (performance.now() - t1) / 1000;
    await sample(); // warm-up
    const full = await sample();
    const deleted = await timed(20, () =>
      json(`${bin.db}?limit=1000&deleted=true`, 'GET', undefined, bin.auth).then(() => undefined),
    );
    const restores = await timed(50, (i) =>
      json(`${bin.db}/${name('x', i)}/restore`, 'POST', {}, bin.auth).then(() => undefined),
    );
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const line = (what: string, k: 'show' | 'page' | 'pattern') =>
      console.log(
        `  ${what.padEnd(24)} no bin ${ms(full[k].noBin)}   ${N} in the ` +
          `bin ${ms(full[k].bin)}   ratio ${full[k].ratio.toFixed(2)} ` +
          `(target <= 1.2); both bins empty ${empty[k].ratio.toFixed(2)}; ` +
          `the bin's server before/after the drops, per no-op ` +
          `${(full[k].bin / full.noop.bin / (empty[k].bin / empty.noop.bin)).toFixed(2)}`,
      );
    console.log(
      `bench recycle-bin (${args.postgres ? 'postgres' : 'sqlite'}; ` +
        `two servers, ${N} live tables each seeded in ` +
        `${seeded.toFixed(1)} s; ${N} more created and dropped into the ` +
        `second's bin in ${binned.toFixed(1)} s; requests alternate ` +
        `between the servers)`,
    );
    line('ShowTable p50', 'show');
    line('ListTables 1,000 page', 'page');
    line('ListTables by pattern', 'pattern');
    console.log(
      `  no-op p50                no bin ${ms(full.noop.noBin)}   ${N} ` +
        `in the bin ${ms(full.noop.bin)}   (both bins empty: ` +
        `${ms(empty.noop.noBin)}, ${ms(empty.noop.bin)})`,
    );
    console.log(
      `  DeleteTable (soft) p50 ${ms(median(drops))}; ListTables ` +
        `deleted=true 1,000 page p50 ${ms(median(deleted))}; ` +
        `RestoreTable p50 ${ms(median(restores))}`,
    );
  } finally {
    await control.stop();
  }
}

/** Resident memory of a process, from /proc (Linux). */
/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function lakecatPartitions(
  server: { url: string; pid: number },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const auth = { 'X-Auth-Token': token };
  const db = `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs/hive/databases/default/tables`;
  const columns = [
    { column_name: 'id', column_type: 'bigint' },
    { column_name: 'name', column_type: 'string' },
    { column_name: 'amount', column_type: 'double' },
  ];
  const sd = {
    columns,
    compressed: false,
    parameters: {},
    input_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    output_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serde_info: {
      serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      parameters: {},
    },
  };
  for (const name of ['small', 'big', 'adds']) {
    await json(
      db,
      'POST',
      {
        table_name: name,
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: sd,
        partition_keys: [
          { column_name: 'dt', column_type: 'date' },
          { column_name: 'hr', column_type: 'int' },
        ],
      },
      auth,
    );
  }
  const day = (i: number) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10);
  // Partition i is (day i/100, hour i%100): one day holds 100 partitions.
  const batch = (from: number, n: number) => ({
    if_not_exist: false,
    partitions: Array.from({ length: n }, (_, k) => ({
      partition_values: [day(Math.floor((from + k) / 100)), String((from + k) % 100)],
      parameters: { numRows: '1000' },
      storage_descriptor: sd,
    })),
  });
  // The load generator shares the machine: it reads the created partitions back as text only,
  // as a load tool does, so its own JSON parsing does not take the server's CPU.
  const post = async (url: string, body: unknown) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${text.slice(0, 300)}`);
  };
  const seed = async (table: string, total: number) => {
    const t0 = performance.now();
    await inParallel(Math.ceil(total / 1000), 2, (b) =>
      post(`${db}/${table}/partitions/batch-create`, batch(b * 1000, Math.min(1000, total - b * 1000))),
    );
    return total / ((performance.now() - t0) / 1000);
  };
  const TOTAL = Number(args.partitions);
  await seed('small', 10_000);
  const rate = await seed('big', TOTAL);
  const days = TOTAL / 100;
  const filterOn = (table: string, span: number) =>
    timed(40, (i) =>
      json(
        `${db}/${table}/partitions?limit=1000&filter=${encodeURIComponent(`dt = '${day((i * 37) % span)}'`)}`,
        'GET',
        undefined,
        auth,
      ).then((r) => {
        if (r.body.partitions.length !== 100) throw new Error(`filter matched ${r.body.partitions.length}`);
      }),
    );
  await filterOn('small', 100); // warm-up
  const small = median(await filterOn('small', 100));
  const big = median(await filterOn('big', days));
  const namesPage = median(
    await timed(30, () =>
      json(`${db}/big/partitions/partition-names?limit=1000`, 'GET', undefined, auth).then(() => undefined),
    ),
  );
  const partsPage = median(
    await timed(30, () => json(`${db}/big/partitions?limit=1000`, 'GET', undefined, auth).then(() => undefined)),
  );
  const filtered10k = median(
    await timed(30, () =>
      json(
        `${db}/small/partitions?limit=1000&filter=${encodeURIComponent("hr < 10 AND dt >= '2000-01-01'")}`,
        'GET',
        undefined,
        auth,
      ).then((r) => {
        if (r.body.partitions.length !== 1000) throw new Error(`filter matched ${r.body.partitions.length}`);
      }),
    ),
  );
  const adds = median(
    await timed(10, (i) =>
      json(`${db}/adds/partitions/batch-create`, 'POST', batch(i * 1000, 1000), auth).then(() => undefined),
    ),
  );
  const before = rssMb(server.pid);
  const t0 = performance.now();
  const all = await json(`${db}/big/partitions/names?limit=-1`, 'GET', undefined, auth);
  const streamSeconds = (performance.now() - t0) / 1000;
  const after = rssMb(server.pid);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`bench lakecat-partitions (${args.postgres ? 'postgres' : 'sqlite'}; ${TOTAL} partitions)`);
  console.log(
    `  AddPartitions, 1,000 per call, 2 in flight: ${rate.toFixed(0)} partitions/s sustained (target >= 20,000)`,
  );
  console.log(
    `  filter dt = <day> (100 matches) p50   10,000 partitions ` +
      `${ms(small)}   ${TOTAL} partitions ${ms(big)}   ratio ` +
      `${(big / small).toFixed(2)} (targets: <= 50 ms, ratio <= 2)`,
  );
  console.log(
    `  hmsbench: 1,000 names ${ms(namesPage)} (HMS 9 ms); 1,000 ` +
      `partitions ${ms(partsPage)} (HMS 33 ms); filtered fetch on ` +
      `10,000 ${ms(filtered10k)} (HMS 36 ms); adding 1,000 ${ms(adds)} ` +
      `(HMS 3 s)`,
  );
  console.log(
    `  every name streamed: ${(all.body as string[]).length} names ` +
      `in ${streamSeconds.toFixed(1)} s; server RSS ` +
      `${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`,
  );
}

async function governance(
  server: { url: string },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const admin = { 'X-Auth-Token': token };
  const base = `${server.url}/v1/${projectId}/instances/${instanceId}`;
  const tables = `${base}/catalogs/hive/databases/gov/tables`;
  await json(`${base}/catalogs/hive/databases`, 'POST', { database_name: 'gov' }, admin);
  const name = (i: number) => `g${String(i).padStart(4, '0')}`;
  await inParallel(1000, 8, (i) =>
    json(
      tables,
      'POST',
      {
        table_name: name(i),
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: { columns: [{ column_name: 'id', column_type: 'bigint' }] },
      },
      admin,
    ).then(() => undefined),
  );
  const password = `Bench-${randomBytes(6).toString('hex')}`;
  await json(`${server.url}/v3/users`, 'POST', { user: { name: 'gov_user', password } }, admin);
  for (let r = 0; r < 10; r++) {
    await json(`${base}/roles`, 'POST', { role_name: `gov_role_${r}` }, admin);
    // 100 tables per role, ten to a database entry as the API takes them: 1,000 grants in all.
    for (let chunk = 0; chunk < 10; chunk++) {
      const first = r * 100 + chunk * 10;
      await json(
        `${base}/policies/grant`,
        'POST',
        {
          effect: true,
          permissions: ['SELECT', 'DESCRIBE'],
          principal_list: [{ principal_name: `gov_role_${r}`, principal_source: 'LOCAL', principal_type: 'ROLE' }],
          resource: {
            type: 'TABLE',
            catalogs: [
              {
                name: 'hive',
                databases: [{ name: 'gov', tables: Array.from({ length: 10 }, (_, k) => ({ name: name(first + k) })) }],
              },
            ],
          },
        },
        admin,
      );
    }
  }
  await json(
    `${base}/users/gov_user/grant-roles`,
    'POST',
    Array.from({ length: 10 }, (_, r) => ({ role_name: `gov_role_${r}`, principal_source: 'LOCAL' })),
    admin,
  );
  const login = await json(`${server.url}/v3/auth/tokens`, 'POST', passwordLogin('gov_user', password), {});
  const user = { 'X-Auth-Token': login.headers.get('x-subject-token') as string };
  const show = (headers: Record<string, string>) =>
    timed(1000, (i) => json(`${tables}/${name((i * 7) % 1000)}`, 'GET', undefined, headers).then(() => undefined));
  await show(admin);
  await show(user); // warm-up of both paths
  const rounds: number[] = [];
  const figures: string[] = [];
  for (let r = 0; r < 5; r++) {
    const a = median(await show(admin));
    const u = median(await show(user));
    rounds.push(u / a);
    figures.push(`${u.toFixed(3)}/${a.toFixed(3)} ms`);
  }
  const refused = await fetch(`${base}/catalogs/hive/databases/default/tables/none`, { headers: user });
  console.log(
    `bench governance (${args.postgres ? 'postgres' : 'sqlite'}; a user holding 1,000 grants through 10 roles)`,
  );
  console.log(
    `  ShowTable p50 user/admin per round ${figures.join(', ')}; ` +
      `ratios ${rounds.map((x) => x.toFixed(2)).join(' ')}; median ` +
      `${median(rounds).toFixed(2)} (target <= 1.20)`,
  );
  console.log(`  a table no grant reaches: ${refused.status}`);
}

async function discovery(
  server: { url: string; dataDir: string },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const admin = { 'X-Auth-Token': token };
  const base = `${server.url}/v1/${projectId}/instances/${instanceId}`;
  const file = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'id', data: new Int32Array([1, 2, 3]), type: 'INT32' },
        { name: 'amount', data: [1.5, 2.5, 3.5], type: 'DOUBLE' },
        { name: 'note', data: ['a', 'b', 'c'], type: 'STRING' },
      ],
    }),
  );
  const layout = (name: string, files: number, partitions: number) => {
    for (let i = 0; i < files; i++) {
      const p = i % partitions;
      const dir = path.join(
        server.dataDir,
        'warehouse',
        'lakeform',
        'instances',
        instanceId,
        name,
        'facts',
        `day=${Math.floor(p / 10)}`,
        `shard=${p % 10}`,
      );
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `part-${i}.parquet`), file);
    }
  };
  const discover = async (
    name: string,
  ): Promise<{ seconds: number; job: { status: string; last_run: { created: unknown } } }> => {
    const created = await json(
      `${base}/lf-jobs`,
      'POST',
      {
        name: `bench_${name}`,
        type: 'METADATA_DISCOVERY',
        parameter: {
          metadata_discovery_parameter: {
            data_location: `obs://lakeform/instances/${instanceId}/${name}`,
            target_catalog: 'hive',
            target_database: name,
          },
        },
      },
      admin,
    );
    const id = created.body.id as string;
    await json(`${base}/lf-jobs/${id}/start`, 'POST', undefined, admin);
    for (;;) {
      const job = (await json(`${base}/lf-jobs/${id}`, 'GET', undefined, admin)).body;
      if (!['SUBMITTED', 'RUNNING'].includes(job.status)) {
        return { seconds: (Date.parse(job.last_run.end_time) - Date.parse(job.last_run.start_time)) / 1000, job };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  layout('small', 1000, 100);
  layout('large', 10_000, 1000);
  const small = await discover('small');
  const large = await discover('large');
  const rate = (files: number, s: number) => files / s;
  console.log(`bench discovery (${args.postgres ? 'postgres' : 'sqlite'}; Parquet files in the local warehouse)`);
  console.log(
    `  1,000 files in 100 partitions: ${small.seconds.toFixed(2)} s, ` +
      `${rate(1000, small.seconds).toFixed(0)} files/s ` +
      `(${small.job.status})`,
  );
  console.log(
    `  10,000 files in 1,000 partitions: ${large.seconds.toFixed(2)} ` +
      `s, ${rate(10_000, large.seconds).toFixed(0)} files/s ` +
      `(${large.job.status}, ${large.job.last_run.created} table)`,
  );
  console.log(
    `  throughput ratio large/small ` +
      `${(rate(10_000, large.seconds) / rate(1000, small.seconds)).toFixed(2)} ` +
      `(target >= 0.5)`,
  );
}

/** Files of `size` bytes written and fsynced per second in `dir`, each a new file (as a commit's metadata file is). */
function fsyncedFilesPerSecond(dir: string, size: number, n = 200): number {
  const body = Buffer.alloc(size, 'x');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `fsync-probe-${i}.json`);
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, body);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const rate = n / ((performance.now() - t0) / 1000);
  for (let i = 0; i < n; i++) fs.rmSync(path.join(dir, `fsync-probe-${i}.json`), { force: true });
  return rate;
}

async function iceberg(
  server: { url: string; dataDir: string; pid: number; databaseUrl: string },
  token: string,
  instanceId: string,
): Promise<void> {
  const auth = { Authorization: `Bearer ${token}` };
  const base = `${server.url}/iceberg/v1/${instanceId}~hive`;
  // Two clients, taking turns in blocks so that each meets the same table sizes and the same phase of the machine:
  // node:http with keep-alive connections, and fetch (undici), whose own CPU per call is larger. Both read and parse
  // every answer. The targets are judged on node:http's figures (the server's, with the least client cost on the two
  // cores they share); fetch's are printed beside them.
  const http1 = keepAliveClient(1);
  const http16 = keepAliveClient(16);
  const clients = { http: http1.call, fetch: json as JsonClient };
  type Which = keyof typeof clients;
  const turns = (block: number, i: number): Which => (Math.floor(i / block) % 2 === 0 ? 'http' : 'fetch');
  const floor = await floorServer(args.postgres ? server.databaseUrl : undefined);
  const floorSpent = { one: 0, oneN: 0, spread: 0, spreadN: 0, loads: [] as number[] };
  /** One commit to the floor server (node:http client): a request of a real commit's shape, an answer of `bytes`. */
  const floorCommit = async (call: JsonClient, table: number, bytes: number, i: number) => {
    await call(
      `${floor.url}/commit?table=${table}&bytes=${bytes}`,
      'POST',
      {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': i }],
        updates: appendUpdates(i, i),
      },
      auth,
    );
  };
  await json(`${base}/namespaces`, 'POST', { namespace: ['bench'] }, auth);
  const create = (name: string) =>
    json(
      `${base}/namespaces/bench/tables`,
      'POST',
      { name, schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] } },
      auth,
    );
  const append = async (call: JsonClient, table: string, id: number, seq: number, parent: number | null) => {
    const r = await call(
      `${base}/namespaces/bench/tables/${table}`,
      'POST',
      {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': parent }],
        updates: appendUpdates(id, seq),
      },
      auth,
    );
    if (r.body?.error) throw new Error(`commit failed: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  // The disk's limit: new files of the metadata's size written and fsynced in the same folder tree, 40
  // between every two blocks of commits below, so that it is measured in the same phases of the machine as they are.
  const probe = { files: 0, ms: 0, bytes: 0 };
  const probeDisk = (bytes: number) => {
    probe.bytes = bytes;
    probe.ms += (40 / fsyncedFilesPerSecond(server.dataDir, bytes, 40)) * 1000;
    probe.files += 40;
  };
  /** `n` loads of `url`, the clients taking turns in blocks of 50: each one's latencies and its own CPU a load. */
  const loads = async (url: string, n: number) => {
    const by = { http: { ms: [] as number[], cpu: 0 }, fetch: { ms: [] as number[], cpu: 0 } };
    const cpu0 = cpuMs(server.pid);
    for (let i = 0; i < n; i++) {
      const w = by[turns(50, i)];
      const c0 = process.cpuUsage();
      const t = performance.now();
      await clients[turns(50, i)](url, 'GET', undefined, auth);
      w.ms.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      w.cpu += (c.user + c.system) / 1000;
      // 25 loads of the floor server after every 100 (its p50 is the same client's and machine's best).
      if (i % 100 === 99)
        for (let k = 0; k < 25; k++) {
          const t0 = performance.now();
          await http1.call(`${floor.url}/load`, 'GET', undefined, auth);
          floorSpent.loads.push(performance.now() - t0);
        }
    }
    return { ...by, server: (cpuMs(server.pid) - cpu0) / n };
  };
  await create('hot');
  const loadMark0 = process.hrtime.bigint();
  const first = await loads(`${base}/namespaces/bench/tables/hot`, 1000);
  const marks = [`iceberg\tloads\t${loadMark0 / 1000n}\t${process.hrtime.bigint() / 1000n}`];
  // 300 commits one after another, the clients taking turns every 50: each one's rate over its own 150.
  const N = 300;
  const spent = { http: 0, fetch: 0 };
  const cpu0 = cpuMs(server.pid);
  const mark0 = process.hrtime.bigint();
  for (let i = 1; i <= N; i++) {
    const which = turns(50, i - 1);
    const t = performance.now();
    const answer = await append(clients[which], 'hot', i, i, i === 1 ? null : i - 1);
    spent[which] += performance.now() - t;
    if (i % 50 === 0) {
      probeDisk(Buffer.byteLength(JSON.stringify(answer.metadata)));
      // 25 commits to the floor server, its file and answer of the hot table's metadata size.
      const f = performance.now();
      for (let k = 0; k < 25; k++) await floorCommit(http1.call, 0, probe.bytes, i + k);
      floorSpent.one += performance.now() - f;
      floorSpent.oneN += 25;
    }
  }
  const oneTable = { http: N / 2 / (spent.http / 1000), fetch: N / 2 / (spent.fetch / 1000) };
  const hotBytes = probe.bytes;
  marks.push(`iceberg\tcommits\t${mark0 / 1000n}\t${process.hrtime.bigint() / 1000n}`);
  // Where a commit's time goes: the server's own CPU per commit (all its threads), beside the disk's cost of the file.
  const commitCpu = (cpuMs(server.pid) - cpu0) / N;
  for (let t = 0; t < 100; t++) await create(`t${t}`);
  // Ten rounds of one commit to each of 100 tables, 16 at a time (node:http: 16 keep-alive connections), the clients
  // taking turns by round.
  const spreadSpent = { http: 0, fetch: 0 };
  for (let round = 0; round < 10; round++) {
    const which = turns(1, round);
    const call = which === 'http' ? http16.call : clients.fetch;
    const t = performance.now();
    let last: { metadata: unknown } | undefined;
    await inParallel(100, 16, async (i) => {
      last = await append(call, `t${i}`, round + 1, round + 1, round === 0 ? null : round);
    });
    spreadSpent[which] += performance.now() - t;
    const bytes = Buffer.byteLength(JSON.stringify(last?.metadata));
    probeDisk(bytes);
    // The floor server's round: 100 commits, one a table, 16 at a time.
    const f = performance.now();
    await inParallel(100, 16, (i) => floorCommit(http16.call, i, bytes, round));
    floorSpent.spread += performance.now() - f;
    floorSpent.spreadN += 100;
  }
  const spread = { http: 500 / (spreadSpent.http / 1000), fetch: 500 / (spreadSpent.fetch / 1000) };
  const limit = probe.files / (probe.ms / 1000);

  // The commit rate at 100 and at 10,000 snapshots: a table filled in batches, then timed one commit at a time.
  await create('deep');
  let next = 1;
  const fill = async (upTo: number) => {
    while (next <= upTo) {
      const ids = Array.from({ length: Math.min(1000, upTo - next + 1) }, (_, i) => next + i);
      const r = await json(
        `${base}/namespaces/bench/tables/deep`,
        'POST',
        {
          requirements: [],
          updates: [
            ...ids.map((id) => ({ action: 'add-snapshot', snapshot: appendSnapshot(id) })),
            { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': ids[ids.length - 1] },
          ],
        },
        auth,
      );
      if (r.body?.error) throw new Error(`fill failed: ${JSON.stringify(r.body).slice(0, 300)}`);
      next += ids.length;
    }
  };
  const rateAt = async (snapshots: number, n = 50) => {
    await fill(snapshots - 1);
    const t = performance.now();
    const mark = process.hrtime.bigint();
    const serverCpu0 = cpuMs(server.pid);
    const clientCpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++, next++) await append(clients.http, 'deep', next, next, next - 1);
    const rate = n / ((performance.now() - t) / 1000);
    const client = process.cpuUsage(clientCpu0);
    const cpu = { server: (cpuMs(server.pid) - serverCpu0) / n, client: (client.user + client.system) / 1000 / n };
    marks.push(`iceberg\tat${snapshots}\t${mark / 1000n}\t${process.hrtime.bigint() / 1000n}`);
    // The file must hold every unexpired snapshot (the spec), so it grows with them: the disk's own limit at its size.
    const loaded = await json(`${base}/namespaces/bench/tables/deep`, 'GET', undefined, auth);
    const bytes = Buffer.byteLength(JSON.stringify(loaded.body.metadata));
    return { rate, bytes, cpu, limit: fsyncedFilesPerSecond(server.dataDir, bytes, 50) };
  };
  const at100 = await rateAt(100);
  const at10k = await rateAt(10_000);
  // loadTable again once the server has run a while (a fresh table as small as `hot` was). Each p50 includes its
  // client's own CPU; the garbage one client leaves may be collected during the other's turn.
  await create('warm');
  const warmMark0 = process.hrtime.bigint();
  const warm = await loads(`${base}/namespaces/bench/tables/warm`, 1000);
  marks.push(`iceberg\twarm loads\t${warmMark0 / 1000n}\t${process.hrtime.bigint() / 1000n}`);
  // LAKEFORM_BENCH_MARKS (see hms below): the windows of the first loads, the one-table commits, the commits at 100 and
  // 10,000 snapshots and the warm loads, to slice the server's CPU profile by.
  if (process.env.LAKEFORM_BENCH_MARKS) fs.writeFileSync(process.env.LAKEFORM_BENCH_MARKS, `${marks.join('\n')}\n`);
  http1.close();
  http16.close();
  floor.stop();
  const floorOne = floorSpent.oneN / (floorSpent.one / 1000);
  const floorSpread = floorSpent.spreadN / (floorSpent.spread / 1000);
  const sqlite = !args.postgres;
  const p50s = (l: typeof first) =>
    `p50 ${median(l.http.ms).toFixed(2)} ms with node:http keep-alive ` +
    `(its own CPU ${(l.http.cpu / l.http.ms.length).toFixed(2)} ms a load), ` +
    `${median(l.fetch.ms).toFixed(2)} ms with fetch (${(l.fetch.cpu / l.fetch.ms.length).toFixed(2)} ms); ` +
    `server CPU ${l.server.toFixed(2)} ms a load`;
  const ofLimit = (rate: number) => `${rate.toFixed(0)}/s, ${(rate / limit).toFixed(2)} of the disk limit`;
  console.log(`bench iceberg (${sqlite ? 'sqlite' : 'postgres'}; node:http keep-alive and fetch clients taking turns)`);
  console.log(
    `  disk limit: ${limit.toFixed(0)} files written+fsynced per second (${probe.files} files taking turns with ` +
      `the commits, each of the size of the metadata they wrote then: the hot table's up to ${hotBytes} bytes, ` +
      `then the 100 tables')`,
  );
  console.log(`  loadTable, the first 1,000: ${p50s(first)}${sqlite ? ' (target <= 0.5 ms)' : ''}`);
  console.log(`    warm, the server having run a while: ${p50s(warm)}`);
  console.log(
    `    the floor (a bare node:http server answering 2 KB it holds, same client, taking turns): p50 ` +
      `${median(floorSpent.loads).toFixed(2)} ms`,
  );
  console.log(
    `  commits on one table, one after another: ${ofLimit(oneTable.http)}` +
      (sqlite ? ' (target >= 0.3)' : ` (Nessie's goal 333/s: ratio ${(oneTable.http / 333).toFixed(2)})`) +
      `; with fetch ${ofLimit(oneTable.fetch)}`,
  );
  console.log(
    `    where the time goes: the server spends ${commitCpu.toFixed(1)} ms of CPU a commit ` +
      `(HTTP, authorization, the store, metadata checks, serialisation, GC; ` +
      `${(1000 / commitCpu).toFixed(0)}/s at most on one core), the file itself ${(1000 / limit).toFixed(2)} ms`,
  );
  console.log(
    `    the floor: a bare node:http server that only parses the request, writes and fsyncs a new file of the ` +
      `same size and swaps the pointer by one UPDATE in the same store (same client, taking turns): ` +
      `${ofLimit(floorOne)}; ours is ` +
      `${(oneTable.http / floorOne).toFixed(2)} of it`,
  );
  console.log(
    `  commits spread over 100 tables, 16 at a time: ${ofLimit(spread.http)}${sqlite ? ' (target >= 0.6)' : ''}` +
      `; with fetch ${ofLimit(spread.fetch)}`,
  );
  console.log(`    the floor: ${ofLimit(floorSpread)}; ours is ${(spread.http / floorSpread).toFixed(2)} of it`);
  console.log(
    `  commits at 100 snapshots ${at100.rate.toFixed(0)}/s, at ` +
      `10,000 ${at10k.rate.toFixed(0)}/s: ratio ` +
      `${(at10k.rate / at100.rate).toFixed(2)} (target >= 0.7)`,
  );
  console.log(
    `    the disk's limit for those metadata files (${at100.bytes} ` +
      `and ${at10k.bytes} bytes): ${at100.limit.toFixed(0)}/s and ` +
      `${at10k.limit.toFixed(0)}/s, ratio ` +
      `${(at10k.limit / at100.limit).toFixed(2)}; commits reach ` +
      `${(at100.rate / at100.limit).toFixed(2)} and ` +
      `${(at10k.rate / at10k.limit).toFixed(2)} of it`,
  );
  // What grows with the file: the server's CPU a commit (writing it and its answer) and the client's (reading and
  // parsing the answer, which holds the whole metadata).
  console.log(
    `    CPU a commit at 100 and 10,000 snapshots: the server ${at100.cpu.server.toFixed(1)} and ` +
      `${at10k.cpu.server.toFixed(1)} ms, the client ${at100.cpu.client.toFixed(1)} and ` +
      `${at10k.cpu.client.toFixed(1)} ms`,
  );
}

async function alterCascade(
  server: { url: string; pid: number },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const auth = { 'X-Auth-Token': token };
  const db = `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs/hive/databases/default/tables`;
  const columns = (n: number) => Array.from({ length: n }, (_, i) => ({ column_name: `c${i}`, column_type: 'bigint' }));
  const sd = { columns: columns(3), compressed: false, parameters: {}, serde_info: { serialization_library: 'x' } };
  await json(
    db,
    'POST',
    {
      table_name: 'cascade',
      table_type: 'EXTERNAL_TABLE',
      owner_type: 'USER',
      storage_descriptor: sd,
      partition_keys: [{ column_name: 'p', column_type: 'int' }],
    },
    auth,
  );
  const TOTAL = Number(args.partitions);
  const t0 = performance.now();
  await inParallel(Math.ceil(TOTAL / 1000), 2, async (b) => {
    const n = Math.min(1000, TOTAL - b * 1000);
    const r = await fetch(`${db}/cascade/partitions/batch-create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify({
        partitions: Array.from({ length: n }, (_, k) => ({
          partition_values: [String(b * 1000 + k)],
          storage_descriptor: sd,
        })),
      }),
    });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`AddPartitions: ${r.status} ${text.slice(0, 300)}`);
  });
  const seeded = (performance.now() - t0) / 1000;
  const alter = async (n: number, cascade: boolean) => {
    const t = performance.now();
    const r = await json(
      `${db}/cascade`,
      'PUT',
      {
        table: { storage_descriptor: { ...sd, columns: columns(n) } },
        ...(cascade ? { alter_params: { CASCADE: 'true' } } : {}),
      },
      auth,
    );
    if (!r.body) throw new Error('UpdateTable answered nothing');
    return (performance.now() - t) / 1000;
  };
  const plain = await alter(4, false);
  const before = rssMb(server.pid);
  const cascaded = await alter(5, true);
  const after = rssMb(server.pid);
  const check = await json(`${db}/cascade/partitions?limit=1`, 'GET', undefined, auth);
  if (check.body.partitions[0].storage_descriptor.columns.length !== 5) throw new Error('the cascade did not land');
  console.log(`bench alter-cascade (${args.postgres ? 'postgres' : 'sqlite'}; ${TOTAL} partitions)`);
  console.log(
    `  UpdateTable + CASCADE: ${cascaded.toFixed(1)} s ` +
      `(${(TOTAL / cascaded).toFixed(0)} partitions/s); without ` +
      `CASCADE ${(plain * 1000).toFixed(1)} ms; adding the partitions ` +
      `took ${seeded.toFixed(1)} s: cascade/add ratio ` +
      `${(cascaded / seeded).toFixed(2)} (target < 1)`,
  );
  console.log(`  server RSS ${before.toFixed(0)} MB before the cascade, ${after.toFixed(0)} MB after`);
}

/** Signs in as the administrator and creates a RUNNING instance without a QPS limit. */
async function benchInstance(server: { url: string; password: string }) {
  const login = await json(`${server.url}/v3/auth/tokens`, 'POST', passwordLogin('admin', server.password), {});
  const token = login.headers.get('x-subject-token') as string;
  const projectId = login.body.token.project.id as string;
  const auth = { 'X-Auth-Token': token };
  const created = await json(
    `${server.url}/v1/${projectId}/instances`,
    'POST',
    { name: 'bench_instance', charge_mode: 'postPaid', shared: true },
    auth,
  );
  const instanceId = created.body.instance_id as string;
  const showUrl = `${server.url}/v1/${projectId}/instances/${instanceId}`;
  for (let i = 0; i < 50; i++) {
    // wait for RUNNING, then lift the QPS limit out of the way
    if ((await json(showUrl, 'GET', undefined, auth)).body.status === 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await json(
    `${showUrl}/scale`,
    'POST',
    { specs: [{ spec_code: 'lakeformation.unit.basic.qps', stride_num: 10000 }] },
    auth,
  );
  await new Promise((r) => setTimeout(r, 500));
  return { token, projectId, instanceId, showUrl, auth };
}

async function main(): Promise<void> {
  // Modes that start servers of their own.
  const own = {
    'rate-limit': () =>
      rateLimitReplicas({ startServer, json, postgres: args.postgres, seconds: SECONDS, connections: CONNECTIONS }),
    soak: () =>
      soak({ startServer, json, rssMb, minutes: Number(args.minutes), postgres: args.postgres !== undefined }),
  };
  if (args.only !== undefined && args.only in own) {
    await own[args.only as keyof typeof own]();
    return;
  }
  await mainServerModes();
  if (args.only === undefined) for (const mode of Object.values(own)) await mode();
}

async function mainServerModes(): Promise<void> {
  const server = await startServer();
  try {
    const { token, projectId, instanceId, showUrl, auth } = await benchInstance(server);
    if (args.only === undefined || args.only === 'instance-show') await instanceShow(server.url, showUrl, auth);
    if (args.only === undefined || args.only === 'lakecat-tables')
      await lakecatTables(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'lakecat-partitions')
      await lakecatPartitions(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'governance') await governance(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'discovery') await discovery(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'iceberg') await iceberg(server, token, instanceId);
    if (args.only === undefined || args.only === 'hms') await hms(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'console') await webConsole(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'recycle-bin') await recycleBin(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'alter-cascade')
      await alterCascade(server, token, projectId, instanceId);
    if (args.only === undefined || args.only === 'contention')
      await contention(server, token, projectId, instanceId, json, args.postgres ? 'postgres' : 'sqlite');
  } finally {
    await server.stop();
  }
}

/** The hmsbench operations over Thrift (the generated Node client) and over REST, p50 of each, in one run. */
async function hms(
  server: { url: string; hmsPort: number; pid: number },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const { thrift, ThriftHiveMetastoreClient } = await import('../src/metastore/runtime.js');
  const { BinaryWriter } = await import('../src/metastore/writer.js');
  // The runtime's writer allocates a Buffer per field (see src/metastore/writer.ts); the client
  // writes with the server's fast writer so the figures measure the server, not the Node client.
  class ClientProtocol extends thrift.TBinaryProtocol {
    private readonly w: InstanceType<typeof BinaryWriter>;
    constructor(trans: { write(b: Buffer): void; setCurrSeqId?(id: number): void }) {
      super(trans);
      this.w = new BinaryWriter((b) => trans.write(b), false);
      for (const m of [
        'writeStructBegin',
        'writeStructEnd',
        'writeFieldBegin',
        'writeFieldEnd',
        'writeFieldStop',
        'writeMapBegin',
        'writeMapEnd',
        'writeListBegin',
        'writeListEnd',
        'writeSetBegin',
        'writeSetEnd',
        'writeBool',
        'writeByte',
        'writeI16',
        'writeI32',
        'writeI64',
        'writeDouble',
        'writeString',
        'writeBinary',
      ] as const)
        (this as unknown as Record<string, unknown>)[m] = (...a: unknown[]) =>
          (this.w[m] as (...x: unknown[]) => void)(...a);
      (this as unknown as Record<string, unknown>).writeMessageBegin = (name: string, type: number, seqid: number) => {
        trans.setCurrSeqId?.(seqid);
        this.w.writeMessageBegin(name, type, seqid);
      };
      (this as unknown as Record<string, unknown>).writeMessageEnd = () => this.w.flush();
    }
  }
  // The server's main thread's time on a CPU (ns, Linux): unlike wall time, not stretched by other load on the machine.
  const serverCpu = () => {
    try {
      return Number(fs.readFileSync(`/proc/${server.pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return Number.NaN;
    }
  };
  const auth = { 'X-Auth-Token': token };
  const base = `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs/hive/databases`;
  const columns = [
    { column_name: 'id', column_type: 'bigint' },
    { column_name: 'amount', column_type: 'double' },
  ];
  const sd = {
    columns,
    compressed: false,
    parameters: {},
    serde_info: {
      serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      parameters: {},
    },
  };
  await json(base, 'POST', { database_name: 'hmsbench' }, auth);
  const tables = `${base}/hmsbench/tables`;
  await inParallel(1000, 8, (i) =>
    json(
      tables,
      'POST',
      { table_name: `t${i}`, table_type: 'EXTERNAL_TABLE', owner_type: 'USER', storage_descriptor: sd },
      auth,
    ).then(() => undefined),
  );
  const day = (i: number) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10);
  const batch = (from: number, n: number) => ({
    if_not_exist: false,
    partitions: Array.from({ length: n }, (_, k) => ({
      partition_values: [day(Math.floor((from + k) / 100)), String((from + k) % 100)],
      parameters: { numRows: '1000' },
      storage_descriptor: sd,
    })),
  });
  const TOTAL = Number(args.partitions);
  for (const [name, total] of [
    ['small', 10_000],
    ['big', TOTAL],
    ['adds_rest', 0],
    ['adds_thrift', 0],
    ['adds_unframed', 0],
  ] as const) {
    await json(
      tables,
      'POST',
      {
        table_name: name,
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: sd,
        partition_keys: [
          { column_name: 'dt', column_type: 'date' },
          { column_name: 'hr', column_type: 'int' },
        ],
      },
      auth,
    );
    await inParallel(Math.ceil(total / 1000), 2, (b) =>
      json(
        `${tables}/${name}/partitions/batch-create`,
        'POST',
        batch(b * 1000, Math.min(1000, total - b * 1000)),
        auth,
      ).then(() => undefined),
    );
  }

  // The runtime's framed receiver concatenates everything received so far at every chunk (a
  // 400 KB answer arrives in a dozen): this one keeps the chunks and joins them once per frame.
  class ClientFramed extends thrift.TFramedTransport {
    static receiver(callback: (t: unknown, seqid?: number) => void, seqid?: number) {
      let chunks: Buffer[] = [];
      let have = 0;
      return (data: Buffer) => {
        chunks.push(data);
        have += data.length;
        for (;;) {
          if (have < 4) return;
          if (chunks.length > 1 && (chunks[0] as Buffer).length < 4) chunks = [Buffer.concat(chunks, have)];
          const size = (chunks[0] as Buffer).readInt32BE(0);
          if (have < 4 + size) return;
          const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, have);
          const rest = all.subarray(4 + size);
          chunks = rest.length ? [rest] : [];
          have = rest.length;
          callback(new (ClientFramed as new (b: Buffer) => unknown)(all.subarray(4, 4 + size)), seqid);
        }
      };
    }
  }
  /** A client on a new connection through `transport`, signed in as admin. */
  const connect = async (transport: unknown) => {
    const conn = thrift.createConnection('127.0.0.1', server.hmsPort, { transport, protocol: ClientProtocol });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', reject);
    });
    const client = thrift.createClient(ThriftHiveMetastoreClient, conn);
    await client.set_ugi('admin', []);
    return { conn, client };
  };
  // Framed, so that the Node client parses an answer once it is whole rather than after every chunk.
  const { conn, client: c } = await connect(ClientFramed);
  // Unframed, as Spark and Trino connect: a large request reaches the server in many chunks.
  const { conn: plain, client: u } = await connect(thrift.TBufferedTransport);
  const thriftPart = (i: number, tableName = 'adds_thrift') => ({
    values: [day(Math.floor(i / 100)), String(i % 100)],
    dbName: 'hmsbench',
    tableName,
    parameters: { numRows: '1000' },
    sd: {
      cols: [
        { name: 'id', type: 'bigint', comment: '' },
        { name: 'amount', type: 'double', comment: '' },
      ],
      serdeInfo: { name: '', serializationLib: 'x', parameters: {} },
      parameters: {},
    },
  });
  const count = (n: number, what: string) => (r: { length: number } | undefined) => {
    if ((r?.length ?? 0) !== n) throw new Error(`${what}: ${r?.length} instead of ${n}`);
  };
  // Listings asked again while neither their table nor its partitions were written are answered from what was kept
  // (SQLite), which the plain lines measure. A write to another table leaves them kept; a write to the listed table
  // (here its row: its partitions' writes move its mark alike) makes the next listing read and encode anew.
  let writes = 0;
  // json() throws unless the answer is 2xx.
  const writeTo = (table: string) => () =>
    json(`${tables}/${table}`, 'PUT', { table: { parameters: { bench_write: String(++writes) } } }, auth).then(
      () => undefined,
    );
  const page = {
    name: '1,000 partitions',
    hms: 33,
    n: 30,
    thrift: () => c.get_partitions('hmsbench', 'big', 1000).then(count(1000, 'partitions')),
    rest: () =>
      json(`${tables}/big/partitions?limit=1000`, 'GET', undefined, auth).then((r) =>
        count(1000, 'partitions')(r.body.partitions),
      ),
  };
  const filter = {
    name: 'by_filter on 10,000',
    hms: 36,
    n: 30,
    thrift: () =>
      c.get_partitions_by_filter('hmsbench', 'small', "hr < 10 AND dt >= '2000-01-01'", -1).then(count(1000, 'filter')),
    rest: () =>
      json(
        `${tables}/small/partitions?limit=1000&filter=${encodeURIComponent("hr < 10 AND dt >= '2000-01-01'")}`,
        'GET',
        undefined,
        auth,
      ).then((r) => count(1000, 'filter')(r.body.partitions)),
  };
  const ops: {
    name: string;
    hms: number;
    n: number;
    thrift: (i: number) => Promise<void>;
    rest: (i: number) => Promise<void>;
    /** Run before each call, outside its time and CPU. */
    before?: () => Promise<void>;
  }[] = [
    {
      name: 'getTable',
      hms: 4.1,
      n: 200,
      thrift: () => c.get_table('hmsbench', 'small').then(() => undefined),
      rest: () => json(`${tables}/small`, 'GET', undefined, auth).then(() => undefined),
    },
    {
      name: '1,000 table names',
      hms: 4.3,
      n: 40,
      thrift: () => c.get_all_tables('hmsbench').then(count(1005, 'names')),
      rest: () => json(`${tables}/names`, 'GET', undefined, auth).then((r) => count(1005, 'names')(r.body)),
    },
    page,
    filter,
    { ...page, name: '1,000 partitions, after a write to another table', before: writeTo('t0') },
    { ...filter, name: 'by_filter on 10,000, after a write to another table', before: writeTo('t0') },
    { ...page, name: '1,000 partitions, after a write to their table', before: writeTo('big') },
    { ...filter, name: 'by_filter on 10,000, after a write to their table', before: writeTo('small') },
    {
      name: `by_filter on ${TOTAL}`,
      hms: Number.NaN,
      n: 30,
      thrift: (i) =>
        c
          .get_partitions_by_filter('hmsbench', 'big', `dt = '${day((i * 37) % (TOTAL / 100))}'`, -1)
          .then(count(100, 'filter')),
      rest: (i) =>
        json(
          `${tables}/big/partitions?limit=1000&filter=${encodeURIComponent(`dt = '${day((i * 37) % (TOTAL / 100))}'`)}`,
          'GET',
          undefined,
          auth,
        ).then((r) => count(100, 'filter')(r.body.partitions)),
    },
    {
      name: 'adding 1,000 partitions',
      hms: 3000,
      n: 8,
      thrift: (i) =>
        c.add_partitions(Array.from({ length: 1000 }, (_, k) => thriftPart(i * 1000 + k))).then(() => undefined),
      rest: (i) =>
        json(`${tables}/adds_rest/partitions/batch-create`, 'POST', batch(i * 1000, 1000), auth).then(() => undefined),
    },
    {
      name: 'adding 1,000, unframed',
      hms: 3000,
      n: 8,
      thrift: (i) =>
        u
          .add_partitions(Array.from({ length: 1000 }, (_, k) => thriftPart(i * 1000 + k, 'adds_unframed')))
          .then(() => undefined),
      rest: (i) =>
        json(`${tables}/adds_rest/partitions/batch-create`, 'POST', batch(100_000 + i * 1000, 1000), auth).then(
          () => undefined,
        ),
    },
  ];
  // LAKEFORM_BENCH_MARKS: each call's window (monotonic µs, as in CPU profiles) is written there, to slice profiles by
  // call.
  const marks = process.env.LAKEFORM_BENCH_MARKS ? ([] as string[]) : undefined;
  console.log(
    `bench hms (${args.postgres ? 'postgres' : 'sqlite'}; Thrift p50 ` +
      `beside REST p50, same run; Hive Metastore's published figures)`,
  );
  for (const op of ops) {
    await op.thrift(0);
    await op.rest(0); // warm-up (the adds warm up on partitions 0..999, measured from 1 on)
    // Alternated call by call, so that the machine's drifting load hits both sides alike; the
    // ratio is the median of the pairs' ratios, which one noisy pair cannot move.
    const ts: number[] = [];
    const rs: number[] = [];
    const cpu = { thrift: 0, rest: 0 };
    for (let i = 1; i <= op.n; i++) {
      await op.before?.();
      const c0 = serverCpu();
      const t0 = process.hrtime.bigint();
      ts.push(...(await timed(1, () => op.thrift(i))));
      const t1 = process.hrtime.bigint();
      cpu.thrift += serverCpu() - c0;
      await op.before?.();
      const c1 = serverCpu();
      const t2 = process.hrtime.bigint();
      rs.push(...(await timed(1, () => op.rest(i))));
      const t3 = process.hrtime.bigint();
      cpu.rest += serverCpu() - c1;
      marks?.push(`${op.name}\tthrift\t${t0 / 1000n}\t${t1 / 1000n}`, `${op.name}\trest\t${t2 / 1000n}\t${t3 / 1000n}`);
    }
    const t = median(ts);
    const r = median(rs);
    const ratio = median(ts.map((x, i) => x / (rs[i] as number)));
    const vsHms = Number.isNaN(op.hms) ? '' : `; HMS ${op.hms} ms, ratio ${(t / op.hms).toFixed(2)} (target <= 0.25)`;
    const perCall = (ns: number) => (ns / op.n / 1e6).toFixed(2);
    console.log(
      `  ${op.name.padEnd(50)} thrift ${t.toFixed(1)} ms  rest ` +
        `${r.toFixed(1)} ms  thrift/rest ${ratio.toFixed(2)} (target <= ` +
        `1.5)${vsHms}; server CPU per call: thrift ${perCall(cpu.thrift)} ms, rest ${perCall(cpu.rest)} ms`,
    );
  }
  if (marks) fs.writeFileSync(process.env.LAKEFORM_BENCH_MARKS as string, `${marks.join('\n')}\n`);
  conn.end();
  plain.end();
}

async function instanceShow(base: string, showUrl: string, auth: Record<string, string>): Promise<void> {
  {
    const noopUrl = `${base}/`;
    await load(noopUrl, {}, 2); // warm-up
    await load(showUrl, auth, 2);
    // Alternate the two so that drift of the machine's load hits both equally; report the median
    // of the per-round ratios, which one noisy round cannot move.
    const rounds: { noop: number; show: number }[] = [];
    let errors = 0;
    for (let round = 0; round < 5; round++) {
      const a = await load(noopUrl, {}, SECONDS);
      const b = await load(showUrl, auth, SECONDS);
      rounds.push({ noop: a.rps, show: b.rps });
      errors += a.non2xx + b.non2xx;
    }
    const ratio = median(rounds.map((r) => r.show / r.noop));
    console.log(
      `bench instance-show (${args.postgres ? 'postgres' : 'sqlite'}, ` +
        `${CONNECTIONS} connections, 5 alternating rounds of ${SECONDS}s)`,
    );
    console.log(`  no-op route GET /                   ${median(rounds.map((r) => r.noop)).toFixed(0)} req/s (median)`);
    console.log(`  ShowLakeFormationInstance (token)   ${median(rounds.map((r) => r.show)).toFixed(0)} req/s (median)`);
    console.log(`  per-round ratios ${rounds.map((r) => (r.show / r.noop).toFixed(2)).join(' ')}`);
    console.log(
      `  ratio ${ratio.toFixed(2)} (median; target >= 0.50: ` +
        `${ratio >= 0.5 ? 'met' : 'NOT met'}); non-2xx/errors: ${errors}`,
    );
  }
}

async function webConsole(
  server: { url: string; password: string },
  token: string,
  projectId: string,
  instanceId: string,
): Promise<void> {
  const CHROMIUM = '/usr/bin/chromium';
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`bench console: skipped, ${CHROMIUM} is absent (apt-get install chromium)`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const session = JSON.stringify({
      token,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      userName: 'admin',
      domainName: 'default',
      projectId,
      projectName: 'default',
    });
    await json(
      `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs`,
      'POST',
      { catalog_name: 'console_bench' },
      { 'X-Auth-Token': token },
    );
    // A cold load: empty cache, then until the page's own content is on screen and takes input. The session is set
    // from a page of the same origin that loads none of the console.
    const cold = async (url: string, ready: () => Promise<unknown>, signedIn: boolean) => {
      await page.goto(`${server.url}/healthz`);
      await page.evaluate(
        signedIn
          ? `sessionStorage.setItem('lakeform.console.session', ${JSON.stringify(session)})`
          : 'sessionStorage.clear()',
      );
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
      const t0 = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      await ready();
      return performance.now() - t0;
    };
    const bytes: { url: string; gz: number }[] = [];
    const onResponse = async (r: import('playwright-core').Response) => {
      if (!/\.(js|css)$/.test(new URL(r.url()).pathname)) return;
      bytes.push({ url: r.url(), gz: zlib.gzipSync(await r.body(), { level: 9 }).length });
    };
    page.on('response', onResponse);
    await cold(`${server.url}/console/signin`, () => page.getByRole('button', { name: 'Sign in' }).waitFor(), false);
    page.off('response', onResponse);
    const firstScreen = bytes.reduce((n, b) => n + b.gz, 0);
    const times = { bare: [] as number[], signin: [] as number[], catalogs: [] as number[] };
    for (let i = 0; i < 5; i++) {
      times.bare.push(await cold(`${server.url}/`, () => page.waitForLoadState('load'), false));
      times.signin.push(
        await cold(
          `${server.url}/console/signin`,
          () => page.getByRole('button', { name: 'Sign in' }).waitFor(),
          false,
        ),
      );
      times.catalogs.push(
        await cold(
          `${server.url}/console/i/${instanceId}/catalogs`,
          () => page.getByRole('link', { name: 'console_bench' }).first().waitFor(),
          true,
        ),
      );
    }
    const bare = median(times.bare);
    console.log('bench console (chromium, localhost, cold cache, median of 5)');
    console.log(
      `  first screen: ${(firstScreen / 1024).toFixed(1)} KB of gzipped JS and CSS in ${bytes.length} files ` +
        `(target <= 300 KB: ${firstScreen <= 300 * 1024 ? 'met' : 'NOT met'})`,
    );
    console.log(`  a trivial page (GET /)           ${bare.toFixed(0)} ms`);
    console.log(
      `  sign-in page interactive         ` +
        `${median(times.signin).toFixed(0)} ms (ratio ` +
        `${(median(times.signin) / bare).toFixed(1)})`,
    );
    console.log(
      `  catalog browser interactive      ` +
        `${median(times.catalogs).toFixed(0)} ms (ratio ` +
        `${(median(times.catalogs) / bare).toFixed(1)})`,
    );
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
