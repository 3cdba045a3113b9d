/**
 * The system page shows `cunbox doctor`'s checks, run by the edge itself, to admins and
 * technicians (real checks on a fresh data directory: no database yet, no HTTP section,
 * so some fail, each with its fix); others see no system page and are refused the route.
 */
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { apiHarness, password } from './helpers/api.ts';
import { checkPage, signIn } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { parseConfig } from '../src/config/load.ts';
import { runDoctor } from '../src/doctor/checks.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

const webRoot = cachedWebBuild();

t.test('doctor on the system page: a technician and an admin see every check with its verdict and fix', async (t) => {
  const boxDir = tmpDir(t);
  const config = parseConfig(`data_dir: ${boxDir}\n`);
  const h = await apiHarness(t, { options: { webRoot, timeZone: 'Asia/Shanghai' }, doctor: () => runDoctor({ config, env: process.env, ports: [] }) });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;

  const reply = await h.as.technician.get('/api/system/doctor?lang=en');
  t.equal(reply.status, 200);
  const results = reply.body.results as Array<{ id: string; verdict: string; message: string; hint: string | null }>;
  t.match(results.find((r) => r.id === 'database'), { verdict: 'fail', message: /^no database at /, hint: 'run cunbox init' }, 'real checks, English texts');
  t.equal((await h.as.cadre.get('/api/system/doctor')).status, 403, 'a cadre may not run it');

  const browser = await launchChromium(t);
  const errors: string[] = [];
  const cadre = await signIn(browser, base, 'cadre', password('cadre'), errors);
  t.equal(await cadre.page.locator('[data-test=menu-system]').count(), 0, 'no system page for a cadre');

  const tech = await signIn(browser, base, 'technician', password('technician'), errors);
  await tech.page.locator('[data-test=menu-system]').click();
  await tech.page.locator('[data-test=doctor] > li').first().waitFor({ timeout: 60_000 });
  t.equal(await tech.page.locator('[data-test=doctor] > li').count(), results.length, 'every check');
  const db = tech.page.locator('[data-test=doctor-database]');
  t.match(await db.getAttribute('class'), /\bis-fail\b/);
  t.match(await db.textContent(), /失败.*数据库.*没有数据库.*请运行 cunbox init/, 'verdict, name, message and fix in Chinese');
  t.match(await tech.page.locator('[data-test=doctor-summary]').textContent(), /\d+ 项失败，\d+ 项警告，\d+ 项通过/);
  t.equal(await tech.page.locator('[data-test=chain]').count(), 0, 'the audit chain is for who reads the audit log');
  await checkPage(t, tech.page, 'system-doctor');

  // English after switching the language; the check runs again on the button.
  await tech.page.locator('[data-test=lang]').click();
  await tech.page.locator('[data-test=doctor-run]').click();
  await tech.page.locator('[data-test=doctor-database]').filter({ hasText: 'no database at' }).waitFor();
  t.match(await tech.page.locator('[data-test=doctor-database]').textContent(), /Fail.*Database.*run cunbox init/);
  await checkPage(t, tech.page, 'system-doctor-en');

  const admin = await signIn(browser, base, 'admin', password('admin'), errors);
  await admin.page.goto(`${base}/system`);
  await admin.page.locator('[data-test=doctor-ffmpeg]').waitFor({ timeout: 60_000 });
  t.match(await admin.page.locator('[data-test=chain]').textContent(), /审计链完整/, 'an admin still sees the audit chain');
  t.same(errors, [], 'no console errors');
});
