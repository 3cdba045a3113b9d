/**
 * The rig of the phone-app browser tests (web-phone*.test.ts): a real cloud serving the phone
 * app at /m/, a real edge of the village 东村 syncing to it over a real broker, its accounts,
 * and Chromium with phone emulation (390×844, touch), with what every such test does on a
 * phone: sign in, look at a page (screenshot, no sideways scrolling, axe), make a report.
 * Split over files so that each stays well inside tap's per-file time on a slow CI box.
 */
import type { Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { launchChromium } from '@cunbox/test-support/chromium';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from '@cunbox/test-support/wait';
import { cachedWebBuild } from '../../../scripts/build-web.ts';
import { pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './phone.ts';

const ARTIFACTS = join(import.meta.dirname, '../../../artifacts/phone');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

export interface PhoneWeb {
  dir: string;
  rig: BrokerRig;
  village: PairedVillage;
  edge: VillageEdge;
  /** The cloud's URL. */
  base: string;
  /** Console errors and page errors of every phone opened, but those a test expects. */
  errors: string[];
  /** A phone's browser, signed in through the app's form. `expected`: console errors the test causes on purpose (a connection it cuts), not counted. */
  phone(username: string, expected?: RegExp): Promise<{ context: BrowserContext; page: Page }>;
  /** A screenshot into artifacts/phone, no sideways scrolling, no serious or critical axe violation. */
  check(t: Test, page: Page, name: string): Promise<void>;
  /** A picture of a native select's options (a headless browser draws no native popup: shown as a list box for the picture, put back). */
  openShot(select: Locator, name: string): Promise<void>;
  /** A 随手拍 report through the form, with a photo when given. */
  report(page: Page, what: { category: string; description: string; place: string; photo?: Buffer }): Promise<void>;
  /** A service behind the 服务 tab (help, certificates, party, cameras, announcements). */
  service(page: Page, name: string): Promise<void>;
}

export async function startPhoneWeb(t: Test): Promise<PhoneWeb> {
  const dir = tmpDir(t, 'cunbox-phone-web-');
  const rig = await aedesRig(dir, { phoneApp: cachedWebBuild('phone') });
  t.teardown(() => rig.close());
  const village = await pairVillage(rig, '东村');
  const edge = await startVillageEdge(t, dir, village, 'edge', [
    { username: 'wangfang', role: 'cadre' },
    { username: 'liwei', role: 'grid_worker' },
    { username: 'zhangsan', role: 'villager' },
    { username: 'admin', role: 'admin' },
    { username: 'secretary', role: 'party_secretary' },
    { username: 'zhaoliu', role: 'party_member' },
  ]);
  await waitFor('users at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(village.villageId))?.users === 6);
  const base = `http://127.0.0.1:${rig.cloud.httpPort}`;
  const browser: Browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
  const errors: string[] = [];

  return {
    dir, rig, village, edge, base, errors,
    async phone(username, expected) {
      const context = await browser.newContext(PHONE);
      const page = await context.newPage();
      page.on('console', (m) => void (m.type() === 'error' && !expected?.test(`${m.text()} (${m.location().url})`) && errors.push(`${username}: ${m.text()} (${m.location().url})`)));
      page.on('pageerror', (e) => void errors.push(`${username}: ${e.message}`));
      await page.goto(`${base}/m/?v=${village.villageId}`);
      await page.locator('#username').fill(username);
      await page.locator('#password').fill(passwordOf(username));
      await page.locator('[data-test=sign-in]').click();
      await page.locator('[data-test=signed-in]').waitFor();
      return { context, page };
    },
    async check(t, page, name) {
      await page.screenshot({ path: join(ARTIFACTS, `${name}-390x844.png`) });
      const { scroll, inner } = await page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })');
      t.ok(scroll <= inner, `${name}: no sideways scrolling (${scroll} ≤ ${inner})`);
      const axe = await new AxeBuilder({ page }).analyze();
      const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      t.same(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${name}: no serious or critical accessibility violations`);
    },
    async openShot(select, name) {
      await select.evaluate((e: { size: number; options: { length: number } }) => void (e.size = e.options.length));
      await select.scrollIntoViewIfNeeded();
      await select.page().screenshot({ path: join(ARTIFACTS, `${name}-390x844.png`) });
      await select.evaluate((e: { size: number }) => void (e.size = 0));
    },
    async report(page, what) {
      await page.locator('[data-tab=report]').click();
      if (what.photo) await page.locator('[data-test=photo]').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: what.photo });
      if (what.photo) await page.locator('.preview').waitFor();
      await page.locator('[data-test=category]').selectOption(what.category);
      await page.locator('[data-test=description]').fill(what.description);
      await page.locator('[data-test=place]').fill(what.place);
      await page.locator('[data-test=submit-report]').click();
    },
    async service(page, name) {
      await page.locator('[data-tab=more]').click();
      await page.locator(`[data-test=services] [data-tab=${name}]`).click();
    },
  };
}

/** A camera-sized JPEG (4000×3000, noisy so it does not compress to nothing). */
export async function cameraPhoto(): Promise<Buffer> {
  const w = 4000;
  const h = 3000;
  const raw = Buffer.alloc(w * h * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

export const ticketCard = (page: Page, description: string): Locator => page.locator('article.ticket', { hasText: description });
