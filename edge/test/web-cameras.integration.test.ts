/**
 * The cameras page of the browser app against a real edge recording a simulated
 * camera: the list with its state, the live view (MSE over live.mp4) playing, and
 * playback of the day through HLS after a click on the timeline; no console
 * errors, no overflow, axe clean (helpers/web-browser.ts).
 */
import t from 'tap';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { cachedWebBuild } from '../../scripts/build-web.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { UserStore } from '../src/auth/users.ts';
import { systemClock } from '../src/clock.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';
import { checkPage, signIn } from './helpers/web-browser.ts';
import { launchChromium } from '@cunbox/test-support/chromium';

const PASSWORD = 'Camera-Page-Password-1';
let sim: Camsim;
let edge: Edge;
let base: string;

t.before(async () => {
  const webRoot = cachedWebBuild();
  sim = await startCamsim({ cameras: 1 });
  const dir = tmpDir(t);
  const c = sim.cameras[0]!;
  const yaml = [`data_dir: ${dir}`, 'timezone: Asia/Shanghai', 'http:', '  host: 127.0.0.1', '  port: 0', 'recording:', '  segment_seconds: 4', 'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:', '  - name: 东口', '    zone: 东口', `    main: ${c.urls.main}`, `    sub: ${c.urls.sub}`, `    user: ${c.user}`, `    password: ${c.password}`, ''].join('\n');
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger(), webRoot });
  await edge.start();
  base = `http://127.0.0.1:${edge.http!.address.port}`;
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: 'tech', password: PASSWORD, role: 'technician' });
  // Setup, not a latency goal: two finished segments to play back.
  await waitFor('2 recorded segments', () => edge.parts.index.forCamera(1).length >= 2, 90_000);
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

t.test('cameras: state, live view, playback from the day timeline', async (t) => {
  const browser = await launchChromium(t);
  const errors: string[] = [];
  const { page } = await signIn(browser, base, 'tech', PASSWORD, errors);
  t.same(await page.locator('nav [data-test^=menu-]').allTextContents(), ['随手拍', '三务公开', '视频监控', '录像导出', '系统状态', 'API 令牌'], 'a technician sees cameras and the system page (its self-check), no certificates');
  await page.locator('[data-test=menu-cameras]').click();
  const row = page.locator('[data-test=cameras] .el-table__row').first();
  await row.waitFor();
  t.match(await row.textContent(), /东口.*录像中/, 'the camera and its state');

  await row.click();
  const playing = () => page.locator('[data-test=video]').evaluate<boolean, { currentTime: number; readyState: number }>((v) => v.currentTime > 0.5 && v.readyState >= 2);
  await t.resolves(waitFor('the live view to play', playing, 60_000), 'live view plays through MSE');
  await checkPage(t, page, 'cameras-live');

  await page.locator('.el-radio-button').filter({ hasText: '回放' }).click();
  const timeline = page.locator('.timeline');
  await timeline.waitFor();
  await page.waitForLoadState('networkidle');
  // Click two minutes before the first segment: the playlist runs from there for an hour.
  const first = edge.parts.index.forCamera(1)[0]!.start_ms;
  const box = (await timeline.boundingBox())!;
  const dayStart = first - ((first + 8 * 3600_000) % 86_400_000); // Asia/Shanghai has no DST
  const x = 10 + ((first - 120_000 - dayStart) / 86_400_000) * (box.width - 20);
  await page.mouse.click(box.x + x, box.y + box.height / 2);
  await t.resolves(waitFor('playback to play', playing, 60_000), 'playback plays through HLS');
  await checkPage(t, page, 'cameras-playback');
  t.same(errors, [], 'no console errors');
});
