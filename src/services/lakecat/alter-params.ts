// UpdateTable's alter_params, as the reference documents them: CASCADE (a column change reaches
// every partition), DO_NOT_UPDATE_STATS (whether the file-level statistics are recomputed) and
// STATS_GENERATED (who produced the statistics: TASK, or UNSET for anyone else). Pure functions.
import { invalid } from '../errors.js';

export interface AlterParams {
  /** Partitions take the table's new columns in the same transaction. */
  cascade: boolean;
  /** numFiles and totalSize are recomputed from the files at the table's location. */
  updateStats: boolean;
  statsGenerated?: 'TASK' | 'UNSET';
}

const flag = (raw: Record<string, unknown>, key: string): boolean | undefined => {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (v === true || v === 'true' || v === 'TRUE') return true;
  if (v === false || v === 'false' || v === 'FALSE') return false;
  throw invalid(`alter_params.${key} must be true or false`);
};

export function alterParamsOf(raw: Record<string, unknown> | undefined): AlterParams {
  const p = raw ?? {};
  const unknown = Object.keys(p).filter((k) => !['CASCADE', 'DO_NOT_UPDATE_STATS', 'STATS_GENERATED'].includes(k));
  if (unknown.length)
    throw invalid(
      `alter_params has unknown keys: ${unknown.join(', ')} (CASCADE, DO_NOT_UPDATE_STATS, STATS_GENERATED)`,
    );
  const generated = p.STATS_GENERATED;
  if (generated !== undefined && generated !== 'TASK' && generated !== 'UNSET')
    throw invalid('alter_params.STATS_GENERATED must be TASK or UNSET');
  return {
    cascade: flag(p, 'CASCADE') ?? false,
    // Recomputing lists every file, so it happens only when asked for (DO_NOT_UPDATE_STATS false).
    updateStats: flag(p, 'DO_NOT_UPDATE_STATS') === false,
    ...(generated ? { statsGenerated: generated } : {}),
  };
}

/**
 * The parameters with recomputed file statistics. As Hive: the basic statistics are marked
 * accurate (COLUMN_STATS_ACCURATE's BASIC_STATS) only when a task generated them.
 */
export function withFileStats(
  params: Record<string, string>,
  stats: { numFiles: number; totalSize: number },
  generated: 'TASK' | 'UNSET' | undefined,
): Record<string, string> {
  const out: Record<string, string> = {
    ...params,
    numFiles: String(stats.numFiles),
    totalSize: String(stats.totalSize),
  };
  let accurate: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(params.COLUMN_STATS_ACCURATE ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) accurate = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: nothing accurate is known.
  }
  if (generated === 'TASK') accurate.BASIC_STATS = 'true';
  else delete accurate.BASIC_STATS;
  if (Object.keys(accurate).length) out.COLUMN_STATS_ACCURATE = JSON.stringify(accurate);
  else delete out.COLUMN_STATS_ACCURATE;
  return out;
}
