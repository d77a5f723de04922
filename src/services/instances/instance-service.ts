import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import * as repo from '../../store/instances/instance-repository.js';
import { resetBucket } from '../../store/instances/rate-buckets.js';
import type { InstanceRow, InstanceTagRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, invalid, notFound, ServiceError, unlessDuplicate } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { countedCache } from '../telemetry.js';
import { DEFAULT_QPS_STRIDES, QPS_SPEC, type RequestedSpec, validateSpecs } from './specs.js';

export type InstanceStatus =
  | 'RESOURCE_PREPARATION'
  | 'RUNNING'
  | 'RESOURCE_RELEASE'
  | 'DELETED'
  | 'RESOURCE_PREPARATION_FAIL'
  | 'FROZEN_RELEASABLE'
  | 'FROZEN_UNRELEASABLE'
  | 'RECOVERING'
  | 'DELETING'
  | 'SCALING'
  | 'SCALE_FAIL';

type ChangeAction = 'instance.alter' | 'instance.tag' | 'instance.drop' | 'instance.restore';
type InstanceAction =
  | ChangeAction
  | 'instance.create'
  | 'instance.list'
  | 'instance.show'
  | 'instance.list-tags'
  | 'quota.list';

/** States the lifecycle worker moves on by itself. */
export const TRANSITIONAL: InstanceStatus[] = ['RESOURCE_PREPARATION', 'SCALING', 'RECOVERING', 'DELETING'];

export interface Tag {
  key: string;
  value?: string;
}

export interface InstanceView {
  instance_id: string;
  name: string;
  description: string;
  charge_mode: string;
  shared: boolean;
  enterprise_project_id: string;
  status: InstanceStatus;
  in_recycle_bin: boolean;
  default_instance: boolean;
  create_time: string;
  update_time: string;
  specs: { spec_code: string; stride_num: number; product_id?: string }[];
  tags: { key: string; value: string }[];
  resource_progress?: number;
  scale_progress?: number;
}

export interface CreateInstanceInput {
  name: string;
  description?: string;
  charge_mode: string;
  shared: boolean;
  enterprise_project_id?: string;
  specs?: RequestedSpec[];
  tags?: Tag[];
}

export interface ListInstancesInput {
  inRecycleBin: boolean;
  offset: number;
  limit: number;
  name?: string;
  enterpriseProjectId?: string;
  tags?: { key: string; values: string[] }[];
}

/** Work that other modules attach to an instance's lifecycle (e.g. dropping its metadata on release). */
export interface InstanceLifecycleHooks {
  /** May refuse a new instance before anything is written (e.g. agreements not signed). */
  admit?(projectId: string): Promise<void>;
  provision?(instance: InstanceRow): Promise<void>;
  release?(instance: InstanceRow): Promise<void>;
}

function toView(a: repo.InstanceAggregate): InstanceView {
  const r = a.row;
  const status = r.status as InstanceStatus;
  return {
    instance_id: r.id,
    name: r.name,
    description: r.description,
    charge_mode: r.charge_mode,
    shared: r.shared === 1,
    enterprise_project_id: r.enterprise_project_id,
    status,
    in_recycle_bin: r.in_recycle_bin === 1,
    default_instance: r.default_instance === 1,
    create_time: r.created_at,
    update_time: r.updated_at,
    specs: a.specs.map((s) => ({
      spec_code: s.spec_code,
      stride_num: s.stride_num,
      ...(s.product_id ? { product_id: s.product_id } : {}),
    })),
    tags: a.tags.map((t) => ({ key: t.tag_key, value: t.tag_value })),
    ...(status === 'RESOURCE_PREPARATION' ? { resource_progress: 0 } : {}),
    ...(status === 'SCALING' ? { scale_progress: 0 } : {}),
  };
}

function checkTags(tags: Tag[]): InstanceTagRow[] {
  if (tags.length > 20) throw invalid('an instance can carry at most 20 tags');
  const seen = new Set<string>();
  return tags.map((t) => {
    if (seen.has(t.key)) throw invalid(`tag key '${t.key}' is given twice`);
    seen.add(t.key);
    return { instance_id: '', tag_key: t.key, tag_value: t.value ?? '' };
  });
}

