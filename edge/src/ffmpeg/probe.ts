import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { redactUrls } from '@cunbox/shared';

const run = promisify(execFile);

export interface FileProbe {
  /** First presentation time in seconds (stream time of the recorder run). */
  startTime: number;
  durationSeconds: number;
  videoCodec: string | null;
  width: number | null;
  height: number | null;
}

class ProbeError extends Error {
  constructor(message: string) {
    super(redactUrls(message));
    this.name = 'ProbeError';
  }
}

/** ffprobe one recorded file. Throws ProbeError for a file with no readable video. */
export async function probeFile(path: string, opts: { ffprobePath?: string; timeoutMs?: number } = {}): Promise<FileProbe> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      opts.ffprobePath ?? 'ffprobe',
      ['-v', 'error', '-show_entries', 'format=start_time,duration:stream=codec_type,codec_name,width,height', '-of', 'json', path],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 1 << 20 },
    ));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ProbeError(`ffprobe failed for ${path}: ${(e.stderr || e.message).trim().split('\n').at(-1)}`);
  }
  const parsed = JSON.parse(stdout) as {
    format?: { start_time?: string; duration?: string };
    streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number }>;
  };
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  const duration = Number(parsed.format?.duration);
  if (!video || !Number.isFinite(duration)) throw new ProbeError(`${path}: no playable video`);
  return {
    startTime: Number(parsed.format?.start_time ?? 0) || 0,
    durationSeconds: duration,
    videoCodec: video.codec_name ?? null,
    width: video.width ?? null,
    height: video.height ?? null,
  };
}
