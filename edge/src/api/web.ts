import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Api } from './route-context.ts';

/** Paths that belong to the API and tooling: the browser app never answers for them. */
const SERVER_PREFIXES = ['/api', '/open311', '/docs', '/metrics', '/healthz'];
/** Vite puts every hashed file here; anything else (index.html) must be revalidated. */
const HASHED_DIR = '/assets/';

export function isServerPath(path: string): boolean {
  return SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

/**
 * Where the built browser app is: next to the bundled CLI (edge/dist/web, whether
 * this code runs from edge/dist or edge/dist/chunks) or, running the sources,
 * in edge/dist/web of this checkout. null: not built, the box serves the API only.
 */
export function findWebRoot(here = import.meta.dirname): string | null {
  for (const dir of [join(here, 'web'), join(here, '../web'), join(here, '../../dist/web')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/**
 * Serves the browser app from `root`: hashed assets cached for a year, index.html
 * never cached (a new build is picked up at the next load), and any other page
 * path (/tickets/…, /screen) answered with index.html so the app's router can
 * take it. API and tooling paths keep their JSON 404.
 */
export async function registerWeb(app: Api, root: string): Promise<void> {
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    index: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      const hashed = path.startsWith(join(root, HASHED_DIR));
      void reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  // The static handler refuses a directory; the app's root is its shell.
  app.get('/', { schema: { hide: true } }, (req, reply) => appShell(root, reply));
}

/** index.html, read per request: a new build takes effect without a restart, and the file is small. */
async function appShell(root: string, reply: FastifyReply): Promise<FastifyReply> {
  return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(await readFile(join(root, 'index.html')));
}

/**
 * For a request no route took: the app's index.html when it is a page path
 * (the app's router shows it), else null and the caller sends the JSON 404.
 */
export function appShellFor(root: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> | null {
  if (req.method !== 'GET' && req.method !== 'HEAD') return null;
  const path = req.url.split('?')[0]!;
  // A missing /assets file or any other file name is a real 404: a stale page must not get HTML as its script.
  if (isServerPath(path) || path.startsWith(HASHED_DIR) || /\.[a-z0-9]+$/i.test(path)) return null;
  return appShell(root, reply);
}
