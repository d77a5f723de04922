// Names of the Iceberg REST catalog and how they map to LakeCat: the prefix of a warehouse, the
// levels of a namespace (a LakeCat database named by its levels joined with '.'), table and view
// names, identifiers of request bodies and page sizes. Pure functions.
import type { Principal } from '../iam/principal.js';
import { DATABASE_NAME } from '../lakecat/database-service.js';
import { normalizeName } from '../lakecat/names.js';
import { ICEBERG_TABLE_NAME } from '../lakecat/table-service.js';
import { badRequest } from './errors.js';

/** Separates the instance id from the catalog name in the prefix the config endpoint hands out. */
export const PREFIX_SEPARATOR = '~';
/** Joins the levels of a multi-level namespace in a path (the spec's unit separator). */
export const LEVEL_SEPARATOR = '\u001f';
export const MAX_PAGE = 1000;

export type Caller = Principal & { projectId: string };
export interface Warehouse {
  instanceId: string;
  catalog: string;
  /**
   * Set on a warehouse known only by its prefix yet (see the commit route): checks it visible and counts the call,
   * once. `found`: the table was found by a caller who manages it (Authorizer.managedTable), which shows the warehouse
   * is there and visible; only the call is then counted.
   */
  settle?: (found: boolean) => Promise<void>;
}
export interface Identifier {
  namespace: string[];
  name: string;
}
export interface Page {
  pageSize?: string;
  pageToken?: string;
}

/** `<instance_id>~<catalog>`, as built by the config endpoint. */
export function parsePrefix(prefix: string): Warehouse {
  const at = prefix.indexOf(PREFIX_SEPARATOR);
  if (at <= 0 || at === prefix.length - 1)
    throw badRequest(
      `prefix ${prefix} is not <instance_id>${PREFIX_SEPARATOR}<catalog>; get it from GET /iceberg/v1/config`,
    );
  return { instanceId: prefix.slice(0, at), catalog: prefix.slice(at + 1) };
}

/**
 * The LakeCat database of a namespace: its levels joined by `.` (["sales", "eu"] is database
 * `sales.eu`), so a level may not itself contain a dot. Levels are LakeCat database names.
 */
export function databaseNameOf(levels: string[]): string {
  if (!levels.length) throw badRequest('a namespace needs at least one level');
  for (const l of levels) {
    if (!DATABASE_NAME.test(l)) {
      throw badRequest(
        `namespace level '${l}' is invalid: a level is letters, digits, ` +
          `'_' or '-' (nested namespaces are stored as LakeCat databases ` +
          `named by their levels joined with '.')`,
      );
    }
  }
  const name = levels.join('.');
  if ([...name].length > 128) throw badRequest("a namespace is at most 128 characters, its levels joined with '.'");
  return name;
}

export const levelsOf = (database: string): string[] => database.split('.');
export const pathLevels = (encoded: string): string[] => encoded.split(LEVEL_SEPARATOR);

export const pageSizeOf = (q: Page): number => {
  const n = q.pageSize === undefined ? MAX_PAGE : Number(q.pageSize);
  if (!Number.isInteger(n) || n < 1) throw badRequest('pageSize must be a positive integer');
  return Math.min(n, MAX_PAGE);
};

export const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** A table or view name as Iceberg clients may give it (see ICEBERG_TABLE_NAME). */
export const icebergName = (kind: 'table' | 'view', name: string): string => {
  try {
    return normalizeName(kind, name, ICEBERG_TABLE_NAME, 256);
  } catch {
    throw badRequest(
      `${kind} name '${name}' is invalid: letters, digits, '_', '-' ` +
        `and '.', not starting with '.', at most 256 characters`,
    );
  }
};
export const tableName = (name: string): string => icebergName('table', name);

/** A `{namespace, name}` table identifier of a request body. */
export function identifier(x: unknown, what: string): Identifier {
  const o = x as { namespace?: unknown; name?: unknown } | undefined;
  if (
    !o ||
    !Array.isArray(o.namespace) ||
    !o.namespace.every((l) => typeof l === 'string') ||
    typeof o.name !== 'string'
  ) {
    throw badRequest(`${what} must be {namespace: [string], name: string}`);
  }
  return { namespace: o.namespace as string[], name: o.name };
}

/** What a table or view lookup reads of a LakeCat table's ShowTable text. */
export interface ShownTable {
  table_name: string;
  table_type: string;
  table_format: string;
  version_id: string;
  parameters?: Record<string, string>;
  storage_descriptor?: { location?: string };
}
