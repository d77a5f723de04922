/**
 * The one wrapper every service action goes through: it resolves the object an action names
 * (a typed reference), gathers the caller's grants when the declaration reads them, decides
 * (decision.ts, pure) and only then hands the resolved, authorized object to the action.
 * Objects the caller cannot see are reported missing (404), exactly as absent ones; visible
 * ones without the privilege are a 403 naming it (or the declaration's refusal).
 */

import { LRUCache } from 'lru-cache';
import { cacheBound } from '../../memory.js';
import type { StoredPolicy } from '../../store/governance/policy-repository.js';
import { findCatalog, findInstanceWithCatalog } from '../../store/lakecat/catalog-repository.js';
import { findDatabase } from '../../store/lakecat/database-repository.js';
import { findDataset } from '../../store/lakecat/dataset-repository.js';
import { findFunction } from '../../store/lakecat/function-repository.js';
import { ownsWithin } from '../../store/lakecat/ownership-repository.js';
import { findTable, findTableByPath, type TableWithInstance } from '../../store/lakecat/table-repository.js';
import type { CatalogRow, DatabaseRow, DatasetRow, FunctionRow, InstanceRow, TableRow } from '../../store/schema.js';
import type { Db, Store, Tx } from '../../store/store.js';
import { forbidden, notFound } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { type AtMark, ReadAtMark } from '../read-at-mark.js';
import { ACTIONS, type ActionName, type ObjectKind, type Requirement, type Subject } from './actions.js';
import { type Decision, decide, decideCaller, manages, type ObjectFacts } from './decision.js';
import { findSubject, type SubjectRef, type SubjectScopeOf } from './subjects.js';

export type { SubjectRef } from './subjects.js';

/** How the authorizer finds a serving instance of a project (the instance service). */
export interface InstanceLookup {
  active(projectId: string, instanceIdOrDefault: string): Promise<InstanceRow>;
}
/** Where a caller's grants in an instance come from (the policy service). */
export interface GrantSource {
  effectiveFor(caller: Principal, instanceId: string, knownVersion?: number): Promise<StoredPolicy[]>;
}

interface At {
  projectId: string;
  instance: string;
}
/** A typed reference to the object an action addresses, by the names a protocol gives. */
export type ObjectRef =
  | (At & { kind: 'instance' })
  | (At & { kind: 'catalog'; catalog: string })
  | (At & { kind: 'database'; catalog: string; database: string })
  | (At & { kind: 'table'; catalog: string; database: string; table: string })
  | (At & { kind: 'function'; catalog: string; database: string; function: string })
  | (At & { kind: 'dataset'; catalog: string; database: string; dataset: string })
  | SubjectRef;

interface InstanceScope {
  instance: InstanceRow;
  grants: StoredPolicy[];
  decision: Decision;
}
export interface CatalogScope extends InstanceScope {
  catalog: CatalogRow;
}
export interface DatabaseScope extends CatalogScope {
  database: DatabaseRow;
}
/** A table is found by one read on the hot path: its instance id, not the instance row. */
export interface TableScope {
  instanceId: string;
  table: TableRow;
  grants: StoredPolicy[];
  decision: Decision;
  /** Its database, except on the hot path (an owner's or administrator's read by path). */
  database?: DatabaseRow;
}
export interface FunctionScope extends DatabaseScope {
  function: FunctionRow;
}
export interface DatasetScope extends DatabaseScope {
  dataset: DatasetRow;
}

interface ScopeOf extends Omit<SubjectScopeOf, 'member'> {
  member: InstanceScope;
  instance: InstanceScope;
  catalog: CatalogScope;
  database: DatabaseScope;
  table: TableScope;
  function: FunctionScope;
  dataset: DatasetScope;
}

type Declared<A extends ActionName> = (typeof ACTIONS)[A];
/** The kind of object an action's declaration addresses (the instance when it names none). */
export type TargetOf<A extends ActionName> =
  Declared<A> extends { object: infer K extends ObjectKind }
    ? K
    : Declared<A> extends { on: infer S extends Subject }
      ? S
      : 'instance';
export type RefOf<A extends ActionName> = Extract<ObjectRef, { kind: TargetOf<A> }>;
export type Resolved<A extends ActionName> = ScopeOf[TargetOf<A>];

const missingCatalog = (name: string) => notFound(`catalog ${name} does not exist`);
const missingDatabase = (name: string, catalog: string) =>
  notFound(`database ${name} does not exist in catalog ${catalog}`);
