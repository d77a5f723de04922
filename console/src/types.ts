export interface Instance {
  instance_id: string;
  name: string;
  description: string;
  status: string;
  in_recycle_bin: boolean;
  default_instance: boolean;
  charge_mode: string;
  shared: boolean;
  create_time: string;
  update_time: string;
  specs: { spec_code: string; stride_num: number }[];
  tags: { key: string; value: string }[];
}
export interface PageInfo {
  next_marker?: string;
  previous_marker?: string;
}
export interface Column {
  column_name: string;
  column_type: string;
  comment?: string;
}
export interface Catalog {
  catalog_name: string;
  description?: string;
  location: string;
  owner: string;
}
export interface Database {
  database_name: string;
  description?: string;
  location?: string;
  owner?: string;
}
export interface Table {
  table_name: string;
  database_name?: string;
  table_type: string;
  table_format?: string;
  owner?: string;
  comments?: string;
  parameters?: Record<string, string>;
  partition_keys?: Column[];
  version_id?: string;
  storage_descriptor: {
    columns: Column[];
    location?: string;
    input_format?: string;
    output_format?: string;
    compressed?: boolean;
    number_of_buckets?: number;
    bucket_columns?: string[];
    sort_columns?: { column?: string; sort_order?: number }[];
    parameters?: Record<string, string>;
    serde_info?: { name?: string; serialization_library?: string; parameters?: Record<string, string> };
  };
  view_original_text?: string;
  view_expanded_text?: string;
  create_time?: string;
  retention?: number;
}
export interface Partition {
  partition_name?: string;
  partition_values: string[];
  create_time?: string;
  storage_descriptor?: { location?: string };
  parameters?: Record<string, string>;
}
