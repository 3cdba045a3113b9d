/**
 * Serves the phone app (web/phone, built into cloud/dist/m) under /m/: hashed
 * assets cached for a year, everything else (index.html, sw.js, the manifest)
 * revalidated on each load, so a new build reaches phones at their next visit
 * and the service worker is never stuck on an old copy.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const PHONE_APP_PREFIX = '/m/';

/** cloud/dist/m beside this module (cloud/src or a bundle in cloud/dist); null when not built: the cloud serves the API only. */
export function findPhoneAppRoot(here = import.meta.dirname): string | null {
  for (const dir of [join(here, 'm'), join(here, '../dist/m')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

export async function registerPhoneApp(app: FastifyInstance, root: string): Promise<void> {
  const shell = async (reply: FastifyReply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(await readFile(join(root, 'index.html')));
  await app.register(fastifyStatic, {
    root,
    prefix: PHONE_APP_PREFIX,
    index: false,
    wildcard: true,
    cacheControl: false,
    // The .br and .gz the build writes beside each file (scripts/build-web.ts): a third of the bytes on a slow link.
    preCompressed: true,
    // Swagger UI registers its own copy; this one must not claim reply.sendFile.
    decorateReply: false,
    setHeaders: (reply, path) => {
      const hashed = path.startsWith(join(root, 'assets/'));
      void reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (path.endsWith('.webmanifest')) void reply.header('content-type', 'application/manifest+json');
    },
  });
  app.get('/m/', { schema: { hide: true } }, (_req, reply) => shell(reply));
  app.get('/m', { schema: { hide: true } }, (_req, reply) => reply.redirect('/m/'));
}
