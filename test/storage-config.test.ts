// LAKEFORM_STORAGE and the LAKEFORM_S3_* settings: defaults, and clear errors at load that never print a secret.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { createObjectStorage } from '../src/storage/index.js';

const S3 = {
  LAKEFORM_STORAGE: 's3',
  LAKEFORM_S3_ENDPOINT: 'https://obs.example.test',
  LAKEFORM_S3_ACCESS_KEY_ID: 'AKIDCONFIGTEST0001',
  LAKEFORM_S3_SECRET_ACCESS_KEY: 'config-secret-never-printed',
};
const SECRETS = ['AKIDCONFIGTEST0001', 'config-secret-never-printed', 'config-token-never-printed'];

/** The error loading this environment throws; it must name no credential. */
function loadError(env: Record<string, string>): string {
  try {
    loadConfig({ LAKEFORM_DATA_DIR: '/tmp/lakeform-config-test', ...env });
  } catch (e) {
    const message = (e as Error).message;
    for (const s of SECRETS) assert.ok(!message.includes(s), `the error shows ${s}: ${message}`);
    return message;
  }
  assert.fail(`loading ${JSON.stringify(env)} should fail`);
}

describe('storage configuration', () => {
  test('local by default', async () => {
    const config = loadConfig({ LAKEFORM_DATA_DIR: '/tmp/lakeform-config-test' });
    assert.deepEqual(config.storage, { kind: 'local' });
    assert.equal((await createObjectStorage(config)).kind, 'local');
  });

  test('s3: region us-east-1 and virtual-hosted style unless set; the session token is optional', async () => {
    const config = loadConfig({ LAKEFORM_DATA_DIR: '/tmp/lakeform-config-test', ...S3 });
    assert.deepEqual(config.storage, {
      kind: 's3',
      endpoint: 'https://obs.example.test',
      region: 'us-east-1',
      forcePathStyle: false,
      accessKeyId: 'AKIDCONFIGTEST0001',
      secretAccessKey: 'config-secret-never-printed',
      sessionToken: undefined,
      sts: undefined,
    });
    const withSts = loadConfig({ ...S3, LAKEFORM_S3_STS_ROLE_ARN: 'arn:aws:iam::1:role/r' }).storage;
    assert.ok(withSts.kind === 's3');
    assert.deepEqual(
      withSts.sts,
      { endpoint: 'https://obs.example.test', roleArn: 'arn:aws:iam::1:role/r' },
      'the STS answers at the S3 endpoint unless set',
    );
    const storage = await createObjectStorage(config);
    assert.equal(storage.kind, 's3');
    storage.close?.();
    const set = loadConfig({
      ...S3,
      LAKEFORM_S3_REGION: 'cn-north-4',
      LAKEFORM_S3_FORCE_PATH_STYLE: 'true',
      LAKEFORM_S3_SESSION_TOKEN: 'config-token-never-printed',
    }).storage;
    assert.ok(set.kind === 's3');
    assert.deepEqual(
      [set.region, set.forcePathStyle, set.sessionToken],
      ['cn-north-4', true, 'config-token-never-printed'],
    );
    for (const [raw, value] of [
      ['false', false],
      ['0', false],
      ['1', true],
      ['', false],
    ] as const) {
      const s = loadConfig({ ...S3, LAKEFORM_S3_FORCE_PATH_STYLE: raw }).storage;
      assert.equal(s.kind === 's3' && s.forcePathStyle, value, raw);
    }
  });

  test('bad settings fail at load and say which variable is wrong', () => {
    assert.match(loadError({ LAKEFORM_STORAGE: 'obs' }), /LAKEFORM_STORAGE must be local or s3, got 'obs'/);
    assert.match(
      loadError({ LAKEFORM_STORAGE: 's3' }),
      /LAKEFORM_STORAGE=s3 needs LAKEFORM_S3_ENDPOINT, LAKEFORM_S3_ACCESS_KEY_ID, LAKEFORM_S3_SECRET_ACCESS_KEY$/,
    );
    const { LAKEFORM_S3_SECRET_ACCESS_KEY: _secret, ...noSecret } = S3;
    assert.match(loadError(noSecret), /needs LAKEFORM_S3_SECRET_ACCESS_KEY$/);
    const { LAKEFORM_S3_ACCESS_KEY_ID: _id, ...noKeyId } = S3;
    assert.match(
      loadError({ ...noKeyId, LAKEFORM_S3_SESSION_TOKEN: 'config-token-never-printed' }),
      /needs LAKEFORM_S3_ACCESS_KEY_ID$/,
    );
    for (const endpoint of ['obs.example.test', 'ftp://obs.example.test', 'http://']) {
      assert.match(
        loadError({ ...S3, LAKEFORM_S3_ENDPOINT: endpoint }),
        /LAKEFORM_S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/,
        endpoint,
      );
    }
    assert.match(
      loadError({
        ...S3,
        LAKEFORM_S3_ENDPOINT: 'https://AKIDCONFIGTEST0001:config-secret-never-printed@obs.example.test',
      }),
      /LAKEFORM_S3_ENDPOINT must not carry credentials/,
    );
    assert.match(
      loadError({ ...S3, LAKEFORM_S3_FORCE_PATH_STYLE: 'yes' }),
      /LAKEFORM_S3_FORCE_PATH_STYLE must be true or false, got 'yes'/,
    );
  });
});
