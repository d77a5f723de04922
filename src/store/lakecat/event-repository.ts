import type { Db } from '../store.js';
import type { MetadataEventRow } from '../schema.js';

export type NewMetadataEvent = Omit<MetadataEventRow, 'id'>;

/** Appends to the metadata event log; call it inside the transaction of the change it records. */
export async function appendEvent(q: Db, event: NewMetadataEvent): Promise<void> {
  await q.insertInto('metadata_events').values(event).execute();
}

export const eventsSince = (q: Db, instanceId: string, afterId: number, limit: number) =>
  q.selectFrom('metadata_events').selectAll().where('instance_id', '=', instanceId).where('id', '>', afterId)
    .orderBy('id').limit(limit).execute();
