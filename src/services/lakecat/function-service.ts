import { randomBytes } from 'node:crypto';
import type { Db, Store, Tx } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import type { DatabaseRow, FunctionRow } from '../../store/schema.js';
import * as repo from '../../store/lakecat/function-repository.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import { conflict, forbidden, invalid, notFound, unlessDuplicate } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type PageInfo, type Paging } from '../paging.js';
import type { DatabaseNameKey } from '../../store/lakecat/keyset.js';
import { normalizeName } from './names.js';
import { Containers, mayManage } from './containers.js';
import { type Action, PolicyService } from '../governance/policy-service.js';
import type { StoredPolicy } from '../../store/governance/policy-repository.js';

export const FUNCTION_NAME = /^[a-zA-Z0-9_]+$/;
export const MAX_FUNCTION_NAMES = 100_000;

export interface ResourceUri { type: string; uri: string }
export interface FunctionInput {
  function_name: string; class_name: string; function_type?: string; owner?: string; owner_type?: string;
  owner_auth_source_type?: string; resource_uris?: ResourceUri[];
}
export interface FunctionView {
  catalog_name: string; database_name: string; function_name: string; class_name: string; function_type: string;
  owner: string; owner_type: string; owner_auth_source_type: string; resource_uris: ResourceUri[]; create_time: string; update_time: string;
}

const view = (r: FunctionRow): FunctionView => ({
  catalog_name: r.catalog_name, database_name: r.database_name, function_name: r.name, class_name: r.class_name,
  function_type: r.function_type, owner: r.owner, owner_type: r.owner_type, owner_auth_source_type: r.owner_source,
  resource_uris: JSON.parse(r.resource_uris) as ResourceUri[], create_time: r.created_at, update_time: r.updated_at,
});


/** User-defined functions of a database (Hive's permanent functions). */
export class FunctionService {
  private readonly containers: Containers;

  constructor(private readonly store: Store, instances: InstanceService, policies: PolicyService) {
    this.containers = new Containers(store, instances, policies);
  }

  private grantsOf(caller: Principal, instanceId: string): Promise<StoredPolicy[]> {
    return this.containers.grantsOf(caller, instanceId);
  }

  /** The catalog beneath which a listing works; `caller` given, it must be visible to them. */
  private async catalogScope(projectId: string, instanceRef: string, catalogName: string, caller?: Principal): Promise<repo.FunctionScope> {
    const c = await this.containers.catalog(projectId, instanceRef, catalogName, caller);
    return { instanceId: c.instance.id, catalogName: c.catalog.name };
  }

  /** The database an operation works in; `caller` given (listings and creates), it must be visible to them. */
  private async databaseScope(projectId: string, instanceRef: string, catalogName: string, databaseName: string, caller?: Principal): Promise<{ s: Required<repo.FunctionScope>; database: DatabaseRow }> {
    const d = await this.containers.database(projectId, instanceRef, catalogName, databaseName, caller);
    return { s: { instanceId: d.instance.id, catalogName: d.catalog.name, databaseName: d.database.name }, database: d.database };
  }

  /** As for tables: owners and administrators always; others when a grant reaches the function (else 404), and the action needs its own grant (403). */
  private async load(q: Db, s: Required<repo.FunctionScope>, name: string, caller: Principal, action: Action = 'read', grants: StoredPolicy[] = []): Promise<FunctionRow> {
    const row = await repo.findFunction(q, s, name);
    const missing = () => notFound(`function ${name} does not exist in database ${s.databaseName}`, 'common.01000001');
    if (!row) throw missing();
    if (mayManage(caller, row)) return row;
    const r = { resource_type: 'FUNC', catalog: s.catalogName, database: s.databaseName, function: row.name };
    if (!PolicyService.permits(grants, 'read', r)) throw missing();
    if (action !== 'read' && !PolicyService.permits(grants, action, r)) {
      throw forbidden(`${action} on function ${s.catalogName}.${s.databaseName}.${row.name} needs a grant of ${action} (or ALL) on it, its database or its catalog`);
    }
    return row;
  }

  private async visibility(caller: Principal, s: repo.FunctionScope): Promise<Pick<repo.FunctionFilter, 'ownedBy' | 'grantedBy'>> {
    if (caller.isAdmin) return {};
    return { ownedBy: caller.userName, grantedBy: PolicyService.visibleObjects(await this.grantsOf(caller, s.instanceId), s.catalogName, 'FUNC') };
  }

  private event(trx: Tx, s: Required<repo.FunctionScope>, type: string, name: string, caller: Principal, detail: unknown) {
    return appendEvent(trx, {
      instance_id: s.instanceId, event_type: type, catalog_name: s.catalogName, database_name: s.databaseName, object_name: name,
      principal: caller.userName, created_at: nowIso(), detail: JSON.stringify(detail),
    });
  }

  private checkUris(uris: ResourceUri[] | undefined): string {
    for (const u of uris ?? []) if (!u.uri.trim()) throw invalid('every resource_uris item needs a uri');
    return JSON.stringify(uris ?? []);
  }

