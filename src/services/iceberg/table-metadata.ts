// Iceberg table metadata as the REST catalog's commit changes it: the requirements a commit
// asserts against the current metadata, and the updates it applies, as the Iceberg REST spec
// defines them. Pure functions: the commit endpoint runs them inside its compare-and-swap.

import { stringifyIceberg } from './json.js';
import {
  checkProperties,
  checkRef,
  checkSchema,
  checkSortFields,
  checkSpecFields,
  InvalidUpdate,
  SnapshotIds,
} from './metadata-rules.js';
import type {
  IcebergSchema,
  PartitionSpec,
  PartitionStatisticsFile,
  Snapshot,
  SnapshotRef,
  SortOrder,
  StatisticsFile,
  TableMetadata,
} from './metadata-types.js';

export type {
  IcebergSchema,
  PartitionSpec,
  PartitionStatisticsFile,
  Snapshot,
  SnapshotRef,
  SortOrder,
  StatisticsFile,
  TableMetadata,
} from './metadata-types.js';

export type Requirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': number | null }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };

export type Update =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': number }
  | { action: 'add-schema'; schema: IcebergSchema; 'last-column-id'?: number }
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': SortOrder }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | ({ action: 'set-snapshot-ref'; 'ref-name': string } & SnapshotRef)
  | { action: 'remove-snapshots'; 'snapshot-ids': number[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'set-statistics'; statistics: StatisticsFile; 'snapshot-id'?: number }
  | { action: 'remove-statistics'; 'snapshot-id': number }
  | { action: 'set-partition-statistics'; 'partition-statistics': PartitionStatisticsFile }
  | { action: 'remove-partition-statistics'; 'snapshot-id': number };

/** A requirement the current metadata does not meet: the commit lost a race (a failed commit, retryable). */
export class CommitConflict extends Error {
  override name = 'CommitConflict';
}
/** An update that cannot apply to any metadata (invalid). */
export { InvalidUpdate };

const MAIN = 'main';

/** Checks every requirement against the metadata the commit is based on (undefined: no table yet). */
export function checkRequirements(base: TableMetadata | undefined, requirements: Requirement[]): void {
  for (const r of requirements) {
    if (r.type === 'assert-create') {
      if (base) throw new CommitConflict('the table already exists');
      continue;
    }
    if (!base) throw new CommitConflict(`${r.type}: the table does not exist`);
    const fail = (what: string, expected: unknown, found: unknown) => {
      throw new CommitConflict(
        `${r.type}: ${what} is ${stringifyIceberg(found ?? null)}, expected ${stringifyIceberg(expected)}`,
      );
    };
    switch (r.type) {
      case 'assert-table-uuid':
        if (base['table-uuid'] !== r.uuid) fail('the table uuid', r.uuid, base['table-uuid']);
        break;
      case 'assert-ref-snapshot-id': {
        const found = base.refs[r.ref]?.['snapshot-id'] ?? null;
        if (found !== r['snapshot-id']) fail(`ref ${r.ref}`, r['snapshot-id'], found);
        break;
      }
      case 'assert-last-assigned-field-id':
        if (base['last-column-id'] !== r['last-assigned-field-id'])
          fail('the last assigned field id', r['last-assigned-field-id'], base['last-column-id']);
        break;
      case 'assert-current-schema-id':
        if (base['current-schema-id'] !== r['current-schema-id'])
          fail('the current schema id', r['current-schema-id'], base['current-schema-id']);
        break;
      case 'assert-last-assigned-partition-id':
        if (base['last-partition-id'] !== r['last-assigned-partition-id'])
          fail('the last assigned partition id', r['last-assigned-partition-id'], base['last-partition-id']);
        break;
      case 'assert-default-spec-id':
        if (base['default-spec-id'] !== r['default-spec-id'])
          fail('the default spec id', r['default-spec-id'], base['default-spec-id']);
        break;
      case 'assert-default-sort-order-id':
        if (base['default-sort-order-id'] !== r['default-sort-order-id'])
          fail('the default sort order id', r['default-sort-order-id'], base['default-sort-order-id']);
        break;
      default:
        throw new InvalidUpdate(`unknown requirement ${(r as { type: string }).type}`);
    }
  }
}

/** The highest field id in a schema, nested fields included (list elements, map keys and values). */
function maxFieldId(type: unknown): number {
  if (!type || typeof type !== 'object') return 0;
  const t = type as {
    fields?: { id: number; type: unknown }[];
    'element-id'?: number;
    element?: unknown;
    'key-id'?: number;
    'value-id'?: number;
    key?: unknown;
    value?: unknown;
  };
  let max = 0;
  for (const f of t.fields ?? []) max = Math.max(max, f.id, maxFieldId(f.type));
  if (t['element-id'] !== undefined) max = Math.max(max, t['element-id'], maxFieldId(t.element));
  if (t['key-id'] !== undefined) max = Math.max(max, t['key-id'], maxFieldId(t.key));
  if (t['value-id'] !== undefined) max = Math.max(max, t['value-id'], maxFieldId(t.value));
  return max;
}

/** The fields of the current schema, as the sources a new spec or sort order may take. */
function currentFields(m: TableMetadata) {
  // A staged create may add its spec before it sets the current schema: then the schema added last.
  const s = m.schemas.find((x) => x['schema-id'] === m['current-schema-id']) ?? m.schemas.at(-1);
  if (!s) throw new InvalidUpdate('there is no current schema to take sources from');
  return checkSchema(s, m['format-version'], `schema ${s['schema-id']}`);
}

/**
 * Applies the updates in order to a copy of the metadata. `-1` in set-current-schema,
 * set-default-spec and set-default-sort-order means "the one added last in this commit".
 */
export function applyUpdates(base: TableMetadata, updates: Update[], nowMs: number): TableMetadata {
  // A copy of the containers the updates change; their items are never changed in place, so they
  // are shared with `base` (a deep clone of a table with thousands of snapshots dominated a commit).
  const m: TableMetadata = {
    ...base,
    schemas: [...base.schemas],
    'partition-specs': [...base['partition-specs']],
    'sort-orders': [...base['sort-orders']],
    snapshots: [...(base.snapshots ?? [])],
    'snapshot-log': [...(base['snapshot-log'] ?? [])],
    'metadata-log': [...(base['metadata-log'] ?? [])],
    refs: { ...base.refs },
    properties: { ...base.properties },
  };
  // The snapshot ids of m.snapshots, made when first needed: from the base's list while it is unchanged.
  let snapshotIds: SnapshotIds | undefined;
  let removed = false;
  const idsNow = () => {
    snapshotIds ??= SnapshotIds.of(removed ? m.snapshots : (base.snapshots ?? []));
    return snapshotIds;
  };
  let lastSchema: number | undefined;
  let lastSpec: number | undefined;
  let lastOrder: number | undefined;
  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        if (m['table-uuid'] && m['table-uuid'] !== u.uuid)
          throw new InvalidUpdate('a table uuid cannot change once assigned');
        m['table-uuid'] = u.uuid;
        break;
      case 'upgrade-format-version':
        if (u['format-version'] < m['format-version'])
          throw new InvalidUpdate(
            `format version ${m['format-version']} cannot be downgraded to ${u['format-version']}`,
          );
        if (u['format-version'] > 3) throw new InvalidUpdate(`format version ${u['format-version']} is not supported`);
        if (u['format-version'] >= 3 && m['format-version'] < 3) m['next-row-id'] = 0;
        m['format-version'] = u['format-version'];
        break;
      case 'add-schema': {
        checkSchema(u.schema, m['format-version'], 'add-schema');
        if (u['last-column-id'] !== undefined && u['last-column-id'] < m['last-column-id'])
          throw new InvalidUpdate(
            `add-schema: last-column-id cannot go back from ${m['last-column-id']} to ${u['last-column-id']}`,
          );
        // A schema equal to an existing one is reused, as the reference implementation does.
        const same = m.schemas.find(
          (s) =>
            stringifyIceberg(s.fields) === stringifyIceberg(u.schema.fields) &&
            stringifyIceberg(s['identifier-field-ids'] ?? []) ===
              stringifyIceberg(u.schema['identifier-field-ids'] ?? []),
        );
        if (same) {
          lastSchema = same['schema-id'];
          break;
        }
        const id = Math.max(-1, ...m.schemas.map((s) => s['schema-id'])) + 1;
        m.schemas.push({ ...u.schema, 'schema-id': id });
        m['last-column-id'] = Math.max(m['last-column-id'], u['last-column-id'] ?? 0, maxFieldId(u.schema));
        lastSchema = id;
        break;
      }
      case 'set-current-schema': {
        const id = u['schema-id'] === -1 ? lastSchema : u['schema-id'];
        if (id === undefined) throw new InvalidUpdate('set-current-schema -1 needs a schema added in the same commit');
        if (!m.schemas.some((s) => s['schema-id'] === id)) throw new InvalidUpdate(`there is no schema ${id}`);
        m['current-schema-id'] = id;
        break;
      }
      case 'add-spec': {
        // A new spec takes its sources from the current schema; field ids it leaves out are assigned below.
        checkSpecFields(u.spec?.fields, currentFields(m), 1, 'add-spec');
        const same = m['partition-specs'].find((s) => stringifyIceberg(s.fields) === stringifyIceberg(u.spec.fields));
        if (same) {
          lastSpec = same['spec-id'];
          break;
        }
        const id = Math.max(-1, ...m['partition-specs'].map((s) => s['spec-id'])) + 1;
        let next = m['last-partition-id'];
        const fields = u.spec.fields.map((f) => ({ ...f, 'field-id': f['field-id'] ?? ++next }));
        m['partition-specs'].push({ 'spec-id': id, fields });
        m['last-partition-id'] = Math.max(m['last-partition-id'], ...fields.map((f) => f['field-id'] as number));
        lastSpec = id;
        break;
      }
      case 'set-default-spec': {
        const id = u['spec-id'] === -1 ? lastSpec : u['spec-id'];
        if (id === undefined || !m['partition-specs'].some((s) => s['spec-id'] === id))
          throw new InvalidUpdate(`there is no partition spec ${u['spec-id']}`);
        m['default-spec-id'] = id;
        break;
      }
      case 'add-sort-order': {
        checkSortFields(u['sort-order']?.fields, currentFields(m), 'add-sort-order');
        const same = m['sort-orders'].find(
          (o) => stringifyIceberg(o.fields) === stringifyIceberg(u['sort-order'].fields),
        );
        if (same) {
          lastOrder = same['order-id'];
          break;
        }
        // Order 0 is reserved for "unsorted".
        const id =
          u['sort-order'].fields.length === 0 ? 0 : Math.max(0, ...m['sort-orders'].map((o) => o['order-id'])) + 1;
        m['sort-orders'].push({ ...u['sort-order'], 'order-id': id });
        lastOrder = id;
        break;
      }
      case 'set-default-sort-order': {
        const id = u['sort-order-id'] === -1 ? lastOrder : u['sort-order-id'];
        if (id === undefined || !m['sort-orders'].some((o) => o['order-id'] === id))
          throw new InvalidUpdate(`there is no sort order ${u['sort-order-id']}`);
        m['default-sort-order-id'] = id;
        break;
      }
      case 'add-snapshot': {
        const s = u.snapshot;
        if (!m.schemas.length || !m['partition-specs'].length || !m['sort-orders'].length)
          throw new InvalidUpdate('a snapshot needs a schema, a partition spec and a sort order first');
        if (idsNow().has(s['snapshot-id'])) throw new InvalidUpdate(`snapshot ${s['snapshot-id']} already exists`);
        const last = m['last-sequence-number'] ?? 0;
        // The table spec requires both of a v2 snapshot; a v1 snapshot may list its manifests inline instead.
        if (
          m['format-version'] > 1 &&
          (typeof s['sequence-number'] !== 'number' || typeof s['manifest-list'] !== 'string')
        ) {
          throw new InvalidUpdate(
            `snapshot ${s['snapshot-id']} needs a sequence-number and a ` +
              `manifest-list in a format version ${m['format-version']} table`,
          );
        }
        if (s['schema-id'] !== undefined && !m.schemas.some((x) => x['schema-id'] === s['schema-id']))
          throw new InvalidUpdate(
            `snapshot ${s['snapshot-id']} names schema ${s['schema-id']}, which the table does not have`,
          );
        // Behind the table: another commit got there first, so the client retries on fresh metadata (a failed commit,
        // not an invalid one).
        if (m['format-version'] > 1 && s['parent-snapshot-id'] != null && (s['sequence-number'] ?? 0) <= last) {
          throw new CommitConflict(
            `snapshot ${s['snapshot-id']} has sequence number ` +
              `${s['sequence-number'] ?? 0}, not above the table's ${last}`,
          );
        }
        if (m['format-version'] >= 3) {
          // Row lineage: each snapshot's rows get ids from the table's next-row-id on.
          if (typeof s['first-row-id'] !== 'number')
            throw new InvalidUpdate(`snapshot ${s['snapshot-id']} needs a first-row-id in format version 3`);
          const nextRowId = m['next-row-id'] ?? 0;
          if (s['first-row-id'] < nextRowId)
            throw new CommitConflict(
              `snapshot ${s['snapshot-id']} has first-row-id ` +
                `${s['first-row-id']}, behind the table's next-row-id ` +
                `${nextRowId}`,
            );
          m['next-row-id'] = nextRowId + (s['added-rows'] ?? 0);
        }
        m.snapshots.push(s);
        idsNow().add(s['snapshot-id']);
        m['last-sequence-number'] = Math.max(last, s['sequence-number'] ?? 0);
        break;
      }
      case 'set-snapshot-ref': {
        const { action: _a, 'ref-name': name, ...ref } = u;
        checkRef(name, ref);
        if (!idsNow().has(ref['snapshot-id']))
          throw new InvalidUpdate(
            `ref ${name} points at snapshot ${ref['snapshot-id']}, which the table does not have`,
          );
        if (name === MAIN && ref.type !== 'branch') throw new InvalidUpdate('main must be a branch');
        m.refs[name] = ref;
        if (name === MAIN && m['current-snapshot-id'] !== ref['snapshot-id']) {
          m['current-snapshot-id'] = ref['snapshot-id'];
          m['snapshot-log'].push({ 'snapshot-id': ref['snapshot-id'], 'timestamp-ms': nowMs });
        }
        break;
      }
      case 'remove-snapshots': {
        const gone = new Set(u['snapshot-ids']);
        snapshotIds = undefined;
        removed = true;
        m.snapshots = m.snapshots.filter((s) => !gone.has(s['snapshot-id']));
        for (const [name, ref] of Object.entries(m.refs)) if (gone.has(ref['snapshot-id'])) delete m.refs[name];
        if (m['current-snapshot-id'] != null && gone.has(m['current-snapshot-id']))
          m['current-snapshot-id'] = NO_SNAPSHOT;
        m.statistics = (m.statistics ?? []).filter((s) => !gone.has(s['snapshot-id']));
        m['partition-statistics'] = (m['partition-statistics'] ?? []).filter((s) => !gone.has(s['snapshot-id']));
        break;
      }
      case 'remove-snapshot-ref':
        delete m.refs[u['ref-name']];
        if (u['ref-name'] === MAIN) m['current-snapshot-id'] = NO_SNAPSHOT;
        break;
      case 'set-location':
        if (!u.location) throw new InvalidUpdate('set-location needs a location');
        m.location = u.location.replace(/\/+$/, '');
        break;
      case 'set-properties':
        checkProperties(u.updates, 'set-properties updates');
        Object.assign(m.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete m.properties[k];
        break;
      case 'set-statistics': {
        const id = u.statistics['snapshot-id'];
        m.statistics = [...(m.statistics ?? []).filter((s) => s['snapshot-id'] !== id), u.statistics];
        break;
      }
      case 'remove-statistics':
        m.statistics = (m.statistics ?? []).filter((s) => s['snapshot-id'] !== u['snapshot-id']);
        break;
      case 'set-partition-statistics': {
        const id = u['partition-statistics']['snapshot-id'];
        m['partition-statistics'] = [
          ...(m['partition-statistics'] ?? []).filter((s) => s['snapshot-id'] !== id),
          u['partition-statistics'],
        ];
        break;
      }
      case 'remove-partition-statistics':
        m['partition-statistics'] = (m['partition-statistics'] ?? []).filter(
          (s) => s['snapshot-id'] !== u['snapshot-id'],
        );
        break;
      default:
        throw new InvalidUpdate(`unknown update action ${(u as { action: string }).action}`);
    }
  }
  return finish(m, base, nowMs);
}

