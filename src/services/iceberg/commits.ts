// Iceberg commits: the requirements checked and the updates applied to a table's current
// metadata, a new metadata file written, and the LakeCat table's pointer swapped to it only if the
// table is still at the version read; one table, or several at once in a transaction.
import { randomUUID } from 'node:crypto';
import { ConcurrentChange, ServiceError } from '../errors.js';
import type { DatabaseView } from '../lakecat/database-service.js';
import type { LocationGuard } from '../lakecat/names.js';
import type { TableService } from '../lakecat/table-service.js';
import { RawJson } from '../raw-json.js';
import { badRequest, commitFailed, isMissing } from './errors.js';
import type { Recorder } from './idempotency.js';
import { METADATA_LISTS } from './json.js';
import type { MetadataFiles, MetadataWrite } from './metadata-files.js';
import { checkTableMetadata } from './metadata-rules.js';
import { type Caller, databaseNameOf, identifier, tableName, type Warehouse } from './names.js';
import type { IcebergNamespaces } from './namespaces.js';
import { assertTablePaths } from './paths.js';
import {
  applyUpdates,
  CommitConflict,
  checkCreated,
  checkRequirements,
  emptyMetadata,
  InvalidUpdate,
  type Requirement,
  type TableMetadata,
  type Update,
} from './table-metadata.js';
import type { IcebergTable, IcebergTables } from './tables.js';

/** How often a commit that lost to a write outside the commit lock is redone before the client is told to retry. */
const COMMIT_ATTEMPTS = 20;

/** The number in a metadata file's name (`00003-<uuid>.metadata.json`), to name the next one. */
const fileVersion = (metadataLocation: string): number =>
  Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(metadataLocation)?.[1] ?? 0);

export interface CommitRequest {
  identifier?: unknown;
  requirements?: unknown;
  updates?: unknown;
}

export class IcebergCommits {
  constructor(
    private readonly namespaces: IcebergNamespaces,
    private readonly icebergTables: IcebergTables,
    private readonly tables: TableService,
    private readonly files: MetadataFiles,
    private readonly guard: LocationGuard,
  ) {}

