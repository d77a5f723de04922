// LAKEFORM_PASSWORD_HASH_COST: scrypt's N for new password hashes. The default stays strong; the tests' servers run at
// a lower cost, and a hash verifies at whatever cost it was made with.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import {
  DEFAULT_PASSWORD_HASH_COST,
  dummyPasswordHash,
  hashPassword,
  verifyPassword,
} from '../src/services/iam/crypto-util.js';

const load = (cost?: string) =>
  loadConfig({ LAKEFORM_DATA_DIR: '/tmp/lakeform-config-test', LAKEFORM_PASSWORD_HASH_COST: cost });

describe('password hash cost', () => {
  test('16384 by default; a power of two from 1024 to 1048576 when set', () => {
    assert.equal(DEFAULT_PASSWORD_HASH_COST, 16384);
    assert.equal(load().passwordHashCost, 16384);
    assert.equal(load('').passwordHashCost, 16384);
    assert.equal(load('1024').passwordHashCost, 1024);
    assert.equal(load('65536').passwordHashCost, 65536);
    assert.throws(() => load('3000'), /LAKEFORM_PASSWORD_HASH_COST must be a power of two, got 3000/);
    assert.throws(() => load('512'), /LAKEFORM_PASSWORD_HASH_COST must be an integer between 1024 and 1048576/);
    assert.throws(() => load('many'), /LAKEFORM_PASSWORD_HASH_COST must be an integer/);
  });

  test('a hash carries its cost and verifies at it, whatever cost new hashes are made at', async () => {
    const strong = await hashPassword('Secret-pass-1');
    assert.match(strong, /^scrypt\$16384\$8\$1\$/);
    const cheap = await hashPassword('Secret-pass-1', 1024);
    assert.match(cheap, /^scrypt\$1024\$8\$1\$/);
    for (const stored of [strong, cheap]) {
      assert.equal(await verifyPassword('Secret-pass-1', stored), true);
      assert.equal(await verifyPassword('Secret-pass-2', stored), false);
    }
  });

  test('the stand-in hash for an unknown user costs what a real one does', async () => {
    assert.match(dummyPasswordHash(), /^scrypt\$16384\$/);
    assert.match(dummyPasswordHash(1024), /^scrypt\$1024\$/);
    assert.equal(await verifyPassword('anything', dummyPasswordHash(1024)), false);
  });
});