const missingObject = (kind: string, name: string, database: string) =>
  notFound(`${kind} ${name} does not exist in database ${database}`);

/** The 403 of a visible object without the privilege, naming it. */
function refusal(req: Requirement, o: ObjectFacts, privilege: string): Error {
  const path = [o.catalog, o.database, o.name].filter((x) => x !== undefined).join('.');
  if (req.kind === 'create') {
    return req.object === 'catalog'
      ? forbidden(
          `creating a ${req.creates} in catalog ${o.catalog} needs an ` +
            `administrator, the catalog's owner, or a grant of ${privilege} ` +
            `on the catalog`,
        )
      : forbidden(
          `creating a ${req.creates} in database ${o.database} needs an ` +
            `administrator, the database's owner, or a grant of ${privilege} ` +
            `on the database or its catalog`,
        );
  }
  if (o.kind === 'catalog')
    return forbidden(`${privilege} on catalog ${path} needs a grant of ${privilege} (or ALL) on it`);
  if (o.kind === 'database')
    return forbidden(`${privilege} on database ${path} needs a grant of ${privilege} (or ALL) on it or its catalog`);
  if (o.kind === 'dataset') {
    return forbidden(
      `${privilege} on dataset ${path} needs its owner, the database's ` +
        `owner, or a grant of ${privilege} (or ALL) on the database or ` +
        `its catalog`,
    );
  }
  return forbidden(
    `${privilege} on ${o.kind} ${path} needs a grant of ${privilege} (or ALL) on it, its database or its catalog`,
  );
}

/** The 403 of a caller-level requirement: its declared refusal. */
const refusalOf = (action: string, req: Requirement): string =>
  (req.kind === 'admin' || req.kind === 'own') && req.refusal ? req.refusal : `${action} is not allowed`;

/** Resolved outside a transaction: what the action's object is found beneath, and the caller's grants. */
export interface Prepared<A extends ActionName> {
  /** Finds the object itself (in `q`, the action's transaction), decides, and throws 404 or 403 on a denial. */
  resolve(q?: Db): Promise<Resolved<A>>;
}

export class Authorizer {
  /**
   * Services of identities and of the account pass no instance lookup or grant source; their
   * actions address no instance (a reference to one is then a programming error).
   */
  constructor(
    private readonly store: Store,
    private readonly lookup?: InstanceLookup,
    private readonly policies?: GrantSource,
  ) {}

  /** Catalog rows read outside a transaction, by the store's change mark they were read at (see catalogRow). */
  private readonly catalogsAt = new ReadAtMark<CatalogRow | undefined>(
    () => this.store.changeMark(),
    new LRUCache<string, AtMark<CatalogRow | undefined>>({ max: cacheBound(1_000) }),
  );

  /**
   * The serving instance a call names and its catalog by name. Without a change mark (PostgreSQL, where nothing is
   * kept between calls) one joined read answers both, a round trip instead of two; anything unusual (either missing,
   * an instance not running) takes the two reads for its exact answer.
   */
  private async instanceAndCatalog(
    projectId: string,
    instanceRef: string,
    name: string,
  ): Promise<{ instance: InstanceRow; catalog: CatalogRow | undefined }> {
    if (this.store.changeMark() === undefined) {
      const hit = await findInstanceWithCatalog(this.store.db, projectId, instanceRef, name);
      if (hit && hit.instance.status === 'RUNNING' && !hit.instance.in_recycle_bin) return hit;
    }
    const instance = await this.instances.active(projectId, instanceRef);
    return { instance, catalog: await this.catalogRow(this.store.db, instance.id, name) };
  }

  /**
   * A catalog by name. Every call that names a catalog reads it (an Iceberg call: its warehouse): outside a
   * transaction, while the store's change mark holds (SQLite: nothing written since), the row read at that mark is
   * still the row, as InstanceService.active keeps instances.
   */
  private async catalogRow(q: Db, instanceId: string, name: string): Promise<CatalogRow | undefined> {
    if (q !== this.store.db) return findCatalog(q, instanceId, name);
    return this.catalogsAt.get(
      () => `${instanceId}/${name}`,
      () => findCatalog(q, instanceId, name),
    );
  }

  /** Database rows read outside a transaction, by the store's change mark they were read at. */
  private readonly databasesAt = new ReadAtMark<DatabaseRow | undefined>(
    () => this.store.changeMark(),
    new LRUCache<string, AtMark<DatabaseRow | undefined>>({ max: cacheBound(1_000) }),
  );

