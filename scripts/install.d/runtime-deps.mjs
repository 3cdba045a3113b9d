#!/usr/bin/env node
// Prints, one a line, the node_modules directories a workspace (edge or cloud)
// needs at run time: the closure of its package.json's dependencies (optional
// ones only where present), through the workspaces it uses (@cunbox/shared),
// resolved the way Node resolves them, read from package-lock.json. The bundle
// (edge/dist, cloud/dist) carries everything else; dev tools (TypeScript, tap,
// esbuild, the browser) and the other workspace's dependencies stay out of a release.
//
//   node scripts/install.d/runtime-deps.mjs SOURCE_DIR [edge|cloud]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = process.argv[2] ?? '.';
const workspace = process.argv[3] ?? 'edge';
const lock = JSON.parse(readFileSync(join(src, 'package-lock.json'), 'utf8'));
const pkgs = lock.packages;
const needed = new Set();

/** Where Node finds `name` required from the package at lock path `from`. */
function resolve(from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (pkgs[candidate]) return candidate;
    if (!dir) return null;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut >= 0 ? dir.slice(0, cut) : '';
  }
}

function visit(from) {
  const entry = pkgs[from];
  const deps = { ...entry.dependencies, ...entry.optionalDependencies };
  for (const name of Object.keys(deps)) {
    const at = resolve(from, name);
    if (!at) {
      if (entry.optionalDependencies?.[name]) continue;
      throw new Error(`${from} needs ${name}, which package-lock.json does not have`);
    }
    if (needed.has(at)) continue;
    // A workspace link (@cunbox/shared): the bundle inlines its code, but what it
    // loads at run time (unix-dgram for systemd's READY=1) must be in the release.
    if (pkgs[at].link) {
      needed.add(at);
      visit(pkgs[at].resolved);
      continue;
    }
    // Optional, platform-specific packages (sharp's libvips for other systems) that npm did not install.
    if (!existsSync(join(src, at))) {
      if (pkgs[at].optional) continue;
      throw new Error(`${at} is missing: run npm ci`);
    }
    needed.add(at);
    visit(at);
  }
}

if (!pkgs[workspace]) throw new Error(`package-lock.json has no workspace ${workspace}`);
visit(workspace);
// A nested package is copied with its parent; list only the outermost ones.
const outer = [...needed].filter((p) => !pkgs[p].link).filter((p) => ![...needed].some((q) => q !== p && p.startsWith(`${q}/`))).sort();
for (const p of outer) console.log(p);
