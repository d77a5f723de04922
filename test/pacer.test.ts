// The pacer that puts short requests ahead of long work (services/pacer.ts): long work waits at a turn while a short
// request is in flight and goes on when it ends; waits are bounded and old short requests stop counting, so long work
// is never starved.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../src/services/pacer.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

test('a turn without short requests in flight goes on', async () => {
  await new Pacer(60_000).turn();
});

test('a turn waits while a short request is in flight and goes on when the last one ends', async () => {
  const pacer = new Pacer(60_000, 60_000);
  const end1 = pacer.begin();
  const end2 = pacer.begin();
  let passed = false;
  const turn = pacer.turn().then(() => {
    passed = true;
  });
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, false);
  end1();
  end1(); // ending twice counts once
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, false);
  assert.equal(pacer.short, 1);
  end2();
  await turn;
  assert.equal(passed, true);
  assert.equal(pacer.short, 0);
});

test('a wait is bounded: long work goes on although a short request never ends', async () => {
  const pacer = new Pacer(5, 60_000);
  pacer.begin();
  await pacer.turn();
  assert.equal(pacer.short, 1);
});

test('a request counts as short only for a while: an old one holds nothing back', async () => {
  const pacer = new Pacer(60_000, 0);
  pacer.begin();
  await new Promise((r) => setTimeout(r, 2));
  await pacer.turn();
  assert.equal(pacer.short, 0);
});

test("a short request's own work does not wait for itself, but waits for another short request", async () => {
  const pacer = new Pacer(60_000, 60_000);
  const mine = pacer.begin();
  await pacer.turn(mine); // would wait a minute if the request counted itself
  const other = pacer.begin();
  let passed = false;
  void pacer.turn(mine).then(() => {
    passed = true;
  });
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, false, 'another short request in flight holds it');
  other();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, true, 'its own entry, still in flight, does not');
  assert.equal(pacer.short, 1);
  mine();
});

test('work that names no request of its own waits for every short one', async () => {
  const pacer = new Pacer(60_000, 60_000);
  const first = pacer.begin();
  let passed = false;
  void pacer.turn().then(() => {
    passed = true;
  });
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, false);
  first();
  for (let i = 0; i < 5; i++) await tick();
  assert.equal(passed, true);
});
