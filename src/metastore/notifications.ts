import { invalid } from '../services/errors.js';
import type { MetadataEventRow } from '../store/schema.js';

type EventRow = Omit<MetadataEventRow, 'id'> & { id: number | string };

import type { LocationMap } from '../services/engine-locations.js';
import type { Ctx, MethodEntry } from './context.js';
import { databaseOut, functionOut, partitionOut, tableOut } from './convert.js';
import { dbRef, parseDbName } from './names.js';
import { type HmsTypes as H, num, T, thrift } from './runtime.js';

/**
 * The notification log: the instance's metadata event log (the rows ShowMetadataEvents pages
 * through, ids only ever increasing) in Hive's JSON message format (`json-0.2`, as
 * JSONMessageEncoder writes it), with the Thrift objects embedded as TJSONProtocol text so
 * that Impala, StarRocks and Doris read them with Hive's own deserializers.
 */

export const MESSAGE_FORMAT = 'json-0.2';

/**
 * A Thrift object as TJSONProtocol text. The runtime's TJSONProtocol flushes a struct as soon as
 * the stack under it is empty (it expects a message around it): a placeholder at the bottom
 * keeps the whole struct on the stack, where it is read when done.
 */
export function tjson(o: object): string {
  const proto = new thrift.TJSONProtocol(new thrift.TBufferedTransport());
  proto.tstack.push('');
  (o as { write(p: unknown): void }).write(proto);
  return proto.tstack[1] as string;
}

/** Our event types as Hive names them; `truncate` marks Hive's isTruncateOp alters. */
const HIVE_TYPE: Record<string, { type: string; truncate?: boolean }> = {
  CREATE_DATABASE: { type: 'CREATE_DATABASE' },
  ALTER_DATABASE: { type: 'ALTER_DATABASE' },
  RENAME_DATABASE: { type: 'ALTER_DATABASE' },
  DROP_DATABASE: { type: 'DROP_DATABASE' },
  // A restore from the recycle bin is, to a follower, the object appearing again.
  RESTORE_DATABASE: { type: 'CREATE_DATABASE' },
  CREATE_TABLE: { type: 'CREATE_TABLE' },
  ALTER_TABLE: { type: 'ALTER_TABLE' },
  RENAME_TABLE: { type: 'ALTER_TABLE' },
  TRUNCATE_TABLE: { type: 'ALTER_TABLE', truncate: true },
  DROP_TABLE: { type: 'DROP_TABLE' },
  RESTORE_TABLE: { type: 'CREATE_TABLE' },
  CREATE_PARTITION: { type: 'ADD_PARTITION' },
  ALTER_PARTITION: { type: 'ALTER_PARTITION' },
  TRUNCATE_PARTITION: { type: 'ALTER_PARTITION', truncate: true },
  DROP_PARTITION: { type: 'DROP_PARTITION' },
  CREATE_FUNCTION: { type: 'CREATE_FUNCTION' },
  DROP_FUNCTION: { type: 'DROP_FUNCTION' },
  INSERT: { type: 'INSERT' },
};

type Detail = {
  object?: Record<string, any>;
  old_name?: string;
  old_database?: string;
  files?: string[];
  replace?: boolean;
  partition_values?: string[];
};

