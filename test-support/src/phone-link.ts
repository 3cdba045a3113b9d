/**
 * A phone on a slow link, in Chromium: the app's first load, sign-in, a 随手拍
 * with a camera photo, and a second load, on a link shaped by the DevTools
 * protocol (Network.emulateNetworkConditions). What it measures (bytes, ms) is
 * for the bench (scripts/bench/phone-3g.ts); the browser test asserts what it
 * observed (bytes, encodings, who served what), never how long it took.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';

export interface LinkProfile {
  name: string;
  /** Added to every request's round trip, ms. */
  latencyMs: number;
  downKbps: number;
  upKbps: number;
}

/**
 * WebPageTest's "3G Slow" (400 kbit/s each way, 400 ms round trip): a phone at
 * the edge of a village's 3G cell, the link the phone app must work on. Chrome
 * DevTools' own "Slow 3G" is the same bandwidth with a 2 s round trip: the bench
 * runs that one too, as the worst case.
 */
export const SLOW_3G: LinkProfile = { name: 'wpt-3g-slow', latencyMs: 400, downKbps: 400, upKbps: 400 };
export const DEVTOOLS_SLOW_3G: LinkProfile = { name: 'devtools-slow-3g', latencyMs: 2000, downKbps: 400, upKbps: 400 };

/** The phone the other browser tests emulate (390×844, touch), in the box's language and zone. */
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' };

export interface Journey {
  /** The first visit: nothing cached, no service worker yet. */
  firstLoad: {
    /** Bytes over the link (headers and bodies as sent, compressed or not) until the sign-in form shows. */
    bytes: number;
    /** Each app file (/m/…) with its bytes over the link and its content-encoding. */
    files: Array<{ path: string; bytes: number; encoding: string | null }>;
    /** From navigation to a sign-in form one can type into. */
    usableMs: number;
  };
  signInMs: number;
  report: {
    /** The photo as picked (a camera JPEG) and as uploaded (after the phone compressed it). */
    pickedBytes: number;
    uploadedBytes: number;
    /** From tapping 提交 to the app saying 已提交. */
    filedMs: number;
  };
  /** A reload once the service worker runs. */
  secondLoad: {
    /** App files (/m/…) the page got, and how many of them the service worker answered. */
    appFiles: number;
    fromServiceWorker: number;
    /** Bytes over the link for app files the service worker did not answer. */
    networkBytes: number;
    /** From the reload to the signed-in app. */
    usableMs: number;
  };
}

/** Shapes the page's link and counts what crosses it, per request, as Chromium's network stack sees it. */
class LinkMeter {
  readonly #requests = new Map<string, { url: string; fromServiceWorker: boolean; encoding: string | null; bytes: number; done: boolean }>();
  readonly #cdp: CDPSession;

  private constructor(cdp: CDPSession) {
    this.#cdp = cdp;
    cdp.on('Network.responseReceived', (e) => {
      const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      this.#requests.set(e.requestId, { url: e.response.url, fromServiceWorker: e.response.fromServiceWorker === true, encoding: headers['content-encoding'] ?? null, bytes: 0, done: false });
    });
    cdp.on('Network.loadingFinished', (e) => {
      const r = this.#requests.get(e.requestId);
      if (r) Object.assign(r, { bytes: e.encodedDataLength, done: true });
    });
  }

  static async attach(page: Page, link: LinkProfile): Promise<LinkMeter> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: link.latencyMs, downloadThroughput: (link.downKbps * 1000) / 8, uploadThroughput: (link.upKbps * 1000) / 8 });
    return new LinkMeter(cdp);
  }

  /** What was counted so far; the count starts again. */
  take(): Array<{ url: string; fromServiceWorker: boolean; encoding: string | null; bytes: number }> {
    const out = [...this.#requests.values()];
    this.#requests.clear();
    return out;
  }
}

/**
 * One villager's visit over `link`: open the app, sign in, report with `photo`
 * (a camera JPEG), reload. Timeouts are generous (a 3G link on a busy machine);
 * nothing here fails for being slow, only for not finishing.
 */
