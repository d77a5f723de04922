import type { Db } from '../store.js';

// The stored facts alarm metrics are computed from.

/** Appends one replica's request counts for one sampling instant. */
export async function insertRequestSamples(
  q: Db,
  replicaId: string,
  sampledAt: string,
  counts: { instanceId: string; requests: number }[],
): Promise<void> {
  if (counts.length === 0) return;
  await q
    .insertInto('alarm_request_samples')
    .values(
      counts.map((c) => ({
        instance_id: c.instanceId,
        replica_id: replicaId,
        sampled_at: sampledAt,
        requests: c.requests,
      })),
    )
    .execute();
}

/** Requests to an instance counted by all replicas in samples taken after `since`. */
export async function requestsSince(q: Db, instanceId: string, since: string): Promise<number> {
  const r = await q
    .selectFrom('alarm_request_samples')
    .select((eb) => eb.fn.sum<number | string | null>('requests').as('n'))
    .where('instance_id', '=', instanceId)
    .where('sampled_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(r.n ?? 0);
}

export async function pruneRequestSamples(q: Db, before: string): Promise<void> {
  await q.deleteFrom('alarm_request_samples').where('sampled_at', '<', before).execute();
}

/** Requests of a project's instance refused for want of a privilege, recorded after `since`. */
export async function deniedSince(q: Db, projectId: string, instanceId: string, since: string): Promise<number> {
  const r = await q
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('result', '=', 'denied')
    .where('created_at', '>', since)
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
