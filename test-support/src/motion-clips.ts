import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Generated once, kept between runs (gitignored). */
export const MOTION_CLIP_DIR = join(import.meta.dirname, '../.cache/motion');

/** A textured, noisy, still background (its texture drawn once, then looped: geq per frame is slow). */
const BACKGROUND =
  "nullsrc=s=640x360:r=15:d=0.1,geq=lum='128+60*sin(X/9)*cos(Y/11)+20*sin(X/3+Y/5)':cb=128:cr=128," +
  'loop=loop=-1:size=1,setpts=N/15/TB,trim=duration=20,noise=alls=6:allf=t';

/**
 * 20-s clips (camsim loops them):
 * - crossing: a white 48×96 box crosses the lower half (y 230..326 of 360), left to right, from 8 s to 14 s;
 * - light: nothing moves; the whole picture gets 70 % brighter at 10 s (and back as the clip loops);
 * - still: nothing moves (sensor noise only).
 */
const GRAPHS: Record<'crossing' | 'light' | 'still', string> = {
  still: BACKGROUND,
  crossing: `${BACKGROUND}[bg];color=c=white:s=48x96:r=15[box];[bg][box]overlay=x='if(between(t\\,8\\,14)\\,(t-8)*95\\,-200)':y=230:shortest=1`,
  light: `${BACKGROUND},lutyuv=y='val*1.7':enable='gte(t\\,10)'`,
};

export async function motionClip(name: keyof typeof GRAPHS): Promise<string> {
  mkdirSync(MOTION_CLIP_DIR, { recursive: true });
  const file = join(MOTION_CLIP_DIR, `${name}-v1.mp4`);
  if (existsSync(file)) return file;
  const part = `${file}.part.mp4`;
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', GRAPHS[name], '-t', '20', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', part]);
  renameSync(part, file);
  return file;
}
