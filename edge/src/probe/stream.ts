import { execFile } from 'node:child_process';
import { redactUrls } from '@cunbox/shared';
import { authenticatedUrl } from '../cameras/registry.ts';
import { classifyStderrLine } from '../ffmpeg/stderr.ts';
import { rtspInput } from '../ffmpeg/rtsp-input.ts';
import { problem, reasonOf, type Template } from './problem.ts';
import type { StreamProbe } from './types.ts';

type StreamName = 'main' | 'sub';

export interface StreamProbeOptions {
  username: string | null;
  password: string | null;
  /** Seconds of packets to read: enough for two key frames at the usual 2-s GOP. */
  seconds?: number;
  transport?: 'tcp' | 'udp';
  /** Which stream this is, for messages. */
  stream?: StreamName;
  ffprobePath?: string;
  /** Aborting kills ffprobe. */
  signal?: AbortSignal;
}

/** Codecs the recorder copies into MPEG-TS as they are. */
const RECORDABLE_CODECS = new Set(['h264', 'hevc']);

export const DEFAULT_PROBE_SECONDS = 5;

/** ffprobe's socket timeout, in ms: a connected camera that sends nothing fails after it. */
const SOCKET_TIMEOUT_MS = 5000;

interface FfprobeOutput {
  streams?: Array<{
    codec_name?: string;
    profile?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    has_b_frames?: number;
  }>;
  packets?: Array<{ pts_time?: string; dts_time?: string; size?: string; flags?: string }>;
}

/**
 * Reads a few seconds of one RTSP stream with ffprobe, without decoding, and
 * measures what the recorder depends on. Throws a CameraProblemError that says
 * what to fix; never returns a stream ffmpeg could not record.
 */
export async function probeStream(url: string, opts: StreamProbeOptions): Promise<StreamProbe> {
  const seconds = opts.seconds ?? DEFAULT_PROBE_SECONDS;
  // Translated on its own: "main"/"sub" read as 主/子 in Chinese.
  const stream = { text: opts.stream ?? 'main', vars: {} };
  const where = redactUrls(url);
  // The URL, credentials included, reaches ffprobe on stdin: its command line is public to local users.
  // The socket I/O timeout fails a camera that accepts and then says nothing.
  const input = rtspInput({ url: authenticatedUrl(url, opts.username, opts.password), transport: opts.transport ?? 'tcp', socketTimeoutSeconds: SOCKET_TIMEOUT_MS / 1000 }, 0);
  const args = [
    '-v', 'error',
    ...input.args,
    '-read_intervals', `%+${seconds}`,
    '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,profile,width,height,avg_frame_rate,r_frame_rate,has_b_frames:packet=pts_time,dts_time,size,flags',
    '-of', 'json',
  ];
  const limitMs = (seconds + 15) * 1000;
  const started = Date.now();
  const { stdout, stderr, error } = await runFfprobe(opts.ffprobePath ?? 'ffprobe', args, input.script, limitMs, opts.signal);
  const elapsedMs = Date.now() - started;
  if (error?.code === 'ENOENT') {
    throw problem('IO_ERROR', 'ffprobe is not installed', 'install ffmpeg (apt install ffmpeg)');
  }
  if (error?.killed) {
    throw problem('STREAM_FAILED', 'no video arrived on the {stream} stream within {seconds} s', 'the camera accepted the connection but sent no video: reboot it, or lower its bitrate if the network is busy', { stream, seconds: Math.round(limitMs / 1000) });
  }
  if (error) throw classify(stderr || error.message, stream, where, elapsedMs);
  // Nothing at all on stdout (ffprobe gave up on the input without an error line): no video came.
  if (stdout.trim() === '') {
    throw problem('STREAM_FAILED', 'no video arrived on the {stream} stream within {seconds} s', 'the camera accepted the connection but sent no video: reboot it, or lower its bitrate if the network is busy', { stream, seconds: Math.round(elapsedMs / 1000) });
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch {
    throw problem('STREAM_FAILED', 'ffprobe printed something unreadable for the {stream} stream at {url}', 'run cunbox cameras test again; if it persists, report it with the ffmpeg version', { stream, url: where });
  }
  const probe = measure(parsed, seconds);
  if (!probe) {
    throw problem('STREAM_FAILED', 'no video arrived on the {stream} stream within {seconds} s', 'the camera accepted the connection but sent no video: reboot it, or lower its bitrate if the network is busy', { stream, seconds });
  }
  if (!RECORDABLE_CODECS.has(probe.codec)) {
    throw problem('NO_H264_STREAM', 'the {stream} stream is {codec}, not H.264 or H.265', "set the video encoding to H.264 (or H.265) in the camera's web page", { stream, codec: probe.codec });
  }
  return probe;
}

function runFfprobe(bin: string, args: string[], stdin: string, timeoutMs: number, signal?: AbortSignal): Promise<{ stdout: string; stderr: string; error: (NodeJS.ErrnoException & { killed?: boolean }) | null }> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20, ...(signal ? { signal } : {}) }, (error, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), error: error as (NodeJS.ErrnoException & { killed?: boolean }) | null });
    });
    // An ffprobe that could not start or died early must not crash the edge.
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin);
  });
}

