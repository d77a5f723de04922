import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { appendEvent } from '../../store/lakecat/event-repository.js';
import * as repo from '../../store/lakecat/recycle-bin-repository.js';
import { locationInUse } from '../../store/lakecat/table-repository.js';
import type { DatabaseRow, PolicyRow, RecycleBinRow, TableRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import { Authorizer } from '../authz/authorizer.js';
import { type Clock, isoNow } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import type { PolicyService } from '../governance/policy-service.js';
import type { Principal } from '../iam/principal.js';
import type { InstanceService } from '../instances/instance-service.js';
import { deleteLocationData } from './data-files.js';

const DAY_MS = 86_400_000;
/** A purge claim older than this is taken to be a replica that died mid-purge. */
const CLAIM_LEASE_MS = 10 * 60_000;
/** Table types whose data lakeform manages: their files go when asked (at purge). */
export const INTERNAL_TABLE_TYPES = new Set(['MANAGED_TABLE', 'LAKE_TABLE']);

export interface BinFields {
  recycle_bin_id: string;
  drop_time: string;
  dropped_by: string;
  purge_time: string;
}

export const binFields = (e: RecycleBinRow): BinFields => ({
  recycle_bin_id: e.id,
  drop_time: e.dropped_at,
  dropped_by: e.dropped_by,
  purge_time: e.purge_at,
});

const locationOf = (definition: string): string | undefined =>
  (JSON.parse(definition) as { storage_descriptor?: { location?: string } }).storage_descriptor?.location;

/**
 * The metadata recycle bin: drops move objects here (inside the drop's transaction), restores
 * move them back, and purges remove them for good, with the data of internal tables whose drop
 * asked for it. Purges run from the lifecycle worker on every replica; a claim on the entry
 * makes each happen once.
 */
export class RecycleBin {
  private readonly replica = randomUUID();
  private readonly authz: Authorizer;

  constructor(
    private readonly store: Store,
    instances: InstanceService,
    private readonly policies: PolicyService,
    private readonly storage: ObjectStorage,
    private readonly localWarehouse: string | undefined,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly defaultDays: number,
  ) {
    this.authz = new Authorizer(store, instances, policies);
  }

  now(): string {
    return isoNow(this.clock);
  }

  private async purgeTime(q: Tx, instanceId: string, at: string, tableRetention?: number): Promise<string> {
    const days =
      tableRetention !== undefined && tableRetention > 0
        ? tableRetention
        : ((await repo.findRetention(q, instanceId)) ?? this.defaultDays);
    return new Date(Date.parse(at) + days * DAY_MS).toISOString();
  }

  private async entry(
    trx: Tx,
    caller: Principal,
    kind: repo.BinKind,
    base: Pick<RecycleBinRow, 'instance_id' | 'catalog_name' | 'database_name' | 'name' | 'object_id' | 'object_type'> &
      Partial<RecycleBinRow>,
    deleteData: boolean,
    owner: { owner: string; owner_type: string },
    retention?: number,
  ): Promise<RecycleBinRow> {
    const at = this.now();
    return {
      id: randomBytes(16).toString('hex'),
      kind,
      table_format: null,
      ...base,
      owner: owner.owner,
      owner_type: owner.owner_type,
      delete_data: deleteData ? 1 : 0,
      dropped_at: at,
      dropped_by: caller.userName,
      purge_at: await this.purgeTime(trx, base.instance_id, at, retention),
      claimed_by: null,
      claimed_at: null,
    };
  }

  private grantRows(entryId: string, policies: { principal_type: string; principal_name: string; effect: number }[]) {
    return policies.map((p) => {
      const { id: _id, ...row } = p as unknown as PolicyRow;
      return {
        entry_id: entryId,
        principal_type: p.principal_type,
        principal_name: p.principal_name,
        effect: p.effect,
        policy: JSON.stringify(row),
      };
    });
  }

  /** Moves a table, with its grants, into the bin inside the drop's transaction. */
  async dropTable(
    trx: Tx,
    caller: Principal,
    projectId: string,
    row: TableRow,
    deleteData: boolean,
  ): Promise<RecycleBinRow> {
    const d = JSON.parse(row.definition) as { retention?: number };
    const e = await this.entry(
      trx,
      caller,
      'TABLE',
      {
        instance_id: row.instance_id,
        catalog_name: row.catalog_name,
        database_name: row.database_name,
        name: row.name,
        object_id: row.id,
        object_type: row.table_type,
        table_format: row.table_format,
      },
      deleteData,
      row,
      typeof d.retention === 'number' ? d.retention : undefined,
    );
    const grants = await this.policies.objectDropped(trx, projectId, row.instance_id, [
      row.catalog_name,
      row.database_name,
      row.name,
    ]);
    if (!(await repo.binTable(trx, e, this.grantRows(e.id, grants))))
      throw notFound(`table ${row.name} does not exist`);
    return e;
  }

  /** Moves a database, with everything in it and the grants on them, into the bin. */
  async dropDatabase(
    trx: Tx,
    caller: Principal,
    projectId: string,
    row: DatabaseRow,
    deleteData: boolean,
  ): Promise<RecycleBinRow> {
    const e = await this.entry(
      trx,
      caller,
      'DATABASE',
      {
        instance_id: row.instance_id,
        catalog_name: row.catalog_name,
        database_name: row.name,
        name: row.name,
        object_id: row.id,
        object_type: row.database_type,
      },
      deleteData,
      row,
    );
    const grants = await this.policies.objectDropped(trx, projectId, row.instance_id, [row.catalog_name, row.name]);
    if (!(await repo.binDatabase(trx, e, this.grantRows(e.id, grants))))
      throw notFound(`database ${row.name} does not exist`);
    return e;
  }

  /** Puts an entry's grants back under the object's path now (inside the restore's transaction). */
  async restoreGrants(trx: Tx, projectId: string, e: RecycleBinRow, to: string[]): Promise<void> {
    const from = e.kind === 'TABLE' ? [e.catalog_name, e.database_name, e.name] : [e.catalog_name, e.name];
    const rows = (await repo.grantsOfEntry(trx, e.id)).map((g) => JSON.parse(g.policy) as Omit<PolicyRow, 'id'>);
    await this.policies.objectRestored(trx, projectId, e.instance_id, from, to, rows);
  }

  /** Who an entry is visible to besides administrators: its owner, live grants, and grants held on it at the drop. */
  async visibility(caller: Principal, instanceId: string): Promise<Pick<repo.BinFilter, 'principals'>> {
    if (caller.isAdmin) return {};
    return { principals: await this.policies.principalKeys(caller, instanceId) };
  }

  /** The instance, once the declared action allows the caller on it. */
  private async instanceFor(
    caller: Principal,
    action: 'recycle-bin.purge' | 'recycle-bin.show' | 'recycle-bin.configure',
    projectId: string,
    instanceRef: string,
  ) {
    return (await this.authz.check(caller, action, { kind: 'instance', projectId, instance: instanceRef })).instance;
  }

  /** An administrator's purge: one entry, or the whole bin of the instance. Returns the entries purged. */
  async purge(caller: Principal, projectId: string, instanceRef: string, entryId?: string): Promise<number> {
    const instance = await this.instanceFor(caller, 'recycle-bin.purge', projectId, instanceRef);
    if (entryId !== undefined) {
      const e = await repo.findEntry(this.store.db, instance.id, entryId);
      if (!e) throw notFound(`recycle bin entry ${entryId} does not exist`);
      if (!(await this.purgeOne(e, caller.userName))) throw notFound(`recycle bin entry ${entryId} is being purged`);
      return 1;
    }
    let n = 0;
    for (;;) {
      const batch = await repo.entriesOfInstance(this.store.db, instance.id, 100);
      let progressed = false;
      for (const e of batch) {
        if (!(await this.purgeOne(e, caller.userName))) continue;
        n++;
        progressed = true;
      }
      if (batch.length < 100 || !progressed) return n;
    }
  }

  async retention(caller: Principal, projectId: string, instanceRef: string) {
    const instance = await this.instanceFor(caller, 'recycle-bin.show', projectId, instanceRef);
    const days = await repo.findRetention(this.store.db, instance.id);
    return { retention_days: days ?? this.defaultDays, default_retention_days: this.defaultDays };
  }

  async setRetention(caller: Principal, projectId: string, instanceRef: string, days: number) {
    const instance = await this.instanceFor(caller, 'recycle-bin.configure', projectId, instanceRef);
    if (!Number.isInteger(days) || days < 0 || days > 3650)
      throw invalid('retention_days must be a whole number of days from 0 to 3650');
    await this.store.transaction((trx) => repo.setRetention(trx, instance.id, days, this.now()));
    return this.retention(caller, projectId, instanceRef);
  }

  /** Purges an entry just made (Iceberg's purgeRequested); false if another purge took it. */
  purgeNow(e: RecycleBinRow, principal: string): Promise<boolean> {
    return this.purgeOne(e, principal);
  }

  /** One pass of the worker: purges the entries whose time has come. Returns how many it purged. */
  async purgeDue(limit = 100): Promise<number> {
    let n = 0;
    for (const e of await repo.dueEntries(this.store.db, this.now(), limit))
      if (await this.purgeOne(e, 'lakeform')) n++;
    return n;
  }

  /**
   * Claims, deletes the data asked for, then removes the metadata with an event. A claim lost to
   * another replica (or a purge already done) returns false. Files go first: a crash in between
   * leaves metadata a later pass purges again, never metadata pointing at nothing it still lists.
   */
  private async purgeOne(e: RecycleBinRow, principal: string): Promise<boolean> {
    const now = this.now();
    const stale = new Date(Date.parse(now) - CLAIM_LEASE_MS).toISOString();
    if (!(await this.store.transaction((trx) => repo.claimEntry(trx, e.id, this.replica, now, stale)))) return false;
    if (e.delete_data) await this.deleteData(e);
    return this.store.transaction(async (trx) => {
      if (!(await repo.purgeEntry(trx, e))) return false;
      await appendEvent(trx, {
        instance_id: e.instance_id,
        event_type: e.kind === 'TABLE' ? 'PURGE_TABLE' : 'PURGE_DATABASE',
        catalog_name: e.catalog_name,
        database_name: e.database_name,
        object_name: e.kind === 'TABLE' ? e.name : null,
        principal,
        created_at: this.now(),
        detail: JSON.stringify({ recycle_bin_id: e.id, drop_time: e.dropped_at, dropped_by: e.dropped_by }),
      });
      return true;
    });
  }

  /**
   * Each internal table's own files, table by table at its own location: never an external
   * table's, never a folder by prefix, never files another table (live or binned) still uses.
   */
  private async deleteData(e: RecycleBinRow): Promise<void> {
    const tables = await repo.tablesOfEntry(this.store.db, e);
    const ids = tables.map((t) => t.id);
    for (const t of tables) {
      const location = locationOf(t.definition);
      if (!INTERNAL_TABLE_TYPES.has(t.table_type) || !location) continue;
      if (await locationInUse(this.store.db, e.instance_id, location, ids)) {
        this.log.warn({ location, recycle_bin_id: e.id }, 'purge keeps data another table still uses');
        continue;
      }
      await deleteLocationData(this.storage, location, this.localWarehouse);
    }
  }
}
