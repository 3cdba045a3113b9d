// Playback, export and snapshots over real recordings from the simulator.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { timeline } from '../src/playback/timeline.ts';
import { buildPlaylist } from '../src/playback/hls.ts';
import { frameAt } from '../src/playback/clip.ts';
import { parseRange } from '../src/playback/range.ts';
import { nodeSpawner } from '../src/ffmpeg/process.ts';
import { systemClock } from '../src/clock.ts';
import type { SegmentRow } from '../src/storage/segment-index.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { waitFor } from './helpers/media.ts';

let sim: Camsim;
let edge: Edge;
let dir: string;
let rows: SegmentRow[];
let gap: [number, number];

t.before(async () => {
  sim = await startCamsim({ cameras: 1 });
  dir = tmpDir(t);
  const cam = sim.cameras[0]!;
  const yaml = `data_dir: ${dir}\nrecording:\n  segment_seconds: 4\n  watchdog_seconds: 3\nretention:\n  min_free_bytes: 0\n  min_free_percent: 0\ncameras:\n  - name: gate\n    main: ${cam.urls.main}\n    user: ${cam.user}\n    password: ${cam.password}\n`;
  edge = new Edge({ config: parseConfig(yaml), log: silentLogger() });
  await edge.start();
  // ~10 s of video, a stall (a gap), then ~10 s more.
  await waitFor('two segments', () => edge.parts.index.forCamera(1).length >= 2, 30_000);
  await sim.control.fault(0, 'stall');
  await waitFor('offline', () => edge.parts.events.list({ type: 'camera.offline' }).length > 0, 15_000);
  await new Promise((r) => setTimeout(r, 2000));
  await sim.control.clear(0);
  const firstOnline = edge.parts.events.list({ type: 'camera.online' })[0]!.id;
  const back = await waitFor('online again', () => edge.parts.events.list({ type: 'camera.online' }).find((e) => e.id !== firstOnline), 20_000);
  await waitFor('two segments after the gap', () => edge.parts.index.forCamera(1).filter((r) => r.start_ms > back.atMs - 2000).length >= 2, 30_000);
  rows = edge.parts.index.forCamera(1);
  const i = rows.findIndex((r, k) => k > 0 && r.start_ms - rows[k - 1]!.end_ms > 1500);
  gap = [rows[i - 1]!.end_ms, rows[i]!.start_ms];
});
t.teardown(async () => {
  await edge?.stop();
  await sim?.stop();
});

t.test('timeline: recorded spans, the gap, and event markers', async (t) => {
  const from = rows[0]!.start_ms - 5000;
  const to = rows.at(-1)!.end_ms;
  const [tl] = timeline(edge.db, { fromMs: from, toMs: to }, [1], Date.now());
  t.equal(tl!.recorded.length, 2, JSON.stringify(tl!.recorded));
  t.same(tl!.recorded[0], [rows[0]!.start_ms, gap[0]]);
  t.same(tl!.recorded[1], [gap[1], to]);
  t.same(tl!.gaps, [[from, rows[0]!.start_ms], gap]);
  t.same(tl!.events.map((e) => e.type), ['camera.online', 'camera.offline', 'camera.online'].slice(-tl!.events.length));
  t.ok(tl!.events.some((e) => e.type === 'camera.offline' && e.atMs >= gap[0] - 500 && e.atMs <= gap[1]), 'the offline marker sits in the gap');
});

