// Iceberg view metadata (format version 1) as the REST catalog creates and replaces it: the
// requirement a view commit may assert and the updates it applies, following the Iceberg view
// spec and the REST spec's CommitViewRequest. Pure functions: the view service does the IO.
import { randomUUID } from 'node:crypto';
import { checkSchema } from './metadata-rules.js';
import { freshSchema, type IcebergSchema as SchemaFields } from './new-table.js';
import { CommitConflict, InvalidUpdate } from './table-metadata.js';

export { CommitConflict, InvalidUpdate };

export interface ViewSchema extends SchemaFields {
  'schema-id': number;
}
export interface SqlRepresentation {
  type: 'sql';
  sql: string;
  dialect: string;
}
export interface ViewVersion {
  'version-id': number;
  'timestamp-ms': number;
  'schema-id': number;
  summary: Record<string, string>;
  representations: SqlRepresentation[];
  'default-namespace': string[];
  'default-catalog'?: string;
}
export interface ViewMetadata {
  'view-uuid': string;
  'format-version': number;
  location: string;
  'current-version-id': number;
  versions: ViewVersion[];
  'version-log': { 'version-id': number; 'timestamp-ms': number }[];
  schemas: ViewSchema[];
  properties: Record<string, string>;
}

export type ViewRequirement = { type: 'assert-view-uuid'; uuid: string };
export type ViewUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': number }
  | { action: 'add-schema'; schema: ViewSchema; 'last-column-id'?: number }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'add-view-version'; 'view-version': ViewVersion }
  | { action: 'set-current-view-version'; 'view-version-id': number };

/** The highest view format version this catalog writes. */
export const VIEW_FORMAT_VERSION = 1;
/** Stands for "the schema / version added last in this commit". */
export const LAST_ADDED = -1;
/** How many versions a view keeps unless its properties say otherwise (as Iceberg's default). */
export const DEFAULT_HISTORY = 10;
export const HISTORY_PROPERTY = 'version.history.num-entries';
/** Whether a replace may leave out a dialect the current version has (false by default, as Iceberg). */
export const DROP_DIALECT_PROPERTY = 'replace.drop-dialect.allowed';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringMap = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string');
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const bad = (message: string) => new InvalidUpdate(message);

/** A request schema checked for well-formed types; a view keeps the client's field ids. */
function checkedSchema(s: unknown, where: string): ViewSchema {
  if (!isObject(s)) throw bad(`${where} must be an Iceberg struct schema`);
  try {
    freshSchema(s); // validation only: names, types, nesting
  } catch (err) {
    throw bad(`${where}: ${(err as Error).message}`);
  }
  // The client's ids are kept, so they are checked as a table's are (views have no format of their own for types).
  checkSchema(s, 3, where);
  const id = s['schema-id'] ?? 0;
  if (!isInt(id)) throw bad(`${where} schema-id must be an integer`);
  return { ...(s as unknown as ViewSchema), 'schema-id': id };
}

