import * as repo from '../../store/lakecat/catalog-repository.js';
import { deleteDatabase, insertDatabase, listDatabaseNames } from '../../store/lakecat/database-repository.js';
import { countDatasets } from '../../store/lakecat/dataset-repository.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import { countFunctions } from '../../store/lakecat/function-repository.js';
import { containerRenamed } from '../../store/lakecat/recycle-bin-repository.js';
import { countTables } from '../../store/lakecat/table-repository.js';
import type { CatalogRow, InstanceRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, forbidden, notFound, ServiceError, unlessDuplicate } from '../errors.js';
import type { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { DEFAULT_DATABASE, defaultDatabaseRow } from './database-service.js';
import { allowAnyLocation, CATALOG_NAME, type LocationGuard, normalizeName, validateLocation } from './names.js';

export const DEFAULT_CATALOG = 'hive';
export const CATALOG_QUOTA = 100;

export interface CatalogInput {
  catalog_name: string;
  branch_name?: string;
  description?: string;
  location?: string;
  database_location_list?: string[];
  owner?: string;
  owner_type?: string;
  owner_source?: string;
}

export interface CatalogView {
  catalog_name: string;
  branch_name?: string;
  description?: string;
  location: string;
  database_location_list: string[];
  owner: string;
  owner_type: string;
  owner_source: string;
  create_time: string;
  update_time: string;
}

const view = (r: CatalogRow): CatalogView => ({
  catalog_name: r.name,
  ...(r.branch_name != null ? { branch_name: r.branch_name } : {}),
  ...(r.description !== null ? { description: r.description } : {}),
  location: r.location,
  database_location_list: JSON.parse(r.database_locations) as string[],
  owner: r.owner,
  owner_type: r.owner_type,
  owner_source: r.owner_source,
  create_time: r.created_at,
  update_time: r.updated_at,
});

export interface CatalogSettings {
  /** Bucket of the default warehouse: catalogs without a location live under obs://<bucket>/instances/<id>/. */
  defaultBucket: string;
  /**
   * Absolute path of the local warehouse folder, the only place file:// locations may point to; none on other backends.
   */
  localWarehouse: string | undefined;
}

/** Catalogs of an instance: the top of the LakeCat hierarchy. */
export class CatalogService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly settings: CatalogSettings,
    policies: PolicyService,
    private readonly guard: LocationGuard = allowAnyLocation,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  private defaultLocation(instanceId: string, name: string): string {
    return `obs://${this.settings.defaultBucket}/instances/${instanceId}/${name}`;
  }

  private checkInput(input: CatalogInput): { location?: string; dbLocations: string[] } {
    const location =
      input.location === undefined
        ? undefined
        : validateLocation('location', input.location, this.settings.localWarehouse);
    const dbLocations = (input.database_location_list ?? []).map((l) =>
      validateLocation('database_location_list item', l, this.settings.localWarehouse),
    );
    return { location, dbLocations };
  }

  /** Appends to the event log; `detail.object` is the catalog as ShowCatalog returns it. */
  private event(trx: Tx, instance: InstanceRow, type: string, catalog: string, caller: Principal, detail?: unknown) {
    return appendEvent(trx, {
      instance_id: instance.id,
      event_type: type,
      catalog_name: catalog,
      database_name: null,
      object_name: null,
      principal: caller.userName,
      created_at: nowIso(),
      detail: detail === undefined ? null : JSON.stringify(detail),
    });
  }

  async create(caller: Principal, projectId: string, instanceRef: string, input: CatalogInput): Promise<CatalogView> {
    const { instance } = await this.authz.check(caller, 'catalog.create', {
      kind: 'instance',
      projectId,
      instance: instanceRef,
    });
    return view(await this.insert(caller, instance, input));
  }

  private async insert(caller: Principal, instance: InstanceRow, input: CatalogInput): Promise<CatalogRow> {
    const name = normalizeName('catalog', input.catalog_name, CATALOG_NAME, 256);
    const { location, dbLocations } = this.checkInput(input);
    for (const l of [...(location ? [location] : []), ...dbLocations]) await this.guard(caller, instance.id, l);
    const now = nowIso();
    const row: CatalogRow = {
      instance_id: instance.id,
      name,
      branch_name: input.branch_name ?? null,
      description: input.description ?? null,
      location: location ?? this.defaultLocation(instance.id, name),
      database_locations: JSON.stringify(dbLocations),
      owner: input.owner ?? caller.userName,
      owner_type: input.owner_type ?? 'USER',
      owner_source: input.owner_source ?? 'IAM',
      created_at: now,
      updated_at: now,
      version: 1,
    };
    await unlessDuplicate(`catalog ${name} already exists`, () =>
      this.store.transaction(async (trx) => {
        if ((await repo.countCatalogs(trx, instance.id)) >= CATALOG_QUOTA) {
          throw new ServiceError('quota_exceeded', `an instance holds at most ${CATALOG_QUOTA} catalogs`);
        }
        await repo.insertCatalog(trx, row);
        // Like Hive, every catalog has a database named `default`.
        await insertDatabase(trx, defaultDatabaseRow(row));
        await this.event(trx, instance, 'CREATE_CATALOG', name, caller, { object: view(row) });
      }),
    );
    return row;
  }

  async list(caller: Principal, projectId: string, instanceRef: string): Promise<CatalogView[]> {
    const { instance } = await this.authz.check(caller, 'catalog.list', {
      kind: 'instance',
      projectId,
      instance: instanceRef,
    });
    const grants = await this.authz.grantsOf(caller, instance.id);
    const rows = await repo.listCatalogs(this.store.db, instance.id);
    const visible = await Promise.all(
      rows.map((r) => this.authz.shows(caller, { kind: 'catalog', catalog: r.name, row: r }, grants)),
    );
    return rows.filter((_, i) => visible[i]).map(view);
  }

  async show(caller: Principal, projectId: string, instanceRef: string, name: string): Promise<CatalogView> {
    return view(
      (
        await this.authz.check(caller, 'catalog.show', {
          kind: 'catalog',
          projectId,
          instance: instanceRef,
          catalog: name,
        })
      ).catalog,
    );
  }

  /** Replaces the catalog's description, locations and owner; a different catalog_name renames it. */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    name: string,
    input: CatalogInput,
  ): Promise<CatalogView> {
    const authorized = await this.authz.prepare(
      caller,
      'catalog.alter',
      { kind: 'catalog', projectId, instance: instanceRef, catalog: name },
      false,
    );
    const current = name.toLowerCase();
    const target = normalizeName('catalog', input.catalog_name, CATALOG_NAME, 256);
    const { location, dbLocations } = this.checkInput(input);
    const updated = await unlessDuplicate(`catalog ${target} already exists`, () =>
      this.store.transaction(async (trx) => {
        const { instance, catalog: row } = await authorized.resolve(trx);
        const before = new Set([row.location, ...(JSON.parse(row.database_locations) as string[])]);
        for (const l of [...(location ? [location] : []), ...dbLocations])
          if (!before.has(l)) await this.guard(caller, instance.id, l, trx);
        if (input.owner !== undefined && input.owner !== row.owner && !caller.isAdmin) {
          throw forbidden('only an administrator may give a catalog to another owner');
        }
        const patch = {
          name: target,
          branch_name: input.branch_name ?? row.branch_name,
          description: input.description ?? row.description,
          location: location ?? row.location,
          database_locations:
            input.database_location_list === undefined ? row.database_locations : JSON.stringify(dbLocations),
          owner: input.owner ?? row.owner,
          owner_type: input.owner_type ?? row.owner_type,
          owner_source: input.owner_source ?? row.owner_source,
          updated_at: nowIso(),
        };
        if (!(await repo.updateCatalogIf(trx, instance.id, current, row.version, patch))) {
          throw conflict(`catalog ${current} was changed concurrently; retry`);
        }
        if (target !== current) await containerRenamed(trx, instance.id, { catalog: current }, { catalog: target });
        const after = await repo.findCatalog(trx, instance.id, target);
        await this.event(trx, instance, target === current ? 'ALTER_CATALOG' : 'RENAME_CATALOG', target, caller, {
          ...(after ? { object: view(after) } : {}),
          ...(target === current ? {} : { old_name: current }),
        });
        return after;
      }),
    );
    if (!updated) throw notFound(`catalog ${target} does not exist`);
    return view(updated);
  }

  /**
   * Only an empty catalog can be deleted (the reference offers no cascade for catalogs): one
   * whose only database is its `default`, which goes with it.
   */
  async delete(caller: Principal, projectId: string, instanceRef: string, name: string): Promise<void> {
    const current = name.toLowerCase();
    await this.authz.transact(
      caller,
      'catalog.drop',
      { kind: 'catalog', projectId, instance: instanceRef, catalog: name },
      async ({ instance, catalog: row }, trx) => {
        const scope = { instanceId: instance.id, catalogName: current };
        const others = (await listDatabaseNames(trx, scope, {}, 2))
          .map((r) => r.name)
          .filter((n) => n !== DEFAULT_DATABASE);
        if (others.length)
          throw conflict(`catalog ${current} is not empty: drop its databases (e.g. ${others[0]}) first`);
        if (
          (await countFunctions(trx, instance.id, current)) > 0 ||
          (await countTables(trx, instance.id, current)) > 0 ||
          (await countDatasets(trx, instance.id, current)) > 0
        ) {
          throw conflict(`catalog ${current} is not empty: its default database holds tables, functions or datasets`);
        }
        await deleteDatabase(trx, scope, DEFAULT_DATABASE);
        if (!(await repo.deleteCatalog(trx, instance.id, current))) throw notFound(`catalog ${current} does not exist`);
        await this.event(trx, instance, 'DROP_CATALOG', current, caller, { object: view(row) });
      },
    );
  }

  /** Provisioning hook: every instance starts with the catalog engines expect, `hive`. */
  async ensureDefaultCatalog(instance: InstanceRow): Promise<void> {
    if (await repo.findCatalog(this.store.db, instance.id, DEFAULT_CATALOG)) return;
    const system: Principal = {
      userId: 'system',
      userName: 'lakeform',
      domainId: '',
      domainName: '',
      projectId: instance.project_id,
      projectName: null,
      isAdmin: true,
      via: 'token',
      methods: [],
    };
    try {
      await this.insert(system, instance, {
        catalog_name: DEFAULT_CATALOG,
        description: 'Default catalog of the instance',
      });
    } catch (err) {
      if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err; // another replica made it
    }
  }
}
