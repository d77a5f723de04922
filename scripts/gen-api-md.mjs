#!/usr/bin/env node
// Writes docs/api.md, the index of every operation, from the operation table and the OpenAPI
// document made from it (run after `npm run build`: node scripts/gen-api-md.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { allOperations } = await import(path.join(root, 'dist/src/http/app.js'));
const { openApiDocument } = await import(path.join(root, 'dist/src/http/openapi.js'));

// The table is built from the services its handlers call; listing it calls none of them.
const inert = new Proxy(() => inert, { get: () => inert, apply: () => inert });
const ops = allOperations(inert);
const doc = openApiDocument(ops, 'docs');
const AUTH = { required: 'token or AK/SK', bearer: 'bearer token', none: 'none' };

const out = [
  '# API index',
  '',
  'Every operation the server serves, generated from the operation table by `scripts/gen-api-md.mjs`',
  '(do not edit by hand). The server publishes the same as OpenAPI 3.1 at `/openapi.json`, browsable',
  'at `/docs`. Example bodies come from src/http/examples.ts; test/api-examples.test.ts sends each,',
  'in order, to a real server, where it succeeds (a `{name}` is an id from an earlier answer). What',
  'each part of the API does is in [api-guide.md](api-guide.md) and [iceberg.md](iceberg.md).',
  '',
];
const groups = new Map();
for (const op of ops) groups.set(op.group, [...(groups.get(op.group) ?? []), op]);
for (const [group, list] of groups) {
  out.push(`## ${group}`, '', '| operation | method and path | auth | example body |', '|---|---|---|---|');
  for (const op of list) {
    const body = doc.paths[op.path]?.[op.method.toLowerCase()]?.requestBody?.content?.['application/json']?.example;
    const ex = body === undefined ? '' : `\`${JSON.stringify(body).replace(/\|/g, '\\|')}\``;
    out.push(`| ${op.name} | \`${op.method} ${op.path}\` | ${AUTH[op.auth]} | ${ex} |`);
  }
  out.push('');
}
out.push('## Operations', '', '| operation | method and path | auth |', '|---|---|---|');
for (const [p, item] of Object.entries(doc.paths)) {
  for (const [m, o] of Object.entries(item))
    if (o.tags?.[0] === 'Operations') out.push(`| ${o.operationId} | \`${m.toUpperCase()} ${p}\` | none |`);
}
fs.writeFileSync(path.join(root, 'docs/api.md'), `${out.join('\n')}\n`);
console.log(`docs/api.md: ${ops.length} operations`);