function checkedVersion(v: unknown): ViewVersion {
  if (!isObject(v)) throw bad('view-version must be an object');
  if (v['version-id'] !== undefined && !isInt(v['version-id'])) throw bad('view-version version-id must be an integer');
  if (!isInt(v['schema-id'])) throw bad('view-version schema-id must be an integer');
  if (v['timestamp-ms'] !== undefined && !isInt(v['timestamp-ms']))
    throw bad('view-version timestamp-ms must be an integer');
  if (v.summary !== undefined && !isStringMap(v.summary)) throw bad('view-version summary must map strings to strings');
  if (!Array.isArray(v['default-namespace']) || !v['default-namespace'].every((l) => typeof l === 'string'))
    throw bad('view-version default-namespace must be an array of strings');
  if (v['default-catalog'] !== undefined && v['default-catalog'] !== null && typeof v['default-catalog'] !== 'string')
    throw bad('view-version default-catalog must be a string');
  if (!Array.isArray(v.representations) || v.representations.length === 0)
    throw bad('view-version needs at least one representation');
  const dialects = new Set<string>();
  const representations = v.representations.map((r): SqlRepresentation => {
    if (!isObject(r) || r.type !== 'sql') throw bad('only representations of type sql are supported');
    if (typeof r.sql !== 'string' || !r.sql.trim()) throw bad('a sql representation needs its sql');
    if (typeof r.dialect !== 'string' || !r.dialect.trim()) throw bad('a sql representation needs its dialect');
    // Dialects compare case-insensitively: "Spark" and "spark" are one engine.
    const d = r.dialect.toLowerCase();
    if (dialects.has(d)) throw bad(`a view version may have one sql representation per dialect; ${d} appears twice`);
    dialects.add(d);
    return { type: 'sql', sql: r.sql, dialect: r.dialect };
  });
  return {
    'version-id': (v['version-id'] as number | undefined) ?? 1,
    'timestamp-ms': (v['timestamp-ms'] as number | undefined) ?? 0,
    'schema-id': v['schema-id'],
    summary: (v.summary as Record<string, string> | undefined) ?? {},
    representations,
    'default-namespace': v['default-namespace'] as string[],
    ...(typeof v['default-catalog'] === 'string' ? { 'default-catalog': v['default-catalog'] } : {}),
  };
}

/** Structural equality of JSON values, object key order ignored. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
}

/** Two schemas are one if their fields and identifier fields are; the id does not count. */
const sameSchema = (a: ViewSchema, b: ViewSchema) =>
  same(a.fields, b.fields) && same(a['identifier-field-ids'] ?? [], b['identifier-field-ids'] ?? []);

/**
 * Two versions are one if they define the same query: representations, schema and defaults (not id, time or summary).
 */
const sameVersion = (a: ViewVersion, b: ViewVersion) =>
  same(a.representations, b.representations) &&
  a['schema-id'] === b['schema-id'] &&
  same(a['default-namespace'], b['default-namespace']) &&
  (a['default-catalog'] ?? null) === (b['default-catalog'] ?? null);

function historySize(properties: Record<string, string>): number {
  const raw = properties[HISTORY_PROPERTY];
  if (raw === undefined) return DEFAULT_HISTORY;
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || n < 1) throw bad(`${HISTORY_PROPERTY} must be a positive integer, not ${raw}`);
  return n;
}

/** Applies view updates in order; `now` stamps versions that come without a time. */
class Builder {
  private lastSchema: number | undefined;
  private lastVersion: number | undefined;
  private readonly added = new Set<number>();
  private historyEntry: { 'version-id': number; 'timestamp-ms': number } | undefined;
  readonly m: ViewMetadata;

  constructor(
    base: ViewMetadata,
    private readonly now: number,
  ) {
    this.m = structuredClone(base);
  }

  addSchema(schema: ViewSchema): number {
    const existing = this.m.schemas.find((s) => sameSchema(s, schema));
    if (existing) {
      this.lastSchema = existing['schema-id'];
      return existing['schema-id'];
    }
    // The requested id unless taken; else one past the highest.
    let id = Math.max(0, schema['schema-id']);
    if (this.m.schemas.some((s) => s['schema-id'] === id))
      id = Math.max(...this.m.schemas.map((s) => s['schema-id'])) + 1;
    this.m.schemas.push({ ...schema, 'schema-id': id });
    this.lastSchema = id;
    return id;
  }

