// Builds the browser app (web/) with Vite into `outDir`. Used by `npm run build`
// (into edge/dist/web, which the edge serves and the install copies with edge/dist)
// and by the browser tests (into a cache keyed by the sources' hash).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '..');
const webDir = join(root, 'web');

export function buildWeb(outDir: string): void {
  vite([], { CUNBOX_WEB_OUT: outDir });
}

/** The phone app (web/phone, its own Vite config), served by the cloud under /m/. */
export function buildPhone(outDir: string): void {
  vite(['--config', 'vite.phone.config.ts'], { CUNBOX_PHONE_OUT: outDir });
  precompress(outDir);
}

/** Text files worth compressing; smaller ones would gain less than the headers cost. */
const COMPRESSIBLE = /\.(js|css|html|svg|webmanifest)$/;
const MIN_COMPRESS_BYTES = 1024;

/**
 * Writes a .br and a .gz beside each text file of a build, which the cloud
 * sends to a phone that accepts them (phone-web.ts): on a slow 3G link the
 * script of the first load is a third of its size. Made once here at the
 * highest levels, instead of by the server on every request.
 */
function precompress(dir: string): void {
  for (const path of listFiles(dir)) {
    if (!COMPRESSIBLE.test(path)) continue;
    const data = readFileSync(path);
    if (data.length < MIN_COMPRESS_BYTES) continue;
    writeFileSync(`${path}.br`, brotliCompressSync(data, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: zlibConstants.BROTLI_MAX_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length } }));
    writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  }
}

function vite(args: string[], env: Record<string, string>): void {
  // vite's package.json does not export its bin: find the package, then the file.
  const bin = join(dirname(createRequire(join(webDir, 'package.json')).resolve('vite/package.json')), 'bin/vite.js');
  execFileSync(process.execPath, [bin, 'build', ...args, '--logLevel', 'warn'], { cwd: webDir, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist') return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? listFiles(p) : [p];
  });
}

/** Hash of everything the build reads from this checkout (web/ and the shared sources it imports). */
export function webSourceHash(): string {
  const h = createHash('sha256');
  // This file too: how a build is made (precompress) is part of what it is.
  for (const f of [...listFiles(webDir), ...listFiles(join(root, 'shared/src')), join(root, 'package-lock.json'), import.meta.filename].sort()) {
    h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** A build of the current sources under .cache/web-<hash> (or phone-<hash>), built only when the sources changed. */
export function cachedWebBuild(app: 'web' | 'phone' = 'web'): string {
  const out = join(root, '.cache', `${app}-${webSourceHash()}`);
  if (existsSync(join(out, 'index.html'))) {
    const now = new Date();
    utimesSync(out, now, now); // recently used: the prune keeps it
    pruneOldBuilds(join(root, '.cache'), KEEP_BUILDS);
    return out;
  }
  // Build beside, then rename: a concurrent run never serves a half-written build.
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  (app === 'phone' ? buildPhone : buildWeb)(tmp);
  try {
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run got there first
  }
  pruneOldBuilds(join(root, '.cache'), KEEP_BUILDS);
  return out;
}

/** Builds kept in .cache: a few, so switching between branches does not rebuild each time. */
const KEEP_BUILDS = 6;
function pruneOldBuilds(cache: string, keep: number): void {
  const builds = readdirSync(cache)
    .filter((n) => /^(web|phone)-[0-9a-f]{16}$/.test(n))
    .map((n) => ({ path: join(cache, n), at: statSync(join(cache, n)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const old of builds.slice(keep)) rmSync(old.path, { recursive: true, force: true });
}

/** Gzipped size of what the first page load fetches: index.html's script and the chunks it preloads, and its CSS. */
export function initialSize(dir: string, base = '/'): { jsKbGz: number; cssKbGz: number } {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => r.startsWith(`${base}assets/`)).map((r) => r.slice(base.length));
  const kb = (ext: string) => Math.round(refs.filter((r) => r.endsWith(ext)).reduce((n, r) => n + gzipSync(readFileSync(join(dir, r))).length, 0) / 102.4) / 10;
  return { jsKbGz: kb('.js'), cssKbGz: kb('.css') };
}
