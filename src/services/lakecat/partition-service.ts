import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { cacheBound } from '../../memory.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import { appendEvents, type NewMetadataEvent } from '../../store/lakecat/event-repository.js';
import type { TypedFilter } from '../../store/lakecat/partition-filter-sql.js';
import * as repo from '../../store/lakecat/partition-repository.js';
import * as stage from '../../store/lakecat/partition-stage.js';
import { deletePartitionStatistics } from '../../store/lakecat/statistics-repository.js';
import type { TableRow } from '../../store/schema.js';
import { isForeignKeyViolation, isUniqueViolation, nowIso, type Store, type Tx } from '../../store/store.js';
import { conflict, invalid, notFound, ServiceError, unlessDuplicate } from '../errors.js';
import type { Principal } from '../iam/principal.js';
import { Pacer, type ShortRequest } from '../pacer.js';
import { keysetPage, type Paging } from '../paging.js';
import { RawJson } from '../raw-json.js';
import { cacheCounters } from '../telemetry.js';
import { createTimeOf } from './create-time.js';
import { deleteLocationData } from './data-files.js';
import { some, validateLocation } from './names.js';
import { keyKind, type PartitionKey, parseFilter, partitionValue, typeFilter } from './partition-filter.js';
import type { Column, StorageDescriptor, TableAction, TableService } from './table-service.js';

export interface PartitionInput {
  partition_values: string[];
  storage_descriptor: StorageDescriptor;
  parameters?: Record<string, string>;
  create_time?: string;
  last_access_time?: string;
}

export interface TablePath {
  projectId: string;
  instanceRef: string;
  catalogName: string;
  databaseName: string;
  tableName: string;
}

/** Entries of a batch built between two turns of the pacer. */
const STEP = 200;
/** Partitions of a batch staged per transaction (a single-writer store: SQLite): other writes run between two. */
const STAGE_CHUNK = 100;
/** A staged batch this old was abandoned (its process died or lost it): the periodic sweep deletes it. */
const STAGED_MAX_AGE_MS = 10 * 60_000;
/** Most partitions one batch call may carry. */
export const PARTITION_BATCH_MAX = 1000;
/** Names read per step when ListPartitionNamesWithoutLimit streams every name of a table. */
const NAME_STREAM_STEP = 5000;

