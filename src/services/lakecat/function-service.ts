import { randomBytes } from 'node:crypto';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import * as repo from '../../store/lakecat/function-repository.js';
import type { DatabaseNameKey } from '../../store/lakecat/keyset.js';
import type { DatabaseRow, FunctionRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import { nowIso } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { conflict, forbidden, invalid, notFound, unlessDuplicate } from '../errors.js';
import { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { keysetPage, type PageInfo, type Paging } from '../paging.js';
import { createTimeOf } from './create-time.js';
import { eventRow } from './event-row.js';
import { normalizeName } from './names.js';

export const FUNCTION_NAME = /^[a-zA-Z0-9_]+$/;
export const MAX_FUNCTION_NAMES = 100_000;

export interface ResourceUri {
  type: string;
  uri: string;
}
export interface FunctionInput {
  function_name: string;
  class_name: string;
  function_type?: string;
  owner?: string;
  owner_type?: string;
  owner_auth_source_type?: string;
  resource_uris?: ResourceUri[];
  /** Kept when given (a migration keeps the source's); else the time of the create. */
  create_time?: string;
}
export interface FunctionView {
  catalog_name: string;
  database_name: string;
  function_name: string;
  class_name: string;
  function_type: string;
  owner: string;
  owner_type: string;
  owner_auth_source_type: string;
  resource_uris: ResourceUri[];
  create_time: string;
  update_time: string;
}

const view = (r: FunctionRow): FunctionView => ({
  catalog_name: r.catalog_name,
  database_name: r.database_name,
  function_name: r.name,
  class_name: r.class_name,
  function_type: r.function_type,
  owner: r.owner,
  owner_type: r.owner_type,
  owner_auth_source_type: r.owner_source,
  resource_uris: JSON.parse(r.resource_uris) as ResourceUri[],
  create_time: r.created_at,
  update_time: r.updated_at,
});

/** User-defined functions of a database (Hive's permanent functions). */
export class FunctionService {
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    policies: PolicyService,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  /** The database an action works in (a listing or a create: it must show to the caller). */
  private async databaseScope(
    caller: Principal,
    action: 'function.create' | 'function.list',
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
  ): Promise<{ s: Required<repo.FunctionScope>; database: DatabaseRow }> {
    const d = await this.authz.check(caller, action, {
      kind: 'database',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
    });
    return {
      s: { instanceId: d.instance.id, catalogName: d.catalog.name, databaseName: d.database.name },
      database: d.database,
    };
  }

  private ref(projectId: string, instanceRef: string, catalogName: string, databaseName: string, name: string) {
    return {
      kind: 'function',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
      database: databaseName,
      function: name,
    } as const;
  }

  private scopeOf(f: FunctionRow): Required<repo.FunctionScope> {
    return { instanceId: f.instance_id, catalogName: f.catalog_name, databaseName: f.database_name };
  }

  private async visibility(
    caller: Principal,
    s: repo.FunctionScope,
  ): Promise<Pick<repo.FunctionFilter, 'ownedBy' | 'grantedBy'>> {
    if (caller.isAdmin) return {};
    return {
      ownedBy: caller.userName,
      grantedBy: PolicyService.visibleObjects(await this.authz.grantsOf(caller, s.instanceId), s.catalogName, 'FUNC'),
    };
  }

  private event(
    trx: Tx,
    s: Required<repo.FunctionScope>,
    type: string,
    name: string,
    caller: Principal,
    detail: unknown,
  ) {
    return appendEvent(trx, eventRow(s, type, name, caller, detail));
  }

  private checkUris(uris: ResourceUri[] | undefined): string {
    for (const u of uris ?? []) if (!u.uri.trim()) throw invalid('every resource_uris item needs a uri');
    return JSON.stringify(uris ?? []);
  }

  async create(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    input: FunctionInput,
  ): Promise<FunctionView> {
    const { s } = await this.databaseScope(
      caller,
      'function.create',
      projectId,
      instanceRef,
      catalogName,
      databaseName,
    );
    if (input.owner !== undefined && input.owner !== caller.userName && !caller.isAdmin)
      throw forbidden('only an administrator may create a function for another owner');
    const name = normalizeName('function', input.function_name, FUNCTION_NAME, 256);
    const now = nowIso();
    const row: FunctionRow = {
      id: randomBytes(16).toString('hex'),
      instance_id: s.instanceId,
      catalog_name: s.catalogName,
      database_name: s.databaseName,
      name,
      class_name: input.class_name,
      function_type: input.function_type ?? 'JAVA',
      owner: input.owner ?? caller.userName,
      owner_type: input.owner_type ?? 'USER',
      owner_source: input.owner_auth_source_type ?? 'IAM',
      resource_uris: this.checkUris(input.resource_uris),
      created_at: createTimeOf(input.create_time, now),
      updated_at: now,
      version: 1,
    };
    await unlessDuplicate(`function ${name} already exists in database ${s.databaseName}`, () =>
      this.store.transaction(async (trx) => {
        await repo.insertFunction(trx, row);
        await this.event(trx, s, 'CREATE_FUNCTION', name, caller, { object: view(row) });
      }),
    );
    return view(row);
  }

  async show(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
  ): Promise<FunctionView> {
    return view(
      (
        await this.authz.check(
          caller,
          'function.show',
          this.ref(projectId, instanceRef, catalogName, databaseName, name),
        )
      ).function,
    );
  }

  /** Replaces the definition; a different function_name renames the function. */
  async update(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
    input: FunctionInput,
  ): Promise<FunctionView> {
    const authorized = await this.authz.prepare(
      caller,
      'function.alter',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
      false,
    );
    const current = name.toLowerCase();
    const target = normalizeName('function', input.function_name, FUNCTION_NAME, 256);
    const updated = await unlessDuplicate(
      `function ${target} already exists in database ${databaseName.toLowerCase()}`,
      () =>
        this.store.transaction(async (trx) => {
          const { function: row } = await authorized.resolve(trx);
          const s = this.scopeOf(row);
          if (input.owner !== undefined && input.owner !== row.owner && !caller.isAdmin)
            throw forbidden('only an administrator may give a function to another owner');
          const ok = await repo.updateFunctionIf(trx, s, current, row.version, {
            name: target,
            class_name: input.class_name,
            function_type: input.function_type ?? row.function_type,
            owner: input.owner ?? row.owner,
            owner_type: input.owner_type ?? row.owner_type,
            owner_source: input.owner_auth_source_type ?? row.owner_source,
            resource_uris: input.resource_uris === undefined ? row.resource_uris : this.checkUris(input.resource_uris),
            updated_at: nowIso(),
          });
          if (!ok) throw conflict(`function ${current} was changed concurrently; retry`);
          const after = await repo.findFunction(trx, s, target);
          await this.event(trx, s, target === current ? 'ALTER_FUNCTION' : 'RENAME_FUNCTION', target, caller, {
            ...(after ? { object: view(after) } : {}),
            ...(target === current ? {} : { old_name: current }),
          });
          return after;
        }),
    );
    if (!updated) throw notFound(`function ${target} does not exist`);
    return view(updated);
  }

  async delete(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    name: string,
  ): Promise<void> {
    const current = name.toLowerCase();
    await this.authz.transact(
      caller,
      'function.drop',
      this.ref(projectId, instanceRef, catalogName, databaseName, name),
      async ({ function: row }, trx) => {
        const s = this.scopeOf(row);
        if (!(await repo.deleteFunction(trx, s, current))) throw notFound(`function ${current} does not exist`);
        await this.event(trx, s, 'DROP_FUNCTION', current, caller, { object: view(row) });
      },
    );
  }

  async names(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    pattern?: string,
  ): Promise<string[]> {
    const { s } = await this.databaseScope(caller, 'function.list', projectId, instanceRef, catalogName, databaseName);
    return (
      await repo.listFunctionNames(
        this.store.db,
        s,
        { pattern, ...(await this.visibility(caller, s)) },
        MAX_FUNCTION_NAMES,
      )
    ).map((r) => r.name);
  }

  async list(
    caller: Principal,
    projectId: string,
    instanceRef: string,
    catalogName: string,
    databaseName: string,
    p: Paging & { pattern?: string },
  ) {
    const { s } = await this.databaseScope(caller, 'function.list', projectId, instanceRef, catalogName, databaseName);
    return this.page(caller, s, { pattern: p.pattern }, p);
  }

  async listAll(caller: Principal, projectId: string, instanceRef: string, catalogName: string, p: Paging) {
    const c = await this.authz.check(caller, 'function.search', {
      kind: 'catalog',
      projectId,
      instance: instanceRef,
      catalog: catalogName,
    });
    return this.page(caller, { instanceId: c.instance.id, catalogName: c.catalog.name }, {}, p);
  }

  private async page(
    caller: Principal,
    s: repo.FunctionScope,
    f: repo.FunctionFilter,
    p: Paging,
  ): Promise<{ functions: FunctionView[]; page_info: PageInfo }> {
    const filter = { ...f, ...(await this.visibility(caller, s)) };
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