  addVersion(input: ViewVersion): number {
    const version = { ...input, 'timestamp-ms': input['timestamp-ms'] || this.now };
    if (version['schema-id'] === LAST_ADDED) {
      if (this.lastSchema === undefined)
        throw bad('view-version schema-id -1 means the schema added last, but this commit adds no schema');
      version['schema-id'] = this.lastSchema;
    }
    if (!this.m.schemas.some((s) => s['schema-id'] === version['schema-id']))
      throw bad(`view-version names unknown schema ${version['schema-id']}`);
    // A version equal to an existing one is that version again, not a new one.
    const existing = this.m.versions.find((v) => sameVersion(v, version));
    if (existing) {
      this.lastVersion = existing['version-id'];
      return existing['version-id'];
    }
    // Version ids only grow: the requested id unless it is not above every existing one.
    const highest = this.m.versions.reduce((n, v) => Math.max(n, v['version-id']), 0);
    const id = version['version-id'] > highest ? version['version-id'] : highest + 1;
    this.m.versions.push({ ...version, 'version-id': id });
    this.added.add(id);
    this.lastVersion = id;
    return id;
  }

  setCurrentVersion(requested: number): void {
    const id = requested === LAST_ADDED ? this.lastVersion : requested;
    if (id === undefined)
      throw bad('set-current-view-version -1 means the version added last, but this commit adds no version');
    const version = this.m.versions.find((v) => v['version-id'] === id);
    if (!version) throw bad(`cannot set the current version to unknown version ${id}`);
    if (id === this.m['current-version-id'] && this.historyEntry === undefined) return;
    this.m['current-version-id'] = id;
    this.historyEntry = { 'version-id': id, 'timestamp-ms': version['timestamp-ms'] };
  }

  apply(u: ViewUpdate): void {
    if (!isObject(u)) throw bad('every update must be an object with an action');
    switch (u.action) {
      case 'assign-uuid':
        if (typeof u.uuid !== 'string' || !u.uuid) throw bad('assign-uuid needs a uuid');
        if (this.m['view-uuid'] && u.uuid !== this.m['view-uuid'])
          throw bad(`cannot reassign the view uuid ${this.m['view-uuid']} to ${u.uuid}`);
        this.m['view-uuid'] = u.uuid;
        return;
      case 'upgrade-format-version':
        if (!isInt(u['format-version']) || u['format-version'] > VIEW_FORMAT_VERSION)
          throw bad(
            `view format version ${String(u['format-version'])} is not ` +
              `supported; the highest is ${VIEW_FORMAT_VERSION}`,
          );
        if (u['format-version'] < this.m['format-version'])
          throw bad(
            `cannot downgrade the view format version from ${this.m['format-version']} to ${u['format-version']}`,
          );
        this.m['format-version'] = u['format-version'];
        return;
      case 'add-schema':
        this.addSchema(checkedSchema(u.schema, 'add-schema schema'));
        return;
      case 'set-location':
        if (typeof u.location !== 'string' || !u.location) throw bad('set-location needs a location');
        this.m.location = u.location.replace(/\/+$/, '');
        return;
      case 'set-properties':
        if (!isStringMap(u.updates)) throw bad('set-properties updates must map strings to strings');
        Object.assign(this.m.properties, u.updates);
        return;
      case 'remove-properties':
        if (!Array.isArray(u.removals) || !u.removals.every((k) => typeof k === 'string'))
          throw bad('remove-properties removals must be an array of strings');
        for (const k of u.removals) delete this.m.properties[k];
        return;
      case 'add-view-version':
        this.addVersion(checkedVersion(u['view-version']));
        return;
      case 'set-current-view-version':
        if (!isInt(u['view-version-id'])) throw bad('set-current-view-version needs a view-version-id');
        this.setCurrentVersion(u['view-version-id']);
        return;
      default:
        throw bad(`view update ${String((u as { action?: unknown }).action)} is not supported`);
    }
  }

