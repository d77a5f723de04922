// One instance's QPS limit across replicas: two servers on one store, a `lakeform serve` process and one in the
// test's process, admit no more together than the instance's spec (its token bucket is in the store), and when the
// process is killed the other is admitted the whole rate.
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
/** Each replica is offered twice the rate: enough that a bucket of its own would admit its whole budget. */
const OFFERED = 2 * RATE;
/** The length of a drive: the bounds hold at any length; 5 s keeps the constant terms well below their margins. */
const SECONDS = 5;

interface Drive {
  sent: number[];
  admitted: number[];
  refused: number[];
  seconds: number;
}

/**
 * Sends each server `perSecond` requests a second for `seconds`, evenly spaced from the start (a send the
 * event loop delayed goes out at once, so the count is kept), without waiting for answers; counts the answers per
 * server. `seconds` is measured from before the first send to after the last answer, so every admission the servers
 * made falls inside it. Paced rather than as fast as the machine goes: the bounds need more offered than the rate,
 * not more CPU.
 */
async function drive(servers: TestServer[], url: string, token: string, seconds: number, perSecond: number) {
  const sent = servers.map(() => 0);
  const admitted = servers.map(() => 0);
  const refused = servers.map(() => 0);
  const answers: Promise<void>[] = [];
  const started = performance.now();
  for (;;) {
    const elapsed = (performance.now() - started) / 1000;
    if (elapsed >= seconds) break;
    const due = Math.min(Math.floor(elapsed * perSecond) + 1, seconds * perSecond);
    servers.forEach((s, i) => {
      for (; (sent[i] as number) < due; sent[i] = (sent[i] as number) + 1) {
        answers.push(
          s.request('GET', url, { token }).then((r) => {
            if (r.status === 200) admitted[i] = (admitted[i] as number) + 1;
            else if (r.status === 429) refused[i] = (refused[i] as number) + 1;
            else throw new Error(`unexpected ${r.status}: ${r.text}`);
          }),
        );
      }
    });
    await new Promise((r) => setTimeout(r, 1000 / perSecond / 2));
  }
  await Promise.all(answers);
  return { sent, admitted, refused, seconds: (performance.now() - started) / 1000 } satisfies Drive;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// Both stores at once: each waits mostly on its drives and its processes starting. The stores are known before the
// suite is declared: subtests declared after an await in its body run outside it, one after another.
const stores = await backends();
describe('rate limit across replicas', { concurrency: true }, () => {
  for (const backend of stores) {
    describe(`rate limit across replicas (${backend.name})`, { concurrency: false }, () => {
      let a: TestServer;
      let b: TestServer;
      const dirs: string[] = [];
      let databaseUrl: string;
      let token: string;
      let url: string;
      before(async () => {
        // The data dirs and the database are the test's: a replica killed below must not take them along.
        for (let i = 0; i < 2; i++) dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-test-')));
        // Both start on a store already migrated (SQLite: the helper's copy into the first data dir).
        const pgUrl =
          backend.name === 'postgres'
            ? await createPgDatabase(backend.adminUrl as string, { migrated: true })
            : undefined;
        a = await startServer(backend, { process: true, dataDir: dirs[0], databaseUrl: pgUrl, env: ENV });
        databaseUrl = a.databaseUrl;
        // The second replica starts while the first serves the set-up.
        const second = startServer(backend, {
          dataDir: dirs[1],
          databaseUrl,
          adminPassword: a.adminPassword,
          env: ENV,
        });
        const login = await a.login();
        token = login.token;
        const id = await createRunningInstance(a, token, login.projectId, 'rate_replicas');
        url = `/v1/${login.projectId}/instances/${id}`;
        b = await second;
      });
      after(async () => {
        await b?.stop();
        await a?.stop();
        if (backend.name === 'postgres' && databaseUrl) await dropPgDatabase(backend.adminUrl as string, databaseUrl);
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
      });

      test('two replicas together admit no more than the spec', async (t) => {
        const d = await drive([a, b], url, token, SECONDS, OFFERED);
        const total = sum(d.admitted);
        t.diagnostic(
          `sent ${d.sent}, admitted ${d.admitted} (refused ${d.refused}) in ${d.seconds.toFixed(1)} s at ${RATE}/s`,
        );
        // At most: a full bucket (RATE), its refill over the window, and one leased token a replica.
        // Checked against 1.2× of that: per-replica buckets would admit about twice as many.
        const bound = 1.2 * (RATE + RATE * d.seconds + 2);
        assert.ok(total <= bound, `admitted ${d.admitted} in ${d.seconds.toFixed(1)} s: over ${bound.toFixed(0)}`);
        // This run could tell: a bucket of each replica's own would have admitted a full budget (or all it was sent)
        // on each, over the bound.
        const perReplica = sum(d.sent.map((n) => Math.min(n, RATE + RATE * d.seconds)));
        assert.ok(perReplica > bound, `per-replica buckets would admit ${perReplica.toFixed(0)}, within the bound`);
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
        const d = await drive([b], url, token, SECONDS, OFFERED);
        const admitted = d.admitted[0] as number;
        t.diagnostic(
          `sent ${d.sent}, admitted ${admitted} (refused ${d.refused}) in ${d.seconds.toFixed(1)} s at ${RATE}/s`,
        );
        // Half the budget (a share kept for the dead replica) would admit at most RATE/2 a second
        // plus a burst of RATE/2..RATE: at most 0.5 × RATE × seconds + RATE, under this bound.
        const least = 0.5 * RATE * d.seconds + RATE + 2;
        assert.ok(admitted > least, `admitted ${admitted} in ${d.seconds.toFixed(1)} s, not over ${least.toFixed(0)}`);
        assert.ok(admitted <= 1.2 * (RATE + RATE * d.seconds + 1), `admitted ${admitted} in ${d.seconds.toFixed(1)} s`);
      });
    });
  }
});
