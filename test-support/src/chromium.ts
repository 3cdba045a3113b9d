import type { Test } from 'tap';
import { chromium, type Browser } from 'playwright-core';

/** The box's own Chromium, headless: nothing that phones home (updates, sync), video may autoplay; closed when the test ends. */
export async function launchChromium(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
  t.teardown(() => browser.close());
  return browser;
}