  /** The metadata to write: checked whole, history logged, old versions expired. */
  build(previousCurrent: ViewVersion | undefined): ViewMetadata {
    const m = this.m;
    const current = m.versions.find((v) => v['version-id'] === m['current-version-id']);
    if (!current) throw bad('the view has no current version');
    if (!m.location) throw bad('the view has no location');
    const keep = historySize(m.properties);
    if (previousCurrent && m.properties[DROP_DIALECT_PROPERTY] !== 'true') {
      const now = new Set(current.representations.map((r) => r.dialect.toLowerCase()));
      const lost = previousCurrent.representations.map((r) => r.dialect.toLowerCase()).filter((d) => !now.has(d));
      if (lost.length)
        throw bad(
          `replacing the view would drop its ${lost.join(', ')} ` +
            `representation; set ${DROP_DIALECT_PROPERTY}=true to allow it`,
        );
    }
    if (this.historyEntry) m['version-log'].push(this.historyEntry);
    // Keep the newest versions, never fewer than this commit added, and always the current one.
    const bound = Math.max(keep, new Set([...this.added, current['version-id']]).size);
    if (m.versions.length > bound) {
      const newestFirst = [...m.versions].sort((a, b) => b['version-id'] - a['version-id']);
      const kept = new Set([current['version-id']]);
      for (const v of newestFirst) {
        if (kept.size >= bound) break;
        kept.add(v['version-id']);
      }
      m.versions = m.versions.filter((v) => kept.has(v['version-id']));
      // The log keeps only the run of entries after the last one naming an expired version.
      const log: ViewMetadata['version-log'] = [];
      for (const e of m['version-log']) {
        if (kept.has(e['version-id'])) log.push(e);
        else log.length = 0;
      }
      m['version-log'] = log;
    }
    return m;
  }
}

export interface CreateViewRequest {
  name?: unknown;
  location?: unknown;
  schema?: unknown;
  'view-version'?: unknown;
  properties?: unknown;
}

/** The first metadata of a new view: its schema, one version (id 1) made current. */
export function newViewMetadata(req: CreateViewRequest, location: string, now = Date.now()): ViewMetadata {
  const props = req.properties ?? {};
  if (!isStringMap(props)) throw bad('properties must map strings to strings');
  const schema = checkedSchema(req.schema, 'schema');
  const version = checkedVersion(req['view-version']);
  const b = new Builder(
    {
      'view-uuid': randomUUID(),
      'format-version': VIEW_FORMAT_VERSION,
      location,
      'current-version-id': -1,
      versions: [],
      'version-log': [],
      schemas: [],
      properties: { ...props },
    },
    now,
  );
  const schemaId = b.addSchema(schema);
  // The request's version describes the request's schema whatever id it gives; created now.
  b.setCurrentVersion(b.addVersion({ ...version, 'version-id': 1, 'schema-id': schemaId, 'timestamp-ms': now }));
  return b.build(undefined);
}

/** Throws CommitConflict if a requirement does not hold on the current metadata. */
export function checkViewRequirements(base: ViewMetadata, requirements: unknown[]): void {
  for (const r of requirements) {
    if (!isObject(r) || r.type !== 'assert-view-uuid')
      throw bad(`view requirement ${isObject(r) ? String(r.type) : String(r)} is not supported`);
    if (r.uuid !== base['view-uuid'])
      throw new CommitConflict(`the view's uuid is ${base['view-uuid']}, not ${String(r.uuid)}`);
  }
}

/** The metadata after the updates, or InvalidUpdate. */
export function applyViewUpdates(base: ViewMetadata, updates: unknown[], now = Date.now()): ViewMetadata {
  const b = new Builder(base, now);
  for (const u of updates) b.apply(u as ViewUpdate);
  return b.build(base.versions.find((v) => v['version-id'] === base['current-version-id']));
}

export const currentVersion = (m: ViewMetadata): ViewVersion | undefined =>
  m.versions.find((v) => v['version-id'] === m['current-version-id']);
export const currentSchema = (m: ViewMetadata): ViewSchema | undefined => {
  const v = currentVersion(m);
  return v ? m.schemas.find((s) => s['schema-id'] === v['schema-id']) : undefined;
};

/** The SQL Hive and Spark show for the view: the spark dialect's, else the first. */
export function hiveViewText(m: ViewMetadata): string {
  const reps = currentVersion(m)?.representations ?? [];
  return (reps.find((r) => r.dialect.toLowerCase() === 'spark') ?? reps[0])?.sql ?? '';
}