/** One event row as a NotificationEvent. */
export function notificationOf(r: EventRow, loc: LocationMap): H.NotificationEvent {
  const mapped = HIVE_TYPE[r.event_type] ?? { type: r.event_type };
  const detail = (r.detail ? JSON.parse(r.detail) : {}) as Detail;
  const seconds = Math.floor(Date.parse(r.created_at) / 1000);
  const slash = (r.object_name ?? '').indexOf('/');
  const table =
    mapped.type.endsWith('PARTITION') && slash > 0
      ? (r.object_name as string).slice(0, slash)
      : (r.object_name ?? undefined);
  const o = detail.object;
  const msg: Record<string, unknown> = {
    server: '',
    servicePrincipal: '',
    db: r.database_name ?? '',
    timestamp: seconds,
  };
  try {
    if (mapped.type.endsWith('_DATABASE') && o) {
      const db = tjson(databaseOut(o as never, loc));
      if (mapped.type === 'CREATE_DATABASE') msg.dbJson = db;
      if (mapped.type === 'ALTER_DATABASE') Object.assign(msg, { dbObjBeforeJson: db, dbObjAfterJson: db });
    } else if (mapped.type.endsWith('_TABLE') && o) {
      const after = tableOut(o, loc);
      Object.assign(msg, { table, tableType: after.tableType });
      if (mapped.type === 'ALTER_TABLE') {
        const before = tableOut(
          { ...o, table_name: detail.old_name ?? o.table_name, database_name: detail.old_database ?? o.database_name },
          loc,
        );
        Object.assign(msg, {
          isTruncateOp: String(Boolean(mapped.truncate)),
          tableObjBeforeJson: tjson(before),
          tableObjAfterJson: tjson(after),
        });
      } else {
        Object.assign(msg, { tableObjJson: tjson(after), ...(mapped.type === 'CREATE_TABLE' ? { files: [] } : {}) });
      }
    } else if (mapped.type.endsWith('_PARTITION') && o) {
      const part = partitionOut(o, loc);
      const spec = Object.fromEntries(
        (r.object_name ?? '')
          .slice(slash + 1)
          .split('/')
          .map((kv, i) => [kv.slice(0, kv.indexOf('=')), part.values[i] ?? '']),
      );
      Object.assign(msg, { table, tableType: '' });
      if (mapped.type === 'ADD_PARTITION')
        Object.assign(msg, { partitions: [spec], partitionListJson: [tjson(part)], partitionFiles: [] });
      else if (mapped.type === 'ALTER_PARTITION') {
        Object.assign(msg, {
          isTruncateOp: String(Boolean(mapped.truncate)),
          keyValues: spec,
          partitionObjBeforeJson: tjson(part),
          partitionObjAfterJson: tjson(part),
        });
      } else Object.assign(msg, { partitions: [spec] });
    } else if (mapped.type.endsWith('_FUNCTION') && o) {
      if (mapped.type === 'CREATE_FUNCTION') msg.functionObjJson = tjson(functionOut(o as never));
      else msg.functionName = o.function_name;
    } else if (mapped.type === 'INSERT') {
      Object.assign(msg, { table, tableType: '', replace: String(Boolean(detail.replace)), files: detail.files ?? [] });
    }
  } catch {
    // A detail this encoder cannot render (written by an older version) still yields the event, without objects.
  }
  return new T.NotificationEvent({
    eventId: Number(r.id),
    eventTime: seconds,
    eventType: mapped.type,
    dbName: r.database_name ?? '',
    tableName: table ?? '',
    message: JSON.stringify(msg),
    messageFormat: MESSAGE_FORMAT,
    catName: r.catalog_name,
  });
}

const log = (c: Ctx) => c.eventLog;

export const notifications: Record<string, MethodEntry> = {
  get_current_notificationEventId: {
    action: 'metadata.events',
    run: async (c) =>
      new T.CurrentNotificationEventId({ eventId: await log(c).last(c.caller, c.projectId, c.instance) }),
  },
  get_next_notification: {
    action: 'metadata.events',
    run: async (c, a) => {
      const r = a.rqst as H.NotificationEventRequest;
      const max = r?.maxEvents && r.maxEvents > 0 ? Math.min(r.maxEvents, 10_000) : 10_000;
      const skip = new Set(r?.eventTypeSkipList ?? []);
      const events: H.NotificationEvent[] = [];
      let after = num(r?.lastEvent);
      // Skipped types do not count against maxEvents: read on until enough are kept or the log ends.
      for (;;) {
        const rows = await log(c).after(c.caller, c.projectId, c.instance, after, max);
        for (const row of rows) {
          const e = notificationOf(row, c.loc);
          if (!skip.has(e.eventType)) events.push(e);
          if (events.length >= max) break;
        }
        if (rows.length < max || events.length >= max) break;
        after = Number((rows[rows.length - 1] as EventRow).id);
      }
      return new T.NotificationEventResponse({ events });
    },
  },
  get_notification_events_count: {
    action: 'metadata.events',
    run: async (c, a) => {
      const r = a.rqst as H.NotificationEventsCountRequest;
      const db = parseDbName(r?.dbName, r?.catName);
      const n = await log(c).count(c.caller, c.projectId, c.instance, num(r?.fromEventId), {
        catalog: db.catalog.toLowerCase(),
        ...(db.database ? { database: db.database.toLowerCase() } : {}),
        ...(r?.toEventId !== null && r?.toEventId !== undefined && num(r.toEventId) > 0
          ? { toId: num(r.toEventId) }
          : {}),
      });
      const limit = r?.limit !== null && r?.limit !== undefined ? num(r.limit) : 0;
      return new T.NotificationEventsCountResponse({ eventsCount: limit > 0 ? Math.min(n, limit) : n });
    },
  },
  fire_listener_event: {
    action: 'table.insert',
    run: async (c, a) => {
      const r = a.rqst as H.FireEventRequest;
      const ins = r?.data?.insertData;
      if (!ins) throw invalid('only INSERT events can be fired');
      const db = dbRef(r.dbName, r.catName);
      if (!r.tableName) throw invalid('an INSERT event names its table');
      await log(c).recordInsert(
        c.caller,
        {
          projectId: c.projectId,
          instanceRef: c.instance,
          catalogName: db.catalog,
          databaseName: db.database,
          tableName: r.tableName,
        },
        {
          ...(r.partitionVals?.length ? { partition_values: r.partitionVals } : {}),
          files: ins.filesAdded ?? [],
          replace: Boolean(ins.replace),
        },
      );
      return new T.FireEventResponse();
    },
  },
};
