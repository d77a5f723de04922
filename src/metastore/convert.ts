import type { LocationMap } from '../services/engine-locations.js';
import { invalid } from '../services/errors.js';
import type { DatabaseInput, DatabaseView } from '../services/lakecat/database-service.js';
import type { FunctionInput, FunctionView } from '../services/lakecat/function-service.js';
import type { PartitionInput } from '../services/lakecat/partition-service.js';
import type { ColumnStatisticsObject } from '../services/lakecat/statistics-service.js';
import type { Column, StorageDescriptor, TableInput } from '../services/lakecat/table-service.js';
import { type HmsTypes as H, num, T } from './runtime.js';

/**
 * Thrift structs to the services' inputs and the services' views to Thrift structs. The checks
 * the REST schemas make before a service sees a body are made here for Thrift callers.
 */

const COLUMN_NAME = /^[a-zA-Z0-9_\-+*\\(), \u4e00-\u9fa5]+$/;
const TABLE_TYPES = new Set(['MANAGED_TABLE', 'EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'MATERIALIZED_VIEW']);

export const seconds = (iso: unknown): number => {
  const t = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
};
const iso = (s: number | null | undefined): string | undefined =>
  s && s > 0 ? new Date(s * 1000).toISOString() : undefined;

function text(what: string, v: string | null | undefined, max: number): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string') throw invalid(`${what} must be a string`);
  if (v.length > max) throw invalid(`${what} is longer than ${max} characters`);
  return v;
}

/** Parameters are kept verbatim (Spark keeps its schema and statistics in them), within the REST API's bounds. */
export function params(what: string, p: Record<string, string> | null | undefined): Record<string, string> | undefined {
  if (!p) return undefined;
  const entries = Object.entries(p);
  if (entries.length > 2000) throw invalid(`${what} holds more than 2000 entries`);
  for (const [k, v] of entries) {
    if (k.length > 256) throw invalid(`${what}: key '${k.slice(0, 40)}…' is longer than 256 characters`);
    if (typeof v !== 'string') throw invalid(`${what}.${k} must be a string`);
    if (v.length > 409_600) throw invalid(`${what}.${k} is longer than 409600 characters`);
  }
  return { ...p };
}

function columns(what: string, cols: H.FieldSchema[] | null | undefined): Column[] {
  if (!cols) return [];
  if (cols.length > 10_000) throw invalid(`${what} holds more than 10000 columns`);
  return cols.map((c, i) => {
    if (!c?.name || !COLUMN_NAME.test(c.name) || c.name.length > 256)
      throw invalid(`${what}[${i}]: column name '${c?.name ?? ''}' is invalid`);
    if (!c.type || c.type.length > 40_000)
      throw invalid(`${what}[${i}] (${c.name}): a column type of 1 to 40000 characters is required`);
    const comment = text(`${what}[${i}].comment`, c.comment, 4000);
    return { column_name: c.name, column_type: c.type, ...(comment ? { comment } : {}) };
  });
}

const fieldSchemas = (cols: unknown): H.FieldSchema[] =>
  ((cols as Column[] | undefined) ?? []).map(
    // Plain fields: the constructor of the struct holding them (or of a list answer) copies them into FieldSchemas.
    (c) => ({ name: c.column_name, type: c.column_type, comment: c.comment ?? '' }) as H.FieldSchema,
  );

export function storageDescriptorIn(
  sd: H.StorageDescriptor | null | undefined,
  loc: LocationMap,
  what: string,
): StorageDescriptor {
  if (!sd) return { columns: [] };
  const location = loc.fromEngine(`${what}.location`, sd.location);
  const serde = sd.serdeInfo;
  const out: StorageDescriptor = {
    columns: columns(`${what}.cols`, sd.cols),
    ...(location ? { location } : {}),
    ...(sd.inputFormat ? { input_format: text(`${what}.inputFormat`, sd.inputFormat, 4000) } : {}),
    ...(sd.outputFormat ? { output_format: text(`${what}.outputFormat`, sd.outputFormat, 4000) } : {}),
    compressed: Boolean(sd.compressed),
    number_of_buckets: sd.numBuckets ?? -1,
    bucket_columns: sd.bucketCols ?? [],
    sort_columns: (sd.sortCols ?? []).map((o) => ({ column: o.col, sort_order: o.order })),
    parameters: params(`${what}.parameters`, sd.parameters) ?? {},
    ...(serde
      ? {
          serde_info: {
            ...(serde.name ? { name: serde.name } : {}),
            ...(serde.serializationLib ? { serialization_library: serde.serializationLib } : {}),
            parameters: params(`${what}.serdeInfo.parameters`, serde.parameters) ?? {},
          },
        }
      : {}),
    ...(sd.skewedInfo
      ? {
          skewed_info: {
            skewed_column_names: sd.skewedInfo.skewedColNames ?? [],
            skewed_column_values: sd.skewedInfo.skewedColValues ?? [],
            // Thrift's map with list keys arrives as a Map; kept as JSON text keys.
            skewed_column_value_location_maps: Object.fromEntries(
              [
                ...((sd.skewedInfo.skewedColValueLocationMaps as unknown as Map<unknown, string>)?.entries?.() ?? []),
              ].map(([k, v]) => [JSON.stringify(k), v]),
            ),
          },
        }
      : {}),
    ...(sd.storedAsSubDirectories !== null && sd.storedAsSubDirectories !== undefined
      ? { stored_as_sub_directories: sd.storedAsSubDirectories }
      : {}),
  };
  return out;
}

export function storageDescriptorOut(sd: Record<string, unknown> | undefined, loc: LocationMap): H.StorageDescriptor {
  return new T.StorageDescriptor(storageDescriptorPlain(sd, loc));
}

/** A stored skewed_info as the Thrift struct (its location map is keyed by value lists, kept as JSON text keys). */
export function skewedInfoOf(stored: unknown): H.SkewedInfo {
  const skew = stored as {
    skewed_column_names?: string[];
    skewed_column_values?: string[][];
    skewed_column_value_location_maps?: Record<string, string>;
  };
  return new T.SkewedInfo({
    skewedColNames: skew.skewed_column_names ?? [],
    skewedColValues: skew.skewed_column_values ?? [],
    skewedColValueLocationMaps: new Map(
      Object.entries(skew.skewed_column_value_location_maps ?? {}).map(([k, v]) => [JSON.parse(k) as string[], v]),
    ) as unknown as { [k: string]: string },
  });
}

/** The fields of a StorageDescriptor as the generated constructors take them (they copy into Thrift objects). */
function storageDescriptorPlain(sd: Record<string, unknown> | undefined, loc: LocationMap): H.StorageDescriptor {
  const s = (sd ?? {}) as StorageDescriptor & Record<string, any>;
  const serde = s.serde_info as
    | { name?: string; serialization_library?: string; parameters?: Record<string, string> }
    | undefined;
  return {
    cols: fieldSchemas(s.columns),
    location: loc.toEngine(s.location),
    inputFormat: s.input_format ?? '',
    outputFormat: s.output_format ?? '',
    compressed: Boolean(s.compressed),
    numBuckets: s.number_of_buckets ?? -1,
    serdeInfo: {
      name: serde?.name ?? '',
      serializationLib: serde?.serialization_library ?? '',
      parameters: serde?.parameters ?? {},
    } as H.SerDeInfo,
    bucketCols: s.bucket_columns ?? [],
    sortCols: (s.sort_columns ?? []).map((o) => ({ col: o.column ?? '', order: o.sort_order ?? 1 }) as H.Order),
    parameters: s.parameters ?? {},
    ...(s.skewed_info ? { skewedInfo: skewedInfoOf(s.skewed_info) } : {}),
    ...(typeof s.stored_as_sub_directories === 'boolean'
      ? { storedAsSubDirectories: s.stored_as_sub_directories }
      : {}),
  } as H.StorageDescriptor;
}

/** Parameters naming Iceberg metadata files hold locations: they follow the location rule too. */
const LOCATION_PARAMS = ['metadata_location', 'previous_metadata_location'];

export function tableIn(t: H.Table, loc: LocationMap): TableInput {
  if (!t?.tableName) throw invalid('the table needs a tableName');
  const type = (t.tableType || 'MANAGED_TABLE').toUpperCase();
  if (!TABLE_TYPES.has(type)) throw invalid(`table type ${t.tableType} is not one of ${[...TABLE_TYPES].join(', ')}`);
  const parameters = params('parameters', t.parameters) ?? {};
  for (const k of LOCATION_PARAMS)
    if (parameters[k]) parameters[k] = loc.fromEngine(`parameters.${k}`, parameters[k]) as string;
  const isView = type === 'VIRTUAL_VIEW' || type === 'MATERIALIZED_VIEW';
  const comment = parameters.comment;
  return {
    table_name: t.tableName,
    table_type: type,
    ...((parameters.table_type ?? '').toUpperCase() === 'ICEBERG' ? { table_format: 'ICEBERG' } : {}),
    owner_type: 'USER',
    ...(comment !== undefined ? { comments: text('parameters.comment', comment, 4000) } : {}),
    parameters,
    partition_keys: columns('partitionKeys', t.partitionKeys),
    retention: t.retention ?? 0,
    storage_descriptor: storageDescriptorIn(t.sd, loc, 'sd'),
    ...(isView
      ? {
          view_original_text: text('viewOriginalText', t.viewOriginalText, 1_000_000) ?? '',
          view_expanded_text: text('viewExpandedText', t.viewExpandedText, 1_000_000) ?? '',
        }
      : {}),
  };
}

export function tableOut(v: Record<string, unknown>, loc: LocationMap): H.Table {
  const parameters = { ...((v.parameters as Record<string, string> | undefined) ?? {}) };
  for (const k of LOCATION_PARAMS) if (parameters[k]) parameters[k] = loc.toEngine(parameters[k]);
  return new T.Table({
    tableName: v.table_name as string,
    dbName: v.database_name as string,
    owner: (v.owner as string) ?? '',
    createTime: seconds(v.create_time),
    lastAccessTime: seconds(v.last_access_time),
    retention: (v.retention as number) ?? 0,
    sd: storageDescriptorOut(v.storage_descriptor as Record<string, unknown>, loc),
    partitionKeys: fieldSchemas(v.partition_keys),
    parameters,
    viewOriginalText: (v.view_original_text as string) || (null as unknown as string),
    viewExpandedText: (v.view_expanded_text as string) || (null as unknown as string),
    tableType: v.table_type as string,
    catName: v.catalog_name as string,
    ownerType:
      v.owner_type === 'ROLE'
        ? T.PrincipalType.ROLE
        : v.owner_type === 'GROUP'
          ? T.PrincipalType.GROUP
          : T.PrincipalType.USER,
  });
}

export function databaseIn(d: H.Database, loc: LocationMap): DatabaseInput {
  if (!d?.name) throw invalid('the database needs a name');
  const location = loc.fromEngine('locationUri', d.locationUri);
  const description = text('description', d.description, 4000);
  return {
    database_name: d.name,
    ...(description ? { description } : {}),
    ...(location ? { location } : {}),
    parameters: params('parameters', d.parameters) ?? {},
  };
}

export function databaseOut(v: DatabaseView, loc: LocationMap): H.Database {
  return new T.Database({
    name: v.database_name,
    description: v.description,
    locationUri: loc.toEngine(v.location),
    parameters: v.parameters,
    ownerName: v.owner,
    ownerType:
      v.owner_type === 'ROLE'
        ? T.PrincipalType.ROLE
        : v.owner_type === 'GROUP'
          ? T.PrincipalType.GROUP
          : T.PrincipalType.USER,
    catalogName: v.catalog_name,
    createTime: seconds(v.create_time),
  });
}

export function partitionIn(p: H.Partition, loc: LocationMap, what = 'partition'): PartitionInput {
  if (!p?.values?.length) throw invalid(`${what} needs its values`);
  if (p.values.length > 1000) throw invalid(`${what} has more than 1000 values`);
  p.values.forEach((v, i) => {
    if (typeof v !== 'string' || v.length > 256)
      throw invalid(`${what}.values[${i}] must be a string of at most 256 characters`);
  });
  const lastAccess = iso(p.lastAccessTime);
  return {
    partition_values: p.values,
    storage_descriptor: storageDescriptorIn(p.sd, loc, `${what}.sd`),
    parameters: params(`${what}.parameters`, p.parameters) ?? {},
    ...(lastAccess ? { last_access_time: lastAccess } : {}),
  };
}

export function partitionOut(v: Record<string, unknown>, loc: LocationMap): H.Partition {
  return new T.Partition(partitionPlain(v, loc));
}

/**
 * A partition's fields, not yet a Thrift object. A list answer goes through the generated
 * result's constructor, which copies every element into Thrift objects: building them here too
 * would make each partition twice (a 1,000-partition answer is ~40,000 objects a copy).
 */
export function partitionPlain(v: Record<string, unknown>, loc: LocationMap): H.Partition {
  return {
    values: v.partition_values as string[],
    dbName: v.database_name as string,
    tableName: v.table_name as string,
    createTime: seconds(v.create_time),
    lastAccessTime: seconds(v.last_access_time),
    sd: storageDescriptorPlain(v.storage_descriptor as Record<string, unknown>, loc),
    parameters: (v.parameters as Record<string, string>) ?? {},
    catName: v.catalog_name as string,
  } as H.Partition;
}

const RESOURCE_TYPES: Record<number, string> = { 1: 'JAR', 2: 'FILE', 3: 'ARCHIVE' };

export function functionIn(f: H.Function): FunctionInput {
  if (!f?.functionName) throw invalid('the function needs a functionName');
  if (!f.className || f.className.length > 4000)
    throw invalid('the function needs a className of at most 4000 characters');
  return {
    function_name: f.functionName,
    class_name: f.className,
    function_type: 'JAVA',
    owner_type: 'USER',
    resource_uris: (f.resourceUris ?? []).map((r) => ({
      type: RESOURCE_TYPES[r.resourceType] ?? 'JAR',
      uri: text('resourceUris.uri', r.uri, 4000) ?? '',
    })),
  };
}

export function functionOut(v: FunctionView): H.Function {
  const types = Object.fromEntries(Object.entries(RESOURCE_TYPES).map(([n, s]) => [s, Number(n)]));
  return new T.Function({
    functionName: v.function_name,
    dbName: v.database_name,
    className: v.class_name,
    ownerName: v.owner,
    ownerType: v.owner_type === 'ROLE' ? T.PrincipalType.ROLE : T.PrincipalType.USER,
    createTime: seconds(v.create_time),
    functionType: T.FunctionType.JAVA,
    resourceUris: v.resource_uris.map((r) => new T.ResourceUri({ resourceType: types[r.type] ?? 1, uri: r.uri })),
    catName: v.catalog_name,
  });
}

// ---- column statistics ----

const b64 = (b: Buffer | null | undefined) => (b?.length ? { bit_vector: b.toString('base64') } : {});
const bytes = (s: unknown) => (typeof s === 'string' && s ? Buffer.from(s, 'base64') : null);
const EPOCH_DAY = 86_400_000;

export function statsObjectIn(o: H.ColumnStatisticsObj, what: string): ColumnStatisticsObject {
  const d = o?.statsData;
  if (!o?.colName || !d) throw invalid(`${what} needs colName, colType and statsData`);
  const base = { column_name: o.colName, column_type: o.colType };
  if (d.longStats) {
    const s = d.longStats;
    return {
      ...base,
      data_type: 'longStats',
      long_statistics_data: {
        minimum_value: num(s.lowValue),
        maximum_value: num(s.highValue),
        number_of_distinct_value: num(s.numDVs),
        number_of_null: num(s.numNulls),
        ...b64(s.bitVectors),
      },
    };
  }
  if (d.doubleStats) {
    const s = d.doubleStats;
    return {
      ...base,
      data_type: 'doubleStats',
      double_statistics_data: {
        minimum_value: s.lowValue ?? 0,
        maximum_value: s.highValue ?? 0,
        number_of_distinct_value: num(s.numDVs),
        number_of_null: num(s.numNulls),
        ...b64(s.bitVectors),
      },
    };
  }
  if (d.stringStats) {
    const s = d.stringStats;
    return {
      ...base,
      data_type: 'stringStats',
      string_statistics_data: {
        average_length: s.avgColLen ?? 0,
        maximum_length: num(s.maxColLen),
        number_of_distinct_value: num(s.numDVs),
        number_of_null: num(s.numNulls),
        ...b64(s.bitVectors),
      },
    };
  }
  if (d.booleanStats) {
    const s = d.booleanStats;
    return {
      ...base,
      data_type: 'booleanStats',
      boolean_statistics_data: {
        number_of_true: num(s.numTrues),
        number_of_false: num(s.numFalses),
        number_of_null: num(s.numNulls),
      },
    };
  }
  if (d.binaryStats) {
    const s = d.binaryStats;
    return {
      ...base,
      data_type: 'binaryStats',
      binary_statistics_data: {
        average_length: s.avgColLen ?? 0,
        maximum_length: num(s.maxColLen),
        number_of_null: num(s.numNulls),
      },
    };
  }
  if (d.decimalStats) {
    const s = d.decimalStats;
    const dec = (x: H.Decimal | undefined) =>
      x ? { scale: x.scale, unscaled: Buffer.from(x.unscaled ?? []).toString('base64') } : {};
    return {
      ...base,
      data_type: 'decimalStats',
      decimal_statistics_data: {
        minimum_value: dec(s.lowValue),
        maximum_value: dec(s.highValue),
        number_of_distinct_value: num(s.numDVs),
        number_of_null: num(s.numNulls),
        ...b64(s.bitVectors),
      },
    };
  }
  if (d.dateStats) {
    const s = d.dateStats;
    const day = (x: H.Date | undefined) =>
      x ? new Date(num(x.daysSinceEpoch) * EPOCH_DAY).toISOString().slice(0, 10) : undefined;
    return {
      ...base,
      data_type: 'dateStats',
      date_statistics_data: {
        minimum_value: day(s.lowValue),
        maximum_value: day(s.highValue),
        number_of_distinct_value: num(s.numDVs),
        number_of_null: num(s.numNulls),
        ...b64(s.bitVectors),
      },
    };
  }
  throw invalid(`${what} (${o.colName}): statistics of this kind are not kept`);
}

/** The fields the ranged kinds (long, double, decimal, date) share: bounds, nulls, distinct values and the sketch. */
const ranged = <V>(s: Record<string, any>, low: V, high: V) => ({
  lowValue: low,
  highValue: high,
  numNulls: s.number_of_null ?? 0,
  numDVs: s.number_of_distinct_value ?? 0,
  bitVectors: bytes(s.bit_vector) as Buffer,
});

export function statsObjectOut(o: ColumnStatisticsObject): H.ColumnStatisticsObj {
  const g = (k: string) => (o[k] ?? {}) as Record<string, any>;
  let data: H.ColumnStatisticsData;
  switch (o.data_type) {
    case 'longStats': {
      const s = g('long_statistics_data');
      data = new T.ColumnStatisticsData({
        longStats: new T.LongColumnStatsData(ranged(s, s.minimum_value, s.maximum_value)),
      });
      break;
    }
    case 'doubleStats': {
      const s = g('double_statistics_data');
      data = new T.ColumnStatisticsData({
        doubleStats: new T.DoubleColumnStatsData(ranged(s, s.minimum_value, s.maximum_value)),
      });
      break;
    }
    case 'stringStats': {
      const s = g('string_statistics_data');
      data = new T.ColumnStatisticsData({
        stringStats: new T.StringColumnStatsData({
          maxColLen: s.maximum_length ?? 0,
          avgColLen: s.average_length ?? 0,
          numNulls: s.number_of_null ?? 0,
          numDVs: s.number_of_distinct_value ?? 0,
          bitVectors: bytes(s.bit_vector) as Buffer,
        }),
      });
      break;
    }
    case 'booleanStats': {
      const s = g('boolean_statistics_data');
      data = new T.ColumnStatisticsData({
        booleanStats: new T.BooleanColumnStatsData({
          numTrues: s.number_of_true ?? 0,
          numFalses: s.number_of_false ?? 0,
          numNulls: s.number_of_null ?? 0,
        }),
      });
      break;
    }
    case 'binaryStats': {
      const s = g('binary_statistics_data');
      data = new T.ColumnStatisticsData({
        binaryStats: new T.BinaryColumnStatsData({
          maxColLen: s.maximum_length ?? 0,
          avgColLen: s.average_length ?? 0,
          numNulls: s.number_of_null ?? 0,
        }),
      });
      break;
    }
    case 'decimalStats': {
      const s = g('decimal_statistics_data');
      const dec = (x: { scale?: number; unscaled?: string } | undefined) =>
        x?.unscaled ? new T.Decimal({ scale: x.scale ?? 0, unscaled: Buffer.from(x.unscaled, 'base64') }) : undefined;
      data = new T.ColumnStatisticsData({
        decimalStats: new T.DecimalColumnStatsData(ranged(s, dec(s.minimum_value), dec(s.maximum_value))),
      });
      break;
    }
    case 'dateStats': {
      const s = g('date_statistics_data');
      const day = (x: unknown) =>
        typeof x === 'string' && x
          ? new T.Date({ daysSinceEpoch: Math.round(Date.parse(`${x.slice(0, 10)}T00:00:00Z`) / EPOCH_DAY) })
          : undefined;
      data = new T.ColumnStatisticsData({
        dateStats: new T.DateColumnStatsData(ranged(s, day(s.minimum_value), day(s.maximum_value))),
      });
      break;
    }
    default:
      throw invalid(`statistics of type ${o.data_type} cannot be sent over Thrift`);
  }
  return new T.ColumnStatisticsObj({ colName: o.column_name, colType: o.column_type, statsData: data });
}