  /** A database by name, outside a transaction: every database-scoped call (a listing, a create) reads it. */
  private databaseRow(instanceId: string, catalogName: string, name: string): Promise<DatabaseRow | undefined> {
    return this.databasesAt.get(
      () => `${instanceId}/${catalogName}/${name}`,
      () => findDatabase(this.store.db, { instanceId, catalogName }, name),
    );
  }

  private get instances(): InstanceLookup {
    if (!this.lookup) throw new Error('this authorizer was given no instance lookup');
    return this.lookup;
  }

  /** The caller's grants in an instance; administrators need none, so none are read. */
  grantsOf(caller: Principal, instanceId: string, knownVersion?: number): Promise<StoredPolicy[]> {
    if (caller.isAdmin) return Promise.resolve([]);
    if (!this.policies) throw new Error('this authorizer was given no grant source');
    return this.policies.effectiveFor(caller, instanceId, knownVersion);
  }

  /** Resolves, decides and returns the authorized object (read outside any transaction). */
  async check<A extends ActionName>(caller: Principal, action: A, ref: RefOf<A>): Promise<Resolved<A>> {
    return (await this.prepare(caller, action, ref, true)).resolve();
  }

  /** Resolves and decides inside a new transaction, then runs the action with the authorized object in it. */
  async transact<A extends ActionName, T>(
    caller: Principal,
    action: A,
    ref: RefOf<A>,
    fn: (r: Resolved<A>, trx: Tx) => Promise<T>,
  ): Promise<T> {
    const prepared = await this.prepare(caller, action, ref, false);
    return this.store.transaction(async (trx) => fn(await prepared.resolve(trx), trx));
  }

  /** Resolves then runs the action (outside a transaction) with the authorized object. */
  async run<A extends ActionName, T>(
    caller: Principal,
    action: A,
    ref: RefOf<A>,
    fn: (r: Resolved<A>) => Promise<T>,
  ): Promise<T> {
    return fn(await this.check(caller, action, ref));
  }

