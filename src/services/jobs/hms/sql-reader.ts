import { HmsSourceError } from './errors.js';
import type { HmsDialect } from './jdbc-url.js';
import type {
  HmsColumn,
  HmsCounts,
  HmsDatabase,
  HmsFunction,
  HmsPartition,
  HmsPrincipalType,
  HmsResourceType,
  HmsSource,
  HmsStorage,
  HmsTable,
} from './types.js';

export type Row = Record<string, unknown>;

/** One connection to the metastore's database, as the reader needs it from each driver. */
export interface SqlPort {
  readonly dialect: HmsDialect;
  /**
   * Runs one statement. `sql` quotes identifiers as "NAME" and marks parameters with `?`; it
   * never holds a string literal, so each driver may rewrite both mechanically.
   */
  query(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** The upper-cased column names of those of `tables` that exist in the connection's schema. */
  describe(tables: readonly string[]): Promise<Map<string, Set<string>>>;
  close(): Promise<void>;
}

/** The tables read; CTLGS and VERSION are optional (HMS 2.x has no catalogs). */
const REQUIRED = [
  'DBS',
  'DATABASE_PARAMS',
  'TBLS',
  'TABLE_PARAMS',
  'SDS',
  'COLUMNS_V2',
  'SERDES',
  'SERDE_PARAMS',
  'SD_PARAMS',
  'BUCKETING_COLS',
  'SORT_COLS',
  'PARTITIONS',
  'PARTITION_KEYS',
  'PARTITION_KEY_VALS',
  'PARTITION_PARAMS',
  'FUNCS',
  'FUNC_RU',
] as const;

const DATABASE_PAGE = 500;
const TABLE_PAGE = 200; // a table row may carry long view texts
const FUNCTION_PAGE = 500;
const DEFAULT_PARTITION_BATCH = 1000;
const MAX_BATCH = 10_000;
const BEFORE_FIRST_ID = -1; // metastore ids start at 1

const RESOURCE_TYPES: Record<number, HmsResourceType> = { 1: 'JAR', 2: 'FILE', 3: 'ARCHIVE' }; // Hive's ResourceType
const PRINCIPAL_TYPES = new Set<string>(['USER', 'ROLE', 'GROUP']);

// Column values as each driver returns them: pg gives BIGINT as text, mysql2 gives BIT(1) as a Buffer.
const text = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
const int = (v: unknown, fallback = 0): number => (v === null || v === undefined ? fallback : Number(v));
const flag = (v: unknown): boolean =>
  Buffer.isBuffer(v) ? v.some((b) => b !== 0) : v === true || v === 1 || v === '1' || v === 't' || v === 'true';
function id(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new HmsSourceError(
      'read_failed',
      `the metastore holds an id this reader cannot represent exactly: ${String(v)}`,
    );
  return n;
}
/** `{ [key]: value }` when value is present, else nothing: absent fields stay absent, never `undefined`. */
const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

function group<V>(rows: Row[], value: (r: Row) => V): Map<number, V[]> {
  const out = new Map<number, V[]>();
  for (const r of rows) {
    const k = id(r.id);
    let list = out.get(k);
    if (!list) {
      list = [];
      out.set(k, list);
    }
    list.push(value(r));
  }
  return out;
}
function paramsBy(rows: Row[]): Map<number, Record<string, string>> {
  const out = new Map<number, Record<string, string>>();
  for (const r of rows) {
    const k = id(r.id);
    let p = out.get(k);
    if (!p) {
      p = {};
      out.set(k, p);
    }
    p[text(r.k) ?? ''] = text(r.v) ?? '';
  }
  return out;
}
const columnOf = (r: Row): HmsColumn => ({
  name: text(r.name) ?? '',
  type: text(r.type) ?? '',
  ...opt('comment', text(r.col_comment)),
});

/** The storage descriptor and serde columns every table and partition row carries (aliases s and se). */
const SD_COLUMNS = `s."SD_ID" AS sd_id, s."CD_ID" AS cd_id, s."LOCATION" AS location, s."INPUT_FORMAT" AS input_format,
  s."OUTPUT_FORMAT" AS output_format, s."NUM_BUCKETS" AS num_buckets, s."IS_COMPRESSED" AS compressed,
  s."IS_STOREDASSUBDIRECTORIES" AS subdirs, se."SERDE_ID" AS serde_id, se."NAME" AS serde_name, se."SLIB" AS serde_lib`;
const SD_JOIN =
  `LEFT JOIN "SDS" s ON s."SD_ID" = {owner}."SD_ID" LEFT JOIN ` + `"SERDES" se ON se."SERDE_ID" = s."SERDE_ID"`;

interface StorageDetails {
  columns: Map<number, HmsColumn[]>;
  sdParams: Map<number, Record<string, string>>;
  serdeParams: Map<number, Record<string, string>>;
  buckets: Map<number, string[]>;
  sorts: Map<number, { column: string; order: number }[]>;
}

function storageOf(r: Row, d: StorageDetails): HmsStorage {
  const sd = r.sd_id === null || r.sd_id === undefined ? undefined : id(r.sd_id);
  const cd = r.cd_id === null || r.cd_id === undefined ? undefined : id(r.cd_id);
  const serde = r.serde_id === null || r.serde_id === undefined ? undefined : id(r.serde_id);
  // Copies: partitions sharing one column descriptor must not share mutable objects.
  return {
    ...opt('location', text(r.location)),
    ...opt('inputFormat', text(r.input_format)),
    ...opt('outputFormat', text(r.output_format)),
    ...opt('serdeLib', text(r.serde_lib)),
    ...opt('serdeName', text(r.serde_name)),
    serdeParameters: { ...(serde !== undefined ? d.serdeParams.get(serde) : undefined) },
    parameters: { ...(sd !== undefined ? d.sdParams.get(sd) : undefined) },
    columns: ((cd !== undefined ? d.columns.get(cd) : undefined) ?? []).map((c) => ({ ...c })),
    numBuckets: int(r.num_buckets, -1),
    bucketColumns: [...((sd !== undefined ? d.buckets.get(sd) : undefined) ?? [])],
    sortColumns: ((sd !== undefined ? d.sorts.get(sd) : undefined) ?? []).map((c) => ({ ...c })),
    compressed: flag(r.compressed),
    storedAsSubDirectories: flag(r.subdirs),
  };
}

/** Page and batch sizes are bounded, so no call can ask for a whole metastore at once. */
export function checkSize(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH)
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_BATCH}, not ${n}`);
}

export interface SchemaInfo {
  generation: '2.x' | '3.x';
  version?: string;
  tableOwnerType: boolean;
  catalogTable: boolean;
}

/** Checks that the connection holds a metastore schema and learns which generation it is. */
export async function inspectSchema(port: SqlPort, where: string): Promise<SchemaInfo> {
  const found = await port.describe([...REQUIRED, 'CTLGS', 'VERSION']);
  const missing = REQUIRED.filter((t) => !found.has(t));
  if (missing.length === REQUIRED.length)
    throw new HmsSourceError(
      'not_hms',
      `${where} holds no Hive Metastore schema (no DBS, TBLS, SDS, PARTITIONS … tables)`,
    );
  if (missing.length)
    throw new HmsSourceError(
      'not_hms',
      `${where} is not a complete Hive Metastore schema: ${missing.join(', ')} missing`,
    );
  let version: string | undefined;
  if (found.get('VERSION')?.has('SCHEMA_VERSION')) {
    const rows = await port.query('SELECT v."SCHEMA_VERSION" AS v FROM "VERSION" v', []);
    version = rows.map((r) => text(r.v)).find((v) => v);
  }
  return {
    generation: found.get('DBS')?.has('CTLG_NAME') ? '3.x' : '2.x',
    tableOwnerType: found.get('TBLS')?.has('OWNER_TYPE') ?? false,
    catalogTable: found.get('CTLGS')?.has('NAME') ?? false,
    ...opt('version', version),
  };
}

/** Reads one catalog of a metastore through a driver's port; the same SQL serves MySQL and PostgreSQL. */
export class SqlHmsSource implements HmsSource {
  readonly schemaGeneration: '2.x' | '3.x';
  readonly schemaVersion?: string;
  private readonly pages: { databases: number; tables: number; functions: number };
  private closed?: Promise<void>;

  constructor(
    private readonly port: SqlPort,
    private readonly catalog: string,
    private readonly schema: SchemaInfo,
    listPageSize?: number,
  ) {
    this.schemaGeneration = schema.generation;
    if (schema.version) this.schemaVersion = schema.version;
    if (listPageSize !== undefined) checkSize('listPageSize', listPageSize);
    this.pages = {
      databases: listPageSize ?? DATABASE_PAGE,
      tables: listPageSize ?? TABLE_PAGE,
      functions: listPageSize ?? FUNCTION_PAGE,
    };
  }

  /** The catalog condition on DBS alias d; a 2.x schema has one catalog, so none. */
  private get inCatalog(): string {
    return this.schema.generation === '3.x' ? 'd."CTLG_NAME" = ?' : '1 = 1';
  }
  private get catalogParams(): unknown[] {
    return this.schema.generation === '3.x' ? [this.catalog] : [];
  }

  /** Refuses a catalog the metastore does not have, naming those it has. */
  async checkCatalog(): Promise<void> {
    if (this.schema.generation === '2.x') {
      if (this.catalog !== 'hive')
        throw new HmsSourceError(
          'not_found',
          `catalog ${this.catalog} is not in the metastore: a Hive 2.x metastore has only the catalog hive`,
        );
      return;
    }
    if ((await this.port.query('SELECT 1 AS x FROM "DBS" d WHERE d."CTLG_NAME" = ? LIMIT 1', [this.catalog])).length)
      return;
    let names: string[] = [];
    if (this.schema.catalogTable) {
      // A catalog may exist without databases yet; otherwise the error names those there are.
      if ((await this.port.query('SELECT 1 AS x FROM "CTLGS" c WHERE c."NAME" = ?', [this.catalog])).length) return;
      names = (await this.port.query('SELECT c."NAME" AS name FROM "CTLGS" c ORDER BY c."NAME" LIMIT 50', [])).map(
        (r) => text(r.name) ?? '',
      );
    }
    throw new HmsSourceError(
      'not_found',
      `catalog ${this.catalog} is not in the metastore${names.length ? ` (it has: ${names.join(', ')})` : ''}`,
    );
  }

  async *databases(): AsyncIterable<HmsDatabase> {
    let after = BEFORE_FIRST_ID;
    for (;;) {
      const rows = await this.port.query(
        `SELECT d."DB_ID" AS id, d."NAME" AS name, d."DESC" AS description, d."DB_LOCATION_URI" AS location,
          d."OWNER_NAME" AS owner, d."OWNER_TYPE" AS owner_type
        FROM "DBS" d WHERE ${this.inCatalog} AND d."DB_ID" > ? ORDER BY d."DB_ID" LIMIT ?`,
        [...this.catalogParams, after, this.pages.databases],
      );
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      const params = paramsBy(
        await this.port.query(
          `SELECT p."DB_ID" AS id, p."PARAM_KEY" AS k, p."PARAM_VALUE" AS v
        FROM "DATABASE_PARAMS" p JOIN "DBS" d ON d."DB_ID" = p."DB_ID" WHERE ${this.inCatalog} AND d."DB_ID"
        BETWEEN ? AND ?`,
          [...this.catalogParams, id(first.id), id(last.id)],
        ),
      );
      for (const r of rows) {
        const ownerType = text(r.owner_type)?.toUpperCase();
        yield {
          name: text(r.name) ?? '',
          description: text(r.description) ?? '',
          location: text(r.location) ?? '',
          ...opt('owner', text(r.owner)),
          ...opt(
            'ownerType',
            ownerType && PRINCIPAL_TYPES.has(ownerType) ? (ownerType as HmsPrincipalType) : undefined,
          ),
          parameters: params.get(id(r.id)) ?? {},
        };
      }
      if (rows.length < this.pages.databases) return;
      after = id(last.id);
    }
  }

  private async databaseId(database: string): Promise<number> {
    const rows = await this.port.query(`SELECT d."DB_ID" AS id FROM "DBS" d WHERE ${this.inCatalog} AND d."NAME" = ?`, [
      ...this.catalogParams,
      database,
    ]);
    if (!rows[0])
      throw new HmsSourceError('not_found', `database ${database} is not in catalog ${this.catalog} of the metastore`);
    return id(rows[0].id);
  }

  /**
   * Columns, parameters, serde parameters, bucketing and sort columns of the storage descriptors `sds` selects: five
   * queries, whatever their number.
   */
  private async storageDetails(sds: string, params: unknown[]): Promise<StorageDetails> {
    const [columns, sdParams, serdeParams, buckets, sorts] = await Promise.all([
      this.port.query(
        `SELECT x."CD_ID" AS id, x."COLUMN_NAME" AS name, x."TYPE_NAME" AS type, x."COMMENT" AS col_comment
        FROM "COLUMNS_V2" x
        WHERE x."CD_ID" IN (SELECT s."CD_ID" FROM "SDS" s WHERE s."SD_ID" IN (${sds})) ORDER BY x."CD_ID",
        x."INTEGER_IDX"`,
        params,
      ),
      this.port.query(
        `SELECT x."SD_ID" AS id, x."PARAM_KEY" AS k, x."PARAM_VALUE" AS ` +
          `v FROM "SD_PARAMS" x WHERE x."SD_ID" IN (${sds})`,
        params,
      ),
      this.port.query(
        `SELECT x."SERDE_ID" AS id, x."PARAM_KEY" AS k, x."PARAM_VALUE" AS v FROM "SERDE_PARAMS" x
        WHERE x."SERDE_ID" IN (SELECT s."SERDE_ID" FROM "SDS" s WHERE s."SD_ID" IN (${sds}))`,
        params,
      ),
      this.port.query(
        `SELECT x."SD_ID" AS id, x."BUCKET_COL_NAME" AS name FROM "BUCKETING_COLS" x WHERE x."SD_ID" IN (${sds})
        ORDER BY x."SD_ID", x."INTEGER_IDX"`,
        params,
      ),
      this.port.query(
        `SELECT x."SD_ID" AS id, x."COLUMN_NAME" AS name, x."ORDER" AS ord FROM "SORT_COLS" x WHERE x."SD_ID"
        IN (${sds})
        ORDER BY x."SD_ID", x."INTEGER_IDX"`,
        params,
      ),
    ]);
    return {
      columns: group(columns, columnOf),
      sdParams: paramsBy(sdParams),
      serdeParams: paramsBy(serdeParams),
      buckets: group(buckets, (r) => text(r.name) ?? ''),
      sorts: group(sorts, (r) => ({ column: text(r.name) ?? '', order: int(r.ord) })),
    };
  }

  async *tables(database: string): AsyncIterable<HmsTable> {
    const dbId = await this.databaseId(database);
    const ownerType = this.schema.tableOwnerType ? 't."OWNER_TYPE"' : 'NULL';
    let after = BEFORE_FIRST_ID;
    for (;;) {
      const rows = await this.port.query(
        `SELECT t."TBL_ID" AS id, t."TBL_NAME" AS name, t."TBL_TYPE" AS table_type, t."OWNER" AS owner,
          ${ownerType} AS owner_type, t."CREATE_TIME" AS create_time, t."LAST_ACCESS_TIME" AS last_access_time,
          t."RETENTION" AS retention,
          t."VIEW_ORIGINAL_TEXT" AS view_original_text, t."VIEW_EXPANDED_TEXT" AS view_expanded_text, ${SD_COLUMNS}
        FROM "TBLS" t ${SD_JOIN.replace('{owner}', 't')}
        WHERE t."DB_ID" = ? AND t."TBL_ID" > ? ORDER BY t."TBL_ID" LIMIT ?`,
        [dbId, after, this.pages.tables],
      );
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      const scope = [dbId, id(first.id), id(last.id)];
      const inPage = 't."DB_ID" = ? AND t."TBL_ID" BETWEEN ? AND ?';
      const [details, params, keys] = await Promise.all([
        this.storageDetails(`SELECT t."SD_ID" FROM "TBLS" t WHERE ${inPage}`, scope),
        this.port.query(
          `SELECT x."TBL_ID" AS id, x."PARAM_KEY" AS k, x."PARAM_VALUE" AS v FROM "TABLE_PARAMS" x
          JOIN "TBLS" t ON t."TBL_ID" = x."TBL_ID" WHERE ${inPage}`,
          scope,
        ),
        this.port.query(
          `SELECT x."TBL_ID" AS id, x."PKEY_NAME" AS name, x."PKEY_TYPE" AS type, x."PKEY_COMMENT" AS
          col_comment FROM "PARTITION_KEYS" x
          JOIN "TBLS" t ON t."TBL_ID" = x."TBL_ID" WHERE ${inPage} ORDER BY x."TBL_ID", x."INTEGER_IDX"`,
          scope,
        ),
      ]);
      const paramsOf = paramsBy(params);
      const keysOf = group(keys, columnOf);
      for (const r of rows) {
        const tbl = id(r.id);
        yield {
          database,
          name: text(r.name) ?? '',
          tableType: text(r.table_type) ?? '',
          ...opt('owner', text(r.owner)),
          ...opt('ownerType', text(r.owner_type)),
          createTime: int(r.create_time),
          lastAccessTime: int(r.last_access_time),
          retention: int(r.retention),
          storage: storageOf(r, details),
          partitionKeys: keysOf.get(tbl) ?? [],
          parameters: paramsOf.get(tbl) ?? {},
          ...opt('viewOriginalText', text(r.view_original_text)),
          ...opt('viewExpandedText', text(r.view_expanded_text)),
        };
      }
      if (rows.length < this.pages.tables) return;
      after = id(last.id);
    }
  }

  async *partitions(
    database: string,
    table: string,
    batchSize = DEFAULT_PARTITION_BATCH,
  ): AsyncIterable<HmsPartition[]> {
    checkSize('batchSize', batchSize);
    const found = await this.port.query(
      `SELECT t."TBL_ID" AS id FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
      WHERE ${this.inCatalog} AND d."NAME" = ? AND t."TBL_NAME" = ?`,
      [...this.catalogParams, database, table],
    );
    if (!found[0])
      throw new HmsSourceError(
        'not_found',
        `table ${database}.${table} is not in catalog ${this.catalog} of the metastore`,
      );
    const tblId = id(found[0].id);
    let after = BEFORE_FIRST_ID;
    for (;;) {
      const rows = await this.port.query(
        `SELECT p."PART_ID" AS id, p."CREATE_TIME" AS create_time, p."LAST_ACCESS_TIME" AS last_access_time,
        ${SD_COLUMNS}
        FROM "PARTITIONS" p ${SD_JOIN.replace('{owner}', 'p')}
        WHERE p."TBL_ID" = ? AND p."PART_ID" > ? ORDER BY p."PART_ID" LIMIT ?`,
        [tblId, after, batchSize],
      );
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      // The batch's id range may hold other tables' partitions: every detail query keeps the table condition.
      const scope = [tblId, id(first.id), id(last.id)];
      const inBatch = 'p."TBL_ID" = ? AND p."PART_ID" BETWEEN ? AND ?';
      const [details, values, params] = await Promise.all([
        this.storageDetails(`SELECT p."SD_ID" FROM "PARTITIONS" p WHERE ${inBatch}`, scope),
        this.port.query(
          `SELECT x."PART_ID" AS id, x."PART_KEY_VAL" AS v FROM "PARTITION_KEY_VALS" x
          JOIN "PARTITIONS" p ON p."PART_ID" = x."PART_ID" WHERE ${inBatch} ORDER BY x."PART_ID", x."INTEGER_IDX"`,
          scope,
        ),
        this.port.query(
          `SELECT x."PART_ID" AS id, x."PARAM_KEY" AS k, x."PARAM_VALUE" AS v FROM "PARTITION_PARAMS" x
          JOIN "PARTITIONS" p ON p."PART_ID" = x."PART_ID" WHERE ${inBatch}`,
          scope,
        ),
      ]);
      const valuesOf = group(values, (r) => text(r.v) ?? '');
      const paramsOf = paramsBy(params);
      yield rows.map((r): HmsPartition => {
        const part = id(r.id);
        return {
          values: valuesOf.get(part) ?? [],
          createTime: int(r.create_time),
          lastAccessTime: int(r.last_access_time),
          storage: storageOf(r, details),
          parameters: paramsOf.get(part) ?? {},
        };
      });
      if (rows.length < batchSize) return;
      after = id(last.id);
    }
  }

  async *functions(database: string): AsyncIterable<HmsFunction> {
    const dbId = await this.databaseId(database);
    let after = BEFORE_FIRST_ID;
    for (;;) {
      const rows = await this.port.query(
        `SELECT f."FUNC_ID" AS id, f."FUNC_NAME" AS name, f."CLASS_NAME" AS class_name, f."OWNER_NAME" AS owner,
          f."OWNER_TYPE" AS owner_type, f."FUNC_TYPE" AS func_type, f."CREATE_TIME" AS create_time
        FROM "FUNCS" f WHERE f."DB_ID" = ? AND f."FUNC_ID" > ? ORDER BY f."FUNC_ID" LIMIT ?`,
        [dbId, after, this.pages.functions],
      );
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      const resources = await this.port.query(
        `SELECT x."FUNC_ID" AS id, x."RESOURCE_TYPE" AS rtype, x."RESOURCE_URI" AS uri FROM "FUNC_RU" x
        JOIN "FUNCS" f ON f."FUNC_ID" = x."FUNC_ID" WHERE f."DB_ID" = ? AND f."FUNC_ID" BETWEEN ? AND ? ORDER
        BY x."FUNC_ID", x."INTEGER_IDX"`,
        [dbId, id(first.id), id(last.id)],
      );
      const byFunction = group(resources, (r) => r);
      for (const r of rows) {
        const name = text(r.name) ?? '';
        const resourceUris = (byFunction.get(id(r.id)) ?? []).map((x) => {
          const type = RESOURCE_TYPES[int(x.rtype)];
          // Hive itself could not load such a function; better to stop than to migrate it wrong.
          if (!type)
            throw new HmsSourceError(
              'read_failed',
              `function ${database}.${name} has a resource of unknown type ${String(x.rtype)}`,
            );
          return { type, uri: text(x.uri) ?? '' };
        });
        yield {
          database,
          name,
          className: text(r.class_name) ?? '',
          ...opt('owner', text(r.owner)),
          ...opt('ownerType', text(r.owner_type)),
          functionType: int(r.func_type, 1),
          createTime: int(r.create_time),
          resourceUris,
        };
      }
      if (rows.length < this.pages.functions) return;
      after = id(last.id);
    }
  }

  async counts(): Promise<HmsCounts> {
    const c = this.inCatalog;
    const rows = await this.port.query(
      `SELECT
        (SELECT COUNT(*) FROM "DBS" d WHERE ${c}) AS n_db,
        (SELECT COUNT(*) FROM "TBLS" t JOIN "DBS" d ON d."DB_ID" = t."DB_ID" WHERE ${c}) AS n_tbl,
        (SELECT COUNT(*) FROM "PARTITIONS" p JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" JOIN "DBS" d ON d."DB_ID"
        = t."DB_ID" WHERE ${c}) AS n_part,
        (SELECT COUNT(*) FROM "FUNCS" f JOIN "DBS" d ON d."DB_ID" = f."DB_ID" WHERE ${c}) AS n_func`,
      [...this.catalogParams, ...this.catalogParams, ...this.catalogParams, ...this.catalogParams],
    );
    const r = rows[0] ?? {};
    return { databases: int(r.n_db), tables: int(r.n_tbl), partitions: int(r.n_part), functions: int(r.n_func) };
  }

  close(): Promise<void> {
    this.closed ??= this.port.close();
    return this.closed;
  }
}
