/**
 * rate-limit: one instance's QPS limit across replicas. Two `lakeform serve` processes on one store (PostgreSQL, and
 * a shared SQLite file) take load for the same instance at once; the requests they admit together per second are
 * printed against the instance's spec (target: at most 1.2x), beside one replica's alone in the same run.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { type JsonRequest, passwordLogin } from './requests.js';

interface Server {
  url: string;
  password: string;
  databaseUrl: string;
  stop: () => Promise<void>;
}

export interface ReplicaDeps {
  startServer: (o: {
    env?: Record<string, string>;
    databaseUrl?: string;
    postgres?: string | null;
    password?: string;
  }) => Promise<Server>;
  json: JsonRequest;
  /** The admin URL of a PostgreSQL to use, if any. */
  postgres: string | undefined;
  seconds: number;
  connections: number;
}

/** 20 requests/s a stride × the 5 strides of a new instance. */
const QPS_PER_STRIDE = 20;
const SPEC = 5 * QPS_PER_STRIDE;

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Load at every url at once for `seconds`; the 2xx answers of each. */
async function drive(urls: string[], token: string, seconds: number, connections: number) {
  const results = await Promise.all(
    urls.map((url) => autocannon({ url, connections, duration: seconds, headers: { 'X-Auth-Token': token } })),
  );
  return results.map((r) => ({ ok: r['2xx'], limited: r.non2xx, sent: r.requests.total }));
}

async function run(deps: ReplicaDeps, backend: string, postgres: string | null): Promise<void> {
  const env = { LAKEFORM_QPS_PER_STRIDE: String(QPS_PER_STRIDE) };
  const a = await deps.startServer({ env, postgres });
  let b: Server | undefined;
  try {
    b = await deps.startServer({ env, databaseUrl: a.databaseUrl, password: a.password });
    const login = await deps.json(`${a.url}/v3/auth/tokens`, 'POST', passwordLogin('admin', a.password), {});
    const token = login.headers.get('x-subject-token') as string;
    const projectId = (login.body as { token: { project: { id: string } } }).token.project.id;
    const auth = { 'X-Auth-Token': token };
    const created = await deps.json(
      `${a.url}/v1/${projectId}/instances`,
      'POST',
      { name: 'rate_bench', charge_mode: 'postPaid', shared: true },
      auth,
    );
    const path = `/v1/${projectId}/instances/${(created.body as { instance_id: string }).instance_id}`;
    for (let i = 0; i < 100; i++) {
      const shown = await deps.json(`${a.url}${path}`, 'GET', undefined, auth);
      if ((shown.body as { status: string }).status === 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Long enough that the one-second burst weighs little: it is part of the spec all the same.
    const seconds = Math.max(20, deps.seconds);
    const pause = () => new Promise((r) => setTimeout(r, 1500)); // the bucket refills
    await pause();
    const both = await drive([`${a.url}${path}`, `${b.url}${path}`], token, seconds, deps.connections);
    await pause();
    const one = await drive([`${a.url}${path}`], token, seconds, deps.connections);
    const perSecond = (xs: { ok: number }[]) => xs.reduce((s, x) => s + x.ok, 0) / seconds;
    const twoRate = perSecond(both);
    const oneRate = perSecond(one);
    const offered = both.reduce((s, x) => s + x.sent, 0) / seconds;
    console.log(`bench rate-limit (${backend}; two replicas on one store; spec ${SPEC} requests/s, ${seconds} s each)`);
    console.log(
      `  two replicas: ${twoRate.toFixed(1)} admitted/s ` +
        `(${both.map((x) => (x.ok / seconds).toFixed(1)).join(' + ')}) ` +
        `of ${offered.toFixed(0)} offered/s: ` +
        `${(twoRate / SPEC).toFixed(2)}x the spec (target <= 1.2)`,
    );
    console.log(`  one replica alone: ${oneRate.toFixed(1)} admitted/s: ${(oneRate / SPEC).toFixed(2)}x the spec`);
  } finally {
    await b?.stop();
    await a.stop();
  }
}

export async function rateLimitReplicas(deps: ReplicaDeps): Promise<void> {
  const pgUrl = deps.postgres ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(pgUrl)) await run(deps, 'postgres', pgUrl);
  else console.log(`bench rate-limit (postgres): skipped, ${pgUrl} is unreachable`);
  await run(deps, 'sqlite, one file', null);
}