  /**
   * The containers and grants of an action, read before its transaction (SQLite has one
   * connection: a read beside an open transaction would wait for it).
   */
  async prepare<A extends ActionName>(
    caller: Principal,
    action: A,
    ref: RefOf<A>,
    fast: boolean,
  ): Promise<Prepared<A>> {
    const req: Requirement = ACTIONS[action];
    const r = ref as ObjectRef;
    const target = 'object' in req ? req.object : 'on' in req ? req.on : 'instance';
    if (r.kind !== target) throw new Error(`action ${action} addresses a ${target}, not a ${r.kind}`);
    if (req.kind === 'public') throw new Error(`action ${action} is public: it has no caller to authorize`);
    const done = <S>(s: S) => ({ resolve: async () => s }) as unknown as Prepared<A>;
    if (r.kind === 'instance' || r.kind === 'member') {
      const instance = await this.instances.active(r.projectId, r.instance);
      const decision = decideCaller(req, caller, r.kind === 'member' ? { ownerName: r.userName } : {});
      if (!decision.allowed) throw forbidden(refusalOf(action, req));
      return done({ instance, grants: [], decision });
    }
    if (
      r.kind === 'project' ||
      r.kind === 'domain' ||
      r.kind === 'iam-project' ||
      r.kind === 'user' ||
      r.kind === 'group' ||
      r.kind === 'access-key' ||
      r.kind === 'token'
    ) {
      const found = await findSubject(this.store.db, caller, r);
      const decision = decideCaller(req, caller, found.facts);
      if (!decision.allowed) throw decision.visible ? forbidden(refusalOf(action, req)) : found.missing();
      return done({ ...found.scope, decision });
    }
    if (r.kind === 'catalog') return this.prepareCatalog(caller, req, r) as unknown as Prepared<A>;
    if (r.kind === 'table') return this.prepareTable(caller, req, r, fast) as unknown as Prepared<A>;
    // A database, function or dataset: the catalog must exist (it need not show for a database or function).
    const catalogName = r.catalog.toLowerCase();
    const { instance, catalog } = await this.instanceAndCatalog(r.projectId, r.instance, catalogName);
    if (!catalog) throw missingCatalog(catalogName);
    const grants = await this.grantsOf(caller, instance.id);
    const name = r.database.toLowerCase();
    // The database as a container (listings, creates, datasets): it must show, and whether the catalog exists is as
    // private.
    if (r.kind === 'dataset' || req.kind === 'within' || req.kind === 'create') {
      const database = await this.databaseRow(instance.id, catalogName, name);
      const dbFacts =
        database &&
        (await this.withOwnership(
          caller,
          { kind: 'database', catalog: catalogName, database: name, row: database },
          grants,
          this.store.db,
        ));
      const shown = dbFacts ? decide({ kind: 'see', object: 'database' }, caller, dbFacts, grants) : undefined;
      if (!shown?.visible) {
        const cFacts = await this.withOwnership(
          caller,
          { kind: 'catalog', catalog: catalogName, row: catalog },
          grants,
          this.store.db,
        );
        if (!decide({ kind: 'see', object: 'catalog' }, caller, cFacts, grants).visible)
          throw missingCatalog(catalogName);
      }
      if (!database || !shown || !dbFacts) throw missingDatabase(name, catalogName);
      if (r.kind === 'database') {
        const decision = this.enforce(req, caller, dbFacts, grants, shown);
        return done({ instance, catalog, database, grants, decision });
      }
      // A dataset, in its visible database.
      if (r.kind !== 'dataset') throw new Error(`action ${action} addresses a database`);
      const datasetName = r.dataset.toLowerCase();
      return {
        resolve: async (q: Db = this.store.db) => {
          const dataset = await findDataset(
            q,
            { instanceId: instance.id, catalogName, databaseName: name },
            datasetName,
          );
          if (!dataset) throw missingObject('dataset', datasetName, name);
          const facts: ObjectFacts = {
            kind: 'dataset',
            catalog: catalogName,
            database: name,
            name: dataset.name,
            row: dataset,
            container: database,
            ownsInside: true,
          };
          return { instance, catalog, database, dataset, grants, decision: this.enforce(req, caller, facts, grants) };
        },
      } as unknown as Prepared<A>;
    }
    if (r.kind === 'database') {
      return {
        resolve: async (q: Db = this.store.db) => {
          const database = await findDatabase(q, { instanceId: instance.id, catalogName }, name);
          if (!database) throw missingDatabase(name, catalogName);
          const facts = await this.withOwnership(
            caller,
            { kind: 'database', catalog: catalogName, database: name, row: database },
            grants,
            q,
          );
          return {
            instance,
            catalog,
            database,
            grants,
            decision: this.enforce(req, caller, facts, grants, undefined, () => missingDatabase(name, catalogName)),
          };
        },
      } as unknown as Prepared<A>;
    }
    // A function: its database must exist; the function itself must show.
    if (r.kind !== 'function') throw new Error(`action ${action} addresses no function`);
    const database = await findDatabase(this.store.db, { instanceId: instance.id, catalogName }, name);
    if (!database) throw missingDatabase(name, catalogName);
    const fn = r.function.toLowerCase();
    return {
      resolve: async (q: Db = this.store.db) => {
        const row = await findFunction(q, { instanceId: instance.id, catalogName, databaseName: name }, fn);
        const missing = () => missingObject('function', fn, name);
        if (!row) throw missing();
        const facts: ObjectFacts = { kind: 'function', catalog: catalogName, database: name, name: row.name, row };
        return {
          instance,
          catalog,
          database,
          function: row,
          grants,
          decision: this.enforce(req, caller, facts, grants, undefined, missing),
        };
      },
    } as unknown as Prepared<A>;
  }

  private async prepareCatalog(
    caller: Principal,
    req: Requirement,
    r: Extract<ObjectRef, { kind: 'catalog' }>,
  ): Promise<Prepared<ActionName>> {
    const name = r.catalog.toLowerCase();
    const { instance, catalog: read } = await this.instanceAndCatalog(r.projectId, r.instance, name);
    const grants = await this.grantsOf(caller, instance.id);
    const resolve = async (q: Db = this.store.db) => {
      // In a transaction the catalog is read again, under it.
      const catalog = q === this.store.db && read ? read : await this.catalogRow(q, instance.id, name);
      if (!catalog) throw missingCatalog(name);
      const facts = await this.withOwnership(caller, { kind: 'catalog', catalog: name, row: catalog }, grants, q);
      return {
        instance,
        catalog,
        grants,
        decision: this.enforce(req, caller, facts, grants, undefined, () => missingCatalog(name)),
      };
    };
    return { resolve } as unknown as Prepared<ActionName>;
  }

