// Every operation with a request body has an example in /openapi.json and docs/api.md, and each
// example is sent, in order, to a real server, where it succeeds: the docs cannot show a body the
// server refuses.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXAMPLE_BODIES } from '../src/http/examples.js';
import { buildWorld, documentedExample, EXAMPLE_ORDER, OPERATIONS, type Sent } from './helpers/api-world.js';
import { startServer, type TestServer } from './helpers/server.js';

describe('example request bodies', () => {
  let server: TestServer;
  const sent: Sent[] = [];
  before(async () => {
    server = await startServer({ name: 'sqlite' }, { env: { LAKEFORM_ALARM_INTERVAL_SECONDS: '1' } });
    await buildWorld(server, (s) => sent.push(s));
  });
  after(() => server?.stop());

  test('every operation with a body has its own example, documented and sent', () => {
    const withBody = OPERATIONS.filter((op) => op.body).map((op) => op.name);
    assert.deepEqual(
      withBody.filter((n) => EXAMPLE_BODIES[n] === undefined),
      [],
      'operations without an example',
    );
    assert.deepEqual(
      withBody.filter((n) => !EXAMPLE_ORDER.includes(n)),
      [],
      'examples the suite does not send',
    );
    for (const op of OPERATIONS.filter((o) => o.body))
      assert.deepEqual(documentedExample(op), EXAMPLE_BODIES[op.name], `${op.name} in /openapi.json`);
  });

  test('each example succeeds on a real server', () => {
    const failed = sent
      .filter((s) => (s.expect ? s.response.status !== s.expect : s.response.status >= 300))
      .map((s) => `${s.op.name}: ${s.response.status} ${s.response.text.slice(0, 300)}`);
    assert.deepEqual(failed, []);
    assert.ok(sent.length >= EXAMPLE_ORDER.length);
  });
});
