// Locations on the Iceberg wire follow the engine-location rule of services/engine-locations.ts (the
// metastore's too): engines get file:// (local backend) or s3:// paths they can open, and may send
// those, s3a:// or obs://; the services and the metadata files keep the stored obs:// form, so the
// location guards see one spelling whatever scheme came in.
import type { LocationMap } from '../../../services/engine-locations.js';
import {
  itemText,
  ListTexts,
  metadataPieces,
  type SameAsStored,
  storedChunks,
  stringifyIceberg,
} from '../../../services/iceberg/json.js';
import { PATH_PROPERTIES } from '../../../services/iceberg/paths.js';
import { RawJson } from '../../../services/raw-json.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Properties naming storage paths: a table's or view's write.* ones, a namespace's `location`. */
const TABLE_PATHS: readonly string[] = PATH_PROPERTIES;
const NAMESPACE_PATHS: readonly string[] = ['location'];

function propertiesOut(loc: LocationMap, props: unknown, keys = TABLE_PATHS): unknown {
  if (!isObject(props)) return props;
  const out: Json = { ...props };
  for (const k of keys) if (typeof out[k] === 'string') out[k] = loc.toEngine(out[k] as string);
  return out;
}

function propertiesIn(loc: LocationMap, props: unknown, what: string, keys = TABLE_PATHS): unknown {
  if (!isObject(props)) return props;
  const out: Json = { ...props };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v !== '') out[k] = loc.fromEngine(`${what} ${k}`, v);
  }
  return out;
}

const mapField = (loc: LocationMap, o: unknown, field: string): unknown =>
  isObject(o) && typeof o[field] === 'string' ? { ...o, [field]: loc.toEngine(o[field] as string) } : o;
const mapEach = (loc: LocationMap, list: unknown, field: string): unknown =>
  Array.isArray(list) ? list.map((e) => mapField(loc, e, field)) : list;

/** The path field of each list's items that engines see in their own form. */
const LIST_PATHS: Readonly<Record<string, string>> = {
  'metadata-log': 'metadata-file',
  snapshots: 'manifest-list',
  statistics: 'statistics-path',
  'partition-statistics': 'statistics-path',
};

/**
 * Engine-form texts, by location map, list and item object. Items are shared between metadata versions and never
 * changed (see stringifyMetadata), so a commit's answer writes only the items it added; held as long as the item.
 */
const engineItems = new WeakMap<LocationMap, Map<string, WeakMap<object, string>>>();

/** Whether an item reads in the engine form as it is stored: no path, or one that is not obs:// (an engine's own). */
function sameInEngine(loc: LocationMap, list: string, item: unknown): boolean {
  const field = LIST_PATHS[list];
  if (field === undefined || !isObject(item)) return true;
  const path = item[field];
  return typeof path !== 'string' || loc.toEngineParts(path)[0] === '';
}

function engineItemText(loc: LocationMap, list: string, item: unknown): string {
  const texts = isObject(item)
    ? made(
        made(engineItems, loc, () => new Map<string, WeakMap<object, string>>()),
        list,
        () => new WeakMap(),
      )
    : undefined;
  const known = texts?.get(item as object);
  if (known !== undefined) return known;
  // Items without a path (schemas, specs, logs of snapshots) or with one that reads the same: their stored text.
  if (sameInEngine(loc, list, item)) return itemText(item);
  const text = stringifyIceberg(mapField(loc, item, LIST_PATHS[list] as string));
  texts?.set(item as object, text);
  return text;
}