  private async prepareTable(
    caller: Principal,
    req: Requirement,
    r: Extract<ObjectRef, { kind: 'table' }>,
    fast: boolean,
  ): Promise<Prepared<ActionName>> {
    const [c, d, n] = [r.catalog.toLowerCase(), r.database.toLowerCase(), r.table.toLowerCase()];
    if (fast) {
      const scope = await this.managedTable(caller, r);
      if (scope) return { resolve: async () => scope } as unknown as Prepared<ActionName>;
    }
    const instance = await this.instances.active(r.projectId, r.instance);
    const catalog = await this.catalogRow(this.store.db, instance.id, c);
    if (!catalog) throw missingCatalog(c);
    const database = await findDatabase(this.store.db, { instanceId: instance.id, catalogName: c }, d);
    if (!database) throw missingDatabase(d, c);
    const grants = await this.grantsOf(caller, instance.id);
    const resolve = async (q: Db = this.store.db) => {
      const table = await findTable(q, { instanceId: instance.id, catalogName: c, databaseName: d }, n);
      const missing = () => missingObject('table', n, d);
      if (!table) throw missing();
      const facts: ObjectFacts = { kind: 'table', catalog: c, database: d, name: table.name, row: table };
      return {
        instanceId: instance.id,
        table,
        database,
        grants,
        decision: this.enforce(req, caller, facts, grants, undefined, missing),
      };
    };
    return { resolve } as unknown as Prepared<ActionName>;
  }

  /**
   * The hot path of a table action: one prepared read of the table with its instance's state, for a caller who
   * manages it (an administrator, its owner), who may do anything with it. Undefined for anything unusual (a missing
   * link, an instance not serving, another caller), which takes the full path (`prepare`) for its exact answer. Found,
   * it also shows that the instance serves the caller's project and that its catalog and database exist and show to
   * the caller (to an owner, through what it owns inside them).
   */
  async managedTable(caller: Principal, r: Extract<ObjectRef, { kind: 'table' }>): Promise<TableScope | undefined> {
    const [c, d, n] = [r.catalog.toLowerCase(), r.database.toLowerCase(), r.table.toLowerCase()];
    const hit = await findTableByPath(this.store.db, r.projectId, r.instance, c, d, n);
    return hit && this.managedScope(caller, hit);
  }

  /** managedTable's answer from a table row read with its instance's state (read now, or kept: see TableService). */
  managedScope(caller: Principal, hit: TableWithInstance): TableScope | undefined {
    if (hit.instance_status !== 'RUNNING' || hit.instance_in_recycle_bin || !manages(caller, hit)) return undefined;
    const decision: Decision = {
      allowed: true,
      visible: true,
      basis: caller.isAdmin ? 'administrator' : 'owner',
      grants: [],
    };
    return { instanceId: hit.instance_id, table: hit, grants: [], decision };
  }

  /** Whether a catalog or database shows to the caller (listings filter by it). */
  async shows(caller: Principal, o: ObjectFacts, grants: StoredPolicy[], q: Db = this.store.db): Promise<boolean> {
    return decide({ kind: 'see', object: o.kind }, caller, await this.withOwnership(caller, o, grants, q), grants)
      .visible;
  }

  /**
   * A catalog or database shows to whoever owns something inside it, too: asked only when the
   * grants alone do not show it, so the common answers take no extra read.
   */
  private async withOwnership(caller: Principal, o: ObjectFacts, grants: StoredPolicy[], q: Db): Promise<ObjectFacts> {
    if (decide({ kind: 'see', object: o.kind }, caller, o, grants).visible) return o;
    const row = o.row as CatalogRow | DatabaseRow;
    return {
      ...o,
      ownsInside: await ownsWithin(
        q,
        row.instance_id,
        caller.userName,
        o.catalog,
        o.kind === 'database' ? o.database : undefined,
      ),
    };
  }

  /** Decides and throws the denial: 404 for an object the caller cannot see, 403 naming the missing privilege. */
  private enforce(
    req: Requirement,
    caller: Principal,
    o: ObjectFacts,
    grants: StoredPolicy[],
    known?: Decision,
    missing?: () => Error,
  ): Decision {
    const decision =
      known && req.kind !== 'create' && req.kind !== 'privilege' ? known : decide(req, caller, o, grants);
    if (decision.allowed) return decision;
    if (!decision.visible)
      throw (missing ?? (() => notFound(`${o.kind} ${o.name ?? o.database ?? o.catalog} does not exist`)))();
    throw refusal(req, o, decision.missing ?? 'a privilege');
  }
}
