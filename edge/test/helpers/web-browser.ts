import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const root = join(import.meta.dirname, '../../..');
/** Screenshots of the browser tests (gitignored); look at them before calling a page done. */
export const ARTIFACTS = join(root, 'artifacts/web');
export const VIEWPORTS = [
  { width: 1920, height: 1080 },
  { width: 1366, height: 768 },
] as const;

/** A fresh browser profile whose console errors and page errors land in `errors`. */
export async function newPage(browser: Browser, who: string, errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: VIEWPORTS[1], locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  const page = await context.newPage();
  page.on('console', (m) => void (m.type() === 'error' && errors.push(`${who}: ${m.text()}`)));
  page.on('pageerror', (e) => void errors.push(`${who}: ${e.message}`));
  return { context, page };
}

/** Signs in through the login page. */
export async function signIn(browser: Browser, base: string, username: string, password: string, errors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const c = await newPage(browser, username, errors);
  await c.page.goto(`${base}/`);
  await c.page.locator('#login-username').fill(username);
  await c.page.locator('#login-password').fill(password);
  await c.page.locator('[data-test=submit]').click();
  await c.page.locator('[data-test=who]').waitFor();
  return c;
}

/** Screenshots at both sizes, no sideways scrolling, and axe finds nothing serious or critical. */
export async function checkPage(t: Test, page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // A toast fading out (over the dark header, say) is low contrast for a moment: axe caught one
  // mid-fade on a loaded CI box. Check the page once the toasts are gone (they last 3 s).
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  await page.waitForLoadState('networkidle').catch(() => undefined); // a live stream never idles
  for (const vp of VIEWPORTS) {
    await page.setViewportSize(vp);
    await page.waitForTimeout(200); // let ResizeObservers and tables relayout
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${vp.width}x${vp.height}.png`) });
    const { scroll, inner } = await page.evaluate<{ scroll: number; inner: number }>('({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth })');
    t.ok(scroll <= inner, `${name} at ${vp.width}×${vp.height}: no horizontal overflow (${scroll} ≤ ${inner})`);
  }
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  t.same(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `${name}: no serious or critical accessibility violations`,
  );
  await page.setViewportSize(VIEWPORTS[1]);
}
