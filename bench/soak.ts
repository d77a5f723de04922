/**
 * soak: a server with a memory budget (LAKEFORM_MEMORY_MB=512) under a mixed load for --minutes (default 10): LakeCat
 * table reads and pages, partition batches added and listed (each writer's table dropped and made again at 2,000
 * partitions, so the data stays the same size), Iceberg loads and commits (each writer's table purged at 200
 * snapshots), instance reads and new logins. Each minute prints the RSS of the server (and of the small process that
 * started it with the heap flags) and the p99 of the minute's requests. Targets: RSS within the budget; the last
 * minute's RSS at most 1.2x the second minute's; the last minute's p99 at most 1.5x the second's.
 */
import fs from 'node:fs';
import { appendUpdates, type JsonRequest, passwordLogin } from './requests.js';

interface Server {
  url: string;
  password: string;
  pid: number;
  stop: () => Promise<void>;
}

export interface SoakDeps {
  startServer: (o: { env?: Record<string, string> }) => Promise<Server>;
  json: JsonRequest;
  rssMb: (pid: number) => number;
  minutes: number;
  postgres: boolean;
}

const BUDGET_MB = 512;
const WORKERS = 8;

/** The server process: the child the launcher started with the heap flags (itself when there is none). */
function serverPid(launcher: number): number {
  try {
    const children = fs.readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/);
    return children[0] ? Number(children[0]) : launcher;
  } catch {
    return launcher;
  }
}

const quantile = (xs: number[], q: number) =>
  xs.length ? ([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] as number) : 0;

