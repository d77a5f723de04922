import { invalid } from '../errors.js';

/** One product the service sells, as ListSpecs describes it. */
export interface SpecDefinition {
  spec_code: string;
  resource_type: string;
  unit: string;
  stride: number;
  min_stride_num: number;
  max_stride_num: number;
  stride_num_whitelist: number[];
  usage_measure_id: number;
  usage_factor: string;
  usage_value: number;
  free_usage_value: number;
}

export const QPS_SPEC = 'lakeformation.unit.basic.qps';

/** The catalogue: a QPS spec whose stride count sets the instance's request-rate limit. */
export const SPEC_CATALOG: readonly SpecDefinition[] = [
  {
    spec_code: QPS_SPEC,
    resource_type: 'hws.resource.type.lakeformation.qps',
    unit: 'QPS',
    stride: 1,
    min_stride_num: 5,
    max_stride_num: 10_000,
    stride_num_whitelist: [],
    usage_measure_id: 0,
    usage_factor: 'qps',
    usage_value: 0,
    free_usage_value: 0,
  },
];

export const DEFAULT_QPS_STRIDES = 5;

export interface RequestedSpec {
  spec_code: string;
  stride_num: number;
  product_id?: string;
}

/** Checks requested specs against the catalogue; every instance ends up with exactly one QPS spec. */
export function validateSpecs(specs: RequestedSpec[]): RequestedSpec[] {
  const seen = new Set<string>();
  for (const s of specs) {
    const def = SPEC_CATALOG.find((d) => d.spec_code === s.spec_code);
    if (!def) throw invalid(`unknown spec_code '${s.spec_code}'; ListSpecs shows the available ones`);
    if (seen.has(s.spec_code)) throw invalid(`spec_code '${s.spec_code}' is given twice`);
    seen.add(s.spec_code);
    if (
      s.stride_num < def.min_stride_num ||
      s.stride_num > def.max_stride_num ||
      (s.stride_num - def.min_stride_num) % def.stride !== 0
    ) {
      throw invalid(
        `stride_num of ${s.spec_code} must be between ` +
          `${def.min_stride_num} and ${def.max_stride_num} in steps of ` +
          `${def.stride}, got ${s.stride_num}`,
      );
    }
    if (def.stride_num_whitelist.length && !def.stride_num_whitelist.includes(s.stride_num)) {
      throw invalid(`stride_num of ${s.spec_code} must be one of ${def.stride_num_whitelist.join(', ')}`);
    }
  }
  if (!seen.has(QPS_SPEC)) throw invalid(`specs must include ${QPS_SPEC}`);
  return specs;
}
