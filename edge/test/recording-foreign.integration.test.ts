// Cameras that are not our simulator: a plain gst-rtsp-server serving H.264
// and H.265 with B-frames and a G.711 audio track, as many real cameras send.
// Real ffmpeg, real SQLite, over TCP and over UDP.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Edge } from '../src/edge.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { openDatabase } from '../src/db/database.ts';
import { probeStream } from '../src/probe/stream.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { decodeFrames, waitFor } from './helpers/media.ts';
import { encodeForeignClip, startForeignServer, type ForeignServer } from './helpers/foreign-rtsp.ts';

const run = promisify(execFile);
const SEGMENT_S = 4;

let server: ForeignServer;
t.before(async () => {
  const dir = tmpDir(t, 'cunbox-foreign-');
  const [h264, h265] = await Promise.all([encodeForeignClip(dir, 'h264', 40), encodeForeignClip(dir, 'h265', 40)]);
  server = await startForeignServer({ h264, h265 });
});
t.teardown(() => server?.stop());

interface Packet { pts: number; dts: number; flags: string }

async function videoPackets(file: string): Promise<{ codec: string; hasBFrames: number; packets: Packet[] }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,has_b_frames:packet=pts,dts,flags', '-of', 'json', file]);
  const j = JSON.parse(stdout) as { streams: Array<{ codec_name: string; has_b_frames: number }>; packets: Array<{ pts: string; dts: string; flags: string }> };
  return { codec: j.streams[0]!.codec_name, hasBFrames: j.streams[0]!.has_b_frames, packets: j.packets.map((p) => ({ pts: Number(p.pts), dts: Number(p.dts), flags: p.flags })) };
}

t.test('the probe sees B-frames on both streams', async (t) => {
  for (const name of ['h264', 'h265'] as const) {
    const p = await probeStream(server.url(name), { username: null, password: null, seconds: 3 });
    t.match(p, { codec: name === 'h264' ? 'h264' : 'hevc', bFrames: true, fps: 25 }, name);
  }
});

for (const transport of ['tcp', 'udp'] as const) {
  t.test(`H.264 and H.265 with B-frames and audio over ${transport.toUpperCase()}: recorded, frames in order, 40 ms apart`, async (t) => {
    const dir = tmpDir(t);
    const config = parseConfig([
      `data_dir: ${dir}`, 'log_level: warn', 'recording:', `  segment_seconds: ${SEGMENT_S}`, `  transport: ${transport}`, '  watchdog_seconds: 4', '  connect_timeout_seconds: 8',
      'retention:', '  min_free_bytes: 0', '  min_free_percent: 0', 'cameras:',
      '  - name: foreign-h264', `    main: ${server.url('h264')}`,
      '  - name: foreign-h265', `    main: ${server.url('h265')}`, '',
    ].join('\n'));
    const edge = new Edge({ config, log: silentLogger() });
    await edge.start();
    try {
      await waitFor('3 segments per camera', () => {
        const n = edge.db.prepare('SELECT camera_id, COUNT(*) AS n FROM segments GROUP BY camera_id').all() as Array<{ n: number }>;
        return n.length === 2 && n.every((r) => r.n >= 3);
      }, 45_000);
      t.same(edge.cameraStatus().map((s) => s.state), ['recording', 'recording']);
    } finally {
      await edge.stop();
    }
    const db = openDatabase(join(dir, 'cunbox.db'), { readonly: true });
    const rows = db.prepare('SELECT camera_id, start_ms, end_ms, path FROM segments').all() as Array<{ camera_id: number; start_ms: number; end_ms: number; path: string }>;
    db.close();
    for (const [cameraId, codec] of [[1, 'h264'], [2, 'hevc']] as const) {
      const mine = rows.filter((r) => r.camera_id === cameraId).sort((a, b) => a.start_ms - b.start_ms);
      for (let i = 1; i < mine.length; i++) {
        const gap = mine[i]!.start_ms - mine[i - 1]!.end_ms;
        t.ok(Math.abs(gap) <= 100, `${codec}: segment ${i} follows on (gap ${gap} ms)`);
      }
      // A middle segment: a whole one, cut at both ends by the segmenter.
      const file = join(dir, mine[1]!.path);
      const { codec: got, hasBFrames, packets } = await videoPackets(file);
      t.equal(got, codec, `${codec}: copied, not transcoded`);
      t.ok(hasBFrames > 0, `${codec}: B-frames kept (reorder depth ${hasBFrames})`);
      t.ok(packets[0]!.flags.startsWith('K'), `${codec}: segment starts with a key frame`);
      t.ok(packets.some((p, i) => i > 0 && p.pts < packets[i - 1]!.pts), `${codec}: decode order differs from display order`);
      t.ok(packets.every((p, i) => i === 0 || p.dts > packets[i - 1]!.dts), `${codec}: DTS strictly increasing`);
      t.ok(packets.every((p) => p.pts >= p.dts), `${codec}: no frame shown before it is decoded`);
      const pts = packets.map((p) => p.pts).sort((a, b) => a - b);
      const steps = [...new Set(pts.slice(1).map((v, i) => v - pts[i]!))];
      // The server rounds its nanosecond times to the 90 kHz RTP clock (±1 tick), and ffmpeg's RTSP
      // demuxer re-anchors its times on each RTCP sender report, whose NTP/RTP pair the server takes
      // from its clock when it sends it: on a loaded box a step came out 7 ticks (78 µs) long. A lost
      // or doubled frame is a 3600-tick error; 1 ms (90 ticks) tells the two apart.
      t.ok(steps.every((d) => Math.abs(d - 3600) <= 90), `${codec}: frames 40 ms apart in display order (steps ${steps.join(', ')} ticks)`);
      const { frames, errors } = await decodeFrames(file);
      t.equal(frames, packets.length, `${codec}: all ${frames} frames decode`);
      t.equal(errors, '', `${codec}: without decoder errors`);
      const dur = (mine[1]!.end_ms - mine[1]!.start_ms) / 1000;
      t.ok(Math.abs(dur - (packets.length * 0.04)) <= 0.12, `${codec}: index says ${dur} s for ${packets.length} frames`);
    }
  });
}