/** Marks "no current snapshot" until the end of an update; finish() spells it for the format version. */
const NO_SNAPSHOT = -1;

/**
 * What the table spec asks of the metadata as a whole after the updates: "no current snapshot"
 * is -1 before format version 3 and null from it (as the reference writer spells them); a v1
 * table also carries its current schema and default spec in the v1 fields `schema` and
 * `partition-spec`, which v2 dropped; v2 requires `last-sequence-number`.
 */
function finish(m: TableMetadata, base: TableMetadata, nowMs: number): TableMetadata {
  if (
    m['current-snapshot-id'] === null ||
    m['current-snapshot-id'] === undefined ||
    m['current-snapshot-id'] === NO_SNAPSHOT
  ) {
    m['current-snapshot-id'] = m['format-version'] >= 3 ? null : NO_SNAPSHOT;
  }
  if (m['format-version'] === 1) {
    m.schema = structuredClone(m.schemas.find((s) => s['schema-id'] === m['current-schema-id']));
    m['partition-spec'] = m['partition-specs'].find((s) => s['spec-id'] === m['default-spec-id'])?.fields ?? [];
  } else {
    delete m.schema;
    delete m['partition-spec'];
    m['last-sequence-number'] ??= 0;
  }
  m['last-updated-ms'] = Math.max(nowMs, base['last-updated-ms']);
  return m;
}

