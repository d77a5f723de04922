import { invalid } from '../errors.js';

/** What an alarm rule watches. Definitions are in the README (Alarms) and in metrics.ts. */
export const METRICS = ['REQUEST_RATE_RATIO', 'QUOTA_USAGE_RATIO', 'DENIED_REQUEST_RATE', 'JOB_FAILURES'] as const;
export type Metric = (typeof METRICS)[number];

export const COMPARISONS = ['>', '>=', '<', '<=', '='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const RECORD_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];

export type ResolveReason = 'CONDITION_CLEARED' | 'RULE_CHANGED' | 'RULE_DISABLED' | 'RULE_DELETED';

/** Rules an instance may hold: the evaluator's work per pass grows with them. */
export const ALARM_RULE_QUOTA = 100;
export const MAX_PERIOD_SECONDS = 86_400;
export const RULE_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Whether `value comparison threshold` holds. */
export function holds(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '=':
      return value === threshold;
  }
}

/**
 * A webhook must be an absolute http(s) URL. Credentials in it are refused: fetch cannot send
 * them, and they would be shown back in every rule listing; a fragment is never sent, so it is
 * refused rather than silently dropped.
 */
export function validateWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`webhook_url '${raw}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`webhook_url must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (!url.hostname) throw invalid('webhook_url must name a host');
  if (url.username || url.password)
    throw invalid('webhook_url must not carry credentials (user:password@); put a token in the path or query instead');
  if (url.hash) throw invalid('webhook_url must not have a #fragment');
  return raw;
}
