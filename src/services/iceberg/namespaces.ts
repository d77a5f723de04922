// Iceberg namespaces over LakeCat databases of the warehouse's catalog (nested ones named by their
// levels joined with '.'), and the warehouse a config setting or a path prefix names.
import type { InstanceService } from '../instances/instance-service.js';
import type { CatalogService } from '../lakecat/catalog-service.js';
import type { DatabaseService, DatabaseView } from '../lakecat/database-service.js';
import { badRequest, named, unprocessable } from './errors.js';
import type { Recorder } from './idempotency.js';
import {
  type Caller,
  databaseNameOf,
  isStringMap,
  levelsOf,
  type Page,
  pageSizeOf,
  parsePrefix,
  pathLevels,
  type Warehouse,
} from './names.js';

export class IcebergNamespaces {
  constructor(
    private readonly instances: InstanceService,
    private readonly catalogs: CatalogService,
    private readonly databases: DatabaseService,
  ) {}

  /** The catalog a `warehouse` setting names (`<instance_id>/<catalog>`, or `<catalog>` of the default instance). */
  async configure(p: Caller, warehouse: string | undefined): Promise<Warehouse> {
    if (!warehouse)
      throw badRequest(
        "warehouse is required: <instance_id>/<catalog> or <catalog> for the project's default instance",
      );
    const parts = warehouse.split('/');
    if (parts.length > 2 || parts.some((x) => !x))
      throw badRequest('warehouse must be <instance_id>/<catalog> or <catalog>');
    const instanceId =
      parts.length === 2
        ? (parts[0] as string)
        : (await named(this.instances.active(p.projectId, 'default'), { not_found: 'warehouse' })).id;
    const catalog = (parts[parts.length - 1] as string).toLowerCase();
    await named(this.catalogs.show(p, p.projectId, instanceId, catalog), { not_found: 'warehouse' });
    return { instanceId, catalog };
  }

  /** The catalog a prefix names, checked visible to the caller; a foreign or unknown instance is not found alike. */
  async warehouse(p: Caller, prefix: string): Promise<Warehouse> {
    const w = parsePrefix(prefix);
    await named(this.catalogs.show(p, p.projectId, w.instanceId, w.catalog), { not_found: 'warehouse' });
    return w;
  }

  /**
   * warehouse() put off (see Warehouse.settle): for an operation on one table, whose read of it by its hot path (a
   * caller who manages the table) shows the warehouse is there and visible. The warehouse is read only when that read
   * did not find the table, before anything else is; `count` (the call against the instance's rate) runs once either
   * way. `run` is the operation: a refusal it meets before the warehouse was settled is answered as warehouse() would
   * have (the warehouse's own refusal first).
   */
  async lazyWarehouse<T>(
    p: Caller,
    prefix: string,
    count: (w: Warehouse) => Promise<void>,
    run: (w: Warehouse) => Promise<T>,
  ): Promise<T> {
    let settled: Promise<void> | undefined;
    const w: Warehouse = {
      ...parsePrefix(prefix),
      settle: (found) => {
        settled ??= (async () => {
          if (!found) await this.warehouse(p, prefix);
          await count(w);
        })();
        return settled;
      },
    };
    try {
      return await run(w);
    } catch (err) {
      if (!settled) await w.settle?.(false);
      throw err;
    }
  }

  async listNamespaces(
    p: Caller,
    w: Warehouse,
    q: Page & { parent?: string },
  ): Promise<{ namespaces: string[][]; 'next-page-token'?: string }> {
    const limit = pageSizeOf(q);
    const parent =
      q.parent !== undefined && q.parent !== ''
        ? (await this.namespace(p, w, pathLevels(q.parent))).database_name
        : null;
    const page = await this.databases.list(p, p.projectId, w.instanceId, w.catalog, {
      limit,
      marker: q.pageToken || undefined,
      reversePage: false,
      deleted: false,
      childrenOf: parent,
    });
    return {
      namespaces: page.databases.map((d) => levelsOf(d.database_name)),
      ...(page.page_info.next_marker ? { 'next-page-token': page.page_info.next_marker } : {}),
    };
  }

