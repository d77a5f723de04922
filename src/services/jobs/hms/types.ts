/**
 * What the METADATA_MIGRATION job reads from a Hive Metastore's backing database. The shapes
 * follow the metastore's own objects; times are seconds since the epoch, as Hive stores them.
 */
export type HmsDatasourceType = 'OPEN_FOR_MYSQL' | 'MRS_RDS_FOR_MYSQL' | 'MRS_RDS_FOR_PG';

/**
 * `jdbc:mysql://`, `jdbc:mariadb://` or `jdbc:postgresql://host[:port]/database[?…]`; these fields win over the URL's
 * own user and password.
 */
export interface HmsConnection {
  jdbc_url: string;
  username?: string;
  password?: string;
}

export interface HmsColumn {
  name: string;
  type: string;
  comment?: string;
}

export interface HmsStorage {
  location?: string;
  inputFormat?: string;
  outputFormat?: string;
  serdeLib?: string;
  serdeName?: string;
  serdeParameters: Record<string, string>;
  parameters: Record<string, string>;
  columns: HmsColumn[];
  numBuckets: number;
  bucketColumns: string[];
  sortColumns: { column: string; order: number }[];
  compressed: boolean;
  storedAsSubDirectories: boolean;
}

export type HmsPrincipalType = 'USER' | 'ROLE' | 'GROUP';

export interface HmsDatabase {
  name: string;
  description: string;
  location: string;
  owner?: string;
  ownerType?: HmsPrincipalType;
  parameters: Record<string, string>;
}

export interface HmsTable {
  database: string;
  name: string;
  tableType: string;
  owner?: string;
  ownerType?: string;
  createTime: number;
  lastAccessTime: number;
  retention: number;
  storage: HmsStorage;
  partitionKeys: HmsColumn[];
  parameters: Record<string, string>;
  viewOriginalText?: string;
  viewExpandedText?: string;
}

export interface HmsPartition {
  values: string[];
  createTime: number;
  lastAccessTime: number;
  storage: HmsStorage;
  parameters: Record<string, string>;
}

export type HmsResourceType = 'JAR' | 'FILE' | 'ARCHIVE';

export interface HmsFunction {
  database: string;
  name: string;
  className: string;
  owner?: string;
  ownerType?: string;
  functionType: number;
  createTime: number;
  resourceUris: { type: HmsResourceType; uri: string }[];
}

export interface HmsCounts {
  databases: number;
  tables: number;
  partitions: number;
  functions: number;
}

/**
 * A read-only view of one catalog of a metastore. Every listing comes in creation (id) order,
 * read a page at a time, so nothing grows with the size of the metastore. Calls may interleave
 * (tables of a database while its databases are being listed): they share one connection.
 */
export interface HmsSource {
  /** '3.x' when the schema has catalogs (CTLGS, DBS.CTLG_NAME); '2.x' when it has none and everything is in `hive`. */
  readonly schemaGeneration: '2.x' | '3.x';
  /** VERSION.SCHEMA_VERSION when the metastore recorded one. */
  readonly schemaVersion?: string;
  databases(): AsyncIterable<HmsDatabase>;
  tables(database: string): AsyncIterable<HmsTable>;
  /** Batches of at most `batchSize` (default 1,000, at most 10,000), keyset-paged by PART_ID. */
  partitions(database: string, table: string, batchSize?: number): AsyncIterable<HmsPartition[]>;
  functions(database: string): AsyncIterable<HmsFunction>;
  counts(): Promise<HmsCounts>;
  close(): Promise<void>;
}

export interface HmsSourceOptions {
  /** How long to wait for the server; default 10 s. */
  connectTimeoutMs?: number;
  /** Rows per query when listing databases, tables and functions (default 500, 200 and 500; 1 to 10,000). */
  listPageSize?: number;
  /** Where progress lines go (the job's run log takes them as they are); never given a secret. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}
