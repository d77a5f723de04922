import type { Db, Store } from '../../store/store.js';
import type { CatalogRow, DatabaseRow, InstanceRow } from '../../store/schema.js';
import { findCatalog } from '../../store/lakecat/catalog-repository.js';
import { findDatabase } from '../../store/lakecat/database-repository.js';
import { ownsWithin } from '../../store/lakecat/ownership-repository.js';
import type { StoredPolicy } from '../../store/governance/policy-repository.js';
import { notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { PolicyService } from '../governance/policy-service.js';

/** Administrators and the owning user may do anything with an object. */
export function mayManage(caller: Principal, row: { owner: string; owner_type: string }): boolean {
  return caller.isAdmin || (row.owner_type === 'USER' && row.owner === caller.userName);
}

/** A catalog shows to whoever manages it or holds a grant reaching into it (or on it, even one to create databases only); see also Containers.catalogVisible. */
export function seesCatalog(caller: Principal, row: CatalogRow, grants: StoredPolicy[]): boolean {
  if (mayManage(caller, row)) return true;
  const databases = PolicyService.visibleDatabases(grants, row.name);
  return databases === 'all' || databases.length > 0
    || grants.some((p) => p.effect === 1 && p.resource_type === 'CATALOG' && p.resource_name === row.name);
}

/** A database shows to whoever manages it or holds a grant reaching into it; see also Containers.databaseVisible. */
export function seesDatabase(caller: Principal, row: DatabaseRow, grants: StoredPolicy[]): boolean {
  return mayManage(caller, row) || PolicyService.seesDatabase(grants, row.catalog_name, row.name);
}

export interface CatalogScope { instance: InstanceRow; catalog: CatalogRow; grants: StoredPolicy[] }
export interface DatabaseScope extends CatalogScope { database: DatabaseRow }

/**
 * Finds the catalog (and database) an operation works beneath. A listing or a create names no
 * object of its own, so the container itself must be visible to the caller: one they cannot
 * see is reported missing (404) exactly as one that does not exist, so nothing leaks.
 */
export class Containers {
  constructor(private readonly store: Store, private readonly instances: InstanceService, private readonly policies: PolicyService) {}

  /** The caller's grants in an instance; administrators need none, so none are read. */
  grantsOf(caller: Principal, instanceId: string, knownVersion?: number): Promise<StoredPolicy[]> {
    return caller.isAdmin ? Promise.resolve([]) : this.policies.effectiveFor(caller, instanceId, knownVersion);
  }

  /** Visible to the caller: by the grants, or because they own something inside (given it by an administrator, say). */
  /** `q`: the transaction the caller works in, if any (SQLite has one connection: reading beside it would wait for it). */
  async catalogVisible(caller: Principal, row: CatalogRow, grants: StoredPolicy[], q: Db = this.store.db): Promise<boolean> {
    return seesCatalog(caller, row, grants) || ownsWithin(q, row.instance_id, caller.userName, row.name);
  }

  async databaseVisible(caller: Principal, row: DatabaseRow, grants: StoredPolicy[], q: Db = this.store.db): Promise<boolean> {
    return seesDatabase(caller, row, grants) || ownsWithin(q, row.instance_id, caller.userName, row.catalog_name, row.name);
  }

  /** `caller` given: the catalog must be visible to them. */
  async catalog(projectId: string, instanceRef: string, catalogName: string, caller?: Principal): Promise<CatalogScope> {
    const instance = await this.instances.active(projectId, instanceRef);
    const name = catalogName.toLowerCase();
    const catalog = await findCatalog(this.store.db, instance.id, name);
    const grants = caller ? await this.grantsOf(caller, instance.id) : [];
    if (!catalog || (caller && !await this.catalogVisible(caller, catalog, grants))) throw notFound(`catalog ${name} does not exist`, 'common.01000001');
    return { instance, catalog, grants };
  }

  /** `caller` given: the database must be visible to them, and so its catalog. */
  async database(projectId: string, instanceRef: string, catalogName: string, databaseName: string, caller?: Principal): Promise<DatabaseScope> {
    const c = await this.catalog(projectId, instanceRef, catalogName);
    const name = databaseName.toLowerCase();
    const database = await findDatabase(this.store.db, { instanceId: c.instance.id, catalogName: c.catalog.name }, name);
    const grants = caller ? await this.grantsOf(caller, c.instance.id) : [];
    const visible = database !== undefined && (!caller || await this.databaseVisible(caller, database, grants));
    // Whether the catalog exists is as private as whether the database does.
    if (!visible && caller && !await this.catalogVisible(caller, c.catalog, grants)) throw notFound(`catalog ${c.catalog.name} does not exist`, 'common.01000001');
    if (!database || !visible) {
      throw notFound(`database ${name} does not exist in catalog ${c.catalog.name}`, 'common.01000001');
    }
    return { ...c, database, grants };
  }
}
