// Throwaway Hive Metastore backing databases on a real MariaDB and PostgreSQL: our own DDL of
// the metastore tables the reader uses (3.x, or 2.x without catalogs), and a loader that writes
// a model of databases, tables, partitions and functions as the metastore would store them.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import './lean-runner.js';
import type {
  HmsColumn,
  HmsConnection,
  HmsDatabase,
  HmsDatasourceType,
  HmsFunction,
  HmsPartition,
  HmsStorage,
  HmsTable,
} from '../../src/services/jobs/hms/hms-source.js';

export type HmsBackendName = 'mariadb' | 'postgres';
export interface HmsBackend {
  name: HmsBackendName;
  adminUrl: string;
  type: HmsDatasourceType;
  skip?: string;
}

const MYSQL_ADMIN_URL = process.env.LAKEFORM_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const PG_ADMIN_URL = process.env.LAKEFORM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(name: HmsBackendName, url: string): Promise<boolean> {
  try {
    const admin = await Admin.connect(name, url);
    await admin.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Both backends, each with a skip message when unreachable. LAKEFORM_TEST_REQUIRE_PG=1 and
 * LAKEFORM_TEST_REQUIRE_MYSQL=1 (set by CI) turn an unreachable one into a failure.
 */
export async function hmsBackends(): Promise<HmsBackend[]> {
  const list: HmsBackend[] = [
    { name: 'mariadb', adminUrl: MYSQL_ADMIN_URL, type: 'OPEN_FOR_MYSQL' },
    { name: 'postgres', adminUrl: PG_ADMIN_URL, type: 'MRS_RDS_FOR_PG' },
  ];
  for (const b of list) {
    if (await reachable(b.name, b.adminUrl)) continue;
    const where = new URL(b.adminUrl).host;
    const required = b.name === 'postgres' ? 'LAKEFORM_TEST_REQUIRE_PG' : 'LAKEFORM_TEST_REQUIRE_MYSQL';
    if (process.env[required] === '1')
      throw new Error(`${b.name} is required (${required}=1) but ${where} is unreachable`);
    b.skip = `${b.name} at ${where} is unreachable`;
  }
  return list;
}

/** An administrative connection: plain SQL for setup, with each dialect's placeholders and quotes. */
class Admin {
  private constructor(
    readonly name: HmsBackendName,
    private readonly my?: mysql.Connection,
    private readonly pgc?: pg.Client,
  ) {}

  static async connect(name: HmsBackendName, url: string): Promise<Admin> {
    if (name === 'mariadb') {
      const u = new URL(url);
      const conn = await mysql.createConnection({
        host: u.hostname,
        port: Number(u.port || 3306),
        user: decodeURIComponent(u.username || 'root'),
        password: decodeURIComponent(u.password),
        database: u.pathname.slice(1) || undefined,
        connectTimeout: 2000,
        multipleStatements: false,
      });
      conn.on('error', () => undefined);
      return new Admin(name, conn);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    await client.connect();
    return new Admin(name, undefined, client);
  }

  q(ident: string): string {
    return this.name === 'mariadb' ? `\`${ident}\`` : `"${ident}"`;
  }

  /** `sql` uses ? placeholders on both. */
  async exec(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    if (this.my) return (await this.my.query(sql, params))[0] as Record<string, unknown>[];
    let n = 0;
    return (
      await this.pgc!.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows;
  }

  async insert(table: string, columns: string[], rows: unknown[][]): Promise<void> {
    const per = Math.max(1, Math.floor(10_000 / columns.length));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      await this.exec(
        `INSERT INTO ${this.q(table)} ` +
          `(${columns.map((c) => this.q(c)).join(', ')}) VALUES ` +
          `${chunk.map(() => tuple).join(', ')}`,
        chunk.flat(),
      );
    }
  }

  async close(): Promise<void> {
    await this.my?.end().catch(() => undefined);
    await this.pgc?.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// The metastore tables. Each column is `NAME type[!][@3][>TABLE[.COLUMN]]`: `!` NOT NULL, `@3`
// only in the 3.x schema, `>` a foreign key. Types: id (BIGINT), int, time (seconds; BIGINT on
// PostgreSQL), bool (BIT(1) on MySQL), sN (VARCHAR(N), latin1 on MySQL as the metastore
// keeps names), uN (VARCHAR(N) in utf8mb4), text (MEDIUMTEXT utf8mb4 / TEXT).

interface TableSpec {
  name: string;
  v3?: boolean;
  columns: string;
  key: string;
  unique?: string;
}
const SCHEMA: TableSpec[] = [
  { name: 'VERSION', columns: 'VER_ID id!, SCHEMA_VERSION s127!, VERSION_COMMENT s255', key: 'VER_ID' },
  {
    name: 'CTLGS',
    v3: true,
    columns: 'CTLG_ID id!, NAME s256!, DESC u4000, LOCATION_URI s4000!',
    key: 'CTLG_ID',
    unique: 'NAME',
  },
  {
    name: 'DBS',
    columns:
      'DB_ID id!, DESC u4000, DB_LOCATION_URI s4000!, NAME s128, ' +
      'OWNER_NAME s128, OWNER_TYPE s10, CTLG_NAME s256!@3>CTLGS.NAME',
    key: 'DB_ID',
    unique: 'NAME, CTLG_NAME@3',
  },
  { name: 'DATABASE_PARAMS', columns: 'DB_ID id!>DBS, PARAM_KEY s180!, PARAM_VALUE u4000', key: 'DB_ID, PARAM_KEY' },
  { name: 'CDS', columns: 'CD_ID id!', key: 'CD_ID' },
  {
    name: 'COLUMNS_V2',
    columns: 'CD_ID id!>CDS, COMMENT u256, COLUMN_NAME s767!, TYPE_NAME text, INTEGER_IDX int!',
    key: 'CD_ID, COLUMN_NAME',
  },
  {
    name: 'SERDES',
    columns:
      'SERDE_ID id!, NAME s128, SLIB s4000, DESCRIPTION s4000@3, ' +
      'SERIALIZER_CLASS s4000@3, DESERIALIZER_CLASS s4000@3, ' +
      'SERDE_TYPE int@3',
    key: 'SERDE_ID',
  },
  {
    name: 'SERDE_PARAMS',
    columns: 'SERDE_ID id!>SERDES, PARAM_KEY s256!, PARAM_VALUE text',
    key: 'SERDE_ID, PARAM_KEY',
  },
  {
    name: 'SDS',
    columns:
      'SD_ID id!, CD_ID id>CDS, INPUT_FORMAT s4000, IS_COMPRESSED ' +
      'bool!, IS_STOREDASSUBDIRECTORIES bool!, LOCATION s4000, ' +
      'NUM_BUCKETS int!, OUTPUT_FORMAT s4000, SERDE_ID id>SERDES',
    key: 'SD_ID',
  },
  { name: 'SD_PARAMS', columns: 'SD_ID id!>SDS, PARAM_KEY s256!, PARAM_VALUE text', key: 'SD_ID, PARAM_KEY' },
  {
    name: 'BUCKETING_COLS',
    columns: 'SD_ID id!>SDS, BUCKET_COL_NAME s256, INTEGER_IDX int!',
    key: 'SD_ID, INTEGER_IDX',
  },
  {
    name: 'SORT_COLS',
    columns: 'SD_ID id!>SDS, COLUMN_NAME s767, ORDER int!, INTEGER_IDX int!',
    key: 'SD_ID, INTEGER_IDX',
  },
  {
    name: 'TBLS',
    columns:
      'TBL_ID id!, CREATE_TIME time!, DB_ID id>DBS, LAST_ACCESS_TIME ' +
      'time!, OWNER s767, OWNER_TYPE s10@3, RETENTION int!, SD_ID ' +
      'id>SDS, TBL_NAME s256, TBL_TYPE s128, VIEW_EXPANDED_TEXT text, ' +
      'VIEW_ORIGINAL_TEXT text, IS_REWRITE_ENABLED bool!@3',
    key: 'TBL_ID',
    unique: 'TBL_NAME, DB_ID',
  },
  { name: 'TABLE_PARAMS', columns: 'TBL_ID id!>TBLS, PARAM_KEY s256!, PARAM_VALUE text', key: 'TBL_ID, PARAM_KEY' },
  {
    name: 'PARTITION_KEYS',
    columns: 'TBL_ID id!>TBLS, PKEY_COMMENT u4000, PKEY_NAME s128!, PKEY_TYPE s767!, INTEGER_IDX int!',
    key: 'TBL_ID, PKEY_NAME',
  },
  {
    name: 'PARTITIONS',
    columns: 'PART_ID id!, CREATE_TIME time!, LAST_ACCESS_TIME time!, PART_NAME s767, SD_ID id>SDS, TBL_ID id>TBLS',
    key: 'PART_ID',
    unique: 'PART_NAME, TBL_ID',
  },
  {
    name: 'PARTITION_KEY_VALS',
    columns: 'PART_ID id!>PARTITIONS, PART_KEY_VAL s256, INTEGER_IDX int!',
    key: 'PART_ID, INTEGER_IDX',
  },
  {
    name: 'PARTITION_PARAMS',
    columns: 'PART_ID id!>PARTITIONS, PARAM_KEY s256!, PARAM_VALUE text',
    key: 'PART_ID, PARAM_KEY',
  },
  {
    name: 'FUNCS',
    columns:
      'FUNC_ID id!, CLASS_NAME s4000, CREATE_TIME time!, DB_ID id>DBS, ' +
      'FUNC_NAME s128, FUNC_TYPE int!, OWNER_NAME s128, OWNER_TYPE s10',
    key: 'FUNC_ID',
    unique: 'FUNC_NAME, DB_ID',
  },
  {
    name: 'FUNC_RU',
    columns: 'FUNC_ID id!>FUNCS, RESOURCE_TYPE int!, RESOURCE_URI s4000, INTEGER_IDX int!',
    key: 'FUNC_ID, INTEGER_IDX',
  },
];

export type HmsVariant = '3.x' | '2.x';

function columnType(type: string, backend: HmsBackendName): string {
  const my = backend === 'mariadb';
  const sized = /^([su])(\d+)$/.exec(type);
  if (sized) return `VARCHAR(${sized[2]})${my && sized[1] === 'u' ? ' CHARACTER SET utf8mb4' : ''}`;
  switch (type) {
    case 'id':
      return 'BIGINT';
    case 'int':
      return my ? 'INT' : 'INTEGER';
    case 'time':
      return my ? 'INT' : 'BIGINT';
    case 'bool':
      return my ? 'BIT(1)' : 'BOOLEAN';
    case 'text':
      return my ? 'MEDIUMTEXT CHARACTER SET utf8mb4' : 'TEXT';
    default:
      throw new Error(`fixture: unknown column type ${type}`);
  }
}

function ddl(spec: TableSpec, backend: HmsBackendName, variant: HmsVariant, q: (s: string) => string): string {
  const keep = (s: string) => variant === '3.x' || !s.includes('@3');
  const names = (list: string) =>
    list
      .split(',')
      .map((s) => s.trim())
      .filter(keep)
      .map((s) => q(s.replace('@3', '')))
      .join(', ');
  const parts: string[] = [];
  const fks: string[] = [];
  for (const col of spec.columns
    .split(',')
    .map((s) => s.trim())
    .filter(keep)) {
    const m = /^(\w+) (\w+)(!?)(@3)?(?:>(\w+)(?:\.(\w+))?)?$/.exec(col);
    if (!m) throw new Error(`fixture: bad column spec ${col}`);
    const [, name, type, notNull, , refTable, refColumn] = m as unknown as string[];
    parts.push(`${q(name!)} ${columnType(type!, backend)}${notNull ? ' NOT NULL' : ''}`);
    if (refTable) fks.push(`FOREIGN KEY (${q(name!)}) REFERENCES ${q(refTable)} (${q(refColumn ?? name!)})`);
  }
  parts.push(`PRIMARY KEY (${names(spec.key)})`);
  if (spec.unique) parts.push(`UNIQUE (${names(spec.unique)})`);
  parts.push(...fks);
  return (
    `CREATE TABLE ${q(spec.name)} (\n  ` +
    `${parts.join(',\n  ')}\n)${backend === 'mariadb' ? ' ENGINE=InnoDB DEFAULT CHARSET=latin1' : ''}`
  );
}

// ---------------------------------------------------------------------------------------------
// What the fixture holds, in the shapes the reader returns.

export interface ModelCatalog {
  name: string;
  description: string;
  location: string;
}
export interface ModelTable {
  catalog: string;
  table: HmsTable;
  partitions: HmsPartition[];
}
export interface HmsModel {
  catalogs: ModelCatalog[];
  /** In creation order (ids are given in this order, so catalogs and databases interleave). */
  databases: { catalog: string; database: HmsDatabase }[];
  tables: ModelTable[];
  functions: { catalog: string; fn: HmsFunction }[];
  schemaVersion: string;
}

const RESOURCE_CODE = { JAR: 1, FILE: 2, ARCHIVE: 3 } as const;

/** Ordered lists are written last element first, so only INTEGER_IDX can give their order back. */
function eachReversed<T>(list: T[], f: (x: T, i: number) => void): void {
  for (let i = list.length - 1; i >= 0; i--) f(list[i] as T, i);
}

/** A fresh database on one backend, dropped by drop(). */
export class HmsFixture {
  private dropped = false;

  private constructor(
    readonly backend: HmsBackend,
    readonly database: string,
    private readonly admin: Admin,
    private readonly inside: Admin,
  ) {}

  static async create(backend: HmsBackend): Promise<HmsFixture> {
    const database = `hms_test_${randomBytes(6).toString('hex')}`;
    const admin = await Admin.connect(backend.name, backend.adminUrl);
    await admin.exec(`CREATE DATABASE ${database}${backend.name === 'mariadb' ? ' DEFAULT CHARACTER SET latin1' : ''}`);
    const u = new URL(backend.adminUrl);
    u.pathname = `/${database}`;
    const inside = await Admin.connect(backend.name, u.toString());
    return new HmsFixture(backend, database, admin, inside);
  }

  /** The connection a job would be given for this database, as the administrative user. */
  connection(over: Partial<{ user: string; password: string; database: string; port: number }> = {}): HmsConnection {
    const u = new URL(this.backend.adminUrl);
    const scheme = this.backend.name === 'mariadb' ? 'mysql' : 'postgresql';
    const user = over.user ?? decodeURIComponent(u.username);
    const password = over.password ?? decodeURIComponent(u.password);
    return {
      jdbc_url:
        `jdbc:${scheme}://${u.hostname}:${over.port ?? (u.port || (scheme === 'mysql' ? 3306 : 5432))}` +
        `/${over.database ?? this.database}`,
      ...(user ? { username: user } : {}),
      ...(password ? { password } : {}),
    };
  }

  async exec(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.inside.exec(sql, params);
  }
  q(ident: string): string {
    return this.inside.q(ident);
  }

  async createSchema(variant: HmsVariant): Promise<void> {
    for (const spec of SCHEMA) {
      if (spec.v3 && variant !== '3.x') continue;
      await this.inside.exec(ddl(spec, this.backend.name, variant, (s) => this.inside.q(s)));
    }
  }

  /** A MariaDB user that may only read this database; dropped with the fixture. */
  async createReader(user: string, password: string): Promise<void> {
    if (this.backend.name !== 'mariadb') throw new Error('createReader is for MariaDB');
    this.readers.push(user);
    await this.admin.exec('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await this.admin.exec(`GRANT SELECT ON ${this.database}.* TO ?@?`, [user, '%']);
  }
  private readonly readers: string[] = [];

  /** Writes the model as the metastore stores it; ids follow the model's order. */
  async load(model: HmsModel, variant: HmsVariant): Promise<void> {
    const v3 = variant === '3.x';
    const rows = new Map<string, unknown[][]>();
    const add = (table: string, row: unknown[]) => {
      const r = rows.get(table) ?? [];
      rows.set(table, r);
      r.push(row);
    };
    const next: Record<string, number> = {};
    const newId = (kind: string) => (next[kind] = (next[kind] ?? 0) + 1);
    const params = (table: string, owner: number, p: Record<string, string>) => {
      for (const [k, v] of Object.entries(p)) add(table, [owner, k, v]);
    };

    add('VERSION', [1, model.schemaVersion, 'fixture']);
    if (v3) for (const c of model.catalogs) add('CTLGS', [newId('ctlg'), c.name, c.description, c.location]);
    const dbIds = new Map<string, number>();
    for (const { catalog, database: d } of model.databases) {
      const id = newId('db');
      dbIds.set(`${catalog}.${d.name}`, id);
      add('DBS', [
        id,
        d.description,
        d.location,
        d.name,
        d.owner ?? null,
        d.ownerType ?? null,
        ...(v3 ? [catalog] : []),
      ]);
      params('DATABASE_PARAMS', id, d.parameters);
    }
    // Partitions of a table share its column descriptor while their columns are the same, as Hive does.
    const cds = new Map<string, number>();
    const storage = (scope: string, s: HmsStorage): number => {
      const cdKey = `${scope}|${JSON.stringify(s.columns)}`;
      let cd = cds.get(cdKey);
      if (cd === undefined) {
        cd = newId('cd');
        cds.set(cdKey, cd);
        add('CDS', [cd]);
        eachReversed(s.columns, (c, i) => add('COLUMNS_V2', [cd, c.comment ?? null, c.name, c.type, i]));
      }
      const serde = newId('serde');
      add('SERDES', [serde, s.serdeName ?? null, s.serdeLib ?? null, ...(v3 ? [null, null, null, null] : [])]);
      params('SERDE_PARAMS', serde, s.serdeParameters);
      const sd = newId('sd');
      add('SDS', [
        sd,
        cd,
        s.inputFormat ?? null,
        s.compressed,
        s.storedAsSubDirectories,
        s.location ?? null,
        s.numBuckets,
        s.outputFormat ?? null,
        serde,
      ]);
      params('SD_PARAMS', sd, s.parameters);
      eachReversed(s.bucketColumns, (c, i) => add('BUCKETING_COLS', [sd, c, i]));
      eachReversed(s.sortColumns, (c, i) => add('SORT_COLS', [sd, c.column, c.order, i]));
      return sd;
    };
    const tblIds: number[] = [];
    for (const { catalog, table: t } of model.tables) {
      const sd = storage(`${catalog}.${t.database}.${t.name}`, t.storage);
      const id = newId('tbl');
      tblIds.push(id);
      const db = dbIds.get(`${catalog}.${t.database}`);
      add('TBLS', [
        id,
        t.createTime,
        db,
        t.lastAccessTime,
        t.owner ?? null,
        ...(v3 ? [t.ownerType ?? null] : []),
        t.retention,
        sd,
        t.name,
        t.tableType,
        t.viewExpandedText ?? null,
        t.viewOriginalText ?? null,
        ...(v3 ? [false] : []),
      ]);
      params('TABLE_PARAMS', id, t.parameters);
      eachReversed(t.partitionKeys, (k, i) => add('PARTITION_KEYS', [id, k.comment ?? null, k.name, k.type, i]));
    }
    // Partition ids interleave across tables (round robin), so a batch's id range spans other tables' partitions.
    const longest = Math.max(0, ...model.tables.map((t) => t.partitions.length));
    for (let i = 0; i < longest; i++) {
      model.tables.forEach(({ catalog, table: t, partitions }, ti) => {
        const p = partitions[i];
        if (!p) return;
        const sd = storage(`${catalog}.${t.database}.${t.name}`, p.storage);
        const id = newId('part');
        const name = t.partitionKeys.map((k, j) => `${k.name}=${p.values[j]}`).join('/');
        add('PARTITIONS', [id, p.createTime, p.lastAccessTime, name, sd, tblIds[ti]]);
        eachReversed(p.values, (v, j) => add('PARTITION_KEY_VALS', [id, v, j]));
        params('PARTITION_PARAMS', id, p.parameters);
      });
    }
    for (const { catalog, fn: f } of model.functions) {
      const id = newId('func');
      add('FUNCS', [
        id,
        f.className,
        f.createTime,
        dbIds.get(`${catalog}.${f.database}`),
        f.name,
        f.functionType,
        f.owner ?? null,
        f.ownerType ?? null,
      ]);
      eachReversed(f.resourceUris, (r, i) => add('FUNC_RU', [id, RESOURCE_CODE[r.type], r.uri, i]));
    }
    for (const spec of SCHEMA) {
      const data = rows.get(spec.name);
      if (!data?.length) continue;
      const columns = spec.columns
        .split(',')
        .map((s) => s.trim())
        .filter((s) => v3 || !s.includes('@3'))
        .map((s) => s.split(' ')[0] as string);
      await this.inside.insert(spec.name, columns, data);
    }
  }

  /** Whether the database is still on the server. */
  async exists(): Promise<boolean> {
    const admin = await Admin.connect(this.backend.name, this.backend.adminUrl);
    try {
      const rows =
        this.backend.name === 'mariadb'
          ? await admin.exec('SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
              this.database,
            ])
          : await admin.exec('SELECT datname AS n FROM pg_database WHERE datname = ?', [this.database]);
      return rows.length > 0;
    } finally {
      await admin.close();
    }
  }

  async drop(): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    await this.inside.close();
    try {
      if (this.backend.name === 'mariadb') {
        await this.admin.exec(`DROP DATABASE IF EXISTS ${this.database}`);
        for (const user of this.readers) await this.admin.exec('DROP USER IF EXISTS ?@?', [user, '%']);
      } else {
        await this.admin.exec(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
      }
    } finally {
      await this.admin.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The sample metastore: two catalogs with a clashing database and table name, a managed table
// with 1,500 partitions over two keys, an external table with serde parameters, bucketing and
// sort columns, a view, and functions with resources.

const NN = 'hdfs://nn:8020';
const ORC = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat',
  serdeLib: 'org.apache.hadoop.hive.ql.io.orc.OrcSerde',
};
const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeLib: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
};

function storage(over: Partial<HmsStorage> & { columns: HmsColumn[] }): HmsStorage {
  return {
    serdeParameters: {},
    parameters: {},
    numBuckets: -1,
    bucketColumns: [],
    sortColumns: [],
    compressed: false,
    storedAsSubDirectories: false,
    ...over,
  };
}

export const ORDERS_PARTITIONS = 1500;

export function sampleModel(): HmsModel {
  const ordersColumns: HmsColumn[] = [
    { name: 'order_id', type: 'bigint', comment: 'primary key' },
    { name: 'customer_id', type: 'bigint' },
    { name: 'amount', type: 'decimal(12,2)', comment: '金额 (amount)' },
    { name: 'note', type: 'string' },
  ];
  const oldOrdersColumns = ordersColumns.slice(0, 3); // before `note` was added
  const ordersLocation = `${NN}/warehouse/sales.db/orders`;
  const ordersStorage = (columns: HmsColumn[], location: string, extra: Partial<HmsStorage> = {}) =>
    storage({
      ...ORC,
      location,
      columns,
      serdeParameters: { 'serialization.format': '1' },
      numBuckets: 4,
      bucketColumns: ['customer_id'],
      sortColumns: [{ column: 'order_id', order: 1 }],
      ...extra,
    });
  const orders: ModelTable = {
    catalog: 'hive',
    table: {
      database: 'sales',
      name: 'orders',
      tableType: 'MANAGED_TABLE',
      owner: 'etl',
      ownerType: 'USER',
      createTime: 1_700_000_000,
      lastAccessTime: 0,
      retention: 0,
      storage: ordersStorage(ordersColumns, ordersLocation),
      partitionKeys: [
        { name: 'dt', type: 'string', comment: 'day of the order' },
        { name: 'hr', type: 'int' },
      ],
      parameters: {
        transactional: 'false',
        numRows: '0',
        transient_lastDdlTime: '1700000000',
        comment: 'orders, one row per order',
      },
    },
    partitions: [],
  };
  for (let i = 0; i < ORDERS_PARTITIONS; i++) {
    const dt = new Date(Date.UTC(2024, 0, 1 + Math.floor(i / 20))).toISOString().slice(0, 10);
    const hr = String(i % 20);
    const location = `${ordersLocation}/dt=${dt}/hr=${hr}`;
    // Every 400th partition keeps the old column set, every 250th was rewritten as Parquet.
    const columns = i % 400 === 5 ? oldOrdersColumns : ordersColumns;
    const extra: Partial<HmsStorage> = {
      compressed: i % 2 === 1,
      ...(i % 250 === 7 ? { ...PARQUET, serdeName: 'pq', serdeParameters: { 'parquet.compression': 'SNAPPY' } } : {}),
    };
    if (i % 7 === 0) extra.parameters = { 'sd.flag': `p${i}` };
    orders.partitions.push({
      values: [dt, hr],
      createTime: 1_700_000_000 + i,
      lastAccessTime: i % 3 === 0 ? 0 : 1_700_100_000 + i,
      storage: ordersStorage(columns, location, extra),
      parameters:
        i % 10 === 0
          ? {}
          : {
              numFiles: String((i % 5) + 1),
              totalSize: String(i * 1024),
              transient_lastDdlTime: String(1_700_000_000 + i),
            },
    });
  }
  const sparkOrders: ModelTable = {
    catalog: 'spark',
    table: {
      database: 'sales',
      name: 'orders',
      tableType: 'MANAGED_TABLE',
      owner: 'spark',
      ownerType: 'USER',
      createTime: 1_710_000_000,
      lastAccessTime: 0,
      retention: 0,
      storage: storage({
        ...PARQUET,
        location: `${NN}/spark-warehouse/sales.db/orders`,
        columns: [{ name: 'id', type: 'int' }],
      }),
      partitionKeys: [{ name: 'dt', type: 'string' }],
      parameters: { 'spark.sql.sources.provider': 'parquet' },
    },
    partitions: Array.from({ length: 5 }, (_, i) => ({
      values: [`2025-02-0${i + 1}`],
      createTime: 1_710_000_000 + i,
      lastAccessTime: 0,
      parameters: { spark: 'yes' },
      storage: storage({
        ...PARQUET,
        location: `${NN}/spark-warehouse/sales.db/orders/dt=2025-02-0${i + 1}`,
        columns: [{ name: 'id', type: 'int' }],
      }),
    })),
  };
  const pages: ModelTable = {
    catalog: 'hive',
    table: {
      database: 'web',
      name: 'pages',
      tableType: 'MANAGED_TABLE',
      owner: 'web',
      ownerType: 'GROUP',
      createTime: 1_700_000_100,
      lastAccessTime: 1_700_000_200,
      retention: 0,
      storage: storage({
        ...ORC,
        location: 's3a://web-bucket/pages',
        columns: [
          { name: 'url', type: 'string' },
          { name: 'hits', type: 'bigint' },
        ],
      }),
      partitionKeys: [],
      parameters: {},
    },
    partitions: [],
  };
  const events: ModelTable = {
    catalog: 'hive',
    table: {
      database: 'sales',
      name: 'events_ext',
      tableType: 'EXTERNAL_TABLE',
      owner: 'analyst',
      ownerType: 'ROLE',
      createTime: 1_700_000_300,
      lastAccessTime: 1_700_000_500,
      retention: 30,
      storage: storage({
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        serdeLib: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        serdeName: 'events_csv',
        serdeParameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\', 'serialization.encoding': 'UTF-8' },
        parameters: { 'sd.custom': 'yes' },
        location: 's3a://logs/events',
        columns: [
          { name: 'ts', type: 'timestamp' },
          { name: 'user_id', type: 'string', comment: 'who' },
          { name: 'session_id', type: 'string' },
          { name: 'payload', type: 'map<string,string>', comment: 'JSON payload' },
          { name: 'tags', type: 'array<struct<k:string,v:string>>' },
        ],
        numBuckets: 8,
        bucketColumns: ['user_id', 'session_id'],
        sortColumns: [
          { column: 'user_id', order: 1 },
          { column: 'ts', order: 0 },
        ],
        compressed: true,
        storedAsSubDirectories: true,
      }),
      partitionKeys: [],
      parameters: { EXTERNAL: 'TRUE', 'skip.header.line.count': '1', comment: 'raw events' },
    },
    partitions: [],
  };
  const viewText = 'SELECT order_id, amount FROM orders WHERE amount > 100';
  // Longer than any VARCHAR: view texts are MEDIUMTEXT/TEXT.
  const expanded =
    `SELECT \`orders\`.\`order_id\`, \`orders\`.\`amount\` FROM ` +
    `\`sales\`.\`orders\` WHERE \`orders\`.\`amount\` > 100 ` +
    `${'/* padding */ '.repeat(1500)}`;
  const view: ModelTable = {
    catalog: 'hive',
    table: {
      database: 'sales',
      name: 'big_orders',
      tableType: 'VIRTUAL_VIEW',
      owner: 'etl',
      createTime: 1_700_000_400,
      lastAccessTime: 0,
      retention: 0,
      storage: storage({
        inputFormat: 'org.apache.hadoop.mapred.SequenceFileInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat',
        columns: [
          { name: 'order_id', type: 'bigint' },
          { name: 'amount', type: 'decimal(12,2)' },
        ],
      }),
      partitionKeys: [],
      parameters: { transient_lastDdlTime: '1700000400' },
      viewOriginalText: viewText,
      viewExpandedText: expanded,
    },
    partitions: [],
  };
  return {
    schemaVersion: '3.1.0',
    catalogs: [
      { name: 'hive', description: 'Default catalog, for Hive', location: `${NN}/warehouse` },
      { name: 'spark', description: 'Spark catalog', location: `${NN}/spark-warehouse` },
      { name: 'iceberg', description: 'no databases yet', location: `${NN}/iceberg` },
    ],
    databases: [
      {
        catalog: 'hive',
        database: {
          name: 'default',
          description: 'Default Hive database',
          location: `${NN}/warehouse`,
          owner: 'public',
          ownerType: 'ROLE',
          parameters: { 'created.by': 'schematool' },
        },
      },
      {
        catalog: 'spark',
        database: {
          name: 'sales',
          description: 'spark side',
          location: `${NN}/spark-warehouse/sales.db`,
          owner: 'spark',
          ownerType: 'USER',
          parameters: { creator: 'spark' },
        },
      },
      {
        catalog: 'hive',
        database: {
          name: 'sales',
          description: 'Sales data — 销售',
          location: `${NN}/warehouse/sales.db`,
          owner: 'etl',
          ownerType: 'USER',
          parameters: { 'owner.team': 'revenue', 'retention.days': '30', zh: '销售数据' },
        },
      },
      {
        catalog: 'spark',
        database: { name: 'ml', description: '', location: `${NN}/spark-warehouse/ml.db`, parameters: { empty: '' } },
      },
      {
        catalog: 'hive',
        database: {
          name: 'web',
          description: '',
          location: 's3a://web-bucket/web.db',
          owner: 'web',
          ownerType: 'GROUP',
          parameters: { empty: '', tier: 'gold' },
        },
      },
    ],
    // Interleaved across catalogs and databases, so id ranges of a page span others' rows.
    tables: [orders, sparkOrders, pages, events, view],
    functions: [
      {
        catalog: 'hive',
        fn: {
          database: 'sales',
          name: 'mask_email',
          className: 'com.example.udf.MaskEmail',
          owner: 'etl',
          ownerType: 'USER',
          functionType: 1,
          createTime: 1_700_000_600,
          resourceUris: [
            { type: 'JAR', uri: `${NN}/udf/mask.jar` },
            { type: 'FILE', uri: 's3a://conf/mask.properties' },
          ],
        },
      },
      {
        catalog: 'spark',
        fn: {
          database: 'sales',
          name: 'mask_email',
          className: 'com.example.spark.Mask',
          owner: 'spark',
          ownerType: 'USER',
          functionType: 1,
          createTime: 1_710_000_600,
          resourceUris: [{ type: 'JAR', uri: `${NN}/spark/mask.jar` }],
        },
      },
      {
        catalog: 'hive',
        fn: {
          database: 'sales',
          name: 'geo_lookup',
          className: 'com.example.udf.Geo',
          functionType: 1,
          createTime: 1_700_000_700,
          resourceUris: [{ type: 'ARCHIVE', uri: `${NN}/udf/geo.zip` }],
        },
      },
    ],
  };
}

/** The model as a 2.x metastore would hold it: one catalog, and no table owner types. */
export function as2x(model: HmsModel): HmsModel {
  const keep = model.catalogs[0]!.name;
  return {
    ...model,
    schemaVersion: '2.3.0',
    catalogs: [],
    databases: model.databases.filter((d) => d.catalog === keep),
    tables: model.tables
      .filter((t) => t.catalog === keep)
      .map((t) => {
        const { ownerType: _dropped, ...table } = t.table;
        return { ...t, table };
      }),
    functions: model.functions.filter((f) => f.catalog === keep),
  };
}
