// The phone app on a slow 3G link: a real cloud on loopback serving the phone build (as the
// browser tests build it), Chromium with phone emulation on a link shaped through the DevTools
// protocol, one villager's visit per profile and run (test-support/phone-link.ts): first load,
// sign-in, a 随手拍 with a camera-sized photo, a reload. Profiles: WebPageTest's "3G Slow"
// (400/400 kbit/s, 400 ms) and Chrome DevTools' "Slow 3G" (same bandwidth, 2 s round trip).
//
//   npx tsx scripts/bench/phone-3g.ts --runs 3 --json bench-results/phone-3g.json
//
// JSON keys, per profile (medians over --runs, each run a fresh phone: no cache, no service worker):
//   first_load_bytes              bytes over the link until the sign-in form shows (headers included)
//   first_load_files              each app file with its bytes over the link and content-encoding (first run)
//   usable_sign_in_ms             navigation → a sign-in form one can type into
//   sign_in_ms                    tap 登录 → the signed-in app
//   report_filed_ms               tap 提交 → 已提交 (the photo upload, then the ticket)
//   photo_picked_bytes, photo_uploaded_bytes   the camera JPEG, and what the phone sent after shrinking it
//   second_load_ms                reload → the signed-in app, with the service worker running
//   second_load_from_sw           app files of the reload the service worker answered, of all
//   build                         the first-load files as built: raw, gzip and brotli bytes
//   machine                       cpus, node, load average
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { hashPassword } from '@cunbox/shared';
import { Cloud } from '../../cloud/src/index.ts';
import { cameraScene, DEVTOOLS_SLOW_3G, SLOW_3G, slowLinkJourney, type Journey } from '@cunbox/test-support/phone-link';
import { cachedWebBuild } from '../build-web.ts';
import { printAndSave } from './report.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    json: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const runs = Number(values.runs);
const PASSWORD = 'Bench-pass-3g';

const phoneApp = cachedWebBuild('phone');
const dir = mkdtempSync(join(tmpdir(), 'cunbox-bench-phone-3g-'));
const cloud = new Cloud({
  config: { dataDir: join(dir, 'cloud'), http: { host: '127.0.0.1', port: 0 }, operatorToken: 'bench-operator-token-0123456789abcdef', mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, publicUrl: null } },
  log: pino({ level: 'silent' }),
  phoneApp,
});
await cloud.start();
const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
try {
  const village = cloud.store.createVillage('东村');
  cloud.store.accounts.putUsers(village.id, 'bench', { v: 1, version: '1'.padStart(64, '0'), at: 1, users: [{ username: 'zhangsan', displayName: '张三', role: 'villager', passwordHash: await hashPassword(PASSWORD), disabled: false, cameras: null }] });
  const photo = await sharp(cameraScene(), { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
  const base = `http://127.0.0.1:${cloud.httpPort}`;

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const profiles: Record<string, unknown> = {};
  let files: Journey['firstLoad']['files'] = [];
  for (const link of [SLOW_3G, DEVTOOLS_SLOW_3G]) {
    const js: Journey[] = [];
    for (let i = 0; i < runs; i++) {
      js.push(await slowLinkJourney(browser, { base, villageId: village.id, username: 'zhangsan', password: PASSWORD, photo, link, category: 'garbage' }));
      process.stderr.write(`[bench] ${link.name} run ${i + 1}/${runs}\n`);
    }
    files = js[0]!.firstLoad.files;
    const m = (f: (j: Journey) => number) => Math.round(median(js.map(f)));
    profiles[link.name] = {
      link: { latency_ms: link.latencyMs, down_kbps: link.downKbps, up_kbps: link.upKbps },
      first_load_bytes: m((j) => j.firstLoad.bytes),
      first_load_files: files,
      usable_sign_in_ms: m((j) => j.firstLoad.usableMs),
      sign_in_ms: m((j) => j.signInMs),
      report_filed_ms: m((j) => j.report.filedMs),
      photo_picked_bytes: photo.length,
      photo_uploaded_bytes: m((j) => j.report.uploadedBytes),
      second_load_ms: m((j) => j.secondLoad.usableMs),
      second_load_from_sw: `${js[0]!.secondLoad.fromServiceWorker}/${js[0]!.secondLoad.appFiles}`,
    };
  }
  // The same files as the build holds them: what compression saves.
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return null;
    }
  };
  const build = files
    .filter((f) => f.path.startsWith('/m/assets/'))
    .map((f) => {
      const file = join(phoneApp, f.path.slice('/m/'.length));
      return { path: f.path, raw: readFileSync(file).length, gzip: size(`${file}.gz`), brotli: size(`${file}.br`) };
    });
  printAndSave({ runs, ...profiles, build, machine: { cpus: cpus().length, node: process.version, loadavg: loadavg().map((l) => Math.round(l * 10) / 10) } }, values.json);
} finally {
  await browser.close();
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
}
