// The independent judges of Iceberg table metadata the tests use: the REST spec's TableMetadata
// (restated as JSON Schema under test/fixtures) and the table spec's rules that schema cannot say.
// Shares no code with the server.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { ROOT } from './server.js';

type Json = Record<string, any>;

export const ajv = new Ajv({ allErrors: true, strict: false });
export const validSchema = ajv.compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/iceberg-table-metadata.schema.json'), 'utf8')),
);

/** Every field id of a type, nested ones too. */
function fieldIds(t: unknown, into: number[] = []): number[] {
  if (!t || typeof t !== 'object') return into;
  const x = t as Json;
  if (x.type === 'struct')
    for (const f of x.fields) {
      into.push(f.id);
      fieldIds(f.type, into);
    }
  if (x.type === 'list') {
    into.push(x['element-id']);
    fieldIds(x.element, into);
  }
  if (x.type === 'map') {
    into.push(x['key-id'], x['value-id']);
    fieldIds(x.key, into);
    fieldIds(x.value, into);
  }
  return into;
}

/** The table spec's rules that the OpenAPI schema does not express; returns every violation. */
export function specViolations(m: Json): string[] {
  const out: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) out.push(what);
  };
  const v = m['format-version'];
  const required =
    v === 1
      ? ['location', 'last-updated-ms', 'last-column-id', 'schema', 'partition-spec']
      : [
          'location',
          'last-sequence-number',
          'last-updated-ms',
          'last-column-id',
          'schemas',
          'current-schema-id',
          'partition-specs',
          'default-spec-id',
          'last-partition-id',
          'sort-orders',
          'default-sort-order-id',
        ];
  for (const k of required) check(m[k] !== undefined && m[k] !== null, `format version ${v} requires ${k}`);
  const schemas: Json[] = m.schemas ?? [];
  const specs: Json[] = m['partition-specs'] ?? [];
  const orders: Json[] = m['sort-orders'] ?? [];
  const snapshots: Json[] = m.snapshots ?? [];
  const unique = (xs: unknown[], what: string) => check(new Set(xs).size === xs.length, `${what} are unique`);
  unique(
    schemas.map((s) => s['schema-id']),
    'schema ids',
  );
  unique(
    specs.map((s) => s['spec-id']),
    'partition spec ids',
  );
  unique(
    orders.map((o) => o['order-id']),
    'sort order ids',
  );
  unique(
    snapshots.map((s) => s['snapshot-id']),
    'snapshot ids',
  );
  check(
    schemas.some((s) => s['schema-id'] === m['current-schema-id']),
    `current-schema-id ${m['current-schema-id']} is in schemas`,
  );
  check(
    specs.some((s) => s['spec-id'] === m['default-spec-id']),
    `default-spec-id ${m['default-spec-id']} is in partition-specs`,
  );
  check(
    orders.some((o) => o['order-id'] === m['default-sort-order-id']),
    `default-sort-order-id ${m['default-sort-order-id']} is in sort-orders`,
  );
  const allFieldIds = new Set<number>();
  for (const s of schemas) {
    const ids = fieldIds(s);
    unique(ids, `field ids of schema ${s['schema-id']}`);
    for (const id of ids) {
      allFieldIds.add(id);
      check(
        id <= m['last-column-id'],
        `last-column-id ${m['last-column-id']} ≥ field id ${id} of schema ${s['schema-id']}`,
      );
    }
    for (const id of s['identifier-field-ids'] ?? [])
      check(ids.includes(id), `identifier field ${id} is a field of schema ${s['schema-id']}`);
  }
  for (const spec of specs) {
    unique(
      spec.fields.map((f: Json) => f.name),
      `partition field names of spec ${spec['spec-id']}`,
    );
    for (const f of spec.fields) {
      if (v > 1)
        check(typeof f['field-id'] === 'number', `format version ${v} partition field ${f.name} has a field-id`);
      if (typeof f['field-id'] === 'number')
        check(
          f['field-id'] <= m['last-partition-id'],
          `last-partition-id ${m['last-partition-id']} ≥ partition field id ${f['field-id']}`,
        );
      check(allFieldIds.has(f['source-id']), `partition field ${f.name} has a source field`);
    }
  }
  for (const o of orders) {
    if (o['order-id'] === 0) check(o.fields.length === 0, 'sort order 0 is the unsorted order');
    for (const f of o.fields)
      check(allFieldIds.has(f['source-id']), `sort field of order ${o['order-id']} has a source field`);
  }
  const ids = new Set(snapshots.map((s) => s['snapshot-id']));
  for (const s of snapshots) {
    if (v > 1) {
      check(
        typeof s['sequence-number'] === 'number',
        `format version ${v} snapshot ${s['snapshot-id']} has a sequence-number`,
      );
      check(
        s['sequence-number'] <= m['last-sequence-number'],
        `snapshot ${s['snapshot-id']}'s sequence-number ≤ last-sequence-number`,
      );
      check(
        typeof s['manifest-list'] === 'string',
        `format version ${v} snapshot ${s['snapshot-id']} has a manifest-list`,
      );
    }
    if (s['schema-id'] !== undefined)
      check(
        schemas.some((x) => x['schema-id'] === s['schema-id']),
        `snapshot ${s['snapshot-id']}'s schema ${s['schema-id']} exists`,
      );
  }
  for (const [name, ref] of Object.entries<Json>(m.refs ?? {}))
    check(ids.has(ref['snapshot-id']), `ref ${name} points at an existing snapshot`);
  const current = m['current-snapshot-id'];
  if (current === undefined || current === null || current === -1) {
    // The reference writer spells "none" -1 before format version 3 and null from it.
    check(
      v >= 3 ? current === null || current === undefined : current === -1 || current === undefined,
      `no current snapshot is spelled ${v >= 3 ? 'null' : '-1'} in format version ${v}, not ${current}`,
    );
    check(m.refs?.main === undefined, 'without a current snapshot there is no main branch');
  } else {
    check(ids.has(current), `current-snapshot-id ${current} is a snapshot of the table`);
    check(
      m.refs?.main?.['snapshot-id'] === current && m.refs?.main?.type === 'branch',
      'refs.main is the branch at the current snapshot',
    );
  }
  const times = (log: Json[] | undefined) => (log ?? []).map((e) => e['timestamp-ms'] as number);
  const sorted = (xs: number[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as number) <= x);
  check(sorted(times(m['metadata-log'])), 'metadata-log is in time order');
  check(
    times(m['metadata-log']).every((t) => t <= m['last-updated-ms']),
    'metadata-log entries are not newer than the metadata',
  );
  unique(
    (m['metadata-log'] ?? []).map((e: Json) => e['metadata-file']),
    'metadata-log files',
  );
  check(sorted(times(m['snapshot-log'])), 'snapshot-log is in time order');
  if (v === 1 && m.schema && m.schemas)
    check(
      JSON.stringify(m.schema.fields) ===
        JSON.stringify(schemas.find((s) => s['schema-id'] === m['current-schema-id'])?.fields),
      'v1 schema is the current schema',
    );
  return out;
}