  async create(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, input: FunctionInput): Promise<FunctionView> {
    const { s, database } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName, caller);
    if (!mayManage(caller, database)
      && !PolicyService.permits(await this.grantsOf(caller, s.instanceId), 'CREATE_FUNC', { resource_type: 'DATABASE', catalog: s.catalogName, database: database.name })) {
      throw forbidden(`creating a function in database ${database.name} needs an administrator, the database's owner, or a grant of CREATE_FUNC on the database or its catalog`);
    }
    if (input.owner !== undefined && input.owner !== caller.userName && !caller.isAdmin) throw forbidden('only an administrator may create a function for another owner');
    const name = normalizeName('function', input.function_name, FUNCTION_NAME, 256);
    const now = nowIso();
    const row: FunctionRow = {
      id: randomBytes(16).toString('hex'), instance_id: s.instanceId, catalog_name: s.catalogName, database_name: s.databaseName, name,
      class_name: input.class_name, function_type: input.function_type ?? 'JAVA', owner: input.owner ?? caller.userName,
      owner_type: input.owner_type ?? 'USER', owner_source: input.owner_auth_source_type ?? 'IAM', resource_uris: this.checkUris(input.resource_uris),
      created_at: now, updated_at: now, version: 1,
    };
    await unlessDuplicate(`function ${name} already exists in database ${s.databaseName}`, () => this.store.transaction(async (trx) => {
      await repo.insertFunction(trx, row);
      await this.event(trx, s, 'CREATE_FUNCTION', name, caller, { object: view(row) });
    }));
    return view(row);
  }

  async show(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string): Promise<FunctionView> {
    const { s } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName);
    return view(await this.load(this.store.db, s, name.toLowerCase(), caller, 'read', await this.grantsOf(caller, s.instanceId)));
  }

  /** Replaces the definition; a different function_name renames the function. */
  async update(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string, input: FunctionInput): Promise<FunctionView> {
    const { s } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName);
    const current = name.toLowerCase();
    const target = normalizeName('function', input.function_name, FUNCTION_NAME, 256);
    const grants = await this.grantsOf(caller, s.instanceId);
    const updated = await unlessDuplicate(`function ${target} already exists in database ${s.databaseName}`, () => this.store.transaction(async (trx) => {
      const row = await this.load(trx, s, current, caller, 'ALTER', grants);
      if (input.owner !== undefined && input.owner !== row.owner && !caller.isAdmin) throw forbidden('only an administrator may give a function to another owner');
      const ok = await repo.updateFunctionIf(trx, s, current, row.version, {
        name: target, class_name: input.class_name, function_type: input.function_type ?? row.function_type, owner: input.owner ?? row.owner,
        owner_type: input.owner_type ?? row.owner_type, owner_source: input.owner_auth_source_type ?? row.owner_source,
        resource_uris: input.resource_uris === undefined ? row.resource_uris : this.checkUris(input.resource_uris), updated_at: nowIso(),
      });
      if (!ok) throw conflict(`function ${current} was changed concurrently; retry`);
      const after = await repo.findFunction(trx, s, target);
      await this.event(trx, s, target === current ? 'ALTER_FUNCTION' : 'RENAME_FUNCTION', target, caller,
        { ...(after ? { object: view(after) } : {}), ...(target === current ? {} : { old_name: current }) });
      return after;
    }));
    if (!updated) throw notFound(`function ${target} does not exist`);
    return view(updated);
  }

  async delete(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string): Promise<void> {
    const { s } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName);
    const current = name.toLowerCase();
    const grants = await this.grantsOf(caller, s.instanceId);
    await this.store.transaction(async (trx) => {
      const row = await this.load(trx, s, current, caller, 'DROP', grants);
      if (!(await repo.deleteFunction(trx, s, current))) throw notFound(`function ${current} does not exist`);
      await this.event(trx, s, 'DROP_FUNCTION', current, caller, { object: view(row) });
    });
  }

  async names(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, pattern?: string): Promise<string[]> {
    const { s } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName, caller);
    return (await repo.listFunctionNames(this.store.db, s, { pattern, ...await this.visibility(caller, s) }, MAX_FUNCTION_NAMES)).map((r) => r.name);
  }

  async list(caller: Principal, projectId: string, instanceRef: string, catalogName: string, databaseName: string, p: Paging & { pattern?: string }) {
    const { s } = await this.databaseScope(projectId, instanceRef, catalogName, databaseName, caller);
    return this.page(caller, s, { pattern: p.pattern }, p);
  }

  async listAll(caller: Principal, projectId: string, instanceRef: string, catalogName: string, p: Paging) {
    return this.page(caller, await this.catalogScope(projectId, instanceRef, catalogName, caller), {}, p);
  }

  private async page(caller: Principal, s: repo.FunctionScope, f: repo.FunctionFilter, p: Paging): Promise<{ functions: FunctionView[]; page_info: PageInfo }> {
    const filter = { ...f, ...await this.visibility(caller, s) };
    const db = this.store.db;
    const page = await keysetPage<FunctionRow, DatabaseNameKey>(p, {
      what: 'a function of this listing',
      locate: (marker) => repo.findFunctionById(db, s, marker),
      fetch: (limit, c) => repo.pageFunctions(db, s, filter, limit, c),
      exists: (k, side) => repo.functionExistsBeyond(db, s, filter, k, side),
      keyOf: (r) => r,
      markerOf: (r) => r.id,
    });
    return { functions: page.rows.map(view), page_info: page.info };
  }

}