  async createNamespace(
    p: Caller,
    w: Warehouse,
    body: { namespace?: unknown; properties?: unknown } | undefined,
    record?: Recorder,
  ) {
    if (!body || !Array.isArray(body.namespace) || !body.namespace.every((l) => typeof l === 'string'))
      throw badRequest('namespace must be an array of strings');
    const properties = body.properties ?? {};
    if (!isStringMap(properties)) throw badRequest('properties must map strings to strings');
    const levels = body.namespace as string[];
    const name = databaseNameOf(levels);
    // A nested namespace lives inside an existing one, so dropping a parent can be refused while it has children.
    if (levels.length > 1) await this.namespace(p, w, levels.slice(0, -1));
    const answer = { namespace: levelsOf(name.toLowerCase()), properties };
    await named(
      this.databases.create(
        p,
        p.projectId,
        w.instanceId,
        w.catalog,
        {
          database_name: name,
          parameters: properties,
          ...(properties.location ? { location: properties.location } : {}),
          ...(properties.comment ? { description: properties.comment } : {}),
        },
        { nested: true, within: record?.(answer) },
      ),
      { conflict: 'exists' },
    );
    return answer;
  }

  /** The database behind a namespace, visible to the caller. */
  async namespace(p: Caller, w: Warehouse, levels: string[]): Promise<DatabaseView> {
    return named(this.databases.show(p, p.projectId, w.instanceId, w.catalog, databaseNameOf(levels)), {
      not_found: 'namespace',
    });
  }

  async loadNamespace(p: Caller, w: Warehouse, levels: string[]) {
    const db = await this.namespace(p, w, levels);
    return { namespace: levelsOf(db.database_name), properties: db.parameters };
  }

  async dropNamespace(p: Caller, w: Warehouse, levels: string[], record?: Recorder): Promise<void> {
    const db = await this.namespace(p, w, levels);
    await named(
      this.databases.delete(p, p.projectId, w.instanceId, w.catalog, db.database_name, {
        cascade: false,
        deleteData: false,
        isAsync: false,
        refuseWithChildren: true,
        within: record?.(undefined),
      }),
      { not_found: 'namespace', conflict: 'not_empty' },
    );
  }

  /**
   * Removals and updates applied to the stored properties inside one transaction: a concurrent change is a conflict,
   * never a lost update.
   */
  async updateNamespaceProperties(
    p: Caller,
    w: Warehouse,
    levels: string[],
    body: { removals?: unknown; updates?: unknown },
    record?: Recorder,
  ) {
    const removals = body.removals ?? [];
    const updates = body.updates ?? {};
    if (!Array.isArray(removals) || !removals.every((k) => typeof k === 'string'))
      throw badRequest('removals must be an array of strings');
    if (!isStringMap(updates)) throw badRequest('updates must map strings to strings');
    const both = (removals as string[]).filter((k) => Object.hasOwn(updates, k));
    if (both.length) throw unprocessable(`properties both updated and removed: ${both.join(', ')}`);
    const db = await this.namespace(p, w, levels);
    const answer = { updated: Object.keys(updates), removed: [] as string[], missing: [] as string[] };
    // Runs inside the update's transaction, and again if that transaction is retried.
    const patch = (current: Record<string, string>): Record<string, string> => {
      const next = { ...current };
      answer.removed = [];
      answer.missing = [];
      for (const k of removals as string[]) {
        if (Object.hasOwn(next, k)) {
          delete next[k];
          answer.removed.push(k);
        } else answer.missing.push(k);
      }
      return Object.assign(next, updates);
    };
    // The answer is recorded after the patch ran, in the same transaction.
    await named(
      this.databases.update(
        p,
        p.projectId,
        w.instanceId,
        w.catalog,
        db.database_name,
        { database_name: db.database_name },
        patch,
        { within: record ? (trx) => record(answer)(trx) : undefined },
      ),
      { not_found: 'namespace', conflict: 'commit_failed' },
    );
    return answer;
  }
}
