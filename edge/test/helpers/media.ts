import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor as poll } from '@cunbox/test-support/wait';

const run = promisify(execFile);

/** Decodes a whole file; returns the number of video frames ffmpeg could decode and its error output. */
export async function decodeFrames(path: string): Promise<{ frames: number; errors: string }> {
  const { stdout, stderr } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'json', path]);
  const parsed = JSON.parse(stdout) as { streams?: Array<{ nb_read_frames?: string }> };
  return { frames: Number(parsed.streams?.[0]?.nb_read_frames ?? NaN), errors: stderr.trim() };
}

export async function probeDuration(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  return Number(stdout.trim());
}

/** Polls `fn` until it returns a truthy value or `ms` pass; every 200 ms, as many of these looks run ffprobe or read a recording's index. */
export const waitFor = <T>(what: string, fn: () => T | Promise<T>, ms: number, stepMs = 200): Promise<NonNullable<T>> => poll(what, fn, ms, stepMs);
