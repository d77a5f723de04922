// The request logger (http/request-log.ts): its entries are those of the pino child Fastify would make, with the
// request id; the child is made only by an entry the level lets through.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { requestLogger } from '../src/http/request-log.js';
import { createLogger } from '../src/logger.js';

function logged(level: string) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(level, { write: (s: string) => void lines.push(JSON.parse(s)) });
  let children = 0;
  const child = log.child.bind(log);
  const parent = Object.assign(Object.create(log), {
    child: (...a: Parameters<typeof child>) => {
      children++;
      return child(...a);
    },
  }) as FastifyBaseLogger;
  return { lines, parent, children: () => children };
}

test('an entry the level lets through carries the request id, as the child would write it', () => {
  const { lines, parent, children } = logged('info');
  const log = requestLogger(parent, { reqId: 'r1' }, {});
  log.info({ operation: 'X', status: 200 }, 'request');
  log.warn('plain');
  assert.equal(children(), 1);
  assert.deepEqual(
    lines.map(({ time: _t, pid: _p, hostname: _h, ...l }) => l),
    [
      { level: 30, service: 'lakeform', reqId: 'r1', operation: 'X', status: 200, msg: 'request' },
      { level: 40, service: 'lakeform', reqId: 'r1', msg: 'plain' },
    ],
  );
});

test('entries below the level make no child and write nothing', () => {
  const { lines, parent, children } = logged('warn');
  const log = requestLogger(parent, { reqId: 'r2' }, {});
  log.info({ a: 1 }, 'request');
  log.debug('x');
  log.trace('y');
  assert.equal(children(), 0);
  assert.equal(lines.length, 0);
  assert.equal(log.level, 'warn');
  log.error({ err: new Error('boom') }, 'unhandled error');
  assert.equal(children(), 1);
  assert.equal(lines[0]?.reqId, 'r2');
  assert.equal((lines[0]?.err as { message?: string } | undefined)?.message, 'boom');
});

test('a child of the request logger keeps the request id; a route level gets its child at once', () => {
  const { lines, parent, children } = logged('info');
  requestLogger(parent, { reqId: 'r3' }, {}).child({ job: 'j' }).info('in a child');
  assert.deepEqual([lines[0]?.reqId, lines[0]?.job], ['r3', 'j']);
  requestLogger(parent, { reqId: 'r4' }, { level: 'debug' });
  assert.equal(children(), 2);
});