export async function soak(deps: SoakDeps): Promise<void> {
  const minutes = Math.max(2, deps.minutes);
  const server = await deps.startServer({
    env: { LAKEFORM_MEMORY_MB: String(BUDGET_MB), LAKEFORM_QPS_PER_STRIDE: '1000000' },
  });
  try {
    const pid = serverPid(server.pid);
    const login = async () => {
      const r = await deps.json(`${server.url}/v3/auth/tokens`, 'POST', passwordLogin('admin', server.password), {});
      return {
        token: r.headers.get('x-subject-token') as string,
        projectId: (r.body as { token: { project: { id: string } } }).token.project.id,
      };
    };
    const { token, projectId } = await login();
    const auth = { 'X-Auth-Token': token };
    const ice = { Authorization: `Bearer ${token}` };
    const created = await deps.json(
      `${server.url}/v1/${projectId}/instances`,
      'POST',
      { name: 'soak', charge_mode: 'postPaid', shared: true },
      auth,
    );
    const instanceId = (created.body as { instance_id: string }).instance_id;
    const instanceUrl = `${server.url}/v1/${projectId}/instances/${instanceId}`;
    for (let i = 0; i < 100; i++) {
      if (((await deps.json(instanceUrl, 'GET', undefined, auth)).body as { status: string }).status === 'RUNNING')
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const db = `${instanceUrl}/catalogs/hive/databases/soak`;
    await deps.json(`${instanceUrl}/catalogs/hive/databases`, 'POST', { database_name: 'soak' }, auth);
    const sd = {
      columns: [
        { column_name: 'id', column_type: 'bigint' },
        { column_name: 'name', column_type: 'string' },
      ],
      compressed: false,
      parameters: {},
      serde_info: {
        serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
        parameters: {},
      },
    };
    const table = (name: string) => ({
      table_name: name,
      table_type: 'EXTERNAL_TABLE',
      owner_type: 'USER',
      parameters: { classification: 'parquet' },
      storage_descriptor: sd,
      partition_keys: [{ column_name: 'n', column_type: 'int' }],
    });
    for (let t = 0; t < 50; t++) await deps.json(`${db}/tables`, 'POST', table(`t${t}`), auth);
    const base = `${server.url}/iceberg/v1/${instanceId}~hive`;
    await deps.json(`${base}/namespaces`, 'POST', { namespace: ['soakice'] }, ice);
    const iceTable = (name: string) =>
      deps.json(
        `${base}/namespaces/soakice/tables`,
        'POST',
        { name, schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] } },
        ice,
      );
    for (let t = 0; t < 20; t++) await iceTable(`r${t}`);

    // Per minute: every request's latency (ms), and the RSS at its end.
    const latencies: number[][] = [];
    const started = performance.now();
    const until = started + minutes * 60_000;
    const minuteOf = () => Math.floor((performance.now() - started) / 60_000);
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      const m = minuteOf();
      latencies[m] ??= [];
      latencies[m].push(performance.now() - t0);
    };
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const worker = async (w: number) => {
      let partTable = `p${w}g0`;
      let partitions = 0;
      let generation = 0;
      let iceName = `w${w}g0`;
      let snapshots = 0;
      await deps.json(`${db}/tables`, 'POST', table(partTable), auth);
      await iceTable(iceName);
      while (performance.now() < until) {
        const op = rand(100);
        if (op < 30) await timed(() => deps.json(`${db}/tables/t${rand(50)}`, 'GET', undefined, auth));
        else if (op < 40) await timed(() => deps.json(`${db}/tables?limit=100`, 'GET', undefined, auth));
        else if (op < 50) {
          const from = partitions;
          await timed(() =>
            deps.json(
              `${db}/tables/${partTable}/partitions/batch-create`,
              'POST',
              {
                if_not_exist: false,
                partitions: Array.from({ length: 50 }, (_, k) => ({
                  partition_values: [String(from + k)],
                  parameters: { numRows: '1000' },
                  storage_descriptor: sd,
                })),
              },
              auth,
            ),
          );
          partitions += 50;
          if (partitions >= 2000) {
            await timed(() => deps.json(`${db}/tables/${partTable}`, 'DELETE', undefined, auth));
            partTable = `p${w}g${++generation}`;
            partitions = 0;
            await timed(() => deps.json(`${db}/tables`, 'POST', table(partTable), auth));
          }
        } else if (op < 60)
          await timed(() => deps.json(`${db}/tables/${partTable}/partitions?limit=100`, 'GET', undefined, auth));
        else if (op < 75)
          await timed(() => deps.json(`${base}/namespaces/soakice/tables/r${rand(20)}`, 'GET', undefined, ice));
        else if (op < 85) {
          const id = ++snapshots;
          await timed(() =>
            deps.json(
              `${base}/namespaces/soakice/tables/${iceName}`,
              'POST',
              {
                requirements: [
                  { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': id === 1 ? null : id - 1 },
                ],
                updates: appendUpdates(id),
              },
              ice,
            ),
          );
          if (snapshots >= 200) {
            const old = iceName;
            await timed(() =>
              deps.json(`${base}/namespaces/soakice/tables/${old}?purgeRequested=true`, 'DELETE', undefined, ice),
            );
            iceName = `w${w}g${++generation}`;
            snapshots = 0;
            await timed(() => iceTable(iceName));
          }
        } else if (op < 95) await timed(() => deps.json(instanceUrl, 'GET', undefined, auth));
        else await timed(login);
      }
    };
    const rss: { server: number; launcher: number }[] = [];
    const sampler = setInterval(() => {
      rss.push({ server: deps.rssMb(pid), launcher: pid === server.pid ? 0 : deps.rssMb(server.pid) });
      const m = rss.length;
      const x = rss[m - 1] as { server: number; launcher: number };
      const lat = latencies[m - 1] ?? [];
      console.log(
        `  minute ${m}: RSS ${x.server.toFixed(0)} MB (+ ` +
          `${x.launcher.toFixed(0)} MB launcher), ${lat.length} requests, ` +
          `p99 ${quantile(lat, 0.99).toFixed(1)} ms`,
      );
    }, 60_000);
    console.log(
      `bench soak (${deps.postgres ? 'postgres' : 'sqlite'}; ` +
        `LAKEFORM_MEMORY_MB=${BUDGET_MB}; ${minutes} minutes, ${WORKERS} ` +
        `writers/readers)`,
    );
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      await new Promise((r) => setTimeout(r, Math.max(0, until + 1000 - performance.now())));
    } finally {
      clearInterval(sampler);
    }
    const second = rss[1] as { server: number; launcher: number };
    const last = rss[rss.length - 1] as { server: number; launcher: number };
    const peak = Math.max(...rss.map((x) => x.server + x.launcher));
    const p99 = (m: number) => quantile(latencies[m] ?? [], 0.99);
    const lastMinute = rss.length - 1;
    console.log(
      `  peak RSS ${peak.toFixed(0)} MB (server + launcher) of the ` +
        `${BUDGET_MB} MB budget: ${(peak / BUDGET_MB).toFixed(2)} ` +
        `(target <= 1)`,
    );
    console.log(
      `  RSS last/second minute ` +
        `${last.server.toFixed(0)}/${second.server.toFixed(0)} MB: ` +
        `${(last.server / second.server).toFixed(2)} (target <= 1.2)`,
    );
    console.log(
      `  p99 last/second minute ` +
        `${p99(lastMinute).toFixed(1)}/${p99(1).toFixed(1)} ms: ` +
        `${(p99(lastMinute) / p99(1)).toFixed(2)} (target <= 1.5)`,
    );
  } finally {
    await server.stop();
  }
}