  /**
   * The next metadata of one table of a commit: requirements checked, updates applied, and the
   * new metadata file's write started (it is durable before any pointer moves: a file no pointer names is harmless).
   * A table that does not exist is created by a commit that asserts it must not (a staged create).
   */
  private async prepare(
    p: Caller,
    w: Warehouse,
    c: { levels: string[]; name: string; requirements: Requirement[]; updates: Update[] },
  ): Promise<PreparedCommit> {
    const current = await this.icebergTables.table(p, w, c.levels, c.name, 'ALTER').catch((err: unknown) => {
      if (isMissing(err, 'table') && c.requirements.some((r) => r.type === 'assert-create')) return undefined;
      throw err;
    });
    const now = Date.now();
    let base: TableMetadata;
    let next: TableMetadata;
    let db: DatabaseView | undefined;
    try {
      if (current) {
        base = await this.files.readMetadata(current.metadataLocation);
        checkRequirements(base, c.requirements);
      } else {
        db = await this.namespaces.namespace(p, w, c.levels);
        checkRequirements(undefined, c.requirements);
        base = emptyMetadata(`${db.location}/${tableName(c.name)}`, now);
      }
      next = applyUpdates(base, c.updates, now);
      if (!current) {
        checkCreated(next);
        if (!next['table-uuid']) next['table-uuid'] = randomUUID();
      }
      checkTableMetadata(next, current ? base : undefined);
    } catch (err) {
      // A base this process kept from its last commit (see TableService.kept) may be stale: redone from a fresh read.
      if (current?.read?.kept) throw new ConcurrentChange(`${c.levels.join('.')}.${c.name} changed since kept`);
      if (err instanceof CommitConflict)
        throw commitFailed(`commit of ${c.levels.join('.')}.${c.name} refused: ${err.message}`);
      if (err instanceof InvalidUpdate) throw badRequest(err.message);
      throw err;
    }
    // A new or moved location or write path is checked before the new metadata file is written there.
    await assertTablePaths(this.guard, p, w.instanceId, this.files.localWarehouse, next, current ? base : undefined);
    let expired: string[] = [];
    if (current) {
      // The log keeps the last `write.metadata.previous-versions-max` files (100 by default), as Iceberg's own writers
      // do.
      const log = [
        ...(base['metadata-log'] ?? []),
        { 'metadata-file': current.metadataLocation, 'timestamp-ms': base['last-updated-ms'] },
      ];
      const max = Math.max(
        1,
        Number.parseInt(next.properties['write.metadata.previous-versions-max'] ?? '', 10) || 100,
      );
      next['metadata-log'] = log.length > max ? log.slice(-max) : log;
      if (log.length > max && next.properties['write.metadata.delete-after-commit.enabled'] === 'true')
        expired = log.slice(0, -max).map((e) => e['metadata-file']);
    }
    // Never changed from here on (a commit copies its base's lists): frozen, so the texts kept of them need no copy.
    for (const list of METADATA_LISTS) {
      const v = (next as unknown as Record<string, unknown>)[list];
      if (Array.isArray(v)) Object.freeze(v);
    }
    const version = current ? fileVersion(current.metadataLocation) + 1 : 0;
    const fileName = `${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    const metadataLocation = `${next.location}/metadata/${fileName}`;
    this.files.coordinates(metadataLocation);
    const file = this.files.startMetadata(metadataLocation, next);
    return {
      file,
      levels: c.levels,
      name: current?.name ?? tableName(c.name),
      current,
      database: current?.namespace ?? (db as DatabaseView).database_name,
      next,
      metadataLocation,
      expired,
      ...(current
        ? { removedProperties: Object.keys(base.properties ?? {}).filter((k) => !(k in next.properties)) }
        : {}),
    };
  }

  /**
   * Commit: the requirements are checked and the updates applied to the current metadata, a
   * new metadata file is written, and the table's pointer moves to it only if the LakeCat
   * table is still at the version read (compare-and-swap). A commit that lost the race to a
   * change its requirements do not reject is redone on the new metadata, a bounded number of
   * times; one whose requirements no longer hold fails (a conflict: commit_failed).
   * `shape`: makes the answer in the form the caller sends (the route's engine form), while the new file's fsync is
   * in flight; its result is what is answered then (a pooled RawJson is released if the commit does not land).
   */
  async commitTable(
    p: Caller,
    w: Warehouse,
    levels: string[],
    name: string,
    body: CommitRequest | undefined,
    record?: Recorder,
    shape?: (answer: CommitAnswer) => unknown,
  ): Promise<unknown> {
    const [change] = commitChanges([
      { identifier: { namespace: levels, name }, requirements: body?.requirements ?? [], updates: body?.updates },
    ]);
    const [done] = await this.commit(
      p,
      w,
      [change as TableChange],
      (prepared): CommitAnswer => {
        const c = prepared[0] as PreparedCommit;
        return { 'metadata-location': c.metadataLocation, metadata: c.next };
      },
      record,
      shape,
    );
    return done;
  }

  /** Iceberg's multi-table transaction: every table's change lands, or none does. */
  async commitTransaction(
    p: Caller,
    w: Warehouse,
    body: { 'table-changes'?: unknown } | undefined,
    record?: Recorder,
  ): Promise<void> {
    if (!body || !Array.isArray(body['table-changes']) || body['table-changes'].length === 0)
      throw badRequest('table-changes must be a non-empty array');
    const changes = commitChanges(body['table-changes'] as CommitRequest[]);
    const seen = new Set<string>();
    for (const c of changes) {
      const key = `${databaseNameOf(c.levels)}\u0000${c.name.toLowerCase()}`;
      if (seen.has(key)) throw badRequest(`table ${c.levels.join('.')}.${c.name} appears twice in the transaction`);
      seen.add(key);
    }
    await this.commit(p, w, changes, () => undefined, record);
  }

  private async commit<T>(
    p: Caller,
    w: Warehouse,
    changes: TableChange[],
    answerOf: (prepared: PreparedCommit[]) => T,
    record?: Recorder,
    shape?: (answer: T) => unknown,
  ): Promise<unknown[]> {
    // One commit per table at a time (across replicas once they raced: see withCommitLock): the base is read and the
    // pointer swapped under the table's commit lock, so compatible commits queue instead of racing. The version
    // check stays: a LakeCat write to the table takes no such lock, and is then redone upon.
    const locked = changes.map((c) => ({ databaseName: databaseNameOf(c.levels), name: c.name }));
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const landed = await this.tables.withCommitLock(
        p.projectId,
        w.instanceId,
        w.catalog,
        locked,
        () => this.attempt(p, w, changes, answerOf, record, shape),
        attempt,
      );
      if (landed) return [landed.answer];
      // Lost to a writer outside the lock: a pause growing with each attempt, randomised.
      await new Promise((r) => setTimeout(r, Math.min(200, 2 ** attempt) * (0.5 + Math.random())));
    }
    throw commitFailed('the commit kept losing to concurrent commits; retry');
  }

  /** One try of a commit: its answer, or undefined when it lost to a concurrent change and may be redone. */
  private async attempt<T>(
    p: Caller,
    w: Warehouse,
    changes: TableChange[],
    answerOf: (prepared: PreparedCommit[]) => T,
    record?: Recorder,
    shape?: (answer: T) => unknown,
  ): Promise<{ answer: unknown } | undefined> {
    const prepared: PreparedCommit[] = [];
    let shaped: unknown;
    try {
      for (const c of changes) prepared.push(await this.prepare(p, w, c));
      // While the files' fsyncs are in flight: the answer, its recording, the definitions and the caller's form of the
      // answer. Only the pointers' move waits for the files to be durable.
      await Promise.all(prepared.map((c) => c.file.written));
      const answer = answerOf(prepared);
      const within = record?.(answer);
      const updates = prepared
        .filter((c) => c.current)
        .map((c) => {
          const t = c.current as IcebergTable;
          return {
            databaseName: t.namespace,
            name: t.name,
            // Authorized and read by prepare(): not again (the version compare-and-swap stands for a second read).
            ...(t.read ? { read: t.read } : {}),
            body: {
              version_id: t.version,
              table: this.icebergTables.definition(t.name, c.next, c.metadataLocation, t, c.removedProperties),
            },
          };
        });
      // Staged creates (no current table) are inserted in the same transaction as the updates.
      const creates = prepared
        .filter((c) => !c.current)
        .map((c) => ({
          databaseName: c.database,
          input: this.icebergTables.definition(c.name, c.next, c.metadataLocation),
        }));
      shaped = shape ? shape(answer) : answer;
      for (const c of prepared) await c.file.durable;
      await this.tables.updateMany(p, p.projectId, w.instanceId, w.catalog, updates, {
        icebergNames: true,
        within,
        creates,
      });
      for (const c of prepared) if (c.current) this.files.superseded(c.current.metadataLocation);
      // Only files of this table's own location: a log entry pointing elsewhere is not ours to delete.
      for (const c of prepared)
        for (const f of c.expired) if (f.startsWith(`${c.next.location}/metadata/`)) await this.files.removeFile(f);
      return { answer: shaped };
    } catch (err) {
      if (shaped instanceof RawJson) shaped.release?.();
      // Each file once its write has ended (removed before, it could be created after its removal).
      await Promise.all(
        prepared.map((c) =>
          c.file.durable.then(
            () => undefined,
            () => undefined,
          ),
        ),
      );
      await Promise.all(prepared.map((c) => this.files.removeFile(c.metadataLocation)));
      if (!(err instanceof ServiceError && err.kind === 'conflict')) throw err;
      // A name taken by a staged create's rival, or a constraint: final. A version race: redone.
      if (!(err instanceof ConcurrentChange)) throw commitFailed(err.message);
      return undefined;
    }
  }
}

/** A commit's answer (CommitTableResponse), in the stored form. */
export interface CommitAnswer {
  'metadata-location': string;
  metadata: TableMetadata;
}

interface TableChange {
  levels: string[];
  name: string;
  requirements: Requirement[];
  updates: Update[];
}
interface PreparedCommit {
  levels: string[];
  name: string;
  database: string;
  next: TableMetadata;
  metadataLocation: string;
  /** The new metadata file's write, under way. */
  file: MetadataWrite;
  /**
   * Metadata files dropped from the log, to delete once the commit landed (write.metadata.delete-after-commit.enabled).
   */
  expired: string[];
  /** Absent for a staged create. */
  current?: IcebergTable;
  /** Properties the commit removed: they leave the LakeCat parameters too. */
  removedProperties?: string[];
}

/** The changes of a commit or transaction request, shape-checked. */
function commitChanges(items: CommitRequest[]): TableChange[] {
  return items.map((c, i) => {
    const id = identifier(c?.identifier, `table-changes[${i}].identifier`);
    const requirements = c?.requirements ?? [];
    if (!Array.isArray(requirements) || !Array.isArray(c?.updates))
      throw badRequest('a commit needs requirements and updates arrays');
    if (![...requirements, ...c.updates].every((x) => typeof x === 'object' && x !== null))
      throw badRequest('requirements and updates must be objects');
    return {
      levels: id.namespace,
      name: id.name,
      requirements: requirements as Requirement[],
      updates: c.updates as Update[],
    };
  });
}
