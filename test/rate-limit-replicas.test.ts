// One instance's QPS limit across replicas: two `lakeform serve` processes on one store admit no
// more together than the instance's spec (its token bucket is in the store), and when one dies
// the other is admitted the whole rate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  backends,
  createPgDatabase,
  createRunningInstance,
  dropPgDatabase,
  startServer,
  type TestServer,
} from './helpers/server.js';

// 2 requests/s a stride × the 5 strides of a new instance: 10/s, bursts of 10.
const RATE = 10;
const ENV = { LAKEFORM_QPS_PER_STRIDE: '2' };

interface Drive {
  admitted: number[];
  refused: number[];
  seconds: number;
}

/**
 * Sends requests to each server from `loops` loops apiece for `seconds`, far above the rate; counts
 * the answers per server. `seconds` is measured from before the first send to after the last
 * answer, so every admission the servers made falls inside it.
 */
async function drive(servers: TestServer[], url: string, token: string, seconds: number, loops = 4): Promise<Drive> {
  const admitted = servers.map(() => 0);
  const refused = servers.map(() => 0);
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    servers.flatMap((s, i) =>
      Array.from({ length: loops }, async () => {
        while (performance.now() < until) {
          const r = await s.request('GET', url, { token });
          if (r.status === 200) admitted[i] = (admitted[i] as number) + 1;
          else if (r.status === 429) refused[i] = (refused[i] as number) + 1;
          else throw new Error(`unexpected ${r.status}: ${r.text}`);
        }
      }),
    ),
  );
  return { admitted, refused, seconds: (performance.now() - started) / 1000 };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

for (const backend of await backends()) {
  describe(`rate limit across replicas (${backend.name})`, () => {
    let a: TestServer;
    let b: TestServer;
    const dirs: string[] = [];
    let databaseUrl: string;
    let token: string;
    let url: string;
    before(async () => {
      // The data dirs and the database are the test's: a replica killed below must not take them along.
      for (let i = 0; i < 2; i++) dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-')));
      databaseUrl =
        backend.name === 'postgres'
          ? await createPgDatabase(backend.adminUrl as string)
          : `sqlite:${path.join(dirs[0] as string, 'lakeform.db')}`;
      a = await startServer(backend, { process: true, dataDir: dirs[0], databaseUrl, env: ENV });
      const login = await a.login();
      token = login.token;
      const id = await createRunningInstance(a, token, login.projectId, 'rate_replicas');
      url = `/v1/${login.projectId}/instances/${id}`;
      b = await startServer(backend, {
        process: true,
        dataDir: dirs[1],
        databaseUrl,
        adminPassword: a.adminPassword,
        env: ENV,
      });
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
      if (backend.name === 'postgres' && databaseUrl) await dropPgDatabase(backend.adminUrl as string, databaseUrl);
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    test('two replicas together admit no more than the spec', async (t) => {
      const d = await drive([a, b], url, token, 8);
      const total = sum(d.admitted);
      t.diagnostic(`admitted ${d.admitted} (refused ${d.refused}) in ${d.seconds.toFixed(1)} s at ${RATE}/s`);
      // At most: a full bucket (RATE), its refill over the window, and one leased token a replica.
      // Checked against 1.2× of that: per-replica buckets would admit about twice as many.
      const bound = 1.2 * (RATE + RATE * d.seconds + 2);
      assert.ok(total <= bound, `admitted ${d.admitted} in ${d.seconds.toFixed(1)} s: over ${bound.toFixed(0)}`);
      // Both replicas served and both refused: each took its part of one budget.
      for (const i of [0, 1]) {
        assert.ok((d.admitted[i] as number) > 0, `replica ${i} admitted nothing: ${d.admitted}`);
        assert.ok((d.refused[i] as number) > 0, `replica ${i} refused nothing: ${d.refused}`);
      }
      // And the budget is spent, not lost: well over half of it was admitted.
      assert.ok(total >= 0.5 * RATE * d.seconds, `admitted only ${total} in ${d.seconds.toFixed(1)} s`);
    });

    test("a replica's death leaves the whole rate to the other", async (t) => {
      assert.equal(await a.stop('SIGKILL'), null);
      const d = await drive([b], url, token, 8);
      const admitted = d.admitted[0] as number;
      t.diagnostic(`admitted ${admitted} (refused ${d.refused}) in ${d.seconds.toFixed(1)} s at ${RATE}/s`);
      // Half the budget (a share kept for the dead replica) would admit at most RATE/2 a second
      // plus a burst of RATE/2..RATE: at most 0.5 × RATE × seconds + RATE, under this bound.
      const least = 0.5 * RATE * d.seconds + RATE + 2;
      assert.ok(admitted > least, `admitted ${admitted} in ${d.seconds.toFixed(1)} s, not over ${least.toFixed(0)}`);
      assert.ok(admitted <= 1.2 * (RATE + RATE * d.seconds + 1), `admitted ${admitted} in ${d.seconds.toFixed(1)} s`);
    });
  });
}
