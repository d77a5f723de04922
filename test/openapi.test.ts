// The OpenAPI document: valid OpenAPI 3.1 by a real validator, every served route in it, examples
// that the server accepts, and the browsable reference served without a network.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { loadConfig } from '../src/config.js';
import { allOperations } from '../src/http/app.js';
import { compileIcebergSchema } from '../src/http/iceberg-wire.js';
import { toFastifyPath } from '../src/http/operation.js';
import { compileRequestSchema } from '../src/http/validator.js';
import { createLogger, type RunningServer, startServer } from '../src/server.js';
import './helpers/lean-runner.js';

describe('OpenAPI document', () => {
  let server: RunningServer;
  let dataDir: string;
  let doc: any;
  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-openapi-'));
    const config = loadConfig({
      LAKEFORM_DATA_DIR: dataDir,
      LAKEFORM_ADMIN_PASSWORD: 'Openapi-Test-1',
      LAKEFORM_PORT: '0',
    });
    server = await startServer(config, createLogger('warn', 2));
    const r = await fetch(`${server.url}/openapi.json`);
    assert.equal(r.status, 200);
    doc = await r.json();
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('validates as OpenAPI 3.1 and its references resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 4000));
    assert.doesNotThrow(() => validator.resolveRefs());
  });

  test('every served route is in it, with its method', () => {
    const documented = new Set<string>();
    for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${toFastifyPath(p)}`);
    }
    // The web console's and the reference's static files are pages, not API operations.
    const served = server.app.servedRoutes.filter(
      (r) => r.url !== '/docs/:file' && r.url !== '*' && r.url !== '/console' && !r.url.startsWith('/console/'),
    );
    assert.ok(served.length > 150, `only ${served.length} routes`);
    const missing = served
      // Fastify's automatic HEAD of a documented GET needs no entry of its own.
      .filter((r) => !(r.method === 'HEAD' && documented.has(`GET ${r.url}`)))
      .filter((r) => !documented.has(`${r.method} ${r.url}`));
    assert.deepEqual(missing, []);
  });

  test('LakeFormation, IAM and Iceberg operations carry schemas and security', () => {
    const op = (p: string, m: string) => doc.paths[p]?.[m];
    const create = op('/v1/{project_id}/instances/{instance_id}/catalogs', 'post');
    assert.equal(create.operationId, 'CreateCatalog');
    assert.deepEqual(create.security, [{ token: [] }, { signature: [] }]);
    assert.equal(create.requestBody.content['application/json'].schema.required[0], 'catalog_name');
    assert.ok(create.requestBody.content['application/json'].example.catalog_name);
    assert.deepEqual(op('/v3/auth/tokens', 'post').security, []);
    const commit = Object.values(doc.paths as Record<string, any>)
      .flatMap((i) => Object.values(i))
      .find((o: any) => o.operationId === 'IcebergCommitTable') as any;
    assert.ok(commit, 'IcebergCommitTable is documented');
    assert.deepEqual(commit.security, [{ bearer: [] }, { token: [] }]);
    assert.ok(Object.keys(doc.components.schemas).some((n) => n.startsWith('iceberg-')));
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'signature', 'token']);
  });

  // Validators are compiled on a route's first request, so start-up no longer proves that every schema compiles.
  test("every operation's request schemas compile with its wire's validator", () => {
    const failed: string[] = [];
    const ops = allOperations(server.services);
    for (const op of ops) {
      for (const [part, schema] of Object.entries({ params: op.params, query: op.query, body: op.body })) {
        if (!schema) continue;
        try {
          (op.wire === 'iceberg' ? compileIcebergSchema : compileRequestSchema)(schema);
        } catch (err) {
          failed.push(`${op.name} ${part}: ${(err as Error).message}`);
        }
      }
    }
    assert.ok(ops.length > 150, `only ${ops.length} operations`);
    assert.deepEqual(failed, []);
    assert.throws(() => compileRequestSchema({ type: 'object', properties: { x: { type: 'no-such-type' } } }));
  });

  test('the reference at /docs is served from the package, scripts included', async () => {
    const page = await fetch(`${server.url}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//, 'no CDN');
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const r = await fetch(`${server.url}${src[1]}`);
      assert.equal(r.status, 200, src[1]);
      assert.ok((await r.arrayBuffer()).byteLength > 10, src[1]);
    }
    assert.equal((await fetch(`${server.url}/docs/package.json`)).status, 404);
  });
});
