// A throwaway S3-compatible server for the tests: @20minutes/s3rver on 127.0.0.1, a random port, a temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';
import './lean-runner.js';
import type { S3Settings } from '../../src/storage/s3-storage.js';

export interface TestS3Server {
  endpoint: string;
  /** Settings that reach it with its built-in account. */
  settings: S3Settings;
  /** The same as LAKEFORM_* variables, for a server process. */
  env: Record<string, string>;
  /** Every request it received, as 'METHOD /path?query'. */
  requests: string[];
  /** Drops every bucket. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<TestS3Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-s3-'));
  // s3rver computes the canonical path of bucket requests without the trailing '/' that SDK v3 signs, so it
  // would refuse every bucket call: let signatures pass (an unknown access key is still refused).
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    allowMismatchedSignatures: true,
  });
  const requests: string[] = [];
  server.middleware.unshift(async (ctx, next) => {
    requests.push(`${ctx.method} ${ctx.path}${ctx.querystring ? `?${ctx.querystring}` : ''}`);
    await next();
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver's one account.
  const settings: S3Settings = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  };
  return {
    endpoint,
    settings,
    env: {
      LAKEFORM_STORAGE: 's3',
      LAKEFORM_S3_ENDPOINT: endpoint,
      LAKEFORM_S3_REGION: settings.region,
      LAKEFORM_S3_FORCE_PATH_STYLE: 'true',
      LAKEFORM_S3_ACCESS_KEY_ID: settings.accessKeyId,
      LAKEFORM_S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
    },
    requests,
    // Not s3rver's own reset, which uses a deprecated fs call.
    reset: () => {
      for (const entry of fs.readdirSync(dir)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    },
    async stop() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