export async function slowLinkJourney(browser: Browser, opts: { base: string; villageId: number; username: string; password: string; photo: Buffer; link: LinkProfile; category: string }): Promise<Journey> {
  const WAIT = { timeout: 180_000 };
  const context = await browser.newContext(PHONE);
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    page.setDefaultNavigationTimeout(WAIT.timeout);
    const meter = await LinkMeter.attach(page, opts.link);
    const appPath = (url: string) => new URL(url).pathname;
    const isApp = (url: string) => appPath(url).startsWith('/m/');

    let t0 = performance.now();
    await page.goto(`${opts.base}/m/?v=${opts.villageId}`, { waitUntil: 'commit' });
    await page.locator('[data-test=sign-in]').waitFor();
    const usableMs = performance.now() - t0;
    // Files still arriving (the manifest, the icon) belong to the first load too.
    await page.waitForLoadState('load');
    const first = meter.take();
    const files = first.filter((r) => isApp(r.url)).map((r) => ({ path: appPath(r.url), bytes: r.bytes, encoding: r.encoding }));

    t0 = performance.now();
    await page.locator('#username').fill(opts.username);
    await page.locator('#password').fill(opts.password);
    await page.locator('[data-test=sign-in]').click();
    await page.locator('[data-test=signed-in]').waitFor();
    const signInMs = performance.now() - t0;

    await page.locator('[data-tab=report]').click();
    await page.locator('[data-test=photo]').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: opts.photo });
    await page.locator('.preview').waitFor();
    await page.locator('[data-test=category]').selectOption(opts.category);
    await page.locator('[data-test=description]').fill('桥头有垃圾堆（3G）');
    await page.locator('[data-test=place]').fill('东村桥头');
    const upload = page.waitForRequest((r) => r.url().endsWith('/media') && r.method() === 'POST');
    t0 = performance.now();
    await page.locator('[data-test=submit-report]').click();
    const uploadedBytes = Number((await (await upload).allHeaders())['content-length'] ?? 0);
    await page.locator('[data-test=report-message]', { hasText: '已提交' }).waitFor();
    const filedMs = performance.now() - t0;

    // The service worker has the shell (it precaches on install), and controls the page.
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await page.waitForFunction('navigator.serviceWorker.controller !== null');
    meter.take();
    t0 = performance.now();
    await page.reload({ waitUntil: 'commit' });
    await page.locator('[data-test=signed-in]').waitFor();
    const secondUsableMs = performance.now() - t0;
    await page.waitForLoadState('load');
    const second = meter.take().filter((r) => isApp(r.url));

    return {
      firstLoad: { bytes: first.reduce((n, r) => n + r.bytes, 0), files, usableMs },
      signInMs,
      report: { pickedBytes: opts.photo.length, uploadedBytes, filedMs },
      secondLoad: {
        appFiles: second.length,
        fromServiceWorker: second.filter((r) => r.fromServiceWorker).length,
        networkBytes: second.filter((r) => !r.fromServiceWorker).reduce((n, r) => n + r.bytes, 0),
        usableMs: secondUsableMs,
      },
    };
  } finally {
    await context.close();
  }
}

/**
 * Raw RGB of a camera-sized scene (sky, ground, a few edges, sensor noise): for
 * a JPEG the size a phone camera makes, where the worst case (pure noise) would
 * measure the encoder rather than the app.
 */
export function cameraScene(width = 4000, height = 3000): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  // Grass and gravel: texture in 3-pixel grains, coarse enough to survive the phone's downscale (as real detail does).
  const grainsPerRow = Math.ceil(width / 3);
  const grains = new Uint8Array(grainsPerRow * Math.ceil(height / 3));
  let seed = 1;
  for (let i = 0; i < grains.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    grains[i] = seed >>> 24;
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const ground = y > height * 0.55;
      const noise = ((seed >>> 24) % 7) + (ground ? grains[Math.floor(y / 3) * grainsPerRow + Math.floor(x / 3)]! % 48 : 0);
      const post = x % 700 < 40 && ground;
      const i = (y * width + x) * 3;
      raw[i] = (ground ? 90 + (x * 60) / width : 120 + (y * 80) / height) + noise - (post ? 60 : 0);
      raw[i + 1] = (ground ? 110 + (y * 40) / height : 160 + (y * 60) / height) + noise - (post ? 60 : 0);
      raw[i + 2] = (ground ? 60 : 230 - (y * 40) / height) + noise;
    }
  }
  return raw;
}
