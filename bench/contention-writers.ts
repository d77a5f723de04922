/**
 * The load of bench/contention.ts, in a worker thread of its own: writers that add 1,000-partition
 * batches until told to stop. Building and sending their bodies and parsing their answers then
 * never delays the timed commits of the main thread, so the figure is the server's alone.
 */
import { parentPort, workerData } from 'node:worker_threads';

const { tables, token, writers, sd } = workerData as { tables: string; token: string; writers: number; sd: unknown };
let stop = false;
let batches = 0;
parentPort?.on('message', () => {
  stop = true;
});

async function writer(w: number): Promise<void> {
  for (let b = 0; !stop; b++) {
    const partitions = Array.from({ length: 1000 }, (_, k) => ({
      partition_values: [String(b * 1000 + k)],
      parameters: { numRows: '1' },
      storage_descriptor: sd,
    }));
    const r = await fetch(`${tables}/load${w}/partitions/batch-create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token },
      body: JSON.stringify({ partitions }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`batch-create: ${r.status} ${text}`);
    JSON.parse(text);
    batches++;
    parentPort?.postMessage({ batches });
  }
}

await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
parentPort?.postMessage({ batches, done: true });