// Characters Hive escapes in partition path names (FileUtils.escapePathName), as %XX.
const ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\u007f', '{', '[', ']', '^']);

export function escapePathName(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    out += code < 0x20 || ESCAPED.has(ch) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** Hive's partition name: `key=value/…`, keys lower-case, values path-escaped. */
export const partitionName = (keys: PartitionKey[], values: string[]) =>
  keys.map((k, i) => `${k.name.toLowerCase()}=${escapePathName(values[i] as string)}`).join('/');

export function partitionKeys(table: TableRow): PartitionKey[] {
  const d = JSON.parse(table.definition) as { partition_keys?: Column[] };
  return (d.partition_keys ?? []).map((c) => ({ name: c.column_name, type: c.column_type }));
}

function tableLocation(table: TableRow): string | undefined {
  return (JSON.parse(table.definition) as { storage_descriptor?: { location?: string } }).storage_descriptor?.location;
}

export { some } from './names.js';

type Built = repo.NewPartition;
/** An AddPartitions batch built and ready to write (see add). */
interface NewBatch {
  caller: Principal;
  table: TableRow;
  built: Built[];
  /** The partitions' answers, in the order of `built`. */
  views: string[];
  ifNotExists: boolean;
  /** The request's entry in the pacer, when it came as a short request. */
  own: ShortRequest | undefined;
}
/**
 * A partition as a scan reads it (see scan): its definition (storage descriptor and parameters) is JSON text, and its
 * id is not read.
 */
export type ListedPartition = repo.ScannedPartition;
/** What a partition's view and event are written from: a stored row or one about to be inserted. */
type PartitionText = Pick<
  repo.StoredPartition,
  'name' | 'partition_values' | 'created_at' | 'last_access_time' | 'definition'
>;

/** For tests: called after each staged chunk of a batch, before the next (SQLite). */
export const batchHooks: { staged?: (s: { tableId: string; staged: number; size: number }) => Promise<void> } = {};

/** A listing as a protocol encoded it: kept whole (see scanEncoded), so it tells what it holds (bytes, roughly). */
export interface EncodedListing {
  readonly size: number;
}
/** A kept listing and the store change mark it was read at (none: PostgreSQL, where it is kept only for reuse). */
interface KeptListing {
  mark: string | undefined;
  value: EncodedListing;
}
const LISTINGS_CACHE_BYTES = () => cacheBound(32 * 1024 * 1024);

/** Partitions of a table: batch writes, filtered keyset listings, and their events. */
export class PartitionService {
  /** Encoded listings (scanEncoded), bounded by their size. */
  private readonly encoded = new LRUCache<string, KeptListing>({
    max: cacheBound(256),
    maxSize: LISTINGS_CACHE_BYTES(),
    maxEntrySize: LISTINGS_CACHE_BYTES() / 4,
    sizeCalculation: (e, key) => Math.max(1, e.value.size + key.length * 2),
  });
  /** Listings answered from what was kept, and listings read (a listing kept at another mark is read again). */
  private readonly listings = cacheCounters('partition_listings');
  /** The tail of the lane of long batches' transactions (see inLane). */
  private laneTail: Promise<void> = Promise.resolve();
  private lastSweep = 0;

  constructor(
    private readonly store: Store,
    private readonly tables: TableService,
    private readonly storage: ObjectStorage,
    private readonly localWarehouse: string | undefined,
    private readonly log: Logger,
    private readonly pacer = new Pacer(),
  ) {}

  /**
   * The table at the path (the caller may act on it) and its partition keys; a table without keys has no partitions.
   */
  async partitionedTable(
    caller: Principal,
    p: TablePath,
    action: TableAction,
  ): Promise<{ table: TableRow; keys: PartitionKey[] }> {
    const table = await this.tables.authorized(caller, action, p);
    return { table, keys: partitionKeys(table) };
  }

  /**
   * The reference's Partition as JSON text: the stored definition (storage descriptor and
   * parameters, written by `build`) is spliced in as it is, never parsed.
   */
  viewJson(table: TableRow, p: PartitionText): string {
    return this.viewsJson(table, [p])[0] as string;
  }

  /** viewJson of many partitions of one table (the table's part of the text is written once). */
  viewsJson(table: TableRow, rows: PartitionText[]): string[] {
    const prefix = this.viewPrefix(table);
    const out = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i] as PartitionText;
      out[i] =
        `${prefix}${p.partition_values},"create_time":${JSON.stringify(p.created_at)},` +
        `"last_access_time":${JSON.stringify(p.last_access_time)},` +
        p.definition.slice(1);
    }
    return out;
  }

  /** A view's text up to the partition's values (a staged batch's events are written from it too). */
  private viewPrefix(table: TableRow): string {
    return (
      `{"catalog_name":${JSON.stringify(table.catalog_name)},` +
      `"database_name":${JSON.stringify(table.database_name)},` +
      `"table_name":${JSON.stringify(table.name)},"partition_values":`
    );
  }

  /** Values checked against the keys (count and type), normalised as stored; or the reason they do not fit. */
  private checkValues(
    keys: PartitionKey[],
    values: string[],
    memo?: Map<string, ReturnType<typeof partitionValue>>[],
  ): { text: string; num: number | null }[] | string {
    if (keys.length === 0) return 'the table is not partitioned';
    if (values.length !== keys.length)
      return (
        `${values.length} values given; the table has ${keys.length} ` +
        `partition keys (${keys.map((k) => k.name).join(', ')})`
      );
    const out: { text: string; num: number | null }[] = [];
    for (let i = 0; i < keys.length; i++) {
      // A batch repeats values (a day's hours): each distinct value of a key is checked once.
      const seen = memo?.[i];
      let v = seen?.get(values[i] as string);
      if (v === undefined) {
        v = partitionValue(keys[i] as PartitionKey, values[i] as string);
        seen?.set(values[i] as string, v);
      }
      if (typeof v === 'string') return v;
      out.push(v);
    }
    return out;
  }

  /** The name partition values address, normalised as stored; undefined when no partition can have them. */
  nameOf(keys: PartitionKey[], values: string[]): string | undefined {
    const checked = this.checkValues(keys, values);
    return typeof checked === 'string'
      ? undefined
      : partitionName(
          keys,
          checked.map((v) => v.text),
        );
  }

  private build(
    table: TableRow,
    keys: PartitionKey[],
    input: PartitionInput,
    now: string,
    createdAt = now,
    base = tableLocation(table),
    memo?: Map<string, ReturnType<typeof partitionValue>>[],
  ): Built | string {
    const values = this.checkValues(keys, input.partition_values, memo);
    if (typeof values === 'string') return values;
    const texts = values.map((v) => v.text);
    const name = partitionName(keys, texts);
    const sd = input.storage_descriptor;
    let location: string | undefined;
    try {
      location = sd.location
        ? validateLocation('storage_descriptor.location', sd.location, this.localWarehouse)
        : undefined;
    } catch (err) {
      return (err as Error).message;
    }
    location ??= base ? `${base}/${name}` : undefined;
    if (location) sd.location = location; // the request's own object, parsed for this call
    // viewJson splices this text into the Partition it returns: it is always a non-empty object.
    const definition = { parameters: input.parameters ?? {}, storage_descriptor: sd };
    return {
      row: {
        table_id: table.id,
        name,
        partition_values: JSON.stringify(texts),
        definition: JSON.stringify(definition),
        created_at: createdAt,
        updated_at: now,
        last_access_time: input.last_access_time ?? now,
      },
      values,
    };
  }

  /**
   * Builds a whole batch or fails naming every entry that does not fit (and duplicates within it),
   * stepping aside for short requests every few hundred entries.
   */
  private async buildAll(
    table: TableRow,
    keys: PartitionKey[],
    inputs: PartitionInput[],
    now: string,
    own: ShortRequest | undefined,
  ): Promise<Built[]> {
    const built: Built[] = [];
    const errors: string[] = [];
    const seen = new Set<string>();
    const base = tableLocation(table);
    const memo = keys.map(() => new Map<string, ReturnType<typeof partitionValue>>());
    for (let i = 0; i < inputs.length; i++) {
      if (i > 0 && i % STEP === 0) await this.pacer.turn(own);
      const input = inputs[i] as PartitionInput;
      let created: string;
      try {
        created = createTimeOf(input.create_time, now);
      } catch (err) {
        errors.push(`partitions[${i}] (${input.partition_values.join(', ')}): ${(err as Error).message}`);
        continue;
      }
      const b = this.build(table, keys, input, now, created, base, memo);
      if (typeof b === 'string') {
        errors.push(`partitions[${i}] (${input.partition_values.join(', ')}): ${b}`);
        continue;
      }
      if (seen.has(b.row.name)) errors.push(`partitions[${i}]: ${b.row.name} appears twice in the batch`);
      seen.add(b.row.name);
      built.push(b);
    }
    if (errors.length) throw invalid(`no partition was added to table ${table.name}: ${some(errors, 5)}`);
    return built;
  }

  private events(
    table: TableRow,
    type: string,
    caller: Principal,
    rows: PartitionText[],
    views = this.viewsJson(table, rows),
  ): { events: NewMetadataEvent[]; views: string[] } {
    const at = nowIso();
    return {
      views,
      events: rows.map((r, i) => ({
        instance_id: table.instance_id,
        event_type: type,
        catalog_name: table.catalog_name,
        database_name: table.database_name,
        object_name: `${table.name}/${r.name}`,
        principal: caller.userName,
        created_at: at,
        detail: `{"object":${views[i] as string}}`,
      })),
    };
  }

  /** Runs a write on the table's partitions; the table vanishing meanwhile is a 404, not a 500. */
  private async write<T>(table: TableRow, fn: (trx: Tx) => Promise<T>): Promise<T> {
    try {
      return await this.store.transaction(fn);
    } catch (err) {
      if (isForeignKeyViolation(err)) throw notFound(`table ${table.name} no longer exists`);
      throw err;
    }
  }

  /**
   * AddPartitions: all of the batch or none; with ifNotExists, partitions that exist are skipped and only the new ones
   * returned. `own`: the request's entry in the pacer when it came as a short request (its steps do not wait for it).
   */
  async add(caller: Principal, p: TablePath, inputs: PartitionInput[], ifNotExists: boolean, own?: ShortRequest) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.add');
    const built = await this.buildAll(table, keys, inputs, nowIso(), own);
    const names = built.map((b) => b.row.name);
    // Views (and events) are written before any transaction, which then only inserts.
    const views = this.viewsJson(
      table,
      built.map((b) => b.row),
    );
    let inserted: string[];
    try {
      // A batch of one chunk is short work: staging it would only queue it in the lane behind short requests.
      inserted =
        this.store.capabilities.singleWriter && built.length > STAGE_CHUNK
          ? await this.addStaged({ caller, table, built, views, ifNotExists, own })
          : await this.addAtOnce({ caller, table, built, views, ifNotExists, own });
    } catch (err) {
      // The unique (table, name) constraint refused the batch; only now is it worth finding which names exist.
      if (!isUniqueViolation(err)) throw err;
      const existing = await repo.findPartitionsByName(this.store.db, table.id, names);
      throw conflict(
        `no partition was added: table ${table.name} already has ` +
          `${existing.length ? some(existing.map((e) => e.name)) : 'a partition of the batch (added concurrently)'}`,
      );
    }
    // The planner must know a table grew to pick the value index for a selective filter.
    this.store
      .noteRowsWritten('partitions', inserted.length)
      .catch((err: unknown) => this.log.warn({ err }, 'refreshing the planner statistics failed'));
    // Only long work steps aside: under steady load every turn waits its whole bound, which a batch of one chunk,
    // as short as the writes it would wait for, should not pay.
    if (built.length > STAGE_CHUNK) await this.pacer.turn(own);
    return RawJson.array(inserted);
  }

  /** The batch in one transaction (PostgreSQL: it holds one connection of the pool, and others go on). */
  private async addAtOnce(batch: NewBatch) {
    const { caller, table, built, views, ifNotExists, own } = batch;
    const all = this.events(
      table,
      'CREATE_PARTITION',
      caller,
      built.map((b) => b.row),
      views,
    );
    if (built.length > STAGE_CHUNK) await this.pacer.turn(own);
    return this.write(table, async (trx) => {
      const rows = await repo.insertPartitions(trx, built, ifNotExists);
      let { events, views } = all;
      if (rows.length < built.length) {
        // Names the table already had were skipped: only the inserted ones are events and answers.
        const kept = new Set(rows.map((r) => r.name));
        const keep = built.map((b) => kept.has(b.row.name));
        events = events.filter((_, i) => keep[i]);
        views = views.filter((_, i) => keep[i]);
      }
      await appendEvents(trx, events);
      return views;
    });
  }

  /**
   * The batch staged, then landed (SQLite, where a transaction holds the one connection and every other statement
   * waits for it): its rows go to the stage in short transactions, with short requests' statements between them, and
   * one short transaction moves them in and checks what may have changed meanwhile (names added concurrently fail the
   * batch or, with ifNotExists, are skipped; a dropped table is a 404). Readers never see the stage: a batch is
   * visible whole or not at all, and a crash leaves only staged rows, swept at start-up.
   */
  private async addStaged(batch: NewBatch) {
    const { caller, table, built, views, ifNotExists, own } = batch;
    if (built.length === 0) return [];
    const batchId = randomUUID();
    const stagedAt = nowIso();
    try {
      for (let i = 0; i < built.length; i += STAGE_CHUNK) {
        const end = i + STAGE_CHUNK;
        await this.inLane(own, () =>
          this.store.transaction((trx) => stage.stagePartitions(trx, batchId, i, built.slice(i, end), stagedAt)),
        );
        await batchHooks.staged?.({ tableId: table.id, staged: Math.min(end, built.length), size: built.length });
      }
      const keys = JSON.stringify(partitionKeys(table));
      const { skipped } = await this.inLane(own, () =>
        this.write(table, async (trx) => {
          const result = await stage.landBatch(trx, batchId, table.id, built.length, ifNotExists, {
            instance_id: table.instance_id,
            event_type: 'CREATE_PARTITION',
            catalog_name: table.catalog_name,
            database_name: table.database_name,
            object_prefix: `${table.name}/`,
            detail_prefix: `{"object":${this.viewPrefix(table)}`,
            principal: caller.userName,
            created_at: nowIso(),
          });
          // The batch was built for these keys; an ALTER meanwhile changed them (undone by the throw).
          if (JSON.stringify(partitionKeys({ ...table, definition: result.definition })) !== keys)
            throw conflict(`no partition was added: the partition keys of table ${table.name} changed meanwhile`);
          return result;
        }),
      );
      if (skipped.length === 0) return views;
      const gone = new Set(skipped);
      return views.filter((_, i) => !gone.has((built[i] as Built).row.name));
    } catch (err) {
      if (err instanceof stage.StagedTableGone) throw notFound(`table ${table.name} no longer exists`);
      if (err instanceof stage.StagedBatchLost)
        throw new ServiceError(
          'unavailable',
          `no partition was added to table ${table.name}: the batch was swept as abandoned; send it again`,
        );
      throw err;
    } finally {
      // Landed or not, the stage is emptied (landed: after the landing, which stays short).
      await this.inLane(own, () => this.store.transaction((trx) => stage.dropBatch(trx, batchId))).catch(
        (err: unknown) => this.log.warn({ err }, 'deleting a staged partition batch failed (the sweep will)'),
      );
    }
  }

  /**
   * Runs one transaction of a long batch: one at a time over all batches, each after short requests in flight had
   * their turn, so a short write's statements queue behind at most one such transaction.
   */
  private async inLane<T>(own: ShortRequest | undefined, fn: () => Promise<T>): Promise<T> {
    const previous = this.laneTail;
    let release = () => {};
    this.laneTail = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    try {
      await this.pacer.turn(own);
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Deletes staged batches that will never land (a single-writer store stages them): at start-up every one (a crash
   * left it), later those staged long ago, at most once a minute. Returns the partitions deleted.
   */
  async sweepStaged(atStart = false): Promise<number> {
    if (!this.store.capabilities.singleWriter) return 0;
    const now = Date.now();
    if (!atStart && now - this.lastSweep < 60_000) return 0;
    this.lastSweep = now;
    const before = atStart ? undefined : new Date(now - STAGED_MAX_AGE_MS).toISOString();
    const n = await this.store.transaction((trx) => stage.sweepStaged(trx, before));
    if (n) this.log.info({ partitions: n }, 'deleted staged partition batches that never landed');
    return n;
  }

  /** Partitions by their full value lists; values that name no partition are left out. */
  async byValues(caller: Principal, p: TablePath, valueLists: string[][]) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    const names = valueLists.map((v) => this.nameOf(keys, v)).filter((n): n is string => n !== undefined);
    const rows = await repo.findPartitionsByName(this.store.db, table.id, names);
    return RawJson.array(this.viewsJson(table, rows));
  }

  /** Looks up every value list in a transaction; fails naming the missing ones unless they may be skipped. */
  private async existing(trx: Tx, table: TableRow, keys: PartitionKey[], valueLists: string[][], skipMissing: boolean) {
    const wanted = valueLists.map((v) => ({ values: v, name: this.nameOf(keys, v) }));
    const rows = await repo.findPartitionsByName(
      trx,
      table.id,
      wanted.flatMap((w) => (w.name ? [w.name] : [])),
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    const missing = wanted.filter((w) => !w.name || !byName.has(w.name));
    if (missing.length && !skipMissing) {
      throw notFound(
        `nothing was changed: table ${table.name} has no partition ` +
          `${some(missing.map((m) => `(${m.values.join(', ')})`))}`,
      );
    }
    return { byName, wanted };
  }

  /**
   * BatchUpdatePartition: each entry names a partition by its current values and gives its new definition (new values
   * rename it).
   */
  async alter(caller: Principal, p: TablePath, entries: { partition_values: string[]; partition: PartitionInput }[]) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.alter');
    const now = nowIso();
    return this.write(table, async (trx) => {
      const { byName, wanted } = await this.existing(
        trx,
        table,
        keys,
        entries.map((e) => e.partition_values),
        false,
      );
      const updated: repo.StoredPartition[] = [];
      const errors: string[] = [];
      for (const [i, e] of entries.entries()) {
        const old = byName.get(wanted[i]?.name as string) as repo.StoredPartition;
        const b = this.build(table, keys, e.partition, now, old.created_at);
        if (typeof b === 'string') {
          errors.push(`partition_inputs[${i}]: ${b}`);
          continue;
        }
        const renamed = b.row.name !== old.name;
        await unlessDuplicate(`nothing was changed: table ${table.name} already has partition ${b.row.name}`, () =>
          repo.updatePartition(
            trx,
            old.id,
            {
              name: b.row.name,
              partition_values: b.row.partition_values,
              definition: b.row.definition,
              updated_at: now,
              last_access_time: b.row.last_access_time,
            },
            renamed ? b.values : undefined,
            table.id,
          ),
        );
        updated.push({ ...old, ...b.row, id: old.id });
      }
      if (errors.length) throw invalid(`nothing was changed: ${some(errors, 5)}`);
      const { events, views } = this.events(table, 'ALTER_PARTITION', caller, updated);
      await appendEvents(trx, events);
      return RawJson.array(views);
    });
  }

  /**
   * BatchDeletePartition: all or none (unless ifExists skips the missing); data of a managed table's partitions is
   * removed on request.
   */
  async drop(caller: Principal, p: TablePath, valueLists: string[][], o: { ifExists: boolean; deleteData: boolean }) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.drop');
    const dropped = await this.write(table, async (trx) => {
      const { byName } = await this.existing(trx, table, keys, valueLists, o.ifExists);
      const rows = [...byName.values()];
      await repo.deletePartitions(
        trx,
        table.id,
        rows.map((r) => r.id),
      );
      const { events, views } = this.events(table, 'DROP_PARTITION', caller, rows);
      await appendEvents(trx, events);
      return { rows, views };
    });
    if (o.deleteData && table.table_type === 'MANAGED_TABLE') await this.deleteData(dropped.rows);
    return RawJson.array(dropped.views);
  }

  /** Empties the data of partitions of a managed table and drops their statistics; definitions stay. */
  async truncate(caller: Principal, p: TablePath, valueLists: string[][]): Promise<void> {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.truncate');
    if (table.table_type !== 'MANAGED_TABLE')
      throw invalid(
        `table ${table.name} is a ${table.table_type}; only partitions of a MANAGED_TABLE can be truncated`,
      );
    const rows = await this.write(table, async (trx) => {
      const { byName } = await this.existing(trx, table, keys, valueLists, false);
      const found = [...byName.values()];
      await deletePartitionStatistics(
        trx,
        found.map((r) => r.id),
      );
      await appendEvents(trx, this.events(table, 'TRUNCATE_PARTITION', caller, found).events);
      return found;
    });
    await this.deleteData(rows);
  }

  private async deleteData(rows: repo.StoredPartition[]): Promise<void> {
    for (const r of rows) {
      const location = (JSON.parse(r.definition) as { storage_descriptor?: { location?: string } }).storage_descriptor
        ?.location;
      if (location) await deleteLocationData(this.storage, location, this.localWarehouse);
    }
  }

  /**
   * A filter and a partial value list (ListPartitions' partition_values; '' or '*' match anything) as one typed filter.
   */
  private query(table: TableRow, keys: PartitionKey[], filter?: string, partial?: string[]): repo.PartitionQuery {
    let typed: TypedFilter | undefined;
    if (filter !== undefined) {
      const parsed = parseFilter(filter);
      if (parsed) typed = typeFilter(filter, parsed, keys);
    }
    // The reference's priority: a filter decides alone; partition_values apply only without one.
    if (partial?.length && !typed) {
      if (partial.length > keys.length)
        throw invalid(`${partial.length} partition values given; the table has ${keys.length} partition keys`);
      partial.forEach((v, i) => {
        if (v === '' || v === '*') return;
        const key = keys[i] as PartitionKey;
        const checked = partitionValue(key, v);
        if (typeof checked === 'string') throw invalid(`partition_values[${i}]: ${checked}`);
        // Typed keys compare by number (so the number index serves them); the default partition has none.
        const leaf: TypedFilter =
          checked.num === null
            ? { kind: 'compare', key: i, as: 'string', op: '=', value: checked.text }
            : { kind: 'compare', key: i, as: keyKind(key.type), op: '=', value: checked.num };
        typed = typed ? { kind: 'and', left: typed, right: leaf } : leaf;
      });
    }
    return { tableId: table.id, filter: typed };
  }

  private page(pq: repo.PartitionQuery, tableId: string, p: Paging, namesOnly: boolean) {
    const db = this.store.db;
    return keysetPage<repo.ListedPartition, string>(p, {
      what: 'a partition of this table',
      locate: async (marker) => (await repo.findPartitionById(db, tableId, marker))?.name,
      fetch: (limit, c) => repo.pagePartitions(db, pq, limit, c, namesOnly),
      exists: (name, side) => repo.partitionExistsBeyond(db, pq, name, side),
      keyOf: (r) => r.name,
      markerOf: (r) => r.id,
    });
  }

  async list(caller: Principal, p: TablePath, q: Paging & { filter?: string; partialValues?: string[] }) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    const page = await this.page(this.query(table, keys, q.filter, q.partialValues), table.id, q, false);
    return RawJson.concat(
      '{"partitions":[',
      this.viewsJson(table, page.rows),
      `],"page_info":${JSON.stringify(page.info)}}`,
    );
  }

  /**
   * The partitions `list` pages through, as stored rows in keyset steps of at most `step`, up to
   * `limit` in all: for a protocol that encodes each step itself (the metastore's binary answers),
   * so a large answer never holds more than one step of rows. The table is authorized once, before
   * the first step.
   */
  async *scan(
    caller: Principal,
    p: TablePath,
    q: { filter?: string; partialValues?: string[] },
    limit: number,
    step = 1000,
  ): AsyncGenerator<{ table: TableRow; rows: ListedPartition[] }> {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    yield* this.steps(table, this.query(table, keys, q.filter, q.partialValues), limit, step);
  }

  /**
   * A scan as a protocol encodes it (`encode` reads its steps), kept by the table's marks: a listing asked again
   * while neither the table nor its partitions were written (SQLite: the table's version, its partition mark and other
   * processes' commits) is the same answer, and is not read and encoded again. The caller is authorized on every
   * call; what is kept is keyed by the caller, the table (as it was found, names and all), the query and `form` (what
   * `encode` makes: one form, one kind of V).
   * Otherwise `encode` is given what was kept under that key at another mark (or, on PostgreSQL, which has no mark,
   * by the last call), for it to reuse what it can check is unchanged.
   */
  async scanEncoded<V extends EncodedListing>(
    caller: Principal,
    p: TablePath,
    q: { filter?: string; partialValues?: string[] },
    limit: number,
    step: number,
    form: string,
    encode: (steps: AsyncIterable<{ table: TableRow; rows: ListedPartition[] }>, previous: V | undefined) => Promise<V>,
  ): Promise<V> {
    // A listing depends on the table as found and its partitions alone: it is kept across writes to anything else.
    // Other processes' commits are seen only as a whole (taken before the table is found, so one in between moves it
    // past the answer); the table's version moves with each write to its row, and its partition mark (read after it
    // was found, before its rows) with each write to its partitions. A write between either and the read leaves a
    // newer answer under an older mark, never the reverse.
    const external = this.store.externalMark();
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    const mark =
      external === undefined
        ? undefined
        : `${external}/${table.version}/${await repo.partitionMark(this.store.db, table.id)}`;
    const pq = this.query(table, keys, q.filter, q.partialValues);
    const key = JSON.stringify([
      form,
      caller.domainId,
      caller.userId,
      caller.projectId,
      table.id,
      table.catalog_name,
      table.database_name,
      table.name,
      q.filter ?? null,
      q.partialValues ?? null,
      limit,
      step,
    ]);
    const known = this.encoded.get(key);
    if (known && mark !== undefined && known.mark === mark) {
      this.listings.hits++;
      return known.value as V;
    }
    this.listings.misses++;
    // Kept values are shared by the calls that find them: frozen.
    const value = Object.freeze(await encode(this.steps(table, pq, limit, step), known?.value as V | undefined));
    this.encoded.set(key, { mark, value });
    return value;
  }

  private async *steps(
    table: TableRow,
    pq: repo.PartitionQuery,
    limit: number,
    step: number,
  ): AsyncGenerator<{ table: TableRow; rows: ListedPartition[] }> {
    let sent = 0;
    let after: string | undefined;
    while (sent < limit) {
      const { rows, more } = await repo.scanPartitions(this.store.db, pq, Math.min(step, limit - sent), after);
      if (rows.length) yield { table, rows };
      sent += rows.length;
      after = rows[rows.length - 1]?.name;
      if (!more) break;
    }
  }

  /** The partitions of these value lists that exist, as stored rows in name order (see scan). */
  async rowsByValues(
    caller: Principal,
    p: TablePath,
    valueLists: string[][],
  ): Promise<{ table: TableRow; rows: ListedPartition[] }> {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    const names = valueLists.map((v) => this.nameOf(keys, v)).filter((n): n is string => n !== undefined);
    return { table, rows: await repo.findPartitionsByName(this.store.db, table.id, names) };
  }

  async names(caller: Principal, p: TablePath, q: Paging & { filter?: string }) {
    const { table, keys } = await this.partitionedTable(caller, p, 'partition.list');
    const page = await this.page(this.query(table, keys, q.filter), table.id, q, true);
    return { partition_name_list: page.rows.map((r) => r.name), page_info: page.info };
  }

  /**
   * Every partition name (or the first `limit`), as a JSON array streamed in keyset steps, so a
   * table with millions of partitions costs the server one step of memory, not all of it.
   */
  async allNames(caller: Principal, p: TablePath, limit: number): Promise<Readable> {
    const { table } = await this.partitionedTable(caller, p, 'partition.list');
    const max = limit < 0 ? Number.POSITIVE_INFINITY : limit;
    const db = this.store.db;
    const log = this.log;
    async function* chunks() {
      yield '[';
      let sent = 0;
      let after: string | undefined;
      try {
        while (sent < max) {
          const step = Math.min(NAME_STREAM_STEP, max - sent);
          const { rows, more } = await repo.pagePartitions(db, { tableId: table.id }, step, { after }, true);
          if (rows.length) yield (sent ? ',' : '') + rows.map((r) => JSON.stringify(r.name)).join(',');
          sent += rows.length;
          after = rows[rows.length - 1]?.name;
          if (!more) break;
        }
      } catch (err) {
        log.error({ err }, 'streaming partition names failed');
        throw err;
      }
      yield ']';
    }
    return Readable.from(chunks());
  }
}
