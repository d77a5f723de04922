import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { appendUpdates, type JsonRequest } from './requests.js';

/**
 * contention: the latency of a short write (an Iceberg append commit) alone and while six writers add 1,000-partition
 * batches to tables of their own, side by side in one run. Target: p99 under that load <= 10x the idle p50.
 */

type Json = JsonRequest<Record<string, unknown> | undefined>;

const quantile = (xs: number[], q: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * q))] as number;

export async function contention(
  server: { url: string },
  token: string,
  projectId: string,
  instanceId: string,
  json: Json,
  backend: string,
): Promise<void> {
  const auth = { 'X-Auth-Token': token };
  const tables = `${server.url}/v1/${projectId}/instances/${instanceId}/catalogs/hive/databases/default/tables`;
  const sd = {
    columns: [{ column_name: 'id', column_type: 'bigint' }],
    compressed: false,
    parameters: {},
    serde_info: {
      serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      parameters: {},
    },
  };
  const WRITERS = 6;
  for (let w = 0; w < WRITERS; w++)
    await json(
      tables,
      'POST',
      {
        table_name: `load${w}`,
        table_type: 'EXTERNAL_TABLE',
        owner_type: 'USER',
        storage_descriptor: sd,
        partition_keys: [{ column_name: 'n', column_type: 'int' }],
      },
      auth,
    );
  const ice = { Authorization: `Bearer ${token}` };
  const base = `${server.url}/iceberg/v1/${instanceId}~hive`;
  await json(`${base}/namespaces`, 'POST', { namespace: ['contention'] }, ice);
  await json(
    `${base}/namespaces/contention/tables`,
    'POST',
    { name: 'hot', schema: { type: 'struct', fields: [{ id: 1, name: 'id', required: true, type: 'long' }] } },
    ice,
  );
  let snapshot = 0;
  const commit = async () => {
    const id = ++snapshot;
    const t0 = performance.now();
    await json(
      `${base}/namespaces/contention/tables/hot`,
      'POST',
      {
        requirements: [],
        updates: appendUpdates(id),
      },
      ice,
    );
    return performance.now() - t0;
  };
  const commits = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await commit());
    return out;
  };
  // Enough samples that p99 is a percentile, not the largest of a few dozen.
  const IDLE = 60;
  const BUSY = 250;
  await commits(10); // warm-up
  const idle = await commits(IDLE);

  // The writers run in a worker thread: their JSON work must not stall this thread's timed commits.
  let batches = 0;
  const load = new Worker(new URL('./contention-writers.js', import.meta.url), {
    workerData: { tables, token, writers: WRITERS, sd },
  });
  const finished = new Promise<void>((resolve, reject) => {
    load.on('message', (m: { batches: number; done?: boolean }) => {
      batches = m.batches;
      if (m.done) resolve();
    });
    load.on('error', reject);
  });
  await new Promise((r) => setTimeout(r, 1000)); // the writers get going
  // This thread's own event-loop delays (the server is a child process): a stall here would be the bench's, not its.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  // Batches landed while the commits ran: those of the head start above are not part of the rate.
  const before = batches;
  const busy = await commits(BUSY);
  const seconds = (performance.now() - t0) / 1000;
  loop.disable();
  const written = batches - before;
  load.postMessage('stop');
  await finished;
  await load.terminate();

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const idleP50 = quantile(idle, 0.5);
  const busyP99 = quantile(busy, 0.99);
  console.log(`bench contention (${backend})`);
  console.log(`  Iceberg commit alone (${idle.length} commits): p50 ${ms(idleP50)}, p99 ${ms(quantile(idle, 0.99))}`);
  console.log(
    `  Iceberg commit beside ${WRITERS} writers of 1,000-partition ` +
      `batches (${busy.length} commits, ${(written / seconds).toFixed(1)} batches/s): ` +
      `p50 ${ms(quantile(busy, 0.5))}, p99 ${ms(busyP99)}, max ${ms(Math.max(...busy))}`,
  );
  const lag = (q: number) => ms(loop.percentile(q) / 1e6);
  console.log(
    `  bench client's event-loop delay under load: p50 ${lag(50)}, p99 ${lag(99)}, max ${ms(loop.max / 1e6)}`,
  );
  console.log(
    `  p99 under load / idle p50: ${(busyP99 / idleP50).toFixed(1)} ` +
      `(target <= 10: ${busyP99 <= 10 * idleP50 ? 'met' : 'NOT met'})`,
  );
}
