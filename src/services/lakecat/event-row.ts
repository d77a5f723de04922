import type { NewMetadataEvent } from '../../store/lakecat/event-repository.js';
import { nowIso } from '../../store/store.js';
import type { Principal } from '../iam/principal.js';

/** The event log's row of a change to an object in a database (a table, dataset or function), made by `caller`. */
export function eventRow(
  s: { instanceId: string; catalogName: string; databaseName: string },
  type: string,
  name: string,
  caller: Principal,
  detail: unknown,
): NewMetadataEvent {
  return {
    instance_id: s.instanceId,
    event_type: type,
    catalog_name: s.catalogName,
    database_name: s.databaseName,
    object_name: name,
    principal: caller.userName,
    created_at: nowIso(),
    detail: JSON.stringify(detail),
  };
}