/** LakeFormation instances of a project: create, list, change, recycle, recover, delete. */
export class InstanceService {
  private readonly hooks: InstanceLifecycleHooks[] = [];
  /** Instance reference → rate-limit key and QPS stride; refreshed on scale by this replica, by TTL on others. */
  private readonly strideCache = countedCache(
    'instance_rate_limits',
    // Counted by maxSize: a max would be allocated up front at every start (see RateLimiter).
    new LRUCache<string, { instanceId: string; stride: number }>({
      maxSize: cacheBound(100_000),
      sizeCalculation: () => 1,
      ttl: 5000,
    }),
  );
  private readonly viewCache = countedCache(
    'instance_views',
    new LRUCache<string, { version: number; projectId: string; view: InstanceView }>({ max: cacheBound(10_000) }),
  );
  /** Serving instances' rows as of a store change mark (see active). */
  private readonly activeAt = new LRUCache<string, { mark: string; row: InstanceRow }>({ max: cacheBound(1_000) });
  /** Called after every state change so the lifecycle worker can act at once. */
  onChange: () => void = () => undefined;

  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    private readonly instanceQuota: number,
    private readonly recycleRetentionDays: number,
  ) {
    this.authz = new Authorizer(store, this);
  }

  addHooks(h: InstanceLifecycleHooks): void {
    this.hooks.push(h);
  }

  /** Authorizes an action on the project's instances by its declaration (the project scope is the protocol's). */
  private async authorize(caller: Principal, action: InstanceAction, projectId: string): Promise<void> {
    await this.authz.check(caller, action, { kind: 'project', projectId });
  }

  private async load(projectId: string, instanceId: string): Promise<repo.InstanceAggregate> {
    const a = await repo.findInstance(this.store.db, projectId, instanceId);
    if (!a) throw notFound(`instance ${instanceId} does not exist`);
    return a;
  }

  async create(caller: Principal, projectId: string, input: CreateInstanceInput): Promise<InstanceView> {
    await this.authorize(caller, 'instance.create', projectId);
    for (const h of this.hooks) await h.admit?.(projectId);
    const specs = validateSpecs(
      input.specs?.length ? input.specs : [{ spec_code: QPS_SPEC, stride_num: DEFAULT_QPS_STRIDES }],
    );
    const tagRows = checkTags(input.tags ?? []);
    const id = randomUUID();
    const now = nowIso();
    const created = await unlessDuplicate(
      `an instance named '${input.name}' already exists in this project`,
      () =>
        this.store.transaction(async (trx) => {
          await repo.lockProject(this.store, trx, projectId);
          const used = await repo.countProjectInstances(trx, projectId);
          if (used >= this.instanceQuota) {
            throw new ServiceError(
              'quota_exceeded',
              `the project already has ${used} instances, its quota is ` +
                `${this.instanceQuota}; delete one (the recycle bin counts too) ` +
                `or raise LAKEFORM_INSTANCE_QUOTA`,
              'lakeformation.00010429',
            );
          }
          // The first instance of a project becomes its default; the project lock makes this check safe.
          const hasDefault = (await repo.findDefaultInstanceRow(trx, projectId)) !== undefined;
          await repo.insertInstance(
            trx,
            {
              id,
              project_id: projectId,
              name: input.name,
              description: input.description ?? '',
              charge_mode: input.charge_mode,
              shared: input.shared ? 1 : 0,
              enterprise_project_id: input.enterprise_project_id ?? '0',
              status: 'RESOURCE_PREPARATION',
              in_recycle_bin: 0,
              default_instance: hasDefault ? 0 : 1,
              created_at: now,
              updated_at: now,
              recycled_at: null,
            },
            specs.map((s) => ({
              instance_id: id,
              spec_code: s.spec_code,
              stride_num: s.stride_num,
              product_id: s.product_id ?? '',
            })),
            tagRows.map((t) => ({ ...t, instance_id: id })),
          );
          return repo.findInstance(trx, projectId, id);
        }),
      'lakeformation.00010409',
    );
    this.onChange();
    if (!created) throw new Error(`instance ${id} vanished inside its own creating transaction`);
    return toView(created);
  }

  async list(
    caller: Principal,
    projectId: string,
    f: ListInstancesInput,
  ): Promise<{ instances: InstanceView[]; total: number }> {
    await this.authorize(caller, 'instance.list', projectId);
    const { rows, total } = await repo.listInstances(this.store.db, {
      projectId,
      inRecycleBin: f.inRecycleBin,
      nameContains: f.name,
      offset: f.offset,
      limit: f.limit,
      tags: f.tags,
      enterpriseProjectId: f.enterpriseProjectId === 'all_granted_eps' ? undefined : f.enterpriseProjectId,
    });
    return { instances: rows.map(toView), total };
  }

  /**
   * Reading the version is a fraction of the cost of reading the aggregate, so views are kept
   * per instance and reused while the stored version is unchanged: always current, on any replica.
   */
  async show(caller: Principal, projectId: string, instanceId: string): Promise<InstanceView> {
    await this.authorize(caller, 'instance.show', projectId);
    const version = await repo.findInstanceVersion(this.store.db, projectId, instanceId);
    if (version === undefined) throw notFound(`instance ${instanceId} does not exist`);
    const hit = this.viewCache.get(instanceId);
    if (hit && hit.version === version && hit.projectId === projectId) return hit.view;
    const a = await this.load(projectId, instanceId);
    const view = toView(a);
    this.viewCache.set(instanceId, { version: a.row.version, projectId, view });
    return view;
  }

  /** Applies a guarded change; a concurrent change or a wrong state gives a clear 409, never a lost update. */
  private async change(
    caller: Principal,
    action: ChangeAction,
    projectId: string,
    instanceId: string,
    rule: (row: InstanceRow) => void,
    apply: (trx: import('../../store/store.js').Tx, row: InstanceRow, now: string) => Promise<boolean>,
  ): Promise<InstanceView> {
    await this.authorize(caller, action, projectId);
    const now = nowIso();
    const changed = await unlessDuplicate(
      'another instance of this project already has that name',
      () =>
        this.store.transaction(async (trx) => {
          const row = await repo.findInstanceRow(trx, projectId, instanceId);
          if (!row) throw notFound(`instance ${instanceId} does not exist`);
          rule(row);
          if (!(await apply(trx, row, now))) throw conflict(`instance ${instanceId} was changed concurrently; retry`);
          // Read back inside the transaction: once it commits, the lifecycle worker may move the
          // instance on (or remove it), and the caller must see what its own request did.
          return repo.findInstance(trx, projectId, instanceId);
        }),
      'lakeformation.00010409',
    );
    this.onChange();
    if (!changed) throw notFound(`instance ${instanceId} does not exist`);
    return toView(changed);
  }

  update(
    caller: Principal,
    projectId: string,
    instanceId: string,
    input: { name: string; description?: string },
  ): Promise<InstanceView> {
    return this.change(
      caller,
      'instance.alter',
      projectId,
      instanceId,
      (row) => {
        if (row.in_recycle_bin) throw conflict('the instance is in the recycle bin; recover it first');
      },
      (trx, row, now) =>
        repo.updateInstanceIf(
          trx,
          row.id,
          { version: row.version },
          {
            name: input.name,
            ...(input.description !== undefined ? { description: input.description } : {}),
            updated_at: now,
          },
        ),
    );
  }

  /** Idempotent: making the default instance the default again changes nothing and succeeds. */
  setDefault(caller: Principal, projectId: string, instanceId: string): Promise<InstanceView> {
    return this.change(
      caller,
      'instance.alter',
      projectId,
      instanceId,
      (row) => {
        if (row.in_recycle_bin || row.status !== 'RUNNING')
          throw conflict(
            `only a running instance can become the default; this one is ` +
              `${row.in_recycle_bin ? 'in the recycle bin' : row.status}`,
          );
      },
      async (trx, row, now) => {
        if (row.default_instance) return true;
        await repo.lockProject(this.store, trx, projectId);
        await repo.clearDefault(trx, projectId, now);
        return repo.updateInstanceIf(trx, row.id, { version: row.version }, { default_instance: 1, updated_at: now });
      },
    );
  }

  scale(caller: Principal, projectId: string, instanceId: string, requested: RequestedSpec[]): Promise<InstanceView> {
    const specs = validateSpecs(requested);
    return this.change(
      caller,
      'instance.alter',
      projectId,
      instanceId,
      (row) => {
        if (row.in_recycle_bin || (row.status !== 'RUNNING' && row.status !== 'SCALE_FAIL')) {
          throw conflict(
            `only a running instance can be scaled; this one is ` +
              `${row.in_recycle_bin ? 'in the recycle bin' : row.status}`,
          );
        }
      },
      async (trx, row, now) => {
        if (
          !(await repo.updateInstanceIf(
            trx,
            row.id,
            { version: row.version, status: ['RUNNING', 'SCALE_FAIL'] },
            { status: 'SCALING', updated_at: now },
          ))
        )
          return false;
        await repo.replaceSpecs(
          trx,
          row.id,
          specs.map((s) => ({
            instance_id: row.id,
            spec_code: s.spec_code,
            stride_num: s.stride_num,
            product_id: s.product_id ?? '',
          })),
        );
        await resetBucket(trx, row.id);
        this.forgetLimit(row);
        return true;
      },
    );
  }

  updateTags(caller: Principal, projectId: string, instanceId: string, tags: Tag[]): Promise<InstanceView> {
    const rows = checkTags(tags);
    return this.change(
      caller,
      'instance.tag',
      projectId,
      instanceId,
      () => undefined,
      async (trx, row, now) => {
        await repo.replaceTags(
          trx,
          row.id,
          rows.map((t) => ({ ...t, instance_id: row.id })),
        );
        return repo.updateInstanceIf(trx, row.id, { version: row.version }, { updated_at: now });
      },
    );
  }

  async listProjectTags(caller: Principal, projectId: string): Promise<{ key: string; values: string[] }[]> {
    await this.authorize(caller, 'instance.list-tags', projectId);
    const out = new Map<string, string[]>();
    for (const r of await repo.projectTags(this.store.db, projectId)) {
      const values = out.get(r.tag_key) ?? [];
      values.push(r.tag_value);
      out.set(r.tag_key, values);
    }
    return [...out].map(([key, values]) => ({ key, values }));
  }

  /** To the recycle bin (recoverable for the retention period), or for good. */
  delete(caller: Principal, projectId: string, instanceId: string, toRecycleBin: boolean): Promise<InstanceView> {
    return this.change(
      caller,
      'instance.drop',
      projectId,
      instanceId,
      (row) => {
        if (row.status === 'DELETING') throw conflict('the instance is already being deleted');
        if (toRecycleBin && row.in_recycle_bin) throw conflict('the instance is already in the recycle bin');
        if (toRecycleBin && row.status !== 'RUNNING')
          throw conflict(`only a running instance can go to the recycle bin; this one is ${row.status}`);
      },
      (trx, row, now) =>
        repo.updateInstanceIf(
          trx,
          row.id,
          { version: row.version },
          toRecycleBin
            ? { in_recycle_bin: 1, status: 'FROZEN_RELEASABLE', default_instance: 0, recycled_at: now, updated_at: now }
            : { status: 'DELETING', default_instance: 0, updated_at: now },
        ),
    );
  }

  recover(caller: Principal, projectId: string, instanceId: string): Promise<InstanceView> {
    return this.change(
      caller,
      'instance.restore',
      projectId,
      instanceId,
      (row) => {
        if (!row.in_recycle_bin) throw conflict('the instance is not in the recycle bin');
        if (row.status !== 'FROZEN_RELEASABLE') throw conflict(`the instance cannot be recovered while ${row.status}`);
      },
      (trx, row, now) =>
        repo.updateInstanceIf(
          trx,
          row.id,
          { version: row.version, status: ['FROZEN_RELEASABLE'] },
          { in_recycle_bin: 0, status: 'RECOVERING', recycled_at: null, updated_at: now },
        ),
    );
  }

  async quotas(caller: Principal, projectId: string): Promise<{ type: string; quota: number; used: number }[]> {
    await this.authorize(caller, 'quota.list', projectId);
    return [
      { type: 'instance', quota: this.instanceQuota, used: await repo.countProjectInstances(this.store.db, projectId) },
    ];
  }

  /**
   * The instance a LakeCat call addresses (`default` names the project's default instance),
   * which must be serving: not in the recycle bin, not being created or deleted.
   */
  async active(projectId: string, instanceIdOrDefault: string): Promise<InstanceRow> {
    // A request asks this more than once (its warehouse, then its object's authorization): while the store's change
    // mark holds (SQLite), nothing changed since the last read, so that row is still the row.
    const mark = this.store.changeMark();
    const key = `${projectId}/${instanceIdOrDefault}`;
    const known = mark === undefined ? undefined : this.activeAt.get(key);
    if (known && known.mark === mark) return known.row;
    const row =
      instanceIdOrDefault === 'default'
        ? await repo.findDefaultInstanceRow(this.store.db, projectId)
        : await repo.findInstanceRow(this.store.db, projectId, instanceIdOrDefault);
    if (!row)
      throw notFound(
        instanceIdOrDefault === 'default'
          ? 'the project has no default instance'
          : `instance ${instanceIdOrDefault} does not exist`,
      );
    if (row.in_recycle_bin || (row.status !== 'RUNNING' && row.status !== 'SCALING')) {
      throw conflict(
        `instance ${row.id} is not serving requests (${row.in_recycle_bin ? 'in the recycle bin' : row.status})`,
      );
    }
    // Shared by the requests that find it here: frozen, so none can change it for the others.
    Object.freeze(row);
    if (mark !== undefined) this.activeAt.set(key, { mark, row });
    return row;
  }

  private forgetLimit(row: InstanceRow): void {
    this.strideCache.delete(row.id);
    this.strideCache.delete(`${row.project_id}/default`);
  }

  /**
   * The rate-limit key and QPS stride of the instance a request addresses (`default` resolved to
   * the project's default instance); undefined when there is no such instance. Cached briefly:
   * a scale on this replica refreshes at once, other replicas within seconds.
   */
  /** The rate of an instance this replica looked up moments ago (see rateLimitOf); undefined otherwise. */
  cachedRateLimit(projectId: string, instanceRef: string): { instanceId: string; stride: number } | undefined {
    return this.strideCache.get(instanceRef === 'default' ? `${projectId}/default` : instanceRef);
  }

  async rateLimitOf(
    projectId: string,
    instanceRef: string,
  ): Promise<{ instanceId: string; stride: number } | undefined> {
    const key = instanceRef === 'default' ? `${projectId}/default` : instanceRef;
    const cached = this.strideCache.get(key);
    if (cached !== undefined) return cached;
    const instanceId =
      instanceRef === 'default' ? (await repo.findDefaultInstanceRow(this.store.db, projectId))?.id : instanceRef;
    if (instanceId === undefined) return undefined;
    const stride = await repo.qpsStride(this.store.db, instanceId, QPS_SPEC);
    if (stride === undefined) return undefined;
    const entry = { instanceId, stride };
    this.strideCache.set(key, entry);
    return entry;
  }

  /**
   * One pass of the lifecycle worker: finish provisioning, scaling, recovery and deletion, and
   * release instances whose recycle-bin retention has ended. Each step claims its row with a
   * versioned update, so replicas sharing a database never run one twice.
   */
  async advanceLifecycle(): Promise<number> {
    const cutoff = new Date(Date.now() - this.recycleRetentionDays * 86_400_000).toISOString();
    const rows = await repo.pendingLifecycle(this.store.db, TRANSITIONAL, cutoff);
    let done = 0;
    for (const row of rows) {
      const now = nowIso();
      const status = row.status as InstanceStatus;
      if (status === 'RESOURCE_PREPARATION' || status === 'RECOVERING') {
        try {
          for (const h of this.hooks) await h.provision?.(row);
        } catch {
          if (status === 'RESOURCE_PREPARATION')
            await repo.updateInstanceIf(
              this.store.db,
              row.id,
              { version: row.version },
              { status: 'RESOURCE_PREPARATION_FAIL', updated_at: now },
            );
          continue;
        }
        if (
          await repo.updateInstanceIf(
            this.store.db,
            row.id,
            { version: row.version, status: [status] },
            { status: 'RUNNING', updated_at: now },
          )
        )
          done++;
      } else if (status === 'SCALING') {
        this.forgetLimit(row);
        if (
          await repo.updateInstanceIf(
            this.store.db,
            row.id,
            { version: row.version, status: ['SCALING'] },
            { status: 'RUNNING', updated_at: now },
          )
        )
          done++;
      } else if (status === 'DELETING' || row.in_recycle_bin) {
        // Claim the release first; only the replica whose claim succeeded deletes.
        if (
          status !== 'DELETING' &&
          !(await repo.updateInstanceIf(
            this.store.db,
            row.id,
            { version: row.version, status: [status] },
            { status: 'DELETING', updated_at: now },
          ))
        )
          continue;
        for (const h of this.hooks) await h.release?.(row);
        if (await repo.deleteInstanceRow(this.store.db, row.id, 'DELETING')) done++;
        this.forgetLimit(row);
      }
    }
    return done;
  }
}