function classify(stderr: string, stream: Template, url: string, elapsedMs: number) {
  const lines = stderr.split('\n').filter((l) => l.trim());
  const failure = lines.map(classifyStderrLine).find((f) => f !== undefined);
  // ffprobe starts its last line with the input (a URL, or the pipe it read it from); the message is what follows.
  const reason = reasonOf((lines.at(-1) ?? 'ffprobe failed').replace(/^(?:[a-z][a-z0-9+.-]*:\/\/\S+?|(?:async:)?pipe:\d+):\s+/i, ''));
  if (failure?.kind === 'bad-stream' && elapsedMs >= SOCKET_TIMEOUT_MS - 500) {
    // Connected, described, then silence until the socket timed out: a stalled camera.
    return problem('STREAM_FAILED', 'no video arrived on the {stream} stream within {seconds} s', 'the camera accepted the connection but sent no video: reboot it, or lower its bitrate if the network is busy', { stream, seconds: Math.round(elapsedMs / 1000) });
  }
  switch (failure?.kind) {
    case 'auth':
      return problem('RTSP_AUTH_FAILED', 'the camera refused the RTSP user name or password on the {stream} stream', 'check --user and --password; some cameras have separate RTSP accounts, and many lock the account for minutes after about 5 bad logins', { stream });
    case 'refused':
    case 'unreachable':
    case 'timeout':
      return problem('CAMERA_UNREACHABLE', 'cannot connect to the {stream} stream at {url}: {reason}', 'check the address and the RTSP port (often 554), the cable and that the camera is powered', { stream, url, reason: { text: failure.message, vars: {} } });
    case 'not-found':
      return problem('STREAM_FAILED', 'the camera has no {stream} stream at {url} (404)', "check the stream path in the camera's manual (Hikvision: /Streaming/Channels/101, Dahua: /cam/realmonitor?channel=1&subtype=0)", { stream, url });
    default:
      return problem('STREAM_FAILED', 'the {stream} stream at {url} cannot be read: {reason}', 'open the URL in VLC to see what the camera sends; set it to H.264 or H.265 over RTSP', { stream, url, reason });
  }
}

/** Codec, size, rates, GOP and B-frames from ffprobe's stream and packet lists. */
function measure(out: FfprobeOutput, seconds: number): StreamProbe | null {
  const s = out.streams?.[0];
  if (!s?.codec_name) return null;
  const packets = out.packets ?? [];
  const times = packets.map((p) => Number(p.pts_time)).filter((v) => Number.isFinite(v));
  const nominalFps = rate(s.avg_frame_rate) ?? rate(s.r_frame_rate);
  let measuredFps: number | null = null;
  let span = 0;
  if (times.length >= 10) {
    span = Math.max(...times) - Math.min(...times);
    if (span > 0) measuredFps = (times.length - 1) / span;
  }
  // The nominal rate unless the camera clearly delivers another (a busy camera drops frames).
  const fps = measuredFps !== null && (nominalFps === null || Math.abs(measuredFps - nominalFps) / nominalFps > 0.05) ? measuredFps : nominalFps;
  const bytes = packets.reduce((sum, p) => sum + (Number(p.size) || 0), 0);
  const duration = span > 0 && fps ? span + 1 / fps : 0;
  const keys = packets.flatMap((p, i) => (p.flags?.startsWith('K') ? [i] : []));
  let gopFrames: number | null = null;
  let gopSeconds: number | null = null;
  if (keys.length >= 2) {
    const gaps = keys.slice(1).map((k, i) => k - keys[i]!);
    gopFrames = Math.round(gaps.reduce((a, b) => a + b, 0) / gaps.length);
    const t0 = Number(packets[keys[0]!]?.pts_time);
    const t1 = Number(packets[keys.at(-1)!]?.pts_time);
    if (Number.isFinite(t0) && Number.isFinite(t1) && t1 > t0) gopSeconds = round((t1 - t0) / gaps.length, 2);
    else if (fps) gopSeconds = round(gopFrames / fps, 2);
  }
  // In decode order, a presentation time that goes backwards means reordered (B) frames.
  let reordered = false;
  for (let i = 1; i < times.length; i++) if (times[i]! < times[i - 1]!) reordered = true;
  return {
    codec: s.codec_name,
    profile: s.profile ?? null,
    width: s.width ?? null,
    height: s.height ?? null,
    fps: fps === null ? null : round(fps, 2),
    bitrateBps: duration > 0 ? Math.round((bytes * 8) / duration) : null,
    gopFrames,
    gopSeconds,
    bFrames: (s.has_b_frames ?? 0) > 0 || reordered,
    seconds: round(span || seconds, 2),
  };
}

function rate(r: string | undefined): number | null {
  if (!r) return null;
  const [n, d] = r.split('/').map(Number);
  if (!n || !d || !Number.isFinite(n / d)) return null;
  return n / d;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** One line for tables: "h264 1280×720 25 fps 2.0 Mbit/s GOP 50 (2 s)". */
export function describeProbe(p: StreamProbe): string {
  const parts = [p.codec];
  if (p.width && p.height) parts.push(`${p.width}×${p.height}`);
  if (p.fps) parts.push(`${p.fps} fps`);
  if (p.bitrateBps) parts.push(`${(p.bitrateBps / 1e6).toFixed(1)} Mbit/s`);
  parts.push(p.gopFrames ? `GOP ${p.gopFrames}${p.gopSeconds ? ` (${p.gopSeconds} s)` : ''}` : 'GOP ?');
  if (p.bFrames) parts.push('B-frames');
  return parts.join(' ');
}
