import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { activeDecoderCommand } from '../src/motion/args.ts';
import { AccessUnitSplitter, accessUnitDelimiter } from '../src/motion/access-units.ts';
import { JpegSplitter } from '../src/ffmpeg/jpeg-splitter.ts';

/**
 * Real ffmpeg: the active decoder is started on the GOP the still feed kept
 * (its key picture first) and must decode that GOP, not drop it and wait for
 * the next key frame (it did with `-fflags nobuffer`: the demuxer threw away
 * the key picture it had read while probing). The stream here is one GOP's
 * first second and then ends, so a decoder that waits for the next key frame
 * gives nothing. No timing is asserted.
 */
const WIDTH = 160;
const HEIGHT = 90;

let dir: string;
let units: Buffer[];
t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'active-decoder-'));
  const clip = join(dir, 'gop.h264');
  // Like camsim's sub streams: 640×360, 15 fps, a 2-s closed GOP; one second of it.
  await new Promise<void>((resolve, reject) => {
    const enc = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15', '-frames:v', '15', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', '-bf', '0', '-f', 'h264', '-y', clip], { stdio: 'ignore' });
    enc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`encoding failed: ${code}`))));
  });
  const splitter = new AccessUnitSplitter('h264');
  // The splitter returns a unit when the next begins: all but the last picture.
  const split = splitter.push(readFileSync(clip));
  t.ok(split[0]?.key, 'the kept GOP starts with its key picture');
  units = split.map((u) => u.data);
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Every picture of the units, decoded as the feed decodes them (scaled to gray). */
async function reference(): Promise<Buffer> {
  const args = ['-v', 'error', '-threads', '1', '-skip_loop_filter', 'all', '-f', 'h264', '-i', 'pipe:0', '-fps_mode', 'passthrough', '-vf', `scale=${WIDTH}:${HEIGHT}:flags=area,format=gray`, '-f', 'rawvideo', 'pipe:1'];
  const dec = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  const out: Buffer[] = [];
  dec.stdout!.on('data', (c: Buffer) => out.push(c));
  for (const u of units) dec.stdin!.write(Buffer.concat([u, accessUnitDelimiter('h264')]));
  dec.stdin!.end();
  await new Promise((resolve) => dec.on('close', resolve));
  return Buffer.concat(out);
}

t.test('the active decoder decodes the kept GOP and analyses the kept pictures it is told to, the newest last', async (t) => {
  const args = activeDecoderCommand({ codec: 'h264', activeFps: 5, width: WIDTH, height: HEIGHT, thumbnailWidth: 320, analyseKept: [units.length - 4, units.length - 1] });
  const dec = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  let gray = 0;
  let jpegBytes = 0;
  let stderr = '';
  const frames: Buffer[] = [];
  dec.stdout!.on('data', (c: Buffer) => {
    gray += c.length;
    frames.push(c);
  });
  dec.stdio[3]!.on('data', (c: Buffer) => (jpegBytes += c.length));
  dec.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const feed = dec.stdio[4] as Writable;
  for (const u of units) feed.write(Buffer.concat([u, accessUnitDelimiter('h264')]));
  feed.end();
  const code = await new Promise<number | null>((resolve) => dec.on('close', resolve));
  t.equal(code, 0, 'ffmpeg ended cleanly', { stderr });
  t.ok(gray >= WIDTH * HEIGHT, `at least one picture of the kept GOP came out (${gray / (WIDTH * HEIGHT)} frames)`);
  t.equal(gray % (WIDTH * HEIGHT), 0, 'whole frames');
  t.ok(jpegBytes > 0, 'and its JPEG');
  // The GOP came at once: its pictures share one arrival time, and only the two named are
  // analysed (an active interval apart, so the first comparison needs no wait). Its key picture
  // is usually what the still feed analysed last; compared with itself, any motion in it (rain
  // too) would be confirmed.
  const size = WIDTH * HEIGHT;
  const out = Buffer.concat(frames);
  const ref = await reference();
  t.equal(ref.length, units.length * size, 'the reference decoded every unit');
  t.equal(out.length, 2 * size, 'two pictures of the kept GOP analysed');
  t.ok(out.subarray(0, size).equals(ref.subarray((units.length - 4) * size, (units.length - 3) * size)), 'first the one named first');
  t.ok(out.subarray(size).equals(ref.subarray((units.length - 1) * size)), 'then the newest');
  t.notOk(out.subarray(0, size).equals(ref.subarray(0, size)), 'not the key picture');
});

t.test('while it follows motion, the active decoder JPEGs every other analysed picture, and JPEG n is of picture 2n', async (t) => {
  // Three seconds of a moving test picture, one GOP: the decoder starts on its key picture and
  // is then fed a picture every 66 ms, as a camera sends them, so it analyses several.
  const clip = join(dir, 'moving.h264');
  await new Promise<void>((resolve, reject) => {
    const enc = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15', '-frames:v', '45', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', '-bf', '0', '-f', 'h264', '-y', clip], { stdio: 'ignore' });
    enc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`encoding failed: ${code}`))));
  });
  const pictures = new AccessUnitSplitter('h264').push(readFileSync(clip)).map((u) => u.data);
  const dec = spawn('ffmpeg', activeDecoderCommand({ codec: 'h264', activeFps: 5, width: WIDTH, height: HEIGHT, thumbnailWidth: 320, analyseKept: [0] }), { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const grayChunks: Buffer[] = [];
  const jpegChunks: Buffer[] = [];
  dec.stdout!.on('data', (c: Buffer) => grayChunks.push(c));
  dec.stdio[3]!.on('data', (c: Buffer) => jpegChunks.push(c));
  dec.stderr!.resume();
  const feed = dec.stdio[4] as Writable;
  for (const p of pictures) {
    feed.write(Buffer.concat([p, accessUnitDelimiter('h264')]));
    await new Promise((r) => setTimeout(r, 66));
  }
  feed.end();
  t.equal(await new Promise<number | null>((resolve) => dec.on('close', resolve)), 0, 'ffmpeg ended cleanly');
  const size = WIDTH * HEIGHT;
  const gray = Buffer.concat(grayChunks);
  const analysed = gray.length / size;
  t.ok(analysed >= 4, `several pictures analysed (${analysed})`);
  const jpegs = new JpegSplitter().push(Buffer.concat(jpegChunks));
  t.equal(jpegs.length, Math.ceil(analysed / 2), 'a JPEG for every other analysed picture, the first included');
  // Each JPEG, scaled as the detector's frames are, is nearer picture 2n than picture 2n + 1.
  const asGray = await new Promise<Buffer>((resolve, reject) => {
    const d = spawn('ffmpeg', ['-v', 'error', '-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0', '-vf', `scale=${WIDTH}:${HEIGHT}:flags=area,format=gray`, '-f', 'rawvideo', 'pipe:1'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    d.stdout!.on('data', (c: Buffer) => out.push(c));
    d.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`JPEG decode failed: ${code}`))));
    d.stdin!.end(Buffer.concat(jpegs));
  });
  const distance = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;
  const frame = (buf: Buffer, n: number) => buf.subarray(n * size, (n + 1) * size);
  for (let n = 0; n < jpegs.length && 2 * n + 1 < analysed; n++) {
    const own = distance(frame(asGray, n), frame(gray, 2 * n));
    const next = distance(frame(asGray, n), frame(gray, 2 * n + 1));
    t.ok(own < next, `JPEG ${n} shows picture ${2 * n} (mean difference ${own.toFixed(1)} against ${next.toFixed(1)} for the next)`);
  }
});
