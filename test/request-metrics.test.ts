// The request counter and latency histogram (http/metrics.ts), kept in cells of our own and handed to the registry
// at each scrape: the exposition is Prometheus's, bucket for bucket.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from '../src/http/metrics.js';

const line = (text: string, name: string, labels: string): number | undefined => {
  const l = text.split('\n').find((x) => x.startsWith(`${name}{`) && x.includes(labels));
  return l === undefined ? undefined : Number(l.split(' ').pop());
};

test('requests are counted and timed per protocol, operation and status class, in cumulative buckets', async () => {
  const m = new Metrics();
  try {
    const load = { wire: 'iceberg', operation: 'IcebergLoadTable' } as const;
    m.observeRequest({ ...load, status: 200, seconds: 0.0004 });
    m.observeRequest({ ...load, status: 204, seconds: 0.001 }); // on a bound: counted in that bucket
    m.observeRequest({ ...load, status: 200, seconds: 0.003 });
    m.observeRequest({ ...load, status: 404, seconds: 20 }); // beyond the last bound: only in +Inf
    const text = await m.text();
    const ok = 'wire="iceberg",operation="IcebergLoadTable",status_class="2xx"';
    const missing = 'wire="iceberg",operation="IcebergLoadTable",status_class="4xx"';
    assert.equal(line(text, 'lakeform_requests_total', ok), 3);
    assert.equal(line(text, 'lakeform_requests_total', missing), 1);
    const bucket = 'lakeform_request_duration_seconds_bucket';
    assert.match(text, /# TYPE lakeform_request_duration_seconds histogram/);
    assert.equal(line(text, bucket, `le="0.001",${ok}`), 2);
    assert.equal(line(text, bucket, `le="0.0025",${ok}`), 2);
    assert.equal(line(text, bucket, `le="0.005",${ok}`), 3);
    assert.equal(line(text, bucket, `le="10",${ok}`), 3);
    assert.equal(line(text, bucket, `le="+Inf",${ok}`), 3);
    assert.equal(line(text, bucket, `le="10",${missing}`), 0);
    assert.equal(line(text, bucket, `le="+Inf",${missing}`), 1);
    assert.equal(line(text, 'lakeform_request_duration_seconds_count', ok), 3);
    assert.ok(Math.abs((line(text, 'lakeform_request_duration_seconds_sum', ok) ?? 0) - 0.0044) < 1e-12);
    assert.equal(line(text, 'lakeform_request_duration_seconds_sum', missing), 20);
    // A second scrape reads the same totals (the counter is rebuilt from the cells, not added to).
    assert.equal(line(await m.text(), 'lakeform_requests_total', ok), 3);
    m.observeDecision('allow', 'table.load');
    m.observeDecision('allow', 'table.load');
    m.observeDecision('deny', 'table.load');
    const after = await m.text();
    assert.equal(line(after, 'lakeform_authorization_decisions_total', 'decision="allow",action="table.load"'), 2);
    assert.equal(line(after, 'lakeform_authorization_decisions_total', 'decision="deny",action="table.load"'), 1);
    for (const status of [200, 409, 409, 500])
      m.observeRequest({ wire: 'iceberg', operation: 'IcebergCommitTable', status, seconds: 0.002 });
    const commits = await m.text();
    assert.equal(line(commits, 'lakeform_iceberg_commits_total', 'result="committed"'), 1);
    assert.equal(line(commits, 'lakeform_iceberg_commits_total', 'result="conflict"'), 2);
    assert.equal(line(commits, 'lakeform_iceberg_commits_total', 'result="failed"'), 1);
    // Reset (the registry's resetMetrics) empties the cells: nothing is exposed until observed again.
    m.registry.resetMetrics();
    assert.equal(line(await m.text(), 'lakeform_request_duration_seconds_count', ok), undefined);
  } finally {
    m.close();
  }
});
