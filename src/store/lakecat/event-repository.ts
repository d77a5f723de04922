import type { Compilable } from 'kysely';
import { bulkInsert } from '../bulk-insert.js';
import { preparedStatement } from '../prepared.js';
import type { MetadataEventRow } from '../schema.js';
import type { Db } from '../store.js';
import { pageFromRows } from './keyset.js';

export type NewMetadataEvent = Omit<MetadataEventRow, 'id'>;
const EVENT_COLUMNS = [
  'instance_id',
  'event_type',
  'catalog_name',
  'database_name',
  'object_name',
  'principal',
  'created_at',
  'detail',
] satisfies (keyof NewMetadataEvent)[];

/** Appends to the metadata event log; call it inside the transaction of the change it records. */
export async function appendEvent(q: Db, event: NewMetadataEvent): Promise<void> {
  await q.executeQuery(eventInsert(q, event).compile());
}

/** appendEvent's statement, to run with others of the change (see SqlDialect.writeAll). */
export function eventInsert(q: Db, e: NewMetadataEvent): Compilable<unknown> {
  return insertEvent(
    q,
    e.instance_id,
    e.event_type,
    e.catalog_name,
    // A field left out is NULL, as an insert without the column would make it.
    e.database_name ?? null,
    e.object_name ?? null,
    e.principal,
    e.created_at,
    e.detail ?? null,
  );
}

const insertEvent = preparedStatement(
  (
    q: Db,
    instanceId: string,
    eventType: string,
    catalogName: string,
    databaseName: string | null,
    objectName: string | null,
    principal: string,
    createdAt: string,
    detail: string | null,
  ) =>
    q.insertInto('metadata_events').values({
      instance_id: instanceId,
      event_type: eventType,
      catalog_name: catalogName,
      database_name: databaseName,
      object_name: objectName,
      principal,
      created_at: createdAt,
      detail,
    }),
  8,
);

/** Appends many events (a batch of partitions) in as few statements as the parameter limits allow. */
export async function appendEvents(q: Db, events: NewMetadataEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500)
    await bulkInsert(q, 'metadata_events', EVENT_COLUMNS, events.slice(i, i + 500));
}

export interface EventWindow {
  instanceId: string;
  beginTime?: string;
  endTime?: string;
}

function windowed(q: Db, w: EventWindow) {
  let query = q.selectFrom('metadata_events').where('instance_id', '=', w.instanceId);
  if (w.beginTime !== undefined) query = query.where('created_at', '>', w.beginTime);
  if (w.endTime !== undefined) query = query.where('created_at', '<', w.endTime);
  return query;
}

/**
 * One page of events in id order: after `afterId`, or (reverse) before `beforeId`; one extra row tells whether more
 * follow.
 */
export async function pageEvents(
  q: Db,
  w: EventWindow,
  limit: number,
  cursor: { afterId?: number; beforeId?: number },
) {
  let query = windowed(q, w).selectAll();
  if (cursor.beforeId !== undefined) query = query.where('id', '<', cursor.beforeId).orderBy('id', 'desc');
  else query = (cursor.afterId !== undefined ? query.where('id', '>', cursor.afterId) : query).orderBy('id', 'asc');
  return pageFromRows(await query.limit(limit + 1).execute(), limit, cursor.beforeId !== undefined);
}

export async function eventExistsBeyond(q: Db, w: EventWindow, id: number, side: 'before' | 'after'): Promise<boolean> {
  return (
    (await windowed(q, w)
      .select('id')
      .where('id', side === 'before' ? '<' : '>', id)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

/** The newest event id of an instance's log (0 when empty). */
export async function lastEventId(q: Db, instanceId: string): Promise<number> {
  const r = await q
    .selectFrom('metadata_events')
    .select('id')
    .where('instance_id', '=', instanceId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r ? Number(r.id) : 0;
}

/** How many events follow `afterId` (up to `toId`), of one catalog and database when given. */
export async function countEventsAfter(
  q: Db,
  instanceId: string,
  afterId: number,
  f: { catalog?: string; database?: string; toId?: number } = {},
): Promise<number> {
  let query = q.selectFrom('metadata_events').where('instance_id', '=', instanceId).where('id', '>', afterId);
  if (f.toId !== undefined) query = query.where('id', '<=', f.toId);
  if (f.catalog !== undefined) query = query.where('catalog_name', '=', f.catalog);
  if (f.database !== undefined) query = query.where('database_name', '=', f.database);
  const r = await query.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}
