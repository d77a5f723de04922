import { appendEvent, countEventsAfter, lastEventId, pageEvents } from '../../store/lakecat/event-repository.js';
import { nowIso, type Store } from '../../store/store.js';
import { forbidden, invalid } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import type { TablePath } from './partition-service.js';
import type { TableService } from './table-service.js';

/**
 * The metadata event log as a follower reads it (the metastore's notification log): the same
 * rows ShowMetadataEvents pages through, read by id, with the same rule (administrators only:
 * the log spans every owner's objects). Also records data changes engines report (INSERT).
 */
export class EventLog {
  constructor(
    private readonly store: Store,
    private readonly instances: InstanceService,
    private readonly tables: TableService,
  ) {}

  private async instanceId(caller: Principal, projectId: string, instanceRef: string): Promise<string> {
    const instance = await this.instances.active(projectId, instanceRef);
    if (!caller.isAdmin) throw forbidden('reading the metadata event log needs an administrator of the project');
    return instance.id;
  }

  async after(caller: Principal, projectId: string, instanceRef: string, afterId: number, limit: number) {
    if (!Number.isSafeInteger(afterId) || afterId < 0) afterId = 0;
    const id = await this.instanceId(caller, projectId, instanceRef);
    return (await pageEvents(this.store.db, { instanceId: id }, Math.max(1, Math.min(limit, 10_000)), { afterId }))
      .rows;
  }

  async last(caller: Principal, projectId: string, instanceRef: string): Promise<number> {
    return lastEventId(this.store.db, await this.instanceId(caller, projectId, instanceRef));
  }

  async count(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    afterId: number,
    f: { catalog?: string; database?: string; toId?: number },
  ) {
    return countEventsAfter(
      this.store.db,
      await this.instanceId(caller, projectId, instanceRef),
      Math.max(0, afterId),
      f,
    );
  }

  /** An engine wrote data into a table (or partition): recorded as INSERT, for whoever may write it (INSERT). */
  async recordInsert(
    caller: Principal,
    p: TablePath,
    detail: { partition_values?: string[]; files: string[]; replace: boolean },
  ): Promise<void> {
    if (detail.files.length > 100_000) throw invalid('an INSERT event lists at most 100000 files');
    const table = await this.tables.resolve(
      caller,
      p.projectId,
      p.instanceRef,
      p.catalogName,
      p.databaseName,
      p.tableName,
      'INSERT',
    );
    await this.store.transaction((trx) =>
      appendEvent(trx, {
        instance_id: table.instance_id,
        event_type: 'INSERT',
        catalog_name: table.catalog_name,
        database_name: table.database_name,
        object_name: table.name,
        principal: caller.userName,
        created_at: nowIso(),
        detail: JSON.stringify(detail),
      }),
    );
  }
}
