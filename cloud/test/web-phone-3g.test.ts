/**
 * The phone app on a slow 3G link (WebPageTest's "3G Slow": 400 kbit/s each
 * way, 400 ms round trip; test-support/phone-link.ts says why that one), in
 * Chromium with phone emulation, against a real cloud: the first load comes
 * compressed and the sign-in form shows, sign-in works, a 随手拍 with a camera
 * photo is filed with the photo shrunk on the phone, and a reload gets the app
 * from the service worker. What it costs in bytes and seconds is the bench's
 * (scripts/bench/phone-3g.ts): nothing here asserts a duration.
 */
import t from 'tap';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { hashPassword, type SyncUser, type TicketState } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { launchChromium } from '@cunbox/test-support/chromium';
import { cameraScene, SLOW_3G, slowLinkJourney } from '@cunbox/test-support/phone-link';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cachedWebBuild } from '../../scripts/build-web.ts';

const PASSWORD = 'Village-pass-3g';

const dir = tmpDir(t, 'cunbox-phone-3g-');
let rig: BrokerRig;
t.before(async () => {
  rig = await aedesRig(dir, { phoneApp: cachedWebBuild('phone') });
});
t.teardown(() => rig?.close());

t.test('on a slow 3G link: first load, sign-in, a report with a photo, and a reload from the service worker', async (t) => {
  const village = rig.cloud.store.createVillage('东村');
  // The villager's account as users sync puts it at the cloud (no edge needed for what a phone sends the cloud).
  const villager: SyncUser = { username: 'zhangsan', displayName: '张三', role: 'villager', passwordHash: await hashPassword(PASSWORD), disabled: false, cameras: null };
  rig.cloud.store.accounts.putUsers(village.id, 'edge', { v: 1, version: '1'.padStart(64, '0'), at: 1, users: [villager] });
  const photo = await sharp(cameraScene(), { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
  const browser = await launchChromium(t);
  const j = await slowLinkJourney(browser, { base: `http://127.0.0.1:${rig.cloud.httpPort}`, villageId: village.id, username: 'zhangsan', password: PASSWORD, photo, link: SLOW_3G, category: 'garbage' });
  t.comment(JSON.stringify(j));

  const script = j.firstLoad.files.find((f) => /^\/m\/assets\/.*\.js$/.test(f.path));
  t.ok(script, 'the first load fetched the app script');
  t.equal(script!.encoding, 'br', 'the script came compressed (the build precompresses, the cloud sends the .br)');
  t.ok(j.firstLoad.bytes < 80_000, `the first load is under 80 KB over the link (${j.firstLoad.bytes} bytes)`);

  t.ok(j.report.uploadedBytes > 0 && j.report.uploadedBytes < 300_000 && j.report.uploadedBytes < j.report.pickedBytes / 8, `the photo was shrunk on the phone before upload (${j.report.pickedBytes} → ${j.report.uploadedBytes} bytes)`);
  // A lower bound only (a busy machine can only make it slower): the link was really shaped, so the rest means something.
  t.ok(j.report.filedMs >= ((j.report.uploadedBytes * 8) / (SLOW_3G.upKbps * 1000)) * 1000 * 0.9, `the upload took at least its bytes at ${SLOW_3G.upKbps} kbit/s`);
  const filed = rig.cloud.store.list<TicketState>(village.id, 'ticket').find((x) => x.description === '桥头有垃圾堆（3G）');
  t.match(filed, { reporter: 'zhangsan', status: 'submitted', photos: [/./] }, 'the report and its photo reached the cloud');

  t.ok(j.secondLoad.appFiles > 0, 'the reload loaded the app');
  t.equal(j.secondLoad.fromServiceWorker, j.secondLoad.appFiles, 'every app file of the reload came through the service worker');
});

t.test('a client that takes no compression gets each file as built; one that takes gzip gets gzip', async (t) => {
  const base = `http://127.0.0.1:${rig.cloud.httpPort}`;
  const html = await (await fetch(`${base}/m/`)).text();
  const asset = html.match(/src="(\/m\/assets\/[^"]+\.js)"/)![1]!;
  const get = (encoding: string) =>
    new Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }>((resolve, reject) => {
      request(`${base}${asset}`, { headers: { 'accept-encoding': encoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
  const plain = await get('identity');
  t.equal(plain.encoding, undefined, 'not compressed');
  t.match(plain.body.toString('utf8', 0, 200), /import|function|const|var/, 'the script itself');
  const gz = await get('gzip');
  t.equal(gz.encoding, 'gzip');
  t.ok(gunzipSync(gz.body).equals(plain.body), 'the same script, gzipped');
  t.ok(gz.body.length < plain.body.length / 2, `a fraction of it (${plain.body.length} → ${gz.body.length} bytes)`);
  t.match(gz.vary, /accept-encoding/i, 'caches keep the two apart');
});
