import { invalid } from '../services/errors.js';
import { DEFAULT_CATALOG } from '../services/lakecat/catalog-service.js';

/**
 * Hive 3/4 clients put the catalog into legacy database arguments as `@<catalog>#<database>`
 * (`!` for an empty database, as in a pattern over every database). Everything else names a
 * database of the default catalog, `hive`.
 */
export interface DbRef {
  catalog: string;
  database: string;
}

export function parseDbName(raw: string | null | undefined, catalogField?: string | null): DbRef {
  const s = raw ?? '';
  if (s.startsWith('@')) {
    const hash = s.indexOf('#');
    if (hash < 0) return { catalog: s.slice(1) || DEFAULT_CATALOG, database: '' };
    const db = s.slice(hash + 1);
    return { catalog: s.slice(1, hash) || DEFAULT_CATALOG, database: db === '!' ? '' : db };
  }
  return { catalog: catalogField || DEFAULT_CATALOG, database: s };
}

/** A database argument that must name one database. */
export function dbRef(raw: string | null | undefined, catalogField?: string | null): DbRef {
  const r = parseDbName(raw, catalogField);
  if (!r.database) throw invalid('a database name is required');
  return r;
}

/**
 * A Hive name pattern as the services take it (`*` any run, `|` alternatives, case-insensitive).
 * Clients also send regular expressions (Trino sends `.*`): the common regex spellings of
 * "anything" become `*`; undefined means every name.
 */
export function namePattern(p: string | null | undefined): string | undefined {
  if (p === null || p === undefined || p === '' || p === '*' || p === '.*') return undefined;
  return p.replace(/\.\*/g, '*');
}

/** Hive's partition name `k1=v1/k2=v2` (values %XX-escaped) as its values, in key order. */
export function partitionValuesOf(name: string): string[] {
  if (!name) throw invalid('a partition name is required');
  return name.split('/').map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`partition name '${name}' is not of the form key=value/…`);
    try {
      return decodeURIComponent(part.slice(eq + 1).replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
    } catch {
      throw invalid(`partition name '${name}' holds an invalid escape`);
    }
  });
}

export function partitionSpecOf(name: string): Record<string, string> {
  const values = partitionValuesOf(name);
  const keys = name.split('/').map((part) => part.slice(0, part.indexOf('=')));
  return Object.fromEntries(keys.map((k, i) => [k, values[i] as string]));
}
