import { mkdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../clock.ts';
import { CunboxError } from '../errors.ts';
import { FfmpegProcess, type Spawner } from '../ffmpeg/process.ts';
import type { Layout } from '../storage/layout.ts';
import type { SegmentRow } from '../storage/segment-index.ts';
import type { TimeRange } from './range.ts';

export interface ClipResult {
  sources: SegmentRow[];
  /** Media seconds in the file: the parts of the range that were recorded (gaps are left out). */
  durationSeconds: number;
  /** Recorded parts of the range that the file holds, back to back. */
  covered: Array<[number, number]>;
}

/**
 * Cuts one camera's footage for a range into an MP4 (+faststart) without
 * transcoding: ffmpeg's concat demuxer over the source segments, seeking to the
 * start. With stream copy the file begins at the key frame before the start
 * and an MP4 edit list hides the frames before it, so players start at the
 * requested moment (up to one GOP earlier in players that ignore edit lists).
 * Gaps between segments are closed up; the manifest lists what is covered.
 */
export async function cutClip(deps: { layout: Layout; spawner: Spawner; clock: Clock; ffmpegPath?: string }, rows: readonly SegmentRow[], range: TimeRange, out: string, opts: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {}): Promise<ClipResult> {
  const sources = rows.filter((r) => r.end_ms > range.fromMs && r.start_ms < range.toMs).sort((a, b) => a.start_ms - b.start_ms);
  if (sources.length === 0) throw new CunboxError('NO_FOOTAGE', 'no footage recorded in that range');
  const covered = sources.map((r): [number, number] => [Math.max(r.start_ms, range.fromMs), Math.min(r.end_ms, range.toMs)]);
  const durationSeconds = covered.reduce((s, [a, b]) => s + (b - a), 0) / 1000;
  const first = sources[0]!;
  const offset = Math.max(0, range.fromMs - first.start_ms) / 1000;
  await mkdir(dirname(out), { recursive: true });
  const list = `${out}.ffconcat`;
  const part = `${out}.part`;
  const quote = (p: string) => `'${p.replace(/'/g, "'\\''")}'`;
  await writeFile(list, `ffconcat version 1.0\n${sources.map((r) => `file ${quote(deps.layout.absolute(r.path))}`).join('\n')}\n`);
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-ss', offset.toFixed(3), '-i', list, '-t', durationSeconds.toFixed(3), '-map', '0:v:0', '-c', 'copy', '-movflags', '+faststart', '-progress', 'pipe:1', '-f', 'mp4', '-y', part];
  const errors: string[] = [];
  const proc = FfmpegProcess.spawn({
    spawner: deps.spawner,
    clock: deps.clock,
    binary: deps.ffmpegPath ?? 'ffmpeg',
    args,
    onStderrLine: (l) => void errors.push(l),
    onPipeLine: (fd, line) => {
      if (fd !== 1 || !line.startsWith('out_time_us=')) return;
      const us = Number(line.slice(12));
      if (Number.isFinite(us) && durationSeconds > 0) opts.onProgress?.(Math.min(1, Math.max(0, us / 1e6 / durationSeconds)));
    },
  });
  const abort = () => void proc.stop(1000);
  opts.signal?.addEventListener('abort', abort);
  try {
    const exit = await proc.exited;
    if (opts.signal?.aborted) throw new CunboxError('EXPORT_FAILED', 'export cancelled');
    if (exit.code !== 0) throw new CunboxError('EXPORT_FAILED', `ffmpeg failed (${exit.spawnError?.message ?? exit.signal ?? `code ${exit.code}`}): ${errors.slice(-3).join(' | ')}`);
    if ((await stat(part)).size === 0) throw new CunboxError('EXPORT_FAILED', 'ffmpeg wrote an empty file');
    await rename(part, out);
    opts.onProgress?.(1);
    return { sources, durationSeconds, covered };
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    await rm(list, { force: true });
    await rm(part, { force: true });
  }
}

/** One JPEG of a recorded moment: seek in the segment that holds it, decode one frame. */
export async function frameAt(deps: { layout: Layout; spawner: Spawner; clock: Clock; ffmpegPath?: string }, row: SegmentRow, atMs: number, opts: { width?: number } = {}): Promise<Buffer> {
  const offset = Math.max(0, Math.min(atMs, row.end_ms - 1) - row.start_ms) / 1000;
  const chunks: Buffer[] = [];
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-ss', offset.toFixed(3), '-i', deps.layout.absolute(row.path), '-frames:v', '1', ...(opts.width ? ['-vf', `scale=${opts.width}:-2`] : []), '-q:v', '4', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1'];
  const child = deps.spawner(deps.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = child.stdio[1] as NodeJS.ReadableStream;
  (child.stdio[2] as NodeJS.ReadableStream | undefined)?.resume();
  stdout.on('data', (d: Buffer) => chunks.push(d));
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.once('error', () => resolve(-1));
    }),
    // 'exit' can come before the last bytes of stdout.
    new Promise((resolve) => stdout.once('end', resolve)),
  ]);
  const jpeg = Buffer.concat(chunks);
  if (code !== 0 || jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new CunboxError('NO_FOOTAGE', 'could not decode a frame at that moment');
  return jpeg;
}
