/**
 * The edge's fetch of phone photos from the cloud (sync/media-downloader.ts),
 * against a loopback HTTP server that answers `GET /api/media/files/{id}` as
 * the cloud does (Basic credentials, ETag = SHA-256): bytes that do not hash
 * to the ETag are never stored and are tried again; a 404 waits with backoff
 * instead of being asked every pass; a photo no longer missing is not asked for.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaDownloader } from '../src/sync/media-downloader.ts';
import { systemClock } from '../src/clock.ts';
import { silentLogger } from '../src/log.ts';
import { waitFor } from '@cunbox/test-support/wait';

const AUTH = `Basic ${Buffer.from('0123456789abcdef:secret-pass').toString('base64')}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('fetches what is missing, checks the hash, backs off on failures', async (t) => {
  const good = Buffer.from('photo bytes, as the cloud stored them');
  const requests: string[] = [];
  let corrupt = true;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== AUTH) return void res.writeHead(401).end('{"error":{"code":"UNAUTHENTICATED","message":"edge credentials required"}}');
    if (req.url === '/api/media/files/PHOTO1') {
      // The first answer is cut short in transit: one byte changed.
      const body = corrupt ? Buffer.concat([good.subarray(0, -1), Buffer.from('X')]) : good;
      corrupt = false;
      return void res.writeHead(200, { etag: `"${sha(good)}"`, 'content-type': 'image/jpeg' }).end(body);
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no media"}}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));

  const stored = new Map<string, Buffer>();
  let missing = ['PHOTO1', 'GONE404'];
  const d = new MediaDownloader({
    clock: systemClock,
    log: silentLogger(),
    cloudUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { edgeId: '0123456789abcdef', password: 'secret-pass' },
    missing: () => missing.filter((id) => !stored.has(id)),
    store: async (id, data) => void stored.set(id, data),
    // Short passes; a long first backoff so a 404 is asked once in this test's time.
    options: { pollMs: 20, backoff: { baseMs: 60_000, maxMs: 60_000 } },
    random: () => 0.5,
  });
  d.start();
  t.teardown(() => d.stop());

  await waitFor('the first corrupt answer refused', () => d.stats.failedAttempts >= 2);
  t.notOk(stored.has('PHOTO1'), 'bytes that do not hash to the ETag are not stored');
  // PHOTO1 waits its backoff too: a new downloader (a restart) finds the gap again and fetches it.
  await d.stop();
  const again = new MediaDownloader({
    clock: systemClock,
    log: silentLogger(),
    cloudUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { edgeId: '0123456789abcdef', password: 'secret-pass' },
    missing: () => missing.filter((id) => !stored.has(id)),
    store: async (id, data) => void stored.set(id, data),
    options: { pollMs: 20, backoff: { baseMs: 60_000, maxMs: 60_000 } },
    random: () => 0.5,
  });
  again.start();
  t.teardown(() => again.stop());
  await waitFor('PHOTO1 fetched after the restart', () => stored.has('PHOTO1'));
  t.ok(stored.get('PHOTO1')!.equals(good), 'the true bytes stored');
  const asked404 = () => requests.filter((r) => r === 'GET /api/media/files/GONE404').length;
  // The pass that stored PHOTO1 asks for GONE404 next: count from when that answer is in (on a
  // loaded CI box its request could still be on the way here).
  await waitFor('the restarted downloader asked for GONE404 once', () => again.stats.failedAttempts >= 1);
  const before = asked404();
  t.equal(before, 2, 'once before the restart, once after');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(asked404(), before, 'a 404 is not asked again before its backoff ends');
  missing = [];
  t.equal(again.stats.fetched, 1);
});
