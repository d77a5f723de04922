import { invalid } from '../errors.js';

/**
 * A caller-supplied `create_time` (date-time, e.g. a migrated object's source creation time),
 * normalised to the ISO form the store keeps; `now` when none is given. A value that is not
 * a date, or lies in the future, is refused: a creation time cannot be later than the create.
 */
export function createTimeOf(value: unknown, now: string, what = 'create_time'): string {
  if (value === undefined || value === null || value === '') return now;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms))
    throw invalid(`${what} must be a date-time such as 2024-01-31T12:00:00Z, not ${JSON.stringify(value)}`);
  const iso = new Date(ms).toISOString();
  if (iso > now) throw invalid(`${what} ${String(value)} is in the future`);
  return iso;
}