t.test('HLS playlist across a segment boundary and a gap plays with wall-clock times', async (t) => {
  const from = rows[0]!.start_ms + 1500; // inside the first segment
  const to = rows.at(-1)!.end_ms;
  const text = buildPlaylist(rows, { fromMs: from, toMs: to, segmentUrl: (r) => join(dir, r.path) });
  const lines = text.trim().split('\n');
  t.equal(lines[0], '#EXTM3U');
  t.match(text, /#EXT-X-START:TIME-OFFSET=1\.500,PRECISE=YES/);
  t.equal(lines.filter((l) => l === '#EXT-X-DISCONTINUITY').length, 1, 'one discontinuity: the gap (same run elsewhere)');
  const dates = lines.filter((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME:')).map((l) => Date.parse(l.slice(25)));
  t.same(dates, rows.map((r) => r.start_ms), 'every segment carries its wall-clock start');
  const disc = lines.indexOf('#EXT-X-DISCONTINUITY');
  t.equal(Date.parse(lines[disc + 1]!.slice(25)), gap[1], 'the discontinuity comes right before the first segment after the gap');
  // ffmpeg's HLS demuxer plays the whole playlist (all files, both sides of the gap).
  const file = join(dir, 'p.m3u8');
  writeFileSync(file, text);
  const out = execFileSync('ffprobe', ['-v', 'error', '-allowed_extensions', 'ALL', '-count_packets', '-show_entries', 'stream=nb_read_packets:format=duration', '-of', 'json', file], { encoding: 'utf8' });
  const parsed = JSON.parse(out) as { streams: Array<{ nb_read_packets: string }> };
  const expectFrames = rows.reduce((s, r) => s + (r.end_ms - r.start_ms), 0) / 40;
  t.ok(Math.abs(Number(parsed.streams[0]!.nb_read_packets) - expectFrames) < rows.length * 3, `${parsed.streams[0]!.nb_read_packets} frames through the playlist, ~${Math.round(expectFrames)} recorded`);
});

t.test('export: duration within one GOP, manifest hashes verify, holds created', async (t) => {
  const fromMs = rows[0]!.start_ms + 1300;
  const toMs = rows[2]!.start_ms + 1700; // across boundaries (and the gap if the third segment is after it)
  const job = edge.parts.exports.enqueue({ cameraIds: [1], range: { fromMs, toMs }, reason: '随手拍 #7 邻里纠纷', createdBy: 'cadre1' });
  t.equal(job.status === 'queued' || job.status === 'running', true);
  const holds = edge.parts.holds.list();
  t.match(holds, [{ cameraId: 1, startMs: fromMs, endMs: toMs, reason: /^export #\d+: 随手拍 #7/ }], 'hold created when queued');
  const done = await waitFor('export done', () => { const j = edge.parts.exports.get(job.id)!; return j.status === 'done' || j.status === 'failed' ? j : undefined; }, 60_000);
  t.equal(done.status, 'done', done.error ?? '');
  t.equal(done.progress, 1);
  const out = edge.parts.exports.directory(job.id);
  const manifestText = readFileSync(join(out, 'manifest.json'), 'utf8');
  t.equal(createHash('sha256').update(manifestText).digest('hex'), done.manifestSha256, 'manifest hash recorded in the job');
  const manifest = JSON.parse(manifestText);
  const cam = manifest.cameras[0];
  const mp4 = join(out, cam.file);
  t.equal(createHash('sha256').update(readFileSync(mp4)).digest('hex'), cam.sha256, 'export hash verifies');
  for (const s of cam.sources) t.equal(createHash('sha256').update(readFileSync(join(dir, s.path))).digest('hex'), s.sha256, `source ${s.path} hash verifies`);
  const recorded = rows.reduce((sum, r) => sum + Math.max(0, Math.min(r.end_ms, toMs) - Math.max(r.start_ms, fromMs)), 0) / 1000;
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration,format_name:stream=codec_name,width,height', '-of', 'json', mp4], { encoding: 'utf8' }));
  const dur = Number(probe.format.duration);
  t.ok(Math.abs(dur - recorded) <= 2.0, `export ${dur.toFixed(2)} s vs ${recorded.toFixed(2)} s recorded in the range (GOP 2 s)`);
  t.match(probe, { format: { format_name: /mp4/ }, streams: [{ codec_name: 'h264', width: 1280, height: 720 }] });
  const head = readFileSync(mp4).subarray(0, 64).toString('latin1');
  t.ok(head.indexOf('moov') >= 0 && head.indexOf('moov') < head.indexOf('mdat') || head.indexOf('mdat') < 0, '+faststart: moov before mdat');
});

t.test('export queue: validation, cancel and retry', async (t) => {
  const range = { fromMs: rows[0]!.start_ms, toMs: rows[0]!.end_ms };
  t.throws(() => edge.parts.exports.enqueue({ cameraIds: [1], range, reason: ' ', createdBy: 'x' }), { code: 'INVALID_INPUT' });
  t.throws(() => edge.parts.exports.enqueue({ cameraIds: [99], range, reason: 'r', createdBy: 'x' }), { code: 'NOT_FOUND' });
  t.throws(() => edge.parts.exports.enqueue({ cameraIds: [1], range: { fromMs: gap[0] + 200, toMs: gap[1] - 200 }, reason: 'r', createdBy: 'x' }), { code: 'NO_FOOTAGE' });
  const long = edge.parts.exports.enqueue({ cameraIds: [1], range: { fromMs: rows[0]!.start_ms, toMs: rows.at(-1)!.end_ms }, reason: 'to cancel', createdBy: 'y' });
  const c = edge.parts.exports.cancel(long.id);
  t.ok(c.status === 'cancelled' || c.status === 'running');
  const cancelled = await waitFor('cancelled', () => edge.parts.exports.get(long.id)!.status === 'cancelled', 30_000);
  t.ok(cancelled);
  t.throws(() => edge.parts.exports.cancel(long.id), { code: 'INVALID_TRANSITION' });
  edge.parts.exports.retry(long.id);
  const again = await waitFor('retried export done', () => { const j = edge.parts.exports.get(long.id)!; return j.status === 'done' || j.status === 'failed' ? j : undefined; }, 60_000);
  t.equal(again.status, 'done');
  t.equal(again.attempts, 2);
});

t.test('a JPEG of any recorded moment', async (t) => {
  const at = rows[1]!.start_ms + 1234;
  const jpeg = await frameAt({ layout: edge.layout, spawner: nodeSpawner, clock: systemClock }, rows[1]!, at);
  t.equal(jpeg[0], 0xff);
  t.equal(jpeg[1], 0xd8);
  const file = join(dir, 'f.jpg');
  writeFileSync(file, jpeg);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file], { encoding: 'utf8' }));
  t.match(probe.streams[0], { codec_name: 'mjpeg', width: 1280, height: 720 });
  const small = await frameAt({ layout: edge.layout, spawner: nodeSpawner, clock: systemClock }, rows[1]!, at, { width: 320 });
  t.ok(small.length < jpeg.length);
});

t.test('ranges: clear errors for malformed requests', async (t) => {
  const now = Date.UTC(2026, 10, 29, 12);
  t.throws(() => parseRange(now, now - 1000, now), { code: 'INVALID_RANGE', message: /must be after the start/ });
  t.throws(() => parseRange('2026-11-01T00:00:00Z', '2026-11-29T00:00:00Z', now), { code: 'INVALID_RANGE', message: /at most 192 hours/ });
  t.throws(() => parseRange('3026-01-01T00:00:00Z', '3026-01-02T00:00:00Z', now), { code: 'INVALID_RANGE', message: /not a plausible time/ });
  t.throws(() => parseRange('yesterday', 'today', now), { code: 'INVALID_RANGE', message: /ISO 8601/ });
  t.throws(() => parseRange(now + 3_600_000, now + 7_200_000, now), { code: 'INVALID_RANGE', message: /in the future/ });
  t.throws(() => parseRange(now - 20 * 86_400_000, now - 19 * 86_400_000, now, { oldestMs: now - 7 * 86_400_000 }), { code: 'INVALID_RANGE', message: /retention/ });
  t.same(parseRange('2026-11-29T08:00:00+08:00', String(now), now), { fromMs: Date.UTC(2026, 10, 29, 0), toMs: now });
});

t.test('cunbox export and cunbox holds', async (t) => {
  const { cli } = await import('@cunbox/test-support/edge-cli');
  const out = join(dir, 'usb', 'gate.mp4');
  const from = new Date(rows[0]!.start_ms + 500).toISOString();
  const to = new Date(rows[1]!.end_ms - 500).toISOString();
  const r = await cli(['export', '--data-dir', dir, '--camera', 'gate', '--from', from, '--to', to, '--out', out, '--reason', '派出所调取', '--json']);
  t.equal(r.code, 0, r.err);
  const job = JSON.parse(r.out);
  t.match(job, { status: 'done', file: out });
  const manifest = JSON.parse(readFileSync(`${out}.manifest.json`, 'utf8'));
  t.equal(createHash('sha256').update(readFileSync(out)).digest('hex'), manifest.cameras[0].sha256);
  t.match(r.err, /export #\d+: \d+%/, 'progress reported');
  const list = JSON.parse((await cli(['holds', 'list', '--data-dir', dir, '--json'])).out) as Array<{ id: number; reason: string }>;
  const mine = list.find((h) => h.reason.includes('派出所调取'))!;
  t.ok(mine, 'the export put a hold on its range');
  const rel = await cli(['holds', 'release', String(mine.id), '--data-dir', dir]);
  t.equal(rel.code, 0);
  const again = await cli(['holds', 'release', String(mine.id), '--data-dir', dir]);
  t.equal(again.code, 66, 'releasing twice: not found');
  const bad = await cli(['export', '--data-dir', dir, '--camera', 'gate', '--from', to, '--to', from, '--out', out]);
  t.equal(bad.code, 64);
  t.match(bad.err, /must be after the start/);
  const none = await cli(['export', '--data-dir', dir, '--camera', 'nope', '--from', from, '--to', to, '--out', out]);
  t.equal(none.code, 66);
});
