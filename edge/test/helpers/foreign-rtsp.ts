import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, '../fixtures/foreign-rtsp.py');

export type ForeignCodec = 'h264' | 'h265';

/**
 * Encodes a clip the way many real cameras send video: B-frames (2 per
 * mini-GOP), a closed 2-s GOP (IDR) at 25 fps, and a G.711 A-law audio track.
 */
export async function encodeForeignClip(dir: string, codec: ForeignCodec, seconds: number): Promise<string> {
  const file = join(dir, `${codec}-bframes.mkv`);
  const video =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '2', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'bframes=2:keyint=50:min-keyint=50:scenecut=0:open-gop=0:log-level=error'];
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000',
    '-t', String(seconds), '-pix_fmt', 'yuv420p', ...video, '-b:v', '800k', '-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1', file]);
  return file;
}

export interface ForeignServer {
  url(name: string): string;
  stop(): Promise<void>;
}

/** Starts foreign-rtsp.py on 127.0.0.1 serving each `name → file`. */
export async function startForeignServer(streams: Record<string, string>): Promise<ForeignServer> {
  const child = spawn('/usr/bin/python3', [SCRIPT, ...Object.entries(streams).map(([n, f]) => `${n}=${f}`)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`foreign RTSP server not ready: ${stderr}`)), 20_000);
    child.stdout.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve((JSON.parse(d.toString()) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`foreign RTSP server exited (${code}): ${stderr}`));
    });
  });
  return {
    url: (name) => `rtsp://127.0.0.1:${port}/${name}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