/** The value a map holds for a key, made and kept on first ask. */
function made<K, V>(map: { get(k: K): V | undefined; set(k: K, v: V): unknown }, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** The engine form's list texts, by location map (see ListTexts), and its items that read as stored. */
const engineLists = new WeakMap<LocationMap, { lists: ListTexts; sameAs: SameAsStored }>();

/**
 * Table or view metadata as engines see it, as the pieces of its JSON text: the object given may be a cached one,
 * never changed. Lists whose items all read as stored (snapshots whose manifest lists an engine wrote, schemas, the
 * snapshot log) are the stored form's kept texts themselves.
 */
function metadataOut(loc: LocationMap, m: Json): string[] {
  const out: Json = { ...m, properties: propertiesOut(loc, m.properties) };
  if (typeof m.location === 'string') out.location = loc.toEngine(m.location);
  const form = made(engineLists, loc, () => ({
    lists: new ListTexts(),
    sameAs: { same: (list, item) => sameInEngine(loc, list, item), stored: storedChunks },
  }));
  return metadataPieces(out, { item: (list, item) => engineItemText(loc, list, item), ...form });
}

/**
 * The engine form of metadata objects, as the pieces of its JSON text. Metadata objects are never changed once made
 * (the metadata cache shares them), so the pieces a commit's answer made serve every load of that version after it.
 * Held only as long as the metadata object is (the metadata cache bounds them); the large pieces are the kept list
 * texts, not copies of them.
 */
const engineTexts = new WeakMap<LocationMap, WeakMap<object, readonly string[]>>();

function metadataText(loc: LocationMap, m: Json): readonly string[] {
  return made(
    made(engineTexts, loc, () => new WeakMap<object, readonly string[]>()),
    m,
    () => metadataOut(loc, m),
  );
}

/**
 * A LoadTableResult, CommitTableResponse or LoadViewResult (credentials included) as engines see it:
 * with metadata, JSON text around the metadata's cached engine text.
 */
export function loadResultOut(loc: LocationMap, body: unknown): unknown {
  if (!isObject(body)) return body;
  const out: Json = { ...body };
  if (typeof body['metadata-location'] === 'string')
    out['metadata-location'] = loc.toEngine(body['metadata-location'] as string);
  if ('storage-credentials' in body) out['storage-credentials'] = mapEach(loc, body['storage-credentials'], 'prefix');
  if (!isObject(body.metadata)) {
    if ('metadata' in body) out.metadata = body.metadata;
    return out;
  }
  delete out.metadata;
  const rest = stringifyIceberg(out);
  // One buffer, encoded from the metadata's pieces: sent as it is (its length is the Content-Length).
  return RawJson.of(['{"metadata":', ...metadataText(loc, body.metadata), rest === '{}' ? '}' : `,${rest.slice(1)}`]);
}

/**
 * Load answers without credentials, by metadata object: a table's answer is the same for every load of one metadata
 * file (the object is the cache's, never changed) and one location map, so it is written once. Only for metadata of
 * up to SMALL_METADATA characters: a large file's own bytes dominate its answer, and a second copy of them beside
 * the metadata's cached text would save nothing that matters.
 */
const loadBodies = new WeakMap<LocationMap, WeakMap<object, { location: string; body: unknown }>>();
const SMALL_METADATA = 64 * 1024;

/** loadResultOut of a LoadTableResult without credentials, made once per metadata object and location. */
export function loadTableOut(
  loc: LocationMap,
  result: { 'metadata-location': string; metadata: object; config: Record<string, string> },
): unknown {
  if (Object.keys(result.config).length > 0) return loadResultOut(loc, result);
  let bodies = loadBodies.get(loc);
  if (!bodies) {
    bodies = new WeakMap();
    loadBodies.set(loc, bodies);
  }
  const known = bodies.get(result.metadata);
  if (known?.location === result['metadata-location']) return known.body;
  const body = loadResultOut(loc, result);
  if (body instanceof RawJson && !body.release && body.body.length <= SMALL_METADATA)
    bodies.set(result.metadata, { location: result['metadata-location'], body });
  return body;
}

/** A namespace answer (create, load) as engines see it. */
export function namespaceOut(loc: LocationMap, body: unknown): unknown {
  return isObject(body) && 'properties' in body
    ? { ...body, properties: propertiesOut(loc, body.properties, NAMESPACE_PATHS) }
    : body;
}

/** A create-table or create-view request with its location and path properties in the stored form. */
export function createIn<B>(loc: LocationMap, body: B): B {
  if (!isObject(body)) return body;
  const out: Json = { ...body };
  if (typeof body.location === 'string' && body.location !== '')
    out.location = loc.fromEngine('location', body.location);
  if ('properties' in body) out.properties = propertiesIn(loc, body.properties, 'property');
  return out as B;
}

/** A namespace create (properties) or properties update (updates) in the stored form. */
export function namespaceIn<B>(loc: LocationMap, body: B, field: 'properties' | 'updates'): B {
  if (!isObject(body) || !(field in body)) return body;
  return { ...body, [field]: propertiesIn(loc, body[field], 'property', NAMESPACE_PATHS) } as B;
}

/** The updates of a table or view commit that move a location or a write path, in the stored form. */
export function commitIn<B>(loc: LocationMap, body: B): B {
  if (!isObject(body) || !Array.isArray(body.updates)) return body;
  const updates = body.updates.map((u: unknown) => {
    if (!isObject(u)) return u;
    if (u.action === 'set-location' && typeof u.location === 'string' && u.location !== '')
      return { ...u, location: loc.fromEngine('set-location', u.location) };
    if (u.action === 'set-properties') return { ...u, updates: propertiesIn(loc, u.updates, 'set-properties') };
    return u;
  });
  return { ...body, updates } as B;
}

/** A multi-table commit: each table's changes as commitIn. */
export function transactionIn<B>(loc: LocationMap, body: B): B {
  if (!isObject(body) || !Array.isArray(body['table-changes'])) return body;
  return { ...body, 'table-changes': body['table-changes'].map((c: unknown) => commitIn(loc, c)) } as B;
}

/** A register request: the metadata file named in the stored form. */
export function registerIn<B>(loc: LocationMap, body: B): B {
  if (!isObject(body) || typeof body['metadata-location'] !== 'string' || body['metadata-location'] === '') return body;
  return { ...body, 'metadata-location': loc.fromEngine('metadata-location', body['metadata-location']) } as B;
}
