import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build` puts the web console (vite's outDir): dist/console beside dist/src. */
export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console');
export const CONSOLE_PATH = '/console/';

/**
 * Serves the web console's static build at /console/ on the API's own origin. Hashed assets are cached for good;
 * index.html is revalidated, and every other path under /console/ gets it too, so client-side routes survive a reload.
 * Returns false when the console was not built.
 */
export async function serveConsole(app: FastifyInstance, root = CONSOLE_DIR): Promise<boolean> {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) return false;
  await app.register(fastifyStatic, {
    root,
    prefix: CONSOLE_PATH,
    wildcard: false, // one route per built file; the SPA fallback below takes the rest
    index: false,
    cacheControl: false, // set below, per file
    setHeaders: (res, file) => {
      res.setHeader(
        'Cache-Control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const html = (_request: unknown, reply: { header(k: string, v: string): unknown; sendFile(f: string): unknown }) => {
    reply.header('Cache-Control', 'no-cache');
    return reply.sendFile('index.html');
  };
  // The router ignores trailing slashes, so this is /console/ too; assets are absolute, so no redirect is needed.
  app.get('/console', html);
  // A missing asset is a 404, not the page: a stale tab asking for an old chunk must fail visibly.
  app.get('/console/*', (request, reply) => {
    if (request.url.startsWith('/console/assets/')) return reply.callNotFound();
    return html(request, reply);
  });
  return true;
}
