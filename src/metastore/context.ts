import type { AppServices } from '../services/app-services.js';
import type { LocationMap } from '../services/engine-locations.js';
import { invalid } from '../services/errors.js';
import type { Principal } from '../services/iam/principal.js';
import type { EventLog } from '../services/lakecat/event-log.js';
import type { TablePath } from '../services/lakecat/partition-service.js';
import type { RawJson } from '../services/raw-json.js';
import { tableOut } from './convert.js';
import { dbRef } from './names.js';
import type { BinaryWriter } from './writer.js';

/** What a method runs with: the services, the caller, the instance served and the location rule. */
export interface Ctx {
  s: AppServices;
  caller: Principal;
  projectId: string;
  instance: string;
  loc: LocationMap;
  eventLog: EventLog;
  /** Most partitions one answer may carry (a larger match is refused, as Hive's limit.partition.request). */
  maxPartitions: number;
  session: { setUser(user: string, groups: string[]): Promise<string[]>; end(): void };
}

export type Args = Record<string, any>;

/**
 * One served Thrift method: the domain action it performs (a name of the action catalog, checked at
 * start-up) and the one place it calls the services.
 * `open` methods run before a user is known (identity and connection housekeeping).
 */
export interface MethodEntry {
  action: string;
  open?: boolean;
  /** `run` answers an Encoded: the server writes its bytes instead of a generated result struct. */
  encoded?: boolean;
  run(c: Ctx, a: Args): Promise<unknown> | unknown;
}

/** An answer a method encoded itself (a large list): it writes its result struct's success field. */
export interface Encoded {
  writeSuccess(w: BinaryWriter): void;
}

export const PAGE = 1000;

export const path = (c: Ctx, db: string, table: string, catName?: string | null): TablePath => {
  const r = dbRef(db, catName);
  if (!table) throw invalid('a table name is required');
  return {
    projectId: c.projectId,
    instanceRef: c.instance,
    catalogName: r.catalog,
    databaseName: r.database,
    tableName: table,
  };
};
export const lower = (xs: string[] | null | undefined) => (xs ?? []).map((x) => x.toLowerCase());
export const int16 = (v: unknown) => (typeof v === 'number' && v >= 0 ? v : Number.POSITIVE_INFINITY);

/** The table as the caller may see it (authorized on every call): the service's view, shared while unchanged. */
export function tableView(c: Ctx, db: string, name: string, catName?: string | null): Promise<RawJson> {
  const p = path(c, db, name, catName);
  return c.s.tables.show(c.caller, p.projectId, p.instanceRef, p.catalogName, p.databaseName, p.tableName);
}
export const tableInfo = async (c: Ctx, db: string, name: string, catName?: string | null) =>
  JSON.parse((await tableView(c, db, name, catName)).text) as Record<string, unknown>;
export const getTable = async (c: Ctx, db: string, name: string, catName?: string | null) =>
  tableOut(await tableInfo(c, db, name, catName), c.loc);

export async function tablesByName(
  c: Ctx,
  db: string,
  names: string[] | null | undefined,
  catName?: string | null,
): Promise<Record<string, unknown>[]> {
  const r = dbRef(db, catName);
  const out: Record<string, unknown>[] = [];
  const unique = [...new Set(lower(names))];
  for (let i = 0; i < unique.length; i += PAGE) {
    const views = await c.s.tables.byNames(
      c.caller,
      c.projectId,
      c.instance,
      r.catalog,
      r.database,
      unique.slice(i, i + PAGE),
    );
    out.push(...views);
  }
  return out;
}