/**
 * The metadata a staged create's commit starts from: nothing yet. The client's updates assign
 * the uuid, upgrade the format, and add the schema, spec and sort order (format 1 is the floor
 * an upgrade starts from, since a format never goes down).
 */
export function emptyMetadata(location: string, nowMs: number): TableMetadata {
  return {
    'format-version': 1,
    'table-uuid': '',
    location,
    'last-sequence-number': 0,
    'last-updated-ms': nowMs,
    'last-column-id': 0,
    'current-schema-id': -1,
    schemas: [],
    'default-spec-id': -1,
    'partition-specs': [],
    'last-partition-id': 999,
    'default-sort-order-id': -1,
    'sort-orders': [],
    properties: {},
    'current-snapshot-id': -1,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    refs: {},
  };
}

/** What a staged create's updates must have produced before the table can exist. */
export function checkCreated(m: TableMetadata): void {
  if (!m.schemas.some((s) => s['schema-id'] === m['current-schema-id']))
    throw new InvalidUpdate('a new table needs a schema and a current schema');
  if (!m['partition-specs'].some((s) => s['spec-id'] === m['default-spec-id']))
    throw new InvalidUpdate('a new table needs a default partition spec');
  if (!m['sort-orders'].some((o) => o['order-id'] === m['default-sort-order-id']))
    throw new InvalidUpdate('a new table needs a default sort order');
}

/** The metadata with only the snapshots a ref points at (loadTable's `snapshots=refs`). */
export function withRefSnapshotsOnly(m: TableMetadata): TableMetadata {
  const kept = new Set(Object.values(m.refs ?? {}).map((r) => r['snapshot-id']));
  if (m['current-snapshot-id'] != null) kept.add(m['current-snapshot-id']);
  return { ...m, snapshots: m.snapshots.filter((s) => kept.has(s['snapshot-id'])) };
}
