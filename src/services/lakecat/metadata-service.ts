import type { Config } from '../../config.js';
import { countObjects } from '../../store/lakecat/catalog-repository.js';
import { eventExistsBeyond, pageEvents } from '../../store/lakecat/event-repository.js';
import { countFunctions } from '../../store/lakecat/function-repository.js';
import { countPartitions } from '../../store/lakecat/partition-repository.js';
import { countTables } from '../../store/lakecat/table-repository.js';
import type { Store } from '../../store/store.js';
import { ALARM_RULE_QUOTA } from '../alarms/rules.js';
import { Authorizer } from '../authz/authorizer.js';
import { invalid } from '../errors.js';
import type { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { CATALOG_QUOTA, DEFAULT_CATALOG } from './catalog-service.js';
import { DEFAULT_DATABASE, MAX_DATABASE_NAMES, type PageInfo } from './database-service.js';

export interface ConfigEntry {
  key: string;
  value: string;
  description: string;
}

export interface MetadataEventView {
  event_id: number;
  event_time: string;
  metadata_action_type: string;
  catalog_name: string;
  database_name?: string;
  object_name?: string;
  principal: string;
  metadata_object?: unknown;
  old_name?: string;
}

/** Instance-wide views of the metadata: counts, the settings in force, and the event log. */
export class MetadataService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly config: Config,
    policies: PolicyService,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  /** Counts come from the store (indexes have no store yet, so there are none). */
  async count(caller: Principal, projectId: string, instanceRef: string) {
    const { instance } = await this.authz.check(caller, 'metadata.count', {
      kind: 'instance',
      projectId,
      instance: instanceRef,
    });
    const [{ catalogs, databases }, functions, tables, partitions] = await Promise.all([
      countObjects(this.store.db, instance.id),
      countFunctions(this.store.db, instance.id),
      countTables(this.store.db, instance.id),
      countPartitions(this.store.db, instance.id),
    ]);
    const counts = {
      catalogs_count: catalogs,
      databases_count: databases,
      tables_count: tables,
      partitions_count: partitions,
      functions_count: functions,
      indexes_count: 0,
    };
    return { ...counts, total_count: Object.values(counts).reduce((a, b) => a + b, 0) };
  }

  /** The settings this server actually applies to the tenant's metadata calls. */
  private settings(): ConfigEntry[] {
    const c = this.config;
    return [
      { key: 'lakecat.catalog.default', value: DEFAULT_CATALOG, description: 'Catalog every new instance starts with' },
      {
        key: 'lakecat.catalog.max-per-instance',
        value: String(CATALOG_QUOTA),
        description: 'Most catalogs one instance may hold',
      },
      {
        key: 'lakecat.catalog.default-location',
        value: `obs://${c.defaultBucket}/instances/<instance_id>/<catalog>`,
        description: 'Location of a catalog created without one',
      },
      {
        key: 'lakecat.database.default',
        value: DEFAULT_DATABASE,
        description: 'Database every new catalog starts with',
      },
      {
        key: 'lakecat.database.default-location',
        value: '<catalog location>/<database>.db',
        description: 'Location of a database created without one',
      },
      {
        key: 'lakecat.database.names.max',
        value: String(MAX_DATABASE_NAMES),
        description: 'Most names ListDatabaseNames returns',
      },
      { key: 'lakecat.list.page.max', value: '1000', description: 'Largest page of a paged LakeCat listing' },
      { key: 'lakecat.names.case-sensitive', value: 'false', description: 'Names are compared and stored lower-case' },
      {
        key: 'lakeform.alarm.interval-seconds',
        value: String(c.alarmIntervalSeconds),
        description: 'Seconds between two passes of the alarm evaluator',
      },
      {
        key: 'lakeform.alarm.rules.max-per-instance',
        value: String(ALARM_RULE_QUOTA),
        description: 'Most alarm rules one instance may hold',
      },
      {
        key: 'lakeform.alarm.webhook-timeout-seconds',
        value: String(c.alarmWebhookTimeoutSeconds),
        description: 'How long an alarm webhook may take to answer',
      },
      {
        key: 'lakeform.instance.qps-per-stride',
        value: String(c.qpsPerStride),
        description: 'Requests per second one stride of the QPS spec grants',
      },
      { key: 'lakeform.instance.quota', value: String(c.instanceQuota), description: 'Instances a project may hold' },
      {
        key: 'lakeform.instance.recycle-bin-days',
        value: String(c.recycleBinRetentionDays),
        description: 'Days a deleted instance stays recoverable',
      },
      { key: 'lakeform.token.ttl-seconds', value: String(c.tokenTtlSeconds), description: 'Lifetime of IAM tokens' },
    ];
  }

  async configs(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    limit: number,
    marker?: string,
  ): Promise<{ configs: ConfigEntry[]; page_info: PageInfo }> {
    await this.authz.check(caller, 'metadata.configs', { kind: 'instance', projectId, instance: instanceRef });
    const all = this.settings().sort((a, b) => (a.key < b.key ? -1 : 1));
    const start = marker ? Number(marker) : 0;
    if (!Number.isInteger(start) || start < 0 || start > all.length)
      throw invalid(`marker '${marker}' is not a position of this listing`);
    const size = limit === 0 ? 1000 : limit;
    const configs = all.slice(start, start + size);
    const end = start + configs.length;
    return {
      configs,
      page_info: {
        current_count: configs.length,
        ...(end < all.length ? { next_marker: String(end) } : {}),
        ...(start > 0 ? { previous_marker: String(Math.max(0, start - size)) } : {}),
      },
    };
  }

  /**
   * The change log of the instance, oldest first, paged by event id. Administrators only: it spans every owner's
   * objects.
   */
  async events(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    q: { beginTime?: string; endTime?: string; limit: number; marker?: string; reversePage: boolean },
  ): Promise<{ metadata_events: MetadataEventView[]; page_info: PageInfo }> {
    const { instance } = await this.authz.check(caller, 'metadata.events', {
      kind: 'instance',
      projectId,
      instance: instanceRef,
    });
    const iso = (what: string, v?: string) => {
      if (v === undefined) return undefined;
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw invalid(`${what} '${v}' is not a time`);
      return new Date(t).toISOString();
    };
    const w = {
      instanceId: instance.id,
      beginTime: iso('begin_time', q.beginTime),
      endTime: iso('end_time', q.endTime),
    };
    const markerId = q.marker ? Number(q.marker) : undefined;
    if (markerId !== undefined && (!Number.isSafeInteger(markerId) || markerId < 0))
      throw invalid(`marker '${q.marker}' is not an event id`);
    const backward = q.reversePage && markerId !== undefined;
    const limit = q.limit === 0 ? 1000 : q.limit;
    const { rows, more } = await pageEvents(
      this.store.db,
      w,
      limit,
      backward ? { beforeId: markerId } : { afterId: markerId },
    );
    const first = rows[0];
    const last = rows[rows.length - 1];
    const hasNext = backward
      ? last !== undefined && (await eventExistsBeyond(this.store.db, w, Number(last.id), 'after'))
      : more;
    const hasPrevious = backward
      ? more
      : first !== undefined &&
        markerId !== undefined &&
        (await eventExistsBeyond(this.store.db, w, Number(first.id), 'before'));
    return {
      metadata_events: rows.map((r) => {
        const detail = r.detail ? (JSON.parse(r.detail) as { object?: unknown; old_name?: string }) : {};
        return {
          event_id: Number(r.id),
          event_time: r.created_at,
          metadata_action_type: r.event_type,
          catalog_name: r.catalog_name,
          ...(r.database_name !== null ? { database_name: r.database_name } : {}),
          ...(r.object_name !== null ? { object_name: r.object_name } : {}),
          principal: r.principal,
          ...(detail.object !== undefined ? { metadata_object: detail.object } : {}),
          ...(detail.old_name !== undefined ? { old_name: detail.old_name } : {}),
        };
      }),
      page_info: {
        current_count: rows.length,
        ...(hasNext && last ? { next_marker: String(last.id) } : {}),
        ...(hasPrevious && first ? { previous_marker: String(first.id) } : {}),
      },
    };
  }
}
