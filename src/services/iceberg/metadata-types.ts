// The shapes of Iceberg table metadata (format 1 to 3), shared by the updates and the rules that check them.
import type { PartitionField, IcebergSchema as SchemaFields } from './new-table.js';

export interface IcebergSchema extends SchemaFields {
  'schema-id': number;
}
export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}
export interface SortOrder {
  'order-id': number;
  fields: { 'source-id': number; transform: string; direction: string; 'null-order': string }[];
}
export interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number | null;
  'sequence-number'?: number;
  'timestamp-ms': number;
  'manifest-list'?: string;
  summary: Record<string, string>;
  'schema-id'?: number;
  /** Format 3 row lineage. */
  'first-row-id'?: number;
  'added-rows'?: number;
}
export interface SnapshotRef {
  'snapshot-id': number;
  type: 'branch' | 'tag';
  'max-ref-age-ms'?: number;
  'max-snapshot-age-ms'?: number;
  'min-snapshots-to-keep'?: number;
}
export interface StatisticsFile {
  'snapshot-id': number;
  'statistics-path': string;
  [k: string]: unknown;
}
export interface PartitionStatisticsFile {
  'snapshot-id': number;
  'statistics-path': string;
  'file-size-in-bytes': number;
}

export interface TableMetadata {
  'format-version': number;
  'table-uuid': string;
  location: string;
  'last-sequence-number'?: number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': SortOrder[];
  properties: Record<string, string>;
  'current-snapshot-id'?: number | null;
  snapshots: Snapshot[];
  'snapshot-log': { 'snapshot-id': number; 'timestamp-ms': number }[];
  'metadata-log': { 'metadata-file': string; 'timestamp-ms': number }[];
  refs: Record<string, SnapshotRef>;
  statistics?: StatisticsFile[];
  'partition-statistics'?: PartitionStatisticsFile[];
  /** Format 3: the first row id the next snapshot's rows take. */
  'next-row-id'?: number;
  [k: string]: unknown;
}
